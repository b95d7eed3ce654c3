"""App profiles: how one device maker's app uses WMPF, described in TOML (``fixtures/apps/*.toml``).

The harness knows the WMPF/VoIP flow; an app profile tells it the app-specific parts: package names, how a
call is placed (the simulated phone, or a debug broadcast), which log lines mean "push received", "ring
shown", each ``onVoipEvent`` and the WMPF lifecycle (regexes with named groups, matched against the message
of lines with the given tag), which UI elements are Answer / Decline / Hang up, the expected end mode and how
long each wait may take. A profile with a mistake is refused at load time, naming the file, the key and the
problem (:class:`~harness.errors.AppProfileError`). The format is documented in ``fixtures/apps/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.locations import FIXTURES_DIR
from harness.config.toml_file import read_toml
from harness.errors import AppProfileError

APPS_DIR = FIXTURES_DIR / "apps"
DEFAULT_PROFILE = APPS_DIR / "default.toml"

CALL_METHODS = ("phone", "phone_app", "phone_bot", "broadcast")  # harness.call.caller_setup picks the caller
ANSWER_MODES = ("tap", "auto")
END_MODES = ("end_page", "background", "exit")
ROOM_TYPES = ("voice", "video")
ENV_VERSIONS = ("release", "develop", "trial")
# Patterns every profile must define; the rest are optional (scenarios that need one say so).
REQUIRED_PATTERNS = ("push_received", "ring_shown", "voip_event", "wmpf_started", "listener_registered")
KNOWN_PATTERNS = (*REQUIRED_PATTERNS, "push_ignored", "push_dropped", "answer_tapped", "broadcast_received",
                  "wmpf_finish", "wmpf_restart", "wmpf_activated", "ring_dismissed", "busy", "end_page",
                  "end_background", "end_exit")
END_PATTERN = {"end_page": "end_page", "background": "end_background", "exit": "end_exit"}
# The pattern groups a profile may rely on, per event.
PATTERN_GROUPS = {"voip_event": ({"json"}, {"name"})}  # one of these sets must be present
REQUIRED_SELECTORS = ("answer", "decline", "hang_up")
SELECTOR_KEYS = ("text", "textContains", "textMatches", "textStartsWith", "resourceId", "resourceIdMatches",
                 "description", "descriptionContains", "descriptionMatches", "className", "packageName",
                 "index", "instance", "clickable")
BOUND_KEYS = {
    "push_to_ring": 20.0,  # call placed -> ring shown
    "ring_to_answer": 15.0,  # ring shown -> answered (auto-answer, or after the tap)
    "answer_to_connect": 25.0,  # answered -> connected (startVoip); past the plugin's own 20 s join timeout
    "hold": 2.0,  # how long a connected call is held before hanging up
    "end": 15.0,  # hang up -> endVoip and the end mode handled
    "wmpf_recovery": 30.0,  # WMPF killed -> back with its listener registered
    "ui": 10.0,  # a UI element to appear before tapping it
    "no_event": 3.0,  # how long to watch for something that must NOT happen
    "ring_timeout": 75.0,  # an unanswered call ends (the caller's 60 s ring timeout, plus slack)
}
_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")


@dataclass(frozen=True)
class LogPattern:
    """One kind of log line: lines with ``tag`` (any tag if None) whose message matches ``regex``."""

    name: str
    regex: re.Pattern[str]
    tag: str | None = None

    def match(self, tag: str, message: str) -> dict[str, str] | None:
        """The named groups (non-None values) if the line matches, else None."""
        if self.tag is not None and tag != self.tag:
            return None
        m = self.regex.search(message)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}


@dataclass(frozen=True)
class BroadcastConfig:
    action: str
    extra: str = "msg"
    component: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class AppProfile:
    source: str
    name: str
    host_package: str
    host_activity: str
    wmpf_package: str
    miniprogram_appid: str | None
    call_method: str
    room_type: str
    caller_name: str
    answer: str
    end_mode: str
    env_version: str
    broadcast: BroadcastConfig | None
    patterns: dict[str, tuple[LogPattern, ...]]
    selectors: dict[str, tuple[dict[str, Any], ...]]
    bounds: dict[str, float]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def pattern(self, name: str) -> tuple[LogPattern, ...]:
        """The alternatives for one event; an unknown name is an error naming the profile."""
        found = self.patterns.get(name)
        if not found:
            raise AppProfileError(self.source, f"patterns.{name}",
                                  "not defined, but this scenario needs it; add it to the profile")
        return found

    def has_pattern(self, name: str) -> bool:
        return bool(self.patterns.get(name))

    def selector(self, name: str) -> tuple[dict[str, Any], ...]:
        found = self.selectors.get(name)
        if not found:
            raise AppProfileError(self.source, f"ui.{name}", "no selector defined; add it to the profile")
        return found

    def bound(self, name: str) -> float:
        return self.bounds[name]

    @property
    def host_component(self) -> str:
        activity = self.host_activity
        return f"{self.host_package}/{activity}"


class _Reader:
    """Typed access to one TOML table that reports ``file: key 'table.key': problem``."""

    def __init__(self, source: str, table: Any, prefix: str) -> None:
        if not isinstance(table, dict):
            raise AppProfileError(source, prefix.rstrip(".") or "<root>", "must be a table")
        self.source, self.table, self.prefix, self.seen = source, table, prefix, set()

    def fail(self, key: str, problem: str) -> AppProfileError:
        return AppProfileError(self.source, self.prefix + key, problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, choices: tuple[Any, ...] = (),
            check: Any = None, hint: str = "") -> Any:
        self.seen.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "is required" + (f" ({hint})" if hint else ""))
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"expected {_kind_name(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise self.fail(key, f"expected {_kind_name(kinds)}, got {type(value).__name__} {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(map(repr, choices))}")
        if check is not None and not check(value):
            raise self.fail(key, f"{value!r} is not valid" + (f": {hint}" if hint else ""))
        return value

    def reject_unknown(self, allowed: tuple[str, ...] = ()) -> None:
        for key in self.table:
            if key not in self.seen and key not in allowed:
                raise self.fail(key, "unknown key (typo?)")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table",
             list: "an array"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _is_package(value: str) -> bool:
    return bool(_PACKAGE.fullmatch(value))


def _compile(source: str, key: str, regex: str) -> re.Pattern[str]:
    try:
        return re.compile(regex)
    except re.error as exc:
        raise AppProfileError(source, key, f"invalid regex: {exc}") from None


def _parse_patterns(source: str, table: Any) -> dict[str, tuple[LogPattern, ...]]:
    if not isinstance(table, dict):
        raise AppProfileError(source, "patterns", "must be a table of patterns")
    out: dict[str, tuple[LogPattern, ...]] = {}
    for name, spec in table.items():
        if name not in KNOWN_PATTERNS:
            raise AppProfileError(source, f"patterns.{name}",
                                  f"unknown pattern name; known: {', '.join(KNOWN_PATTERNS)}")
        specs = spec if isinstance(spec, list) else [spec]
        if not specs:
            raise AppProfileError(source, f"patterns.{name}", "empty list; give at least one pattern")
        alternatives = []
        for i, item in enumerate(specs):
            key = f"patterns.{name}" + (f"[{i}]" if isinstance(spec, list) else "")
            r = _Reader(source, item, key + ".")
            regex = _compile(source, key + ".regex", r.get("regex", str, hint="a regex over the log message"))
            tag = r.get("tag", str, None, check=lambda t: t.strip() == t and t != "", hint="a log tag")
            r.reject_unknown()
            alternatives.append(LogPattern(name, regex, tag))
        group_sets = PATTERN_GROUPS.get(name)
        if group_sets:
            for alt, item_key in zip(alternatives, range(len(alternatives)), strict=True):
                groups = set(alt.regex.groupindex)
                if not any(need <= groups for need in group_sets):
                    wanted = " or ".join("(?P<" + ">, (?P<".join(sorted(s)) + ">)" for s in group_sets)
                    suffix = f"[{item_key}]" if isinstance(spec, list) else ""
                    raise AppProfileError(source, f"patterns.{name}{suffix}.regex", f"needs the named group {wanted}")
        out[name] = tuple(alternatives)
    for name in REQUIRED_PATTERNS:
        if name not in out:
            raise AppProfileError(source, f"patterns.{name}", "is required")
    return out


def _parse_selectors(source: str, table: Any) -> dict[str, tuple[dict[str, Any], ...]]:
    if not isinstance(table, dict):
        raise AppProfileError(source, "ui", "must be a table of selectors")
    out: dict[str, tuple[dict[str, Any], ...]] = {}
    for name, spec in table.items():
        specs = spec if isinstance(spec, list) else [spec]
        selectors = []
        for i, item in enumerate(specs):
            key = f"ui.{name}" + (f"[{i}]" if isinstance(spec, list) else "")
            if not isinstance(item, dict) or not item:
                raise AppProfileError(source, key, "must be a non-empty table of uiautomator2 selector keys, "
                                                   'e.g. {resourceId = "com.example:id/answer"}')
            for sel_key, value in item.items():
                if sel_key not in SELECTOR_KEYS:
                    raise AppProfileError(source, f"{key}.{sel_key}",
                                          f"not a uiautomator2 selector key; use {', '.join(SELECTOR_KEYS)}")
                if sel_key in ("index", "instance"):
                    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
                elif sel_key == "clickable":
                    ok = isinstance(value, bool)
                else:
                    ok = isinstance(value, str) and value != ""
                if not ok:
                    raise AppProfileError(source, f"{key}.{sel_key}", f"bad value {value!r}")
                if sel_key.endswith("Matches"):
                    _compile(source, f"{key}.{sel_key}", value)
            selectors.append(dict(item))
        out[name] = tuple(selectors)
    for name in REQUIRED_SELECTORS:
        if name not in out:
            raise AppProfileError(source, f"ui.{name}", "is required")
    return out


def parse_profile(data: dict[str, Any], source: str) -> AppProfile:
    root = _Reader(source, data, "")
    app = _Reader(source, root.get("app", dict, hint="an [app] table"), "app.")
    name = app.get("name", str)
    host_package = app.get("host_package", str, check=_is_package, hint="a package name like com.example.app")
    host_activity = app.get("host_activity", str, check=lambda s: s.startswith(".") or "." in s,
                            hint="an activity like .MainActivity")
    wmpf_package = app.get("wmpf_package", str, "com.tencent.wmpf", check=_is_package, hint="a package name")
    appid = app.get("miniprogram_appid", str, None, check=lambda s: re.fullmatch(r"wx[0-9A-Za-z]{6,32}", s),
                    hint="a Mini Program appid like wx0123456789abcdef")
    app.reject_unknown()

    call = _Reader(source, root.get("call", dict, {}), "call.")
    method = call.get("method", str, "phone", choices=CALL_METHODS)
    room_type = call.get("room_type", str, "video", choices=ROOM_TYPES)
    caller_name = call.get("caller_name", str, "wmpf-hil")
    answer = call.get("answer", str, "tap", choices=ANSWER_MODES)
    end_mode = call.get("end_mode", str, "background", choices=END_MODES)
    env_version = call.get("env_version", str, "release", choices=ENV_VERSIONS)
    call.reject_unknown()

    broadcast = None
    if "broadcast" in data:
        b = _Reader(source, root.get("broadcast", dict), "broadcast.")
        broadcast = BroadcastConfig(
            action=b.get("action", str, check=lambda s: "." in s and " " not in s,
                         hint="an intent action like com.example.app.DEBUG_PUSH"),
            extra=b.get("extra", str, "msg", check=lambda s: re.fullmatch(r"[A-Za-z0-9_.]+", s),
                        hint="an extra name of letters, digits, _ and ."),
            component=b.get("component", str, None, check=lambda s: re.fullmatch(r"[\w.]+/[\w.$]+", s),
                            hint="package/.Receiver"),
            package=b.get("package", str, None, check=_is_package, hint="a package name"),
        )
        b.reject_unknown()
    elif method == "broadcast":
        raise AppProfileError(source, "broadcast", "call.method is 'broadcast' but there is no [broadcast] table")
    if method == "broadcast" and appid is None:
        raise AppProfileError(source, "app.miniprogram_appid", "is required when call.method is 'broadcast' "
                                                               "(the push names the Mini Program)")

    root.get("patterns", dict, hint="a [patterns] table")
    patterns = _parse_patterns(source, data["patterns"])
    end_pattern = END_PATTERN[end_mode]
    if end_pattern not in patterns:
        raise AppProfileError(source, f"patterns.{end_pattern}", f"is required when call.end_mode is '{end_mode}'")
    root.get("ui", dict, hint="a [ui] table of selectors")
    selectors = _parse_selectors(source, data["ui"])

    bounds_table = _Reader(source, root.get("bounds", dict, {}), "bounds.")
    bounds = {k: float(bounds_table.get(k, (int, float), v, check=lambda x: 0 < x <= 3600,
                                        hint="seconds, 0 < x <= 3600")) for k, v in BOUND_KEYS.items()}
    bounds_table.reject_unknown()
    if "capture" in data:  # per-call network capture (harness.capture reads it with capture_config(profile))
        from harness.config.capture import parse_capture

        parse_capture(data["capture"], source)
    root.reject_unknown(("capture",))
    return AppProfile(source=source, name=name, host_package=host_package, host_activity=host_activity,
                      wmpf_package=wmpf_package, miniprogram_appid=appid, call_method=method, room_type=room_type,
                      caller_name=caller_name, answer=answer, end_mode=end_mode, env_version=env_version,
                      broadcast=broadcast, patterns=patterns, selectors=selectors, bounds=bounds, raw=data)


def resolve_profile_path(name_or_path: str | Path | None) -> Path:
    """A path as given, or a bare name looked up in ``fixtures/apps`` (``default`` → ``default.toml``)."""
    if name_or_path is None:
        return DEFAULT_PROFILE
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    return APPS_DIR / f"{name_or_path}.toml"


def load_profile(name_or_path: str | Path | None = None) -> AppProfile:
    path = resolve_profile_path(name_or_path)
    return parse_profile(read_toml(path, AppProfileError), str(path))
