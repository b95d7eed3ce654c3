"""Field conditions and the soak through the harness, on the simulator, against its ground truth.

- Doze through adb (``dumpsys deviceidle force-idle``): with the normal-priority profile the measured
  push_to_ring contains the wait for the maintenance window, with the high-priority profile it does not; both
  equal the ground truth within the bound the record states.
- ``scenarios/test_field.py`` over every condition (``--conditions``): each runs; a call a condition loses is
  a failure at ``push_not_received``/``no_ring`` that the ground truth confirms; the report has the table.
- ``scenarios/test_soak.py``: 1,000 calls at a small time scale pass the default gates with the soak's plots in
  the report; a leaking host app (``[leak]`` in the profile) fails the soak gate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.call.driver import CallDriver
from harness.conditions import parse_conditions
from harness.device.adb_server import free_server_port
from harness.results.records import Outcome
from harness.results.writer import read_results
from tests.conftest import ADB_PORT, DEVICE_PORT
from tests.selfcheck_helpers import read_truth, selfcheck_rig, truth_latencies

REPO = Path(__file__).resolve().parents[1]
TABLET = REPO / "fixtures" / "devices" / "wmpf-tablet.toml"
SCALE = 0.05


def _run_condition(adb_server: Any, tmp_path: Path, field: dict[str, Any], base_port: int,
                   condition: str) -> tuple[Any, list[dict[str, Any]]]:
    with selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth", base_port=base_port,
                       time_scale=SCALE, overrides={"field": field}) as (lab, rig):
        [cond] = parse_conditions(condition)
        driver = CallDriver(rig, f"field-{condition}")
        cond.setup(rig)
        try:
            with driver.call() as c:
                cond.annotate(c.record)
                c.place()
                cond.after_place(rig)
                c.wait_ring()
                c.answer()
                c.wait_connected()
                c.hold()
                c.hang_up("device")
        finally:
            cond.teardown(rig)
        assert lab.simulator is not None
        return c.record, read_truth(lab.simulator.truth_path(0))


@pytest.mark.parametrize("priority", ["normal", "high"])
def test_doze_push_to_ring_reflects_the_maintenance_window_and_matches_truth(adb_server: Any, tmp_path: Path,
                                                                             priority: str) -> None:
    window_s = 12.0
    record, truth = _run_condition(adb_server, tmp_path, {"push_priority": priority, "deep_maintenance_s": window_s},
                                   DEVICE_PORT + 2000 + (priority == "high") * 10, "doze_deep:settle_s=1")
    assert record.outcome is Outcome.PASSED, record.error
    assert record.extra["condition"] == "doze_deep"
    room = record.room_id or ""
    held = [r for r in truth if r["room_id"] == room and r["event"] == "push_held"]
    measured = record.latencies["push_to_ring"]
    true = truth_latencies(truth, room, 0.0)["push_to_ring"]
    assert abs(measured.ms - true) <= measured.bound_ms + 0.05, (measured, true)
    device_ms = measured.ms / SCALE  # the simulator's device time, unscaled
    if priority == "normal":
        assert [h["reason"] for h in held] == ["doze_deep"], held
        # placed ~1 s into idle: the push waits ~11 s for the window at 12 s, then rings
        assert held[0]["for_ms"] > 5_000 and device_ms >= held[0]["for_ms"], (held, device_ms)
        assert device_ms < window_s * 1000 + 3_000
    else:
        assert held == [] and device_ms < 3_000, (held, device_ms)
    assert any(r["event"] == "doze_state" and r["deep"] == "IDLE" for r in truth)


def _pytest(pytester: pytest.Pytester, scenario: str, *args: str, port_slot: int, timeout: float) -> Any:
    pytester.makepyfile(**{f"test_{scenario}": (REPO / "scenarios" / f"test_{scenario}.py").read_text()})
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--adb-port", str(free_server_port(ADB_PORT + 60 + port_slot)),
        "--sim-base-port", str(DEVICE_PORT + 2100 + 20 * port_slot), "--run-dir", "run", *args, timeout=timeout)


def _records(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    return list(read_results(pytester.path / "run" / "results.jsonl"))  # records, not the progress marks


def test_every_condition_runs_and_lost_calls_fail_at_the_stage_the_truth_shows(pytester: pytest.Pytester) -> None:
    conditions = ("baseline,doze_deep,doze_light,standby,screen_off_locked,cold_boot,wifi_drop:off_s=4,"
                  "airplane:off_s=4,memory_kill,crash_loop:n=3,long_idle:hours=0.6")
    result = _pytest(pytester, "field", "--sim-time-scale", "0.02", "--conditions", conditions,
                     "--html=run/report.html", "--self-contained-html", port_slot=0, timeout=400)
    records = _records(pytester)
    by_condition = {r["extra"]["condition"]: r for r in records}
    assert set(by_condition) == {c.split(":")[0] for c in conditions.split(",")}, sorted(by_condition)
    truth = [json.loads(line) for path in (pytester.path / "run" / "truth").rglob("*.jsonl")
             for line in path.read_text().splitlines()]
    for name, record in by_condition.items():
        room = record["room_id"]
        events = {t["event"] for t in truth if t["room_id"] == room}
        if record["outcome"] == "passed":
            assert "ring_shown" in events, name
            continue
        assert record["stage"] in ("push_not_received", "no_ring"), (name, record["stage"], record["error"])
        assert "ring_shown" not in events and ({"push_dropped", "ring_hidden"} & events), (name, events)
    for name in ("baseline", "doze_deep", "standby", "screen_off_locked", "cold_boot", "wifi_drop", "airplane",
                 "memory_kill", "crash_loop", "long_idle"):
        assert by_condition[name]["outcome"] == "passed", (name, by_condition[name]["error"])
    waits: dict[str, str] = {}
    for t in truth:
        if t["event"] == "push_held":
            waits.setdefault(t["room_id"], t["reason"])  # the first reason the push waited
    assert waits[by_condition["doze_deep"]["room_id"]] == "doze_deep"
    assert waits[by_condition["standby"]["room_id"]] == "standby_rare"
    assert waits[by_condition["wifi_drop"]["room_id"]] == "network_wifi_off"
    assert waits[by_condition["long_idle"]["room_id"]] == "doze_deep"  # it dozed off by itself
    assert waits[by_condition["memory_kill"]["room_id"]] == "wmpf_restarting"  # kept until WMPF was back
    assert by_condition["cold_boot"]["extra"]["condition_facts"]["boot_completed_to_ring_ms"] > 0
    # after the reboot: boot, then WMPF up, activated by the host app, its push listener registered, the ring
    boots = [i for i, t in enumerate(truth) if t["event"] == "device_booted"]
    assert len(boots) == 2, "cold_boot rebooted the device once"
    after = [t["event"] for t in truth[boots[1]:]]
    order = ["device_booted", "wmpf_started", "wmpf_activated", "listener_registered", "call_placed", "ring_shown"]
    assert [after.index(e) for e in order] == sorted(after.index(e) for e in order), after[:20]
    failed = [n for n, r in by_condition.items() if r["outcome"] != "passed"]
    result.assert_outcomes(passed=len(by_condition) - len(failed), failed=len(failed))
    html = (pytester.path / "run" / "report.html").read_text()
    table = html[html.index("Field conditions"):]
    for name in by_condition:
        assert f"<td>{name}</td>" in table, name
    assert "push_to_ring p50 by condition" in table


def test_a_thousand_call_soak_passes_the_leak_gate_with_its_plots(pytester: pytest.Pytester) -> None:
    # 0.005: the host app's 60 s ring timeout is 300 ms, well above the harness's slowest answer tap under load
    result = _pytest(pytester, "soak", "--sim-time-scale", "0.005", "--soak-calls", "1000",
                     "--gates", str(REPO / "fixtures" / "gates" / "default.toml"), "--html=run/report.html",
                     "--self-contained-html", port_slot=1, timeout=600)
    result.assert_outcomes(passed=1)
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*soak com.example.wmpfhost pss_kb growth/100 calls*ok*"])
    records = _records(pytester)
    assert len(records) == 1000 and all(r["outcome"] == "passed" for r in records)
    html = (pytester.path / "run" / "report.html").read_text()
    soak = html[html.index("Soak (1000 calls)"):]
    assert soak.count("<polyline") >= 5 and "over the soak" in soak


def test_the_leak_gate_fires_on_a_leaking_host_app(pytester: pytest.Pytester) -> None:
    profile = pytester.path / "leaky.toml"
    text = TABLET.read_text()
    assert "\nhost_app_kb_per_call = 0\n" in text
    profile.write_text(text.replace("\nhost_app_kb_per_call = 0\n", "\nhost_app_kb_per_call = 512\n"))
    result = _pytest(pytester, "soak", "--sim-time-scale", "0.005", "--soak-calls", "120", "--sim-profile",
                     str(profile), "--gates", str(REPO / "fixtures" / "gates" / "default.toml"), port_slot=2,
                     timeout=300)
    result.assert_outcomes(passed=1)  # every call passed: the leak is the run's verdict, not a call failure
    assert result.ret == 1
    out = result.stdout.str()
    line = next(ln for ln in out.splitlines() if "soak com.example.wmpfhost pss_kb growth/100 calls" in ln)
    assert "MISSED" in line, line
    growth = float(re.findall(r"[\d.]+", line.split("calls", 1)[1])[1])
    assert 30_000 < growth < 40_000, line  # 512 KiB × 100 calls of VmRSS, × 0.7 for PSS
    assert not any("soak com.tencent.wmpf pss_kb" in ln and "MISSED" in ln for ln in out.splitlines())
