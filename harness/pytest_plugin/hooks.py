"""The plugin's pytest hooks: configuration checks, the run directory, markers, report plumbing.

Kept apart from ``plugin.py`` (options and fixtures), pytest-html style. Under pytest-xdist the controller
creates the run directory and hands its path to every worker (``workerinput``), so all workers append to one
``results.jsonl``; call records travel back to the controller as ``user_properties``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.call.caller_setup import CallerChoice, CallerOptions, CallerUsageError, choose
from harness.callers.base import Capability
from harness.callers.lab_faults import HOW_TO_GET as FAULTS_HOW
from harness.config.app_profile import AppProfile, load_profile
from harness.config.capture import CaptureConfig, parse_capture
from harness.errors import AppProfileError, CapabilityMissing, ConfigError
from harness.redact import install_log_redaction
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
    "failure_proof: exists to prove a failure is caught; passes when the expected failure stage is reported",
    "recovery: kills WMPF and checks recovery",
    "series: places --calls calls and reports percentiles",
)

RUN_DIR_KEY = "wmpf_hil_run_dir"
PROFILE_KEY = pytest.StashKey[AppProfile]()
CALLER_KEY = pytest.StashKey["CallerChoice | CallerUsageError"]()
CAPTURE_KEY = pytest.StashKey[CaptureConfig]()
RUN_PATH_KEY = pytest.StashKey[Path]()
RUN_PREPARED_KEY = pytest.StashKey[bool]()
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
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "wmpf-hil-xdist")


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


def app_profile_of(config: pytest.Config) -> AppProfile:
    return config.stash[PROFILE_KEY]


def _capture_config(config: pytest.Config, profile: AppProfile) -> CaptureConfig:
    """The app profile's ``[capture]`` table, its mode replaced by ``--net-capture`` when given."""
    table = dict(profile.raw.get("capture") or {})
    mode = config.getoption("--net-capture")
    if mode is not None:
        table["mode"] = mode
        if mode == "host":  # the interface default depends on the mode; keep a profile's explicit choice
            table.setdefault("interface", "lo")
    return parse_capture(table or None, profile.source)


def capture_config_of(config: pytest.Config) -> CaptureConfig:
    return config.stash[CAPTURE_KEY]


def run_dir_of(config: pytest.Config) -> Path:
    """The run directory, created (and ``latest`` pointed at it) on first use.

    Not "if it does not exist": pytest-html and junitxml create it first when their files default into it."""
    path = config.stash[RUN_PATH_KEY]
    if not config.stash.get(RUN_PREPARED_KEY, False):
        prepare_run_dir(path.parent, run_dir=path)
        config.stash[RUN_PREPARED_KEY] = True
    return path


def pytest_report_header(config: pytest.Config) -> list[str]:
    if PROFILE_KEY not in config.stash:
        return []
    profile = config.stash[PROFILE_KEY]
    serials = config.getoption("--serial") or []
    target = ", ".join(serials) if serials else f"{config.getoption('--sim-devices')} simulated device(s)"
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
    path = config.stash[RUN_PATH_KEY] / RESULTS_FILE
    if not path.exists():
        return
    records = list(read_results(path))
    if not records:
        return
    outcomes = Counter(r.get("outcome") for r in records)
    stages = Counter(r.get("stage") for r in records if r.get("stage"))
    proofs = sum(1 for r in records if r.get("stage") and (r.get("extra") or {}).get("failure_proof"))
    terminalreporter.section("wmpf-hil calls")
    terminalreporter.write_line(f"{len(records)} calls: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if stages:
        terminalreporter.write_line("failure stages: " + ", ".join(f"{k} {v}" for k, v in sorted(stages.items()))
                                    + (f" ({proofs} expected: failure-proof scenarios)" if proofs else ""))
    for line in format_table(latency_table(records)):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"results: {path}" + (f" (reports/latest → {path.parent.name})"
                                                      if os.path.basename(path.parent.parent) == "reports" else ""))
