"""Caller profiles: how a phone running WeChat calls a WMPF device, described in TOML (``fixtures/callers/``).

The phone-app caller (:mod:`harness.callers.phone_app`) drives the device maker's caller Mini Program with
uiautomator2 the way a person does: open it (an ``am start`` of a WeChat deep link or intent, or taps from
WeChat's home), choose the device by name, tap Voice or Video, then watch the plugin's call page (calling,
connected, ended) and tap Cancel or Hang up. A profile says where those are: uiautomator2 selectors, with
``{sn}`` and ``{name}`` replaced by the device's SN and name. Read with :mod:`harness.config.schema`: every
mistake is one ``file: key: problem`` line. The format is documented in ``fixtures/callers/README.md``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from harness.config.locations import FIXTURES_DIR
from harness.config.schema import Schema, load
from harness.errors import CallerProfileError

CALLERS_DIR = FIXTURES_DIR / "callers"
SIM_PROFILE = CALLERS_DIR / "sim-wechat.toml"
SELECTOR_KEYS = ("text", "textContains", "textMatches", "textStartsWith", "resourceId", "resourceIdMatches",
                 "description", "descriptionContains", "descriptionMatches", "className", "packageName",
                 "index", "instance", "clickable", "checkable")
REGEX_KEYS = ("textMatches", "resourceIdMatches", "descriptionMatches")
PLACEHOLDERS = ("sn", "name")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")

Selector = dict[str, Any]


def check_selector(value: Any) -> tuple[Selector, ...]:
    """One selector table or a list of alternatives; keys uiautomator2 knows, regexes that compile."""
    alternatives = value if isinstance(value, list) else [value]
    if not alternatives:
        raise ValueError("an empty list of selectors")
    out = []
    for alt in alternatives:
        if not isinstance(alt, dict) or not alt:
            raise ValueError(f"a selector is a table such as {{ resourceId = \"pkg:id/x\" }}, got {alt!r}")
        for key, item in alt.items():
            if key not in SELECTOR_KEYS:
                raise ValueError(f"unknown selector key {key!r} (one of {', '.join(SELECTOR_KEYS)})")
            if key in ("index", "instance"):
                if not isinstance(item, int) or isinstance(item, bool):
                    raise ValueError(f"{key} must be a whole number, got {item!r}")
            elif key in ("clickable", "checkable"):
                if not isinstance(item, bool):
                    raise ValueError(f"{key} must be true or false, got {item!r}")
            elif not isinstance(item, str) or not item:
                raise ValueError(f"{key} must be a non-empty string, got {item!r}")
            else:
                for name in _PLACEHOLDER.findall(item):
                    if name not in PLACEHOLDERS:
                        raise ValueError(f"unknown placeholder {{{name}}} in {item!r} (use {{sn}} or {{name}})")
                if key in REGEX_KEYS:
                    try:
                        re.compile(_PLACEHOLDER.sub("x", item))
                    except re.error as exc:
                        raise ValueError(f"{key} {item!r} is not a valid regular expression: {exc}") from None
        out.append(dict(alt))
    return tuple(out)


def fill(selectors: tuple[Selector, ...], **values: str) -> tuple[Selector, ...]:
    """The selectors with ``{sn}``/``{name}`` replaced (regex keys get the values escaped)."""
    def sub(key: str, item: Any) -> Any:
        if not isinstance(item, str):
            return item
        return _PLACEHOLDER.sub(lambda m: re.escape(values[m.group(1)]) if key in REGEX_KEYS
                                else values[m.group(1)], item)
    return tuple({k: sub(k, v) for k, v in alt.items()} for alt in selectors)


def _regex(value: str, groups: tuple[str, ...] = ()) -> str:
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    missing = [g for g in groups if g not in pattern.groupindex]
    if missing:
        raise ValueError(f"needs the named group(s) {', '.join(f'(?P<{g}>...)' for g in missing)}")
    return value


class CallerInfo(Schema):
    name: str = Field(min_length=1)
    package: str = "com.tencent.mm"


class OpenTable(Schema):
    """How to open the caller Mini Program: one ``am start`` line, or taps from WeChat's home."""

    am_start: str | None = None
    home: str = "am start -n com.tencent.mm/.ui.LauncherUI"  # how WeChat's home is reached before ``taps``
    taps: Any = ()  # selectors tapped in order from WeChat's home

    @field_validator("am_start")
    @classmethod
    def _am(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("am start "):
            raise ValueError(f"must be an 'am start ...' command line, got {value!r}")
        return value

    @field_validator("taps")
    @classmethod
    def _taps(cls, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"a list of selectors tapped in order, got {value!r}")
        return tuple(check_selector(v) for v in value)

    @model_validator(mode="after")
    def _one_way(self) -> OpenTable:
        if (self.am_start is None) == (not self.taps):
            raise ValueError("give exactly one of am_start (a deep link or intent) or taps (from WeChat's home)")
        return self


class UiTable(Schema):
    choose_device: Any
    voice: Any
    video: Any
    calling: Any
    connected: Any
    ended: Any
    cancel: Any
    hang_up: Any
    auto_answer: Any = None  # a toggle that makes the push carry isClickedHangOnBtn=1 (optional)

    @field_validator("choose_device", "voice", "video", "calling", "connected", "ended", "cancel", "hang_up",
                     "auto_answer")
    @classmethod
    def _selector(cls, value: Any) -> Any:
        return None if value is None else check_selector(value)


class LogPatternTable(Schema):
    tag: str | None = None
    regex: str

    @field_validator("regex")
    @classmethod
    def _room(cls, value: str) -> str:
        return _regex(value, ("room",))


class TapPatternTable(Schema):
    tag: str | None = None
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regex(value)


class PatternsTable(Schema):
    tap: TapPatternTable | None = None  # the phone logged the tap on Voice/Video (its own clock: a tighter instant)
    call_placed: LogPatternTable | None = None  # the phone logged callWMPF's answer (with (?P<room>...))
    ended_reason: str | None = None  # applied to the ended element's text, with (?P<reason>...)

    @field_validator("ended_reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return None if value is None else _regex(value, ("reason",))


class BoundsTable(Schema):
    ui: float = Field(10.0, gt=0)  # a Mini Program element to appear
    call_placed: float = Field(10.0, gt=0)  # the tap → the phone logging callWMPF's answer


class CallerProfile(Schema):
    caller: CallerInfo
    open: OpenTable
    ui: UiTable
    patterns: PatternsTable = PatternsTable()
    bounds: BoundsTable = BoundsTable()
    source: str = ""

    def selector(self, name: str) -> tuple[Selector, ...]:
        value = getattr(self.ui, name)
        if value is None:
            raise KeyError(name)
        return value


def resolve(name_or_path: str | Path) -> Path:
    """A name in fixtures/callers (``sim-wechat``) or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        path = CALLERS_DIR / f"{name_or_path}.toml"
    return path


def load_caller_profile(name_or_path: str | Path) -> CallerProfile:
    """Read and validate a caller profile; :class:`CallerProfileError` lists every problem."""
    path = resolve(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CALLERS_DIR.glob("*.toml")))
        raise CallerProfileError(str(path), "<file>", f"no such caller profile (known: {known})")
    profile = load(path, CallerProfile, CallerProfileError)
    return profile.model_copy(update={"source": str(path)})
