"""App profiles: how one device maker's app uses WMPF, described in TOML (``fixtures/apps/*.toml``).

The harness knows the WMPF/VoIP flow; an app profile tells it the app-specific parts: package names, how a
call is placed (the simulated phone, or a debug broadcast), which log lines mean "push received", "ring
shown", each ``onVoipEvent`` and the WMPF lifecycle (regexes with named groups, matched against the message
of lines with the given tag), which UI elements are Answer / Decline / Hang up, the expected end mode and how
long each wait may take. Each TOML table is one :class:`~harness.config.schema.Schema` model; a profile with a
mistake is refused at load time naming the file, the key and the problem (:class:`~harness.errors.AppProfileError`),
every problem in one pass. The format is documented in ``fixtures/apps/README.md``.
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PrivateAttr, field_validator, model_validator

from harness.config.capture import CaptureConfig
from harness.config.locations import FIXTURES_DIR
from harness.config.schema import KeyedError, Regex, Schema, as_tuple, load, matching, one_of, one_or_many, validate
from harness.errors import AppProfileError

APPS_DIR = FIXTURES_DIR / "apps"
SIM_PROFILE_NAME = "wmpf-sim-tablet"  # the simulator's own host app; the default only without --serial
DEFAULT_PROFILE = APPS_DIR / f"{SIM_PROFILE_NAME}.toml"

CALL_METHODS = ("phone", "phone_app", "phone_bot", "broadcast")  # harness.call.caller_setup picks the caller
ANSWER_MODES = ("tap", "auto")
END_MODES = ("end_page", "background", "exit")
ROOM_TYPES = ("voice", "video")
ENV_VERSIONS = ("release", "develop", "trial")
INCOMING_UIS = ("host", "direct")
ROOT_MODES = ("auto", "yes", "no")
MEDIA_FORMATS = ("udp", "rtp")
# onVoipEvent data fields an app may log (onVoipEvent.html); a name-only line carries none.
EVENT_DETAILS = ("status", "origin", "keepTime", "error", "roomId")
# Patterns every profile must define; the rest are optional (scenarios that need one say so).
REQUIRED_PATTERNS = ("push_received", "ring_shown", "voip_event", "wmpf_started", "listener_registered")
KNOWN_PATTERNS = (*REQUIRED_PATTERNS, "push_ignored", "push_dropped", "answer_tapped", "broadcast_received",
                  "wmpf_finish", "wmpf_restart", "wmpf_activated", "ring_dismissed", "busy", "end_page",
                  "end_background", "end_exit")
END_PATTERN = {"end_page": "end_page", "background": "end_background", "exit": "end_exit"}
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

Package = Annotated[str, matching(lambda s: bool(_PACKAGE.fullmatch(s)), "a package name like com.example.app")]
NonEmpty = Annotated[str, Field(min_length=1)]
LogTag = Annotated[str, matching(lambda t: t.strip() == t and t != "", "a log tag")]
Seconds = Annotated[float, matching(lambda x: 0 < x <= 3600, "seconds, 0 < x <= 3600")]

class LogPattern(Schema):
    """One kind of log line: lines with ``tag`` (any tag if absent) whose message matches ``regex``."""

    regex: Regex
    tag: LogTag | None = None
    _name: str = PrivateAttr(default="")
    _compiled: re.Pattern[str] = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._compiled = re.compile(self.regex)

    @property
    def name(self) -> str:
        """The pattern's name in ``[patterns]`` (the event it detects)."""
        return self._name

    @property
    def compiled(self) -> re.Pattern[str]:
        return self._compiled

    def match(self, tag: str, message: str) -> dict[str, str] | None:
        """The named groups (non-None values) if the line matches, else None."""
        if self.tag is not None and tag != self.tag:
            return None
        m = self._compiled.search(message)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}

class VoipEventPattern(LogPattern):
    """The ``onVoipEvent`` line: the whole event object as ``(?P<json>…)``, or at least its ``(?P<name>…)``."""

    @field_validator("regex")
    @classmethod
    def _groups(cls, value: str) -> str:
        groups = set(re.compile(value).groupindex)
        if not ({"json"} <= groups or {"name"} <= groups):
            raise ValueError("needs the named group (?P<json>) or (?P<name>)")
        return value

Alternatives = one_or_many(LogPattern)

