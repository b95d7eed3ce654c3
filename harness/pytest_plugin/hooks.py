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

from harness.config.app_profile import AppProfile, load_profile
from harness.config.capture import CaptureConfig, parse_capture
from harness.errors import AppProfileError, ConfigError
from harness.redact import install_log_redaction
from harness.results.stats import format_table, latency_table
from harness.results.writer import RESULTS_FILE, new_run_id, prepare_run_dir, read_results

MARKERS = (
    "wmpf_scenario: a call scenario run against a device (real or simulated)",
    "needs_phone: places calls through a phone API (the simulated phone, or --phone-url)",
    "needs_broadcast: places calls by broadcast (the app profile needs a [broadcast] table)",
    "needs_faults: sets device faults through the phone API's /control/faults (the simulator, or a lab bot)",
    "failure_proof: exists to prove a failure is caught; passes when the expected failure stage is reported",
    "recovery: kills WMPF and checks recovery",
    "series: places --calls calls and reports percentiles",
    "field: one call under each field condition (--conditions): Doze, standby, screen off, boot, network...",
    "soak: --soak-calls/--soak-hours calls on one device, its processes sampled between calls",
)

RUN_DIR_KEY = "wmpf_hil_run_dir"
PROFILE_KEY = pytest.StashKey[AppProfile]()
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
    return [f"wmpf-hil: app profile {profile.name} ({profile.source}); devices: {target}",
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
