"""Per-call capture through real adb and real tshark: the device's tcpdump pcap, loss, outages, no media,
and captures that cannot start (no root, no tool) while the call still runs."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from harness.capture import CaptureConfig, CaptureService, finish_capture, parse_capture
from harness.device.session import DeviceSession
from harness.errors import ConfigError
from harness.results.records import CallRecord, EventStamp, Outcome, Stage
from tests.media_helpers import connect_call, hang_up, media_profile, media_state

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is missing (make deps installs it)")

DEVICE_CAPTURE = CaptureConfig(mode="device", interface="any", filter="udp")


def _session(sim, adb_server) -> DeviceSession:
    return DeviceSession(sim.devices[0].serial, adb_port=adb_server.port)


def _logged_ms(sim, event: str) -> float:
    """When the device logged ``onVoipEvent`` ``event`` (device clock, ms), as the harness's timeline would."""
    entries = sim.call(lambda: sim.device(0).logcat.entries())
    stamps = [e.wall_ns / 1e6 for e in entries if e.tag == "WMPF.VoipPlugin" and f'"{event}"' in e.message]
    return stamps[-1]


def _captured_call(sim, adb_server, tmp_path: Path, seconds: float, room_type: str = "voice",
                   config: CaptureConfig = DEVICE_CAPTURE) -> tuple[CallRecord, dict]:
    """Capture one connected call of ``seconds`` seconds of media; return the analysed record."""
    record = CallRecord(scenario="capture", serial=sim.devices[0].serial)
    with _session(sim, adb_server) as session:
        capture = session.service(CaptureService, config=config, out_dir=tmp_path / "captures")
        result = capture.begin("0001_" + sim.devices[0].serial)
        room = connect_call(sim, room_type=room_type)
        time.sleep(seconds)
        for name, event in (("answered", "hangOnVoip"), ("connected", "startVoip")):
            device_ms = _logged_ms(sim, event)
            record.add_event(EventStamp(name, device_ms, device_ms, 5.0))
        truth = media_state(sim)["call"]
        hang_up(sim, room)
        time.sleep(0.2)
        assert result.available, result.message
        finish_capture(capture, record)
    return record, truth