class Patterns(Schema):
    """``[patterns]``: each known event, one pattern or a list of alternatives."""

    push_received: Alternatives
    ring_shown: Alternatives
    voip_event: one_or_many(VoipEventPattern)  # type: ignore[valid-type]
    wmpf_started: Alternatives
    listener_registered: Alternatives
    push_ignored: Alternatives | None = None
    push_dropped: Alternatives | None = None
    answer_tapped: Alternatives | None = None
    broadcast_received: Alternatives | None = None
    wmpf_finish: Alternatives | None = None
    wmpf_restart: Alternatives | None = None
    wmpf_activated: Alternatives | None = None
    ring_dismissed: Alternatives | None = None
    busy: Alternatives | None = None
    end_page: Alternatives | None = None
    end_background: Alternatives | None = None
    end_exit: Alternatives | None = None

    def model_post_init(self, context: Any, /) -> None:
        for name in type(self).model_fields:
            for pattern in as_tuple(getattr(self, name)):
                pattern._name = name

    def by_name(self) -> dict[str, tuple[LogPattern, ...]]:
        """The defined patterns, each as its alternatives."""
        return {name: as_tuple(getattr(self, name)) for name in type(self).model_fields
                if getattr(self, name) is not None}

class Selector(Schema):
    """A uiautomator2 selector (the keys ``d(...)`` takes)."""

    text: NonEmpty | None = None
    textContains: NonEmpty | None = None
    textMatches: Regex | None = None
    textStartsWith: NonEmpty | None = None
    resourceId: NonEmpty | None = None
    resourceIdMatches: Regex | None = None
    description: NonEmpty | None = None
    descriptionContains: NonEmpty | None = None
    descriptionMatches: Regex | None = None
    className: NonEmpty | None = None
    packageName: NonEmpty | None = None
    index: Annotated[int, Field(ge=0)] | None = None
    instance: Annotated[int, Field(ge=0)] | None = None
    clickable: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Selector:
        if not self.as_dict():
            raise ValueError("must be a non-empty table of uiautomator2 selector keys, "
                             'e.g. {resourceId = "com.example:id/answer"}')
        return self

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

Selectors = one_or_many(Selector)

class Ui(Schema):
    """``[ui]``: the elements the harness taps, each one selector or a list tried in order."""

    answer: Selectors
    decline: Selectors
    hang_up: Selectors
    # The host app's own incoming notification (or screen): answering it launches the call page with
    # isClickedHangOnBtn=1 (call-wmpf.html §2.3). Absent: the app opens the call page directly.
    notification_answer: Selectors | None = None

class AppTable(Schema):
    """``[app]``: the packages under test."""

    name: str
    host_package: Package
    host_activity: Annotated[str, matching(lambda s: s.startswith(".") or "." in s, "an activity like .MainActivity")]
    wmpf_package: Package = "com.tencent.wmpf"
    miniprogram_appid: Annotated[str, matching(lambda s: bool(re.fullmatch(r"wx[0-9A-Za-z]{6,32}", s)),
                                               "a Mini Program appid like wx0123456789abcdef")] | None = None

class CallTable(Schema):
    """``[call]``: how a call is placed, answered and ended."""

    method: Annotated[str, one_of(*CALL_METHODS)] = "phone"
    room_type: Annotated[str, one_of(*ROOM_TYPES)] = "video"
    caller_name: str = "wmpf-hil"
    answer: Annotated[str, one_of(*ANSWER_MODES)] = "tap"
    incoming_ui: Annotated[str, one_of(*INCOMING_UIS)] = "host"
    end_mode: Annotated[str, one_of(*END_MODES)] = "background"
    env_version: Annotated[str, one_of(*ENV_VERSIONS)] = "release"

class BroadcastConfig(Schema):
    """``[broadcast]``: a debug build's push injection (``adb shell am broadcast``)."""

    action: Annotated[str, matching(lambda s: "." in s and " " not in s,
                                    "an intent action like com.example.app.DEBUG_PUSH")]
    extra: Annotated[str, matching(lambda s: bool(re.fullmatch(r"[A-Za-z0-9_.]+", s)),
                                   "an extra name of letters, digits, _ and .")] = "msg"
    component: Annotated[str, matching(lambda s: bool(re.fullmatch(r"[\w.]+/[\w.$]+", s)),
                                       "package/.Receiver")] | None = None
    package: Package | None = None

