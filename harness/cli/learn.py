"""``wmpf-hil doctor --learn``: watch one call placed, answered and hung up by a person; propose the patterns.

Writing an app profile's regexes by hand means reading a day of logcat. Instead: the device's WMPF and host app
are restarted (so their start-up lines are seen), then a person places a call from the phone, answers it on the
device and hangs up, pressing Enter after each step. The lines the app's and WMPF's processes wrote in each step
are where each milestone's pattern is looked for (the listener registered at start-up; the push and the ring
after placing; the answer and ``onVoipEvent`` lines; the end mode after hanging up), and each proposal is a
regex anchored on the line's stable start, with the variable parts as the named groups the harness reads (the
room id, the caller, the event name or object, WMPF's pid). The result is a draft app profile: the base profile
(``--app-profile``: packages, selectors, bounds) with the learned ``[patterns]``, each marked, to review.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from harness.cli.target import open_lab
from harness.config.app_profile import END_PATTERN, AppProfile, load_profile, resolve_profile_path
from harness.device.logcat_parse import LogLine
from harness.device.session import DeviceSession
from harness.errors import AppProfileError, HarnessError

QUIET_S = 1.5  # the log is "settled" after this long without a line from the app's processes
VOIP_EVENTS = ("callPageOnShow", "hangOnVoip", "startVoip", "calling", "hangUpVoip", "endVoip", "finishVoip",
               "rejectVoip", "cancelVoip", "abortVoip")
PROMPTS = (("ring", "Place a call to this device from the phone now. Press Enter when the device rings "
                    "(an app that answers by itself: when the call is connected)."),
           ("answer", "Answer the call on the device. Press Enter once the call is connected."),
           ("end", "Hang up on the device. Press Enter once the call has ended."))


@dataclass(frozen=True)
class Proposal:
    name: str
    tag: str
    regex: str
    line: str  # the log line it was learned from

    def toml(self) -> str:
        return f"{self.name} = {{ tag = {_toml_str(self.tag)}, regex = {_toml_literal(self.regex)} }}"


def run(args: argparse.Namespace) -> int:
    try:
        base = load_profile(args.app_profile) if args.app_profile else None
    except AppProfileError as exc:
        print(f"wmpf-hil doctor --learn: {exc}", file=sys.stderr)
        return 2
    if base is None:
        print("wmpf-hil doctor --learn: give --app-profile: a profile whose [app] packages and [ui] selectors "
              "are right (copy fixtures/apps/wmpf-sim-tablet.toml and change them); its patterns are relearned",
              file=sys.stderr)
        return 2
    output = Path(args.output or f"{Path(resolve_profile_path(args.app_profile)).stem}.learned.toml")
    args.serial = [args.serial]
    try:
        with open_lab(args) as lab, DeviceSession(lab.serials[0], adb_port=lab.adb.port) as session:
            windows = record(session, base, args.timeout, prompt=_stdin_prompt)
    except HarnessError as exc:
        print(f"wmpf-hil doctor --learn: {exc}", file=sys.stderr)
        return 1
    proposals = propose(windows)
    for p in proposals.values():
        print(f"learned {p.name:<20} {p.tag}: {p.regex}    <- {p.line[:90]}")
    missing = [n for n in ("push_received", "ring_shown", "voip_event", "wmpf_started", "listener_registered")
               if n not in proposals]
    output.write_text(draft(base, proposals), encoding="utf-8")
    try:
        load_profile(output)
    except AppProfileError as exc:
        print(f"draft written to {output}, but it does not load yet (fix it by hand): {exc}")
        return 1
    if missing:
        print(f"draft written to {output}; no line seen for {', '.join(missing)} (kept from the base profile)")
        return 1
    print(f"draft app profile written to {output}: review it, then `wmpf-hil doctor --app-profile {output}`")
    return 0


def _stdin_prompt(text: str) -> None:
    print(text, flush=True)
    if not sys.stdin.readline():
        raise HarnessError("--learn: stdin closed before the call was done")


def _app_pids(session: DeviceSession, packages: tuple[str, ...]) -> set[int]:
    pids = set()
    for row in session.device.shell("ps -A", timeout=15).splitlines()[1:]:
        cols = row.split()
        if len(cols) >= 2 and cols[1].isdigit() and any(cols[-1] == p or cols[-1].startswith(p + ":")
                                                         for p in packages):
            pids.add(int(cols[1]))
    return pids


def _settle(session: DeviceSession, since: int, pids: Callable[[], set[int]], timeout: float) -> None:
    """Wait until the app's processes have logged something and then been quiet for QUIET_S."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        mine = pids()
        count = sum(1 for ln in session.logcat.lines(since) if ln.pid in mine)
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif count > 0 and time.monotonic() - last_change >= QUIET_S:
            return
        time.sleep(0.2)


