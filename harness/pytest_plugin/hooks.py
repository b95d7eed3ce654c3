"""The plugin's pytest hooks: configuration checks, the run directory, markers, report plumbing.

Kept apart from ``plugin.py`` (options and fixtures), pytest-html style. Under pytest-xdist the controller
creates the run directory and hands its path to every worker (``workerinput``), so all workers append to one
``results.jsonl``; call records travel back to the controller as ``user_properties``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.call.caller_setup import CallerChoice, CallerOptions, CallerUsageError, choose
from harness.callers.base import Capability
from harness.callers.lab_faults import HOW_TO_GET as FAULTS_HOW
from harness.config.app_profile import AppProfile, load_profile
from harness.config.capture import CaptureConfig, parse_capture
from harness.errors import AppProfileError, CapabilityMissing, ConfigError, LabError
from harness.pytest_plugin.completeness import RunLedger
from harness.redact import install_log_redaction
from harness.results.load import kind_of
from harness.results.records import EXPECT_FAILURE_KEY, HARDWARE, SIMULATED
from harness.results.stats import format_table, latency_table
from harness.results.writer import RESULTS_FILE, new_run_id, prepare_run_dir, read_results

# needs_* marker → (capability, who provides it: the run's "caller" or the "lab" fault injector)
NEEDS: dict[str, tuple[Capability, str]] = {
    "needs_connect": (Capability.CONNECT, "caller"),
    "needs_cancel": (Capability.CANCEL, "caller"),
    "needs_hang_up": (Capability.HANG_UP, "caller"),
    "needs_call_state": (Capability.CALL_STATE, "caller"),
    "needs_caller_name": (Capability.CALLER_NAME, "caller"),
    "needs_auto_answer": (Capability.AUTO_ANSWER, "caller"),
    "needs_concurrent_calls": (Capability.CONCURRENT_CALLS, "caller"),
    "needs_lose_network": (Capability.LOSE_NETWORK, "caller"),
    "needs_faults": (Capability.FAULTS, "lab"),
    "needs_caller_plan": (Capability.CALLER_PLAN, "lab"),
    "needs_raw_push": (Capability.RAW_PUSH, "lab"),
}
MARKERS = (
    "wmpf_scenario: a call scenario run against a device (real or simulated)",
    *(f"{name}: needs the {who}'s {cap.value} capability (skipped, naming it, where missing)"
      for name, (cap, who) in NEEDS.items()),
    "needs_broadcast: injects pushes by broadcast (the app profile needs a [broadcast] table)",
    "failure_proof: exists to prove a failure is caught: the one call made with call.call(expect_failure=Stage.X) "
    "is expected to fail at X; every other call of the scenario counts",
    "recovery: kills WMPF and checks recovery",
    "series: places --calls calls and reports percentiles",
    "field: one call under each field condition (--conditions): Doze, standby, screen off, boot, network...",
    "soak: --soak-calls/--soak-hours calls on one device, its processes sampled between calls",
)

RUN_DIR_KEY = "wmpf_hil_run_dir"
PROFILE_KEY = pytest.StashKey[AppProfile]()
CALLER_KEY = pytest.StashKey["CallerChoice | CallerUsageError"]()
CAPTURE_KEY = pytest.StashKey[CaptureConfig]()
RUN_PATH_KEY = pytest.StashKey[Path]()
RUN_PREPARED_KEY = pytest.StashKey[bool]()
LEDGER_KEY = pytest.StashKey[RunLedger]()
RUN_KIND_KEY = pytest.StashKey[tuple[str, float]]()
CALL_RECORDS_PROPERTY = "wmpf_call_record"


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    install_log_redaction()
    if config.option.help:
        return
    _check_numbers(config)
    if config.getoption("--serial") and not config.getoption("--app-profile"):
        raise pytest.UsageError("--serial needs --app-profile: the app on a real device is not the simulator's "
                                "(write one from fixtures/apps/README.md, or learn it: wmpf-hil doctor --learn)")
    try:
        config.stash[PROFILE_KEY] = load_profile(config.getoption("--app-profile"))
    except AppProfileError as exc:
        raise pytest.UsageError(f"invalid app profile: {exc}") from None
    try:
        config.stash[CALLER_KEY] = choose(_caller_options(config), config.stash[PROFILE_KEY],
                                          simulated=not config.getoption("--serial"))
    except CallerUsageError as exc:  # said once, when collection shows a scenario that places calls
        config.stash[CALLER_KEY] = exc
    except ConfigError as exc:
        raise pytest.UsageError(f"invalid caller profile: {exc}") from None
    try:
        config.stash[CAPTURE_KEY] = _capture_config(config, config.stash[PROFILE_KEY])
    except ConfigError as exc:
        raise pytest.UsageError(f"invalid capture configuration: {exc}") from None
    if is_worker(config):
        run_dir = Path(config.workerinput[RUN_DIR_KEY])  # type: ignore[attr-defined]
    else:  # decided now, created on first use (a run that places no call leaves no directory behind)
        run_dir = Path(config.getoption("--run-dir") or Path(config.getoption("--report-dir")) / new_run_id())
    config.stash[RUN_PATH_KEY] = run_dir
    _terminate_as_interrupt()
    if not is_worker(config):
        _check_serials(config)
        ledger = RunLedger(config, run_dir, *run_kind(config), record_property=CALL_RECORDS_PROPERTY)
        config.stash[LEDGER_KEY] = ledger
        config.pluginmanager.register(ledger, "wmpf-hil-ledger")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "wmpf-hil-xdist")


def run_kind(config: pytest.Config) -> tuple[str, float]:
    """("simulated", time scale) or ("hardware", 1.0): on every record, run.json and series.json. The embedded
    simulator runs at --sim-time-scale; named devices are what they declare (:mod:`harness.device.declared_kind`:
    a simulated device met through --serial says so and its scale; a real one is hardware)."""
    if RUN_KIND_KEY not in config.stash:
        serials = [s for s in config.getoption("--serial") if s]
        if not serials:
            config.stash[RUN_KIND_KEY] = (SIMULATED, float(config.getoption("--sim-time-scale")))
        else:
            scale = _declared_scale(config, serials)
            config.stash[RUN_KIND_KEY] = (HARDWARE, 1.0) if scale is None else (SIMULATED, scale)
    return config.stash[RUN_KIND_KEY]


def _declared_scale(config: pytest.Config, serials: list[str]) -> float | None:
    import adbutils

    from harness.device.declared_kind import declared_time_scale, lab_time_scale
    from simulator import NoStartAdbClient

    port = config.getoption("--adb-port") or int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
    client = NoStartAdbClient(host="127.0.0.1", port=port)
    scales: dict[str, float | None] = {}
    for serial in serials:
        try:
            scales[serial] = declared_time_scale(client.device(serial))
        except (adbutils.AdbError, OSError):
            continue  # not reachable now: the serial check or the run says so
    try:
        return lab_time_scale(scales)
    except LabError as exc:
        raise pytest.UsageError(f"--serial: {exc}") from None


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled, a container stopped) ends the run like Ctrl-C: the call in progress is
    recorded as interrupted and the run's files are written. A handler someone else installed is kept."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    with contextlib.suppress(ValueError):  # not the main thread (an embedding runner): leave SIGTERM alone
        signal.signal(signal.SIGTERM, interrupt)


def _check_serials(config: pytest.Config) -> None:
    """A named ``--serial`` that the adb server does not have: one clear line now, before a run directory
    exists (not the same error from every scenario)."""
    serials = [s for s in config.getoption("--serial") if s]
    if not serials or config.option.collectonly:
        return
    import adbutils

    from simulator import NoStartAdbClient

    port = config.getoption("--adb-port") or int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
    try:
        states = {d.serial: d.state for d in NoStartAdbClient(host="127.0.0.1", port=port).list()}
    except (adbutils.AdbError, OSError) as exc:
        raise pytest.UsageError(f"--serial {', '.join(serials)}: no adb server answers at port {port} ({exc}); "
                                f"start it (adb start-server) or pass --adb-port") from None
    missing = [s for s in serials if states.get(s) != "device"]
    if missing:
        have = ", ".join(f"{s} ({st})" for s, st in states.items()) or "none"
        raise pytest.UsageError(f"--serial {', '.join(missing)}: not an online device on the adb server at port "
                                f"{port} (connected: {have})")


def _check_numbers(config: pytest.Config) -> None:
    """Refuse impossible numeric options at start-up, naming the option, not as an error in every test."""
    checks = (("--sim-time-scale", lambda v: v > 0, "must be greater than 0 (1 = real time, 0.1 = ten times faster)"),
              ("--sim-devices", lambda v: v >= 1, "must be at least 1"),
              ("--calls", lambda v: v >= 1, "must be at least 1"),
              ("--sim-base-port", lambda v: 1024 <= v <= 65000, "must be a port from 1024 to 65000"))
    for option, valid, problem in checks:
        value = config.getoption(option)
        if not valid(value):
            raise pytest.UsageError(f"{option} {value}: {problem}")


def _caller_options(config: pytest.Config) -> CallerOptions:
    serials = list(config.getoption("--caller-serial") or [])
    return CallerOptions(kind=config.getoption("--caller"), caller_serial=serials[0] if serials else None,
                         more_caller_serials=tuple(serials[1:]),
                         caller_profile=config.getoption("--caller-profile"),
                         phone_url=config.getoption("--phone-url"), faults_url=config.getoption("--lab-faults-url"),
                         device_name=config.getoption("--device-name"))


def caller_choice_of(config: pytest.Config) -> CallerChoice:
    """The run's caller choice; a missing piece is a usage error (raised at collection, see below)."""
    found = config.stash[CALLER_KEY]
    if isinstance(found, CallerUsageError):
        raise pytest.UsageError(f"wmpf-hil: {found}")
    return found


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run with call scenarios but no usable caller stops here, with one line, before any test runs."""
    found = session.config.stash.get(CALLER_KEY, None)
    if isinstance(found, CallerUsageError) and any("rig" in getattr(item, "fixturenames", ())
                                                  for item in session.items):
        raise pytest.UsageError(f"wmpf-hil: {found}")


def missing_needs(item: pytest.Item, rig: Any) -> str | None:
    """The first need of ``item`` (its ``needs_*`` markers) that the run's caller or lab cannot meet, as one
    line saying what is missing and how to provide it; None when all are met."""
    for marker in item.iter_markers():
        if marker.name == "needs_broadcast" and rig.profile.broadcast is None:
            return (f"needs broadcast: {rig.profile.source} has no [broadcast] table (a debug build's push "
                    f"injection; fixtures/apps/README.md)")
        need = NEEDS.get(marker.name)
        if need is None:
            continue
        capability, who = need
        if who == "caller":
            caller = rig.caller
            if caller is None or capability not in caller.capabilities:
                how = caller.how(capability) if caller is not None else ""
                return (f"needs {capability.value}: the {getattr(caller, 'name', 'configured')} caller cannot "
                        f"{capability.doing}" + (f" ({how})" if how else ""))
        elif rig.faults is None or capability not in rig.faults.capabilities:
            return f"needs {capability.value}: this lab cannot {capability.doing} ({FAULTS_HOW})"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    """The one place capabilities become skips: after the fixtures are up (the rig's caller and its probed
    lab faults), a scenario whose need cannot be met is skipped with one line, before its body runs."""
    result = yield
    rig = getattr(item, "funcargs", {}).get("rig")
    if rig is not None:
        missing = missing_needs(item, rig)
        if missing is not None:
            pytest.skip(missing)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """A step the caller lacks that no marker announced is still a skip naming the capability, not an error."""
    try:
        return (yield)
    except CapabilityMissing as exc:
        pytest.skip(str(exc))


class _XdistHooks:
    """Registered only when pytest-xdist is installed (its hook specs must exist)."""

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[RUN_DIR_KEY] = str(node.config.stash[RUN_PATH_KEY])

    @pytest.hookimpl
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        ledger = node.config.stash.get(LEDGER_KEY, None)
        if ledger is not None:
            ledger.xdist_collected(ids)

    @pytest.hookimpl
    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        """A worker died mid-test: its started call has marks but no record (the loader makes it lost)."""
        for config in (getattr(sched, "config", None),):
            ledger = config.stash.get(LEDGER_KEY, None) if config is not None else None
            if ledger is not None:
                ledger.crash(crashitem)


def app_profile_of(config: pytest.Config) -> AppProfile:
    return config.stash[PROFILE_KEY]


def _capture_config(config: pytest.Config, profile: AppProfile) -> CaptureConfig:
    """The app profile's ``[capture]`` table, re-validated with its mode replaced by ``--net-capture`` when given.

    A host capture keeps the profile's named interface; without one it is refused (nothing is assumed)."""
    mode = config.getoption("--net-capture")
    base = profile.capture_config()
    if mode is None:
        return base
    table = base.model_dump(exclude_none=True, exclude_defaults=True) if profile.capture is not None else {}
    if mode != base.mode and base.mode != "host" and table.get("interface") == "any":
        table.pop("interface")  # the device default, not a lab's choice of host interface
    table["mode"] = mode
    return parse_capture(table, profile.source)