def test_tcpdump_needs_root_and_answers_counts_and_filters(make_sim, adb_server) -> None:
    sim = make_sim(1, time_scale=0.2)
    device = adb_server.client().device(sim.devices[0].serial)
    res = device.shell2("tcpdump -i any -w -", rstrip=True)
    assert res.returncode == 1
    assert "any: You don't have permission to capture on that device" in res.output
    assert device.shell2("su 0 tcpdump --version").output.startswith("tcpdump version 4.")
    assert device.shell2("su 0 tcpdump -i any 'udp port'").returncode == 1
    room = connect_call(sim)
    raw = device.shell("su 0 tcpdump -i any -c 7 -w - udp 2>/dev/null", encoding=None, timeout=10)
    hang_up(sim, room)
    magic, major, minor, _, _, _snaplen, linktype = struct.unpack("<IHHiIII", raw[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 113)
    pos, records = 24, 0
    while pos < len(raw):
        incl = struct.unpack_from("<IIII", raw, pos)[2]
        pos += 16 + incl
        records += 1
    assert records == 7 and pos == len(raw)


def test_tcpdump_writes_a_device_file_to_pull_flushed_when_killed(make_sim, adb_server, tmp_path) -> None:
    """``tcpdump -w /sdcard/x.pcap`` in the background, stopped with SIGINT, leaves a pcap to ``adb pull``."""
    sim = make_sim(1, time_scale=0.2)
    device = adb_server.client().device(sim.devices[0].serial)
    denied = device.shell2("su 0 tcpdump -i any -w /system/x.pcap -c 1", rstrip=True)
    assert denied.returncode == 1 and "/system/x.pcap: Read-only file system" in denied.output
    room = connect_call(sim)
    device.shell("su 0 sh -c 'tcpdump -i any -w /sdcard/call.pcap udp >/dev/null 2>&1 &'")
    time.sleep(1.5)
    pid = device.shell("pidof tcpdump").strip()
    assert pid.isdigit(), pid
    device.shell(f"su 0 kill -2 {pid}")
    hang_up(sim, room)
    local = tmp_path / "call.pcap"
    device.sync.pull("/sdcard/call.pcap", local)
    out = subprocess.run(["tshark", "-r", str(local), "-T", "fields", "-e", "udp.srcport"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert len(out) > 20  # about 1.5 s of voice both ways, buffered output flushed at the signal


def test_device_pcap_opens_in_tshark_and_5_percent_loss_is_reported(make_sim, adb_server, tmp_path) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(faults={"media_loss_pct": 5},
                                                          media={"seed": 11}))
    record, truth = _captured_call(sim, adb_server, tmp_path, 8.0)
    pcap = Path(record.extra["capture"]["path"])
    assert pcap.parent.name == "captures" and pcap.name.endswith(".pcap")
    out = subprocess.run(["tshark", "-r", str(pcap), "-q", "--enable-heuristic", "rtp_udp", "-z", "rtp,streams"],
                         capture_output=True, text=True, check=True).stdout
    assert "STUN" not in out and out.count("RTPType-111") == 2  # one stream each way
    media = record.extra["media"]
    received, sent = media["received"], media["sent"]
    assert received["packets"] > 350
    assert received["loss_pct"] == pytest.approx(5.0, abs=0.5)
    assert sent["loss_pct"] == 0.0  # the device sees all it sent; the relay dropped 5 % of it
    assert truth["relayStats"]["up"]["lost"] > 0
    # tshark's own RTP analysis agrees with ours on the lost packets
    lost = [int(m) for m in re.findall(r"\s(\d+) \([\d.]+%\)", out)]
    assert received["lost"] in lost
    assert media["verdict"] == "media_both_ways" and record.outcome is Outcome.PASSED
    assert 100 < received["kbps"] < 170 and 100 < sent["kbps"] < 170  # voice ~270 kbit/s both ways
    # the first RTP packet follows the answer by answer->connect plus the binding round trip
    connect_ms = record.events["connected"].device_ms - record.events["answered"].device_ms
    to_media = record.latencies["answer_to_media"]
    assert connect_ms <= to_media.ms < connect_ms + 200 and to_media.bound_ms < 2


def test_a_3_second_outage_shows_as_a_gap(make_sim, adb_server, tmp_path) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(media={"outages": [{"start_s": 1.0, "duration_s": 3.0}]}))
    record, _ = _captured_call(sim, adb_server, tmp_path, 5.5)
    gaps = record.extra["media"]["received"]["gaps"]
    assert len(gaps) == 1 and gaps[0]["duration_s"] == pytest.approx(3.0, abs=0.25)
    assert record.extra["media"]["sent"]["gaps"] == []  # the device kept sending into the outage


def test_runtime_outage_through_the_phone_control_api(make_sim, adb_server, tmp_path) -> None:
    from harness.callers.phone import Phone

    sim = make_sim(1, time_scale=0.2)
    record = CallRecord(scenario="capture", serial=sim.devices[0].serial)
    with _session(sim, adb_server) as session:
        capture = session.service(CaptureService, config=DEVICE_CAPTURE, out_dir=tmp_path)
        capture.begin("outage")
        room = connect_call(sim)
        time.sleep(1.0)
        Phone(sim.phone_url).request("POST", "/control/faults",
                                     {"sn": sim.devices[0].sn, "fault": "media_outage_s", "value": 2})
        time.sleep(3.0)
        hang_up(sim, room)
        finish_capture(capture, record)
    gaps = record.extra["media"]["received"]["gaps"]
    assert len(gaps) == 1 and gaps[0]["duration_s"] == pytest.approx(2.0, abs=0.25)


def test_no_media_fails_a_connected_call_at_no_media(make_sim, adb_server, tmp_path) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(faults={"no_media": True}))
    record, truth = _captured_call(sim, adb_server, tmp_path, 2.0)
    assert truth["bindingRequests"] >= 2 and not truth["bound"]
    media = record.extra["media"]
    assert media["verdict"] == "no_media" and media["stun_requests"] >= 2 and media["stun_responses"] == 0
    assert record.outcome is Outcome.FAILED and record.stage is Stage.NO_MEDIA
    assert "no RTP" in (record.error or "")


