"""The wmpf-hil pytest plugin: command-line options and fixtures (registered through the pytest11 entry point).

``device`` yields an adbutils device: a simulated one on an isolated adb server when no ``--serial`` is
given, otherwise the named real device. Tests are written once and run on both. ``device_session`` adds the
per-device services (streaming logcat, clock sync, uiautomator2), ``timeline`` the app profile's typed
events, ``rig`` the caller (:mod:`harness.call.caller_setup`) and the lab's fault injector. Hooks live in
:mod:`harness.pytest_plugin.hooks`.

Under pytest-xdist every worker gets its own device: its own simulator (on its own ports) or, with several
``--serial``, a distinct serial claimed with a file lock (:mod:`harness.device.pool`). A device quarantined after a
lab error (:meth:`~harness.call.rig.Rig.quarantine`) is replaced by another free serial when there is one
(:class:`SpareDevices`); otherwise its remaining scenarios skip "not run: device lost".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import adbutils
import pytest

from harness.call.caller_setup import CallerChoice, CallerUsageError, build_caller, build_faults, for_lab
from harness.call.driver import CallDriver
from harness.call.evidence import EvidenceCollector
from harness.call.recovery import wait_ready
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.callers.base import Caller
from harness.callers.lab_faults import LabFaults
from harness.config.app_profile import AppProfile
from harness.device.adb_server import DEFAULT_ISOLATED_PORT, free_server_port
from harness.device.identity import read_sn
from harness.device.lab import Lab, LabConfig
from harness.device.pool import DeviceClaim, claim_serial, worker_id, worker_index
from harness.device.retry import LabRetry
from harness.device.session import DeviceSession
from harness.errors import LabError
from harness.pytest_plugin import hooks
from harness.pytest_plugin.completeness import DEVICE_LOST_SKIP
from harness.pytest_plugin.variants import Variants
from harness.results.records import HARDWARE, SIMULATED, CallRecord
from harness.results.writer import ResultsWriter

# The report, JUnit properties and gates: options and hooks of their own (harness/report/pytest_plugin.py).
# Farm labels and history (farm.py), lab-error reruns (reruns.py), Allure attachments (allure.py).
pytest_plugins = ["harness.pytest_plugin.report", "harness.pytest_plugin.farm", "harness.pytest_plugin.reruns",
                  "harness.pytest_plugin.allure"]

log = logging.getLogger("harness.pytest_plugin")

# Simulated phones running WeChat when the caller is the phone app: the second places the busy scenario's call.
SIM_PHONES = 2

# Per-worker port spacing, so parallel workers never race for the same adb server or device port.
WORKER_ADB_PORT_STEP = 10
WORKER_DEVICE_PORT_STEP = 100


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wmpf-hil", "wmpf-hil: WMPF VoIP hardware-in-the-loop")
    group.addoption("--serial", action="append", default=[], metavar="SERIAL",
                    help="adb serial of a real device to test (repeatable; with xdist each worker claims one); "
                         "default: a simulated device")
    group.addoption("--adb-path", default=None, metavar="PATH",
                    help="adb binary for the session's adb server (default: the one bundled with adbutils)")
    group.addoption("--adb-port", type=int, default=None, metavar="PORT",
                    help="port of the session's isolated adb server (default: first free from 15037)")
    group.addoption("--sim-devices", type=int, default=1, metavar="N",
                    help="number of simulated devices when no --serial is given (default 1)")
    group.addoption("--sim-profile", default=None, metavar="TOML",
                    help="device profile of the simulated devices (default fixtures/devices/wmpf-tablet.toml)")
    group.addoption("--sim-time-scale", type=float, default=1.0, metavar="X",
                    help="multiply every simulated delay by X (e.g. 0.05 for fast CI runs)")
    group.addoption("--sim-base-port", type=int, default=20000, metavar="PORT",
                    help="first loopback port for simulated devices (default 20000; +100 per xdist worker)")
    group.addoption("--app-profile", default=None, metavar="NAME|TOML",
                    help="app profile: a name in fixtures/apps or a path to a TOML file; required with --serial "
                         "(default without: the simulator's wmpf-sim-tablet)")
    group.addoption("--caller", default=None, choices=("phone_app", "phone_bot", "broadcast"),
                    help="how calls are placed: phone_app (a phone running WeChat, --caller-serial), phone_bot (the "
                         "phone bot API, --phone-url) or broadcast (debug builds); default: the app profile's "
                         "call.method (on the simulator: its phone, through the phone app)")
    group.addoption("--caller-serial", action="append", default=[], metavar="SERIAL",
                    help="adb serial of the caller's phone running WeChat (the phone-app caller); give it twice for "
                         "a second phone (a second call during a call: the busy scenario)")
    group.addoption("--caller-profile", default=None, metavar="NAME|TOML",
                    help="caller profile: how to open the caller Mini Program and its selectors (a name in "
                         "fixtures/callers, or a TOML path); default on the simulator: sim-wechat")
    group.addoption("--device-name", default=None, metavar="NAME",
                    help="the device's name in the caller Mini Program ({name} in the caller profile; default: SN)")
    group.addoption("--phone-url", default=None, metavar="URL",
                    help="phone bot API (docs/phone-bot-api.md) for the phone-bot caller; simulated devices bring "
                         "their own")
    group.addoption("--lab-faults-url", default=None, metavar="URL",
                    help="the lab's fault injector (/control endpoints, docs/phone-bot-api.md); default: "
                         "--phone-url, or the simulator's")
    group.addoption("--calls", type=int, default=10, metavar="N",
                    help="calls per series scenario (default 10)")
    group.addoption("--conditions", default="quick", metavar="LIST",
                    help="field scenarios: conditions to place one call under each, comma-separated, "
                         "optionally with parameters (doze_deep,wifi_drop:off_s=4,crash_loop:n=5); 'all', or "
                         "'quick' (default: all but long_idle) (harness/conditions/catalog.py lists them)")
    group.addoption("--soak-calls", type=int, default=None, metavar="N",
                    help="soak scenario: N calls on one device, process memory/threads/fds sampled between calls")
    group.addoption("--soak-hours", type=float, default=None, metavar="H",
                    help="soak scenario: calls for H hours of device time (scaled on the simulator) instead")
    group.addoption("--soak-spacing-s", type=float, default=0.0, metavar="S",
                    help="soak scenario: device seconds between calls (default 0: back to back)")
    group.addoption("--net-capture", default=None, choices=("off", "device", "host"),
                    help="per-call network capture: 'device' (su 0 tcpdump via adb exec-out), 'host' (dumpcap on "
                         "the [capture] interface) or 'off'; default: the app profile's [capture] mode (off)")
    group.addoption("--lab-retry-budget", type=float, default=30.0, metavar="SECONDS",
                    help="how long the lab's plumbing (device link, services) is retried before a call is a "
                         "lab_error and an unreachable device is quarantined (default 30)")
    group.addoption("--report-dir", default="reports", metavar="DIR",
                    help="directory of run directories; DIR/latest points at the newest ended run (default reports)")
    group.addoption("--run-dir", default=None, metavar="DIR",
                    help="this run's directory (default REPORT_DIR/<UTC time>-<pid>); results.jsonl goes here")


pytest_configure = hooks.pytest_configure
pytest_collection_finish = hooks.pytest_collection_finish
pytest_runtest_setup = hooks.pytest_runtest_setup
pytest_runtest_call = hooks.pytest_runtest_call
pytest_report_header = hooks.pytest_report_header
pytest_runtest_makereport = hooks.pytest_runtest_makereport
pytest_terminal_summary = hooks.pytest_terminal_summary


def lab_config(config: pytest.Config, serials: list[str] | None = None, truth_dir: Path | None = None) -> LabConfig:
    index = worker_index()
    serials = list(config.getoption("--serial")) if serials is None else serials
    adb_port = config.getoption("--adb-port")
    if worker_id() is not None and not serials:
        adb_port = free_server_port((adb_port or DEFAULT_ISOLATED_PORT) + WORKER_ADB_PORT_STEP * index)
    return LabConfig(
        serials=serials,
        adb_path=config.getoption("--adb-path"),
        adb_port=adb_port,
        sim_devices=config.getoption("--sim-devices"),
        sim_profile=config.getoption("--sim-profile"),
        sim_base_port=config.getoption("--sim-base-port") + WORKER_DEVICE_PORT_STEP * index,
        sim_time_scale=config.getoption("--sim-time-scale"),
        sim_phones=SIM_PHONES if not serials and hooks.caller_choice_of(config).kind == "phone_app" else 0,
        truth_dir=truth_dir,
    )


@pytest.fixture(scope="session")
def app_profile(pytestconfig: pytest.Config) -> AppProfile:
    """The app profile of this run (validated at start-up; ``--app-profile``)."""
    return hooks.app_profile_of(pytestconfig)


@pytest.fixture(scope="session")
def run_dir(pytestconfig: pytest.Config) -> Path:
    """``reports/<run>``: results.jsonl, the simulator's ground truth in ``truth/``, reports."""
    return hooks.run_dir_of(pytestconfig)