def record(session: DeviceSession, base: AppProfile, timeout: float,
           prompt: Callable[[str], None]) -> dict[str, list[LogLine]]:
    """The app's and WMPF's log lines of each step: ``ready`` (a fresh start), ``ring``, ``answer``, ``end``."""
    packages = (base.host_package, base.wmpf_package)
    seen: set[int] = set()

    def pids() -> set[int]:
        seen.update(_app_pids(session, packages))
        return seen

    logcat = session.logcat
    pids()
    start = logcat.mark()
    device = session.device
    device.shell(f"am force-stop {base.wmpf_package}; am force-stop {base.host_package}", timeout=20)
    device.shell(f"am start -n {base.host_component}", timeout=20)
    _settle(session, start, pids, timeout)
    marks = {"ready": (start, logcat.mark())}
    for step, text in PROMPTS:
        begin = logcat.mark()
        prompt(text)
        if step == "end":
            _settle(session, begin, pids, min(timeout, 10.0))
        pids()
        marks[step] = (begin, logcat.mark())
    return {step: [ln for ln in logcat.lines(a, b) if ln.pid in seen] for step, (a, b) in marks.items()}


# -- proposing ------------------------------------------------------------------------------------------------
# Where a room id shows in a line, most specific first: the push path's groupId, the plugin's room id format
# (plugin appid + "WmpfVoip" + digits), then any roomId=/room= value.
_ROOMS = (re.compile(r"groupId=([^&\"\s\\]+)"), re.compile(r"\b(wxf830863afde621ebWmpfVoip\d+)"),
          re.compile(r"\b(?:roomId|room)=([^&\"\s\\,]+)"))
_CALLER = re.compile(r"callerName=([^&\"\s\\]+)")
_CALLER_SHOWN = re.compile(r"\b(?:caller|from)=(.+)$")


def propose(windows: dict[str, list[LogLine]]) -> dict[str, Proposal]:
    """One proposal per milestone whose line was seen, from the window it belongs to."""
    every = [ln for lines in windows.values() for ln in lines]
    room = next((m.group(1) for rule in _ROOMS for ln in every if (m := rule.search(ln.message))), None)
    caller = next((unquote(m.group(1)) for ln in every if (m := _CALLER.search(ln.message))), None)
    if caller is None:  # no push JSON in the log: the caller is what follows "caller=" / "from=" on a ring line
        caller = next((m.group(1) for ln in windows.get("ring", []) if (m := _CALLER_SHOWN.search(ln.message))),
                      None)
    ready, ring = windows.get("ready", []), windows.get("ring", [])
    after_ring = ring + windows.get("answer", [])
    out: dict[str, Proposal] = {}

    def take(name: str, lines: list[LogLine], *rules: str, exclude: tuple[LogLine, ...] = ()) -> LogLine | None:
        for rule in rules:
            found = next((ln for ln in lines if ln not in exclude and re.search(rule, ln.message)), None)
            if found is not None:
                out[name] = Proposal(name, found.tag, regex_for(found.message, room=room, caller=caller,
                                                                pid=name == "wmpf_started"), found.message)
                return found
        return None

    take("wmpf_started", ready, r"(?i)wmpf.{0,20}\b(ready|connected|up)\b")
    take("wmpf_activated", ready, r"(?i)activat\w*.{0,40}(success|成功)")
    take("listener_registered", ready, r"^(registerPushMsgEventListener|setPushMsgCallback)\b",
         r"(?i)push.{0,20}listen|listen.{0,20}push|监听")
    named = [ln for ln in every if re.search(r"\b(" + "|".join(VOIP_EVENTS) + r")\b", ln.message)]
    voip = next((ln for ln in named if room and room in ln.message), named[0] if named else None)
    host_lines = [ln for ln in ring if ln.tag not in ("WMPF.Service",)]
    push = take("push_received", host_lines, r"(?i)push|推送")
    rest = ring[ring.index(push) + 1:] if push in ring else ring
    ring_line = take("ring_shown", [ln for ln in rest if ln is not voip],
                     r"(?i)incoming|ringing|来电|call from|notify")
    later = after_ring[after_ring.index(ring_line) + 1:] if ring_line in after_ring else after_ring
    take("answer_tapped", later, r"(?i)answer|接听|accept")
    if voip is not None:
        out["voip_event"] = Proposal("voip_event", voip.tag, voip_regex(voip.message, room), voip.message)
    end = windows.get("end", [])
    for mode, rule in (("end_background", r"closeWxaApp"), ("end_exit", r"exitMiniProgram"),
                       ("end_page", r"setVoipEndPagePath|end ?page")):
        take(mode, end, rule)
    return out