def capture_config_of(config: pytest.Config) -> CaptureConfig:
    return config.stash[CAPTURE_KEY]


def run_dir_of(config: pytest.Config) -> Path:
    """The run directory, created on first use (``latest`` is pointed at it when the run ends: completeness.py).

    Not "if it does not exist": pytest-html and junitxml create it first when their files default into it."""
    path = config.stash[RUN_PATH_KEY]
    if not config.stash.get(RUN_PREPARED_KEY, False):
        prepare_run_dir(path.parent, run_dir=path, link_latest=False)  # latest moves when the run has ended
        config.stash[RUN_PREPARED_KEY] = True
        ledger = config.stash.get(LEDGER_KEY, None)
        if ledger is not None:
            ledger.run_started()
    return path


def pytest_report_header(config: pytest.Config) -> list[str]:
    if PROFILE_KEY not in config.stash:
        return []
    profile = config.stash[PROFILE_KEY]
    serials = config.getoption("--serial") or []
    target = ", ".join(serials) if serials else (f"{config.getoption('--sim-devices')} simulated device(s) at time "
                                                 f"scale {config.getoption('--sim-time-scale'):g}")
    choice = config.stash.get(CALLER_KEY, None)
    caller = choice.describe() if isinstance(choice, CallerChoice) else "none configured"
    return [f"wmpf-hil: app profile {profile.name} ({profile.source}); devices: {target}; caller: {caller}",
            f"wmpf-hil: results in {config.stash[RUN_PATH_KEY] / RESULTS_FILE}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if call.when == "call":
        for record in getattr(item, "wmpf_call_records", ()):
            report.user_properties.append((CALL_RECORDS_PROPERTY, json.dumps(record, ensure_ascii=False)))
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if is_worker(config) or RUN_PATH_KEY not in config.stash:
        return
    ledger = config.stash.get(LEDGER_KEY, None)
    incomplete = ledger.summary_lines() if ledger is not None else []
    if incomplete:
        terminalreporter.section("wmpf-hil run INCOMPLETE", red=True)
        for line in incomplete:
            terminalreporter.write_line(line, red=True)
    path = config.stash[RUN_PATH_KEY] / RESULTS_FILE
    if not path.exists():
        return
    records = list(read_results(path))
    if not records:
        return
    outcomes = Counter(r.get("outcome") for r in records)
    stages = Counter(r.get("stage") for r in records if r.get("stage"))
    proofs = sum(1 for r in records if r.get("stage") and r.get("stage") == (r.get("extra") or {}).get(
        EXPECT_FAILURE_KEY))
    terminalreporter.section("wmpf-hil calls")
    kinds = sorted({kind_of(r.get("lab"), r.get("time_scale")) for r in records if r.get("lab")})
    terminalreporter.write_line(f"{len(records)} calls{' (' + ', '.join(kinds) + ')' if kinds else ''}: "
                                + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if stages:
        terminalreporter.write_line("failure stages: " + ", ".join(f"{k} {v}" for k, v in sorted(stages.items()))
                                    + (f" ({proofs} expected: failure-proof scenarios)" if proofs else ""))
    for line in format_table(latency_table(records)):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"results: {path}" + (f" (reports/latest → {path.parent.name})"
                                                      if os.path.basename(path.parent.parent) == "reports" else ""))