@pytest.fixture(scope="session")
def results(run_dir: Path, pytestconfig: pytest.Config) -> Iterator[ResultsWriter]:
    """The run's crash-safe call record stream (one fsynced JSON line per call), each record stamped with the
    run's shard, host and build labels and the scenario's attempt (:mod:`harness.pytest_plugin.farm`)."""
    from harness.pytest_plugin import farm  # a pytest_plugins module: imported by pytest first, for its rewriting

    with farm.labelled_writer(run_dir, pytestconfig) as writer:
        yield writer


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The session's adb server and devices (starting the simulator when no serial is named)."""
    config = request.config
    serials = list(config.getoption("--serial"))
    claim: DeviceClaim | None = None
    if serials and worker_id() is not None:
        claim = claim_serial(serials, prefer=worker_index())
        serials = [claim.serial]
    truth_dir = None
    if not serials:
        truth_dir = hooks.run_dir_of(config) / "truth" / (worker_id() or "main")
    session_lab = Lab(lab_config(config, serials, truth_dir)).start()
    try:
        yield session_lab
    finally:
        session_lab.stop()
        if claim is not None:
            claim.release()


@pytest.fixture
def device(lab: Lab) -> adbutils.AdbDevice:
    """The device under test, as an adbutils device (real or simulated: same code)."""
    return lab.device()