def _literal(text: str) -> str:
    """``text`` as a regex, its digit runs generalised."""
    return re.sub(r"\d+", r"\\d+", re.escape(text))


def regex_for(message: str, *, room: str | None = None, caller: str | None = None, pid: bool = False) -> str:
    """A regex for the line: its stable start, then the room id / caller / WMPF pid as named groups."""
    tokens: list[tuple[int, int, str]] = []
    if room and room in message:
        i = message.index(room)
        tokens.append((i, i + len(room), r"(?P<room>[^\s&\"\\]+)"))
    if pid and (m := re.search(r"pid=(\d+)", message)):
        tokens.append((m.start(1), m.end(1), r"(?P<pid>\d+)"))
    if caller and caller in message and message.endswith(caller):
        i = message.rindex(caller)
        tokens.append((i, len(message), r"(?P<caller>.*)$"))
    if not tokens:
        head = message.split(": ", 1)[0] if ": " in message else message
        digit = re.search(r"\d", head)
        head = head[:digit.start()] if digit and digit.start() >= 4 else head
        return "^" + _literal(head) + ("$" if head == message else "")
    out, pos = "^", 0
    for start, end, group in sorted(tokens):
        if start < pos:
            continue
        between = message[pos:start]
        if pos == 0:  # the stable start: up to a ": " or 24 characters, then anything up to the group
            head = between.split(": ", 1)[0] if ": " in between else between
            head = head if len(head) <= 40 else head[:24]
            tail = re.split(r'[\s&?"{,]', between)[-1]  # the key just before the value ("groupId=")
            out += _literal(head) + (".*?" + _literal(tail) if head != between else "")
        else:
            out += _literal(between) if not re.search(r"\d", between) else ".*?"
        out += group
        pos = end
    return out


def voip_regex(message: str, room: str | None) -> str:
    """The ``onVoipEvent`` line: the event object as ``(?P<json>…)``, or the name as ``(?P<name>…)``."""
    brace = message.find("{")
    if brace >= 0 and '"eventName"' in message[brace:]:
        return "^" + _literal(message[:brace]) + r"(?P<json>\{.*\})$"
    m = re.search(r"\b(" + "|".join(VOIP_EVENTS) + r")\b", message)
    assert m is not None
    out = "^" + _literal(message[:m.start()]) + r"(?P<name>\w+)"
    rest = message[m.end():]
    if room and room in rest:
        i = rest.index(room)
        out += _literal(rest[:i]) + r"(?P<room>\S*)"
    return out


# -- the draft --------------------------------------------------------------------------------------------------
def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text and "\n" not in text else _toml_str(text)


def draft(base: AppProfile, proposals: dict[str, Proposal]) -> str:
    """The base profile's text with its ``[patterns]`` table replaced: learned patterns first (marked), then the
    base's patterns for milestones the call did not show (kept, to review)."""
    text = Path(base.source).read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "[patterns]")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^\[[^\]]", lines[i].strip())
                and not lines[i].strip().startswith("[patterns")), len(lines))
    body = ["[patterns]", "# learned by wmpf-hil doctor --learn (review: each is the stable start of one line)"]
    for name in sorted(proposals):
        body.append(f"{proposals[name].toml()}  # learned from: {proposals[name].line[:70]!r}")
    kept = [(n, alts) for n, alts in base.patterns.by_name().items() if n not in proposals]
    if kept:
        body.append("# not seen during the learned call: kept from the base profile")
        for name, alts in kept:
            items = ", ".join("{ " + (f"tag = {_toml_str(a.tag)}, " if a.tag else "")
                              + f"regex = {_toml_literal(a.regex)} }}" for a in alts)
            body.append(f"{name} = [{items}]")
    body.append("")
    end_mode = next((mode for mode, pattern in END_PATTERN.items() if pattern in proposals), None)
    out = "\n".join(lines[:start] + body + lines[end:]) + "\n"
    if end_mode is not None and end_mode != base.end_mode:
        out = re.sub(r'(?m)^end_mode = "\w+"', f'end_mode = "{end_mode}"', out, count=1)
    header = f"# DRAFT learned from one call on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; review.\n"
    return header + out