class SnSource(Schema):
    """Where the device SN (the push's ``listenerId``, the SN WMPF registers) is read: exactly one key."""

    property: Annotated[str, matching(lambda s: bool(re.fullmatch(r"[\w.\-]+", s)), "a property name")] | None = None
    file: Annotated[str, matching(lambda s: s.startswith("/") and not any(c in s for c in "'\"`$;&|\n "),
                                  "an absolute device path without spaces or shell characters")] | None = None
    command: NonEmpty | None = None
    literal: NonEmpty | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SnSource:
        given = [k for k, v in self.model_dump().items() if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of property, file, command, literal"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @builtins.property  # ``property`` is a key of this table
    def kind(self) -> str:
        return next(k for k, v in self.model_dump().items() if v is not None)

    @builtins.property
    def value(self) -> str:
        return str(getattr(self, self.kind))


class DeviceTable(Schema):
    """``[device]``: what the harness may assume about the device itself."""

    sn: SnSource = SnSource(property="ro.serialno")
    root: Annotated[str, one_of(*ROOT_MODES)] = "auto"  # auto: probe ``su 0 id -u`` once
    ready: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["listener_registered"])

    @field_validator("ready")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in KNOWN_PATTERNS:
                raise ValueError(f"{name!r} is not a pattern name; known: {', '.join(KNOWN_PATTERNS)}")
        return value


class EventsTable(Schema):
    """``[events]``: which ``onVoipEvent`` details the app's log lines carry (scenarios assert only these)."""

    details: Annotated[list[str], AfterValidator(lambda v: _subset(v, EVENT_DETAILS))] = Field(
        default_factory=lambda: list(EVENT_DETAILS))


class MediaTable(Schema):
    """``[media]``: what the call's media looks like on the wire (WeChat does not document it)."""

    format: Annotated[str, one_of(*MEDIA_FORMATS)] = "udp"  # udp: flows only; rtp: also RTP loss/jitter/gaps
    min_packets: Annotated[int, Field(ge=1)] = 10  # per direction, for a call to count as having media


def _subset(value: list[str], known: tuple[str, ...]) -> list[str]:
    for item in value:
        if item not in known:
            raise ValueError(f"{item!r} is not one of {', '.join(map(repr, known))}")
    return value


class Bounds(Schema):
    """``[bounds]``: seconds each wait may take before the call fails at that stage."""

    push_to_ring: Seconds = BOUND_KEYS["push_to_ring"]
    ring_to_answer: Seconds = BOUND_KEYS["ring_to_answer"]
    answer_to_connect: Seconds = BOUND_KEYS["answer_to_connect"]
    hold: Seconds = BOUND_KEYS["hold"]
    end: Seconds = BOUND_KEYS["end"]
    wmpf_recovery: Seconds = BOUND_KEYS["wmpf_recovery"]
    ui: Seconds = BOUND_KEYS["ui"]
    no_event: Seconds = BOUND_KEYS["no_event"]
    ring_timeout: Seconds = BOUND_KEYS["ring_timeout"]