def test_no_root_says_why_and_the_call_still_runs(make_sim, adb_server, tmp_path) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(properties={"ro.debuggable": "0",
                                                                        "ro.build.type": "user"}))
    record = CallRecord(scenario="capture", serial=sim.devices[0].serial)
    with _session(sim, adb_server) as session:
        capture = session.service(CaptureService, config=DEVICE_CAPTURE, out_dir=tmp_path)
        result = capture.begin("noroot")
        assert not result.available and result.reason == "no_root"
        assert "ro.build.type=user" in (result.message or "") and "ro.debuggable=0" in (result.message or "")
        room = connect_call(sim)  # the call runs regardless
        assert media_state(sim)["call"] is not None
        hang_up(sim, room)
        finish_capture(capture, record)
    assert record.extra["capture"]["available"] is False and record.extra["capture"]["reason"] == "no_root"
    assert record.outcome is Outcome.PASSED and "media" not in record.extra
    assert list(tmp_path.glob("*.pcap")) == []


def test_no_tshark_no_dumpcap_say_why_and_the_call_is_still_recorded(make_sim, adb_server, tmp_path,
                                                                     monkeypatch) -> None:
    sim = make_sim(1, time_scale=0.2)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    adb_dir = str(Path(adb_server.adb_path).parent)
    record = CallRecord(scenario="capture", serial=sim.devices[0].serial)
    with _session(sim, adb_server) as session:
        capture = session.service(CaptureService, config=DEVICE_CAPTURE, out_dir=tmp_path)
        capture.begin("notshark")
        room = connect_call(sim)
        time.sleep(0.5)
        hang_up(sim, room)
        monkeypatch.setenv("PATH", f"{empty}{os.pathsep}{adb_dir}")
        finish_capture(capture, record)
        host = CaptureService(session, config=CaptureConfig(mode="host", interface="lo"), out_dir=tmp_path).start()
        result = host.begin("nodumpcap")
        assert not result.available and result.reason == "no_tool" and "dumpcap not found" in (result.message or "")
        host.stop()
    assert record.extra["capture"]["available"] is True
    assert "tshark not found" in record.extra["capture"]["analysis_error"]
    assert record.outcome is Outcome.PASSED


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("dumpcap") is None, reason="host capture needs root + dumpcap")
def test_host_capture_on_loopback_sees_the_same_call(make_sim, adb_server, tmp_path) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(faults={"media_loss_pct": 5}))
    port = sim.media_relay.port
    config = CaptureConfig(mode="host", interface="lo", filter=f"udp port {port}")
    record, _ = _captured_call(sim, adb_server, tmp_path, 4.0, config=config)
    media = record.extra["media"]
    assert record.extra["capture"]["clock"] == "host"
    assert media["direction_source"] == "stun"  # both ends are 127.0.0.1: the binding request names the device
    # on the wire between device and relay: the relay's 5 % downlink loss, and the device's full uplink
    assert media["received"]["loss_pct"] == pytest.approx(5.0, abs=1.0)
    assert media["sent"]["loss_pct"] == 0.0 and media["verdict"] == "media_both_ways"


def test_capture_table_is_validated() -> None:
    assert parse_capture({"mode": "device"}).interface == "any"
    assert parse_capture({"mode": "host", "interface": "br0", "device_ip": "10.0.0.5"}).device_ip == "10.0.0.5"
    with pytest.raises(ConfigError, match=r"capture\.mode"):
        parse_capture({"mode": "wifi"})
    with pytest.raises(ConfigError, match=r"capture\.interface"):
        parse_capture({"mode": "device", "interface": "any; reboot"})
    with pytest.raises(ConfigError, match=r"capture\.bogus"):
        parse_capture({"bogus": 1})