@pytest.fixture(scope="session")
def device_session(lab: Lab) -> Iterator[DeviceSession]:
    """The device under test with its services (logcat stream, clock sync, uiautomator2 on demand)."""
    lab.device()  # fail early and clearly if it is not online
    with DeviceSession(lab.serials[0], adb_port=lab.adb.port) as session:
        yield session


@pytest.fixture(scope="session")
def timeline(device_session: DeviceSession, app_profile: AppProfile) -> Timeline:
    """Typed call events of the device under test, by the app profile's patterns."""
    return Timeline(device_session, app_profile)


@pytest.fixture(scope="session")
def caller_choice(lab: Lab, pytestconfig: pytest.Config) -> CallerChoice:
    """The run's caller (``--caller``, ``--caller-serial``...), the simulator's phones filled in when simulated."""
    return for_lab(hooks.caller_choice_of(pytestconfig), lab)


def _caller_and_faults(choice: CallerChoice, lab: Lab, session: DeviceSession,
                       profile: AppProfile) -> tuple[Caller, LabFaults]:
    """Build the caller and probe the lab's faults; a lab that cannot be driven ends the run with one line."""
    try:
        caller = build_caller(choice, lab, session, profile)
    except CallerUsageError as exc:
        pytest.exit(f"wmpf-hil: usage error: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    except LabError as exc:
        pytest.exit(f"wmpf-hil: lab error: the caller ({choice.describe()}): {exc}", returncode=3)
    source = profile.device.sn  # the SN the lab's fault injector knows the device by
    return caller, build_faults(choice, read_sn(session, source.kind, source.value))


def _make_rig(lab: Lab, session: DeviceSession, timeline: Timeline, profile: AppProfile, results: ResultsWriter,
              pytestconfig: pytest.Config) -> Rig:
    """A rig ready to take calls, with the run's caller and the lab's fault injector (close its caller after)."""
    ready = Rig(session=session, timeline=timeline, profile=profile,
                results=results, time_scale=lab.time_scale,
                lab_kind=SIMULATED if lab.simulated else HARDWARE,
                lab_retry=LabRetry(budget_s=pytestconfig.getoption("--lab-retry-budget")),
                worker=worker_id(), capture=hooks.capture_config_of(pytestconfig),
                capture_dir=hooks.run_dir_of(pytestconfig) / "captures", evidence=EvidenceCollector(
                    hooks.run_dir_of(pytestconfig), ring_screenshots=not pytestconfig.getoption("--no-evidence"),
                    failure_screenshots=not pytestconfig.getoption("--no-evidence")))
    wait_ready(ready)
    choice = for_lab(hooks.caller_choice_of(pytestconfig), lab)
    ready.caller, ready.faults = _caller_and_faults(choice, lab, session, profile)
    return ready.warm_up()


@pytest.fixture(scope="session")
def rig(lab: Lab, device_session: DeviceSession, timeline: Timeline, app_profile: AppProfile,
        results: ResultsWriter, pytestconfig: pytest.Config) -> Iterator[Rig]:
    """The device under test ready to take calls (WMPF up, push listener registered), with the run's caller,
    the lab's fault injector and the run's writer."""
    ready = _make_rig(lab, device_session, timeline, app_profile, results, pytestconfig)
    try:
        yield ready
    finally:
        if ready.caller is not None:
            ready.caller.close()


class SpareDevices:
    """Under xdist with several ``--serial``: a worker whose device was quarantined claims another free one
    (the lost one stays claimed, so no other worker takes it) and goes on there."""

    def __init__(self, lab: Lab, profile: AppProfile, results: ResultsWriter, config: pytest.Config) -> None:
        self.lab, self.profile, self.results, self.config = lab, profile, results, config
        self.lost: set[str] = set()
        self.current: Rig | None = None
        self._sessions: list[DeviceSession] = []
        self._claims: list[DeviceClaim] = []

    def replacement(self, rig: Rig) -> Rig | None:
        """A rig on a free device in place of the quarantined ``rig``, or None when there is none."""
        if self.current is not None and self.current.lost is None:
            return self.current
        self.lost.update(r.serial for r in (rig, self.current) if r is not None)
        candidates = [s for s in self.config.getoption("--serial") if s not in self.lost]
        while worker_id() is not None and candidates:
            try:
                claim = claim_serial(candidates, prefer=worker_index())
            except LabError:
                return None
            self._claims.append(claim)
            candidates.remove(claim.serial)
            try:
                self.lab.device(claim.serial)  # online, or try the next one
                session = DeviceSession(claim.serial, adb_port=self.lab.adb.port).__enter__()
                self._sessions.append(session)
                self.current = _make_rig(self.lab, session, Timeline(session, self.profile), self.profile,
                                         self.results, self.config)
                return self.current
            except LabError as exc:
                self.lost.add(claim.serial)
                log.warning("spare device %s is not usable either: %s", claim.serial, exc)
        return None

    def close(self) -> None:
        if self.current is not None and self.current.caller is not None:
            self.current.caller.close()
        for session in self._sessions:
            session.__exit__(None, None, None)
        for claim in self._claims:
            claim.release()


@pytest.fixture(scope="session")
def spare_devices(lab: Lab, app_profile: AppProfile, results: ResultsWriter,
                  pytestconfig: pytest.Config) -> Iterator[SpareDevices]:
    spares = SpareDevices(lab, app_profile, results, pytestconfig)
    try:
        yield spares
    finally:
        spares.close()


@pytest.fixture
def call(rig: Rig, spare_devices: SpareDevices, request: pytest.FixtureRequest) -> Iterator[CallDriver]:
    """The call driver for this test: ``call.run()`` is one standard call; ``call.call()`` step by step.

    Every call's record goes to results.jsonl as it finishes and onto the test's report (``user_properties``).
    """
    if rig.lost is not None:  # quarantined: another free device (xdist, several --serial), or one skip line
        spare = spare_devices.replacement(rig)
        if spare is None:
            pytest.skip(f"{DEVICE_LOST_SKIP} ({rig.serial}: {rig.lost})")
        rig = spare
    records: list[dict] = []
    request.node.wmpf_call_records = records  # read by hooks.pytest_runtest_makereport

    def on_record(record: CallRecord) -> None:
        records.append(record.to_dict())

    rig.on_record = on_record
    attempt = getattr(rig.results, "attempt", None)  # --lab-reruns: which attempt of the scenario this is
    if attempt is not None:
        rig.results.attempt = getattr(request.node, "wmpf_attempt", 1)  # type: ignore[union-attr]
    try:
        yield CallDriver(rig, request.node.name, test_id=request.node.nodeid)
    finally:
        rig.on_record = None


@pytest.fixture
def lab_faults(rig: Rig) -> Iterator[LabFaults]:
    """The lab-faults interface (capabilities probed at rig build; scenarios say ``needs_faults`` or
    ``needs_caller_plan``). Conditions set in the test are restored afterwards."""
    assert rig.faults is not None
    try:
        yield rig.faults
    finally:
        rig.faults.restore()


@pytest.fixture
def variants(lab: Lab, rig: Rig, pytestconfig: pytest.Config) -> Iterator[Variants]:
    """Start another kind of simulated device, by device profile (``variants.device("wmpf-tablet-exit")``)."""
    choice = hooks.caller_choice_of(pytestconfig)  # the variant's own simulated phone calls it
    started = Variants(lab, rig, make_caller=lambda child, session, profile: _caller_and_faults(
        for_lab(choice, child), child, session, profile))
    try:
        yield started
    finally:
        started.close()
