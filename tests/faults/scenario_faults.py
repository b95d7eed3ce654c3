"""The fault suite's inner scenarios (copied into a pytester directory by tests/test_faults.py, never collected
from here): one call per stage in ``WMPF_FAULT_STAGES``, with ``WMPF_FAULT`` injected the moment the call reaches
that stage, then a follow-up call that must pass on a device that survived (or is reported "not run: device
lost" on one that did not).

How each fault is made (see docs/reliability.md "## Faults"):

* ``sim_kill``: SIGKILL to the simulator, a child process ``wmpf-hil sim`` (``WMPF_SIM_PID``);
* ``adb_drop``: the simulator's ``drop_adb`` action (every adb connection of the device cut);
* ``adb_block``: ``block_adb`` then ``drop_adb``: the device gone for good (a spare device takes over);
* ``adb_server_kill``: SIGKILL to the lab's adb server (found by its listening port in /proc);
* ``uia2_kill``: the simulator's ``crash_uia2`` action (the uiautomator2 server on the device killed);
* ``wmpf_crash_loop``: WMPF crashes now and every 100 ms for 2 s (``crash_wmpf``);
* ``worker_crash``: the xdist worker running the call exits at once (``os._exit``);
* ``sigint`` / ``sigterm``: the signal to the pytest process running the call;
* ``disk_full``: RLIMIT_FSIZE lowered to the results file's size (SIGXFSZ ignored, so writes fail with EFBIG,
  as on a full disk, without root or a tmpfs); raised again when the scenario ends (the disk freed).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
import time
from pathlib import Path

import pytest

from harness.call.recovery import wait_ready
from harness.hostclock import host_ns

FAULT = os.environ.get("WMPF_FAULT", "none")
STAGES = [s for s in os.environ.get("WMPF_FAULT_STAGES", "placed").split(",") if s]
_LIMIT = resource.getrlimit(resource.RLIMIT_FSIZE)
_LOOPS: list[threading.Thread] = []


def _listening_pid(port: int) -> int | None:
    """The pid of the process listening on 127.0.0.1:port (the adb server), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
    return None


def inject(fault: str, rig, lab, run_dir: Path) -> None:  # type: ignore[no-untyped-def]
    stamp = Path(run_dir) / "fault_at.txt"
    stamp.write_text(f"{time.time()}\n")
    if fault == "sim_kill":
        os.kill(int(os.environ["WMPF_SIM_PID"]), signal.SIGKILL)
    elif fault == "adb_drop":
        rig.faults.phone.fault(rig.sn, "drop_adb")
    elif fault == "adb_block":  # the link dropped and not coming back: the device is lost for good
        rig.faults.phone.fault(rig.sn, "block_adb")
        rig.faults.phone.fault(rig.sn, "drop_adb")
    elif fault == "adb_server_kill":
        pid = _listening_pid(lab.adb.port)
        assert pid is not None, f"no adb server listening on {lab.adb.port}"
        os.kill(pid, signal.SIGKILL)
    elif fault == "uia2_kill":
        rig.faults.phone.fault(rig.sn, "crash_uia2")
    elif fault == "wmpf_crash_loop":
        phone, sn = rig.faults.phone, rig.sn

        def loop() -> None:
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                with contextlib.suppress(Exception):
                    phone.fault(sn, "crash_wmpf")
                time.sleep(0.1)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        _LOOPS.append(thread)
    elif fault == "worker_crash":
        os._exit(17)
    elif fault == "sigint":
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    elif fault == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    elif fault == "disk_full":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        size = (Path(run_dir) / "results.jsonl").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, _LIMIT[1]))
    else:
        raise AssertionError(f"unknown fault {fault!r}")


@pytest.fixture
def fault_over(rig):  # type: ignore[no-untyped-def]
    """Each stage's fault ends with its scenario: the disk freed, the crash loop over and WMPF back."""
    yield
    resource.setrlimit(resource.RLIMIT_FSIZE, _LIMIT)
    if _LOOPS:
        while _LOOPS:
            _LOOPS.pop().join()
        time.sleep(1.0)  # the last crash lands and the host app restarts WMPF
        wait_ready(rig)


@pytest.mark.parametrize("stage", STAGES)
def test_fault_at(call, rig, lab, run_dir, fault_over, stage: str) -> None:  # type: ignore[no-untyped-def]
    def at(here: str) -> None:
        if here == stage:
            inject(FAULT, rig, lab, run_dir)

    with call.call() as c:
        c.place()
        at("placed")
        c.wait_ring()
        at("ringing")
        c.answer()
        at("answered")
        c.wait_connected()
        at("connected")
        c.hold(0.3)
        before = host_ns()
        rig.caller.hang_up(c.room)
        c.stamp_host("caller_hang_up", before, host_ns() - before)
        at("hanging_up")
        c.wait_end_event(["voip:hangUpVoip", "voip:endVoip"], "end")
    print(f"FAULT-RECORD {c.record.outcome.value} {c.record.stage} {c.record.reached} {c.record.error}")


def test_next_call(call) -> None:  # type: ignore[no-untyped-def]
    record = call.run()
    print(f"NEXT-CALL {record.serial} {record.outcome.value}")
    assert record.outcome.value == "passed", record.error