class AppProfile(Schema):
    """A whole app profile file: one model per table, cross-table rules checked after the tables."""

    app: AppTable
    call: CallTable = CallTable()
    broadcast: BroadcastConfig | None = None
    patterns: Patterns
    ui: Ui
    bounds: Bounds = Bounds()
    capture: CaptureConfig | None = None
    device: DeviceTable = DeviceTable()
    events: EventsTable = EventsTable()
    media: MediaTable = MediaTable()
    _source: str = PrivateAttr(default="<profile>")

    @model_validator(mode="before")
    @classmethod
    def _broadcast_table(cls, data: Any) -> Any:
        """Checked first: with the table missing, its keys' problems would hide the cause."""
        if isinstance(data, dict) and isinstance(data.get("call"), dict) and "broadcast" not in data \
                and data["call"].get("method") == "broadcast":
            raise KeyedError("broadcast", "call.method is 'broadcast' but there is no [broadcast] table")
        return data

    @model_validator(mode="after")
    def _cross_table(self) -> AppProfile:
        if self.call.method == "broadcast" and self.app.miniprogram_appid is None:
            raise KeyedError("app.miniprogram_appid",
                             "is required when call.method is 'broadcast' (the push names the Mini Program)")
        for index, name in enumerate(self.device.ready):
            if getattr(self.patterns, name) is None:
                raise KeyedError(f"device.ready[{index}]", f"pattern {name!r} is not defined in [patterns]")
        end_pattern = END_PATTERN[self.call.end_mode]
        if getattr(self.patterns, end_pattern) is None:
            raise KeyedError(f"patterns.{end_pattern}", f"is required when call.end_mode is '{self.call.end_mode}'")
        return self

    # The flat names the harness reads.
    @property
    def source(self) -> str:
        return self._source

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def host_package(self) -> str:
        return self.app.host_package

    @property
    def host_activity(self) -> str:
        return self.app.host_activity

    @property
    def wmpf_package(self) -> str:
        return self.app.wmpf_package

    @property
    def miniprogram_appid(self) -> str | None:
        return self.app.miniprogram_appid

    @property
    def call_method(self) -> str:
        return self.call.method

    @property
    def room_type(self) -> str:
        return self.call.room_type

    @property
    def caller_name(self) -> str:
        return self.call.caller_name

    @property
    def answer(self) -> str:
        return self.call.answer

    @property
    def end_mode(self) -> str:
        return self.call.end_mode

    @property
    def env_version(self) -> str:
        return self.call.env_version

    @property
    def incoming_ui(self) -> str:
        return self.call.incoming_ui

    def logs_detail(self, detail: str) -> bool:
        """Whether the app's event lines carry ``detail`` (``[events] details``)."""
        return detail in self.events.details

    def ready_patterns(self) -> list[str]:
        """The lines that mean "ready for a call": ``[device] ready``, plus activation when the profile has it."""
        extra = ["wmpf_activated"] if self.has_pattern("wmpf_activated") else []
        return list(dict.fromkeys([*self.device.ready, *extra]))

    def with_call(self, **changes: Any) -> AppProfile:
        """This profile with ``[call]`` keys changed (re-validated), e.g. for a device configured otherwise."""
        data = self.model_dump(exclude_none=True)
        data["call"] = {**data["call"], **changes}
        return parse_profile(_as_toml_data(data), self.source)

    @property
    def host_component(self) -> str:
        return f"{self.host_package}/{self.host_activity}"

    def pattern(self, name: str) -> tuple[LogPattern, ...]:
        """The alternatives for one event; an unknown name is an error naming the profile."""
        found = self.patterns.by_name().get(name)
        if not found:
            raise AppProfileError(self.source, f"patterns.{name}",
                                  "not defined, but this scenario needs it; add it to the profile")
        return found

    def has_pattern(self, name: str) -> bool:
        return bool(self.patterns.by_name().get(name))

    @property
    def selectors(self) -> dict[str, tuple[dict[str, Any], ...]]:
        """Every ``[ui]`` selector defined, by name (each as its alternatives)."""
        return {name: tuple(s.as_dict() for s in as_tuple(getattr(self.ui, name)))
                for name in type(self.ui).model_fields if getattr(self.ui, name) is not None}

    def selector(self, name: str) -> tuple[dict[str, Any], ...]:
        found = as_tuple(getattr(self.ui, name, None))
        if not found:
            raise AppProfileError(self.source, f"ui.{name}", "no selector defined; add it to the profile")
        return tuple(s.as_dict() for s in found)

    def bound(self, name: str) -> float:
        return float(getattr(self.bounds, name))

    def capture_config(self) -> CaptureConfig:
        """The ``[capture]`` table, or captures off."""
        return self.capture or CaptureConfig()

def parse_profile(data: Any, source: str) -> AppProfile:
    profile = validate(data, AppProfile, source, AppProfileError)
    profile._source = source
    return profile

def _as_toml_data(value: Any) -> Any:
    """A dumped model back into the shapes TOML gives (tuples as arrays)."""
    if isinstance(value, dict):
        return {k: _as_toml_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_toml_data(v) for v in value]
    return value


def resolve_profile_path(name_or_path: str | Path | None) -> Path:
    """A path as given, or a bare name looked up in ``fixtures/apps`` (``acme`` → ``fixtures/apps/acme.toml``);
    None is the simulator's own profile."""
    if name_or_path is None:
        return DEFAULT_PROFILE
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    return APPS_DIR / f"{name_or_path}.toml"

def load_profile(name_or_path: str | Path | None = None) -> AppProfile:
    path = resolve_profile_path(name_or_path)
    profile = load(path, AppProfile, AppProfileError)
    profile._source = str(path)
    return profile

