"""Media analysis and live media cost (issue 5).

- Analysis time for a 10-minute video call capture (~2 Mbit/s both ways, written by the simulator's media code
  with 2 % loss, 5 ms jitter and one 3 s outage): the chosen path (tshark ``-T fields`` + Python statistics),
  tshark's own ``-z rtp,streams`` for reference, and pyshark per packet (``use_json=True``, its fastest mode).
  All three must agree on the packets and losses they see.
- Live media: the CPU one simulator process spends on N concurrent connected calls (real UDP through the
  relay, device and relay sides), ``--live-devices`` (default 64) voice or video calls for 10 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import save

from harness.analysis import analyze_pcap
from simulator.media.config import MediaConfig
from simulator.media.synth import synthesize_call


def bench_analysis(minutes: float, skip_pyshark: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video-10min.pcap"
        t0 = time.perf_counter()
        synth = synthesize_call(path, duration_s=minutes * 60, room_type="video", config=MediaConfig(video_kbps=2000),
                                loss_pct=2, jitter_ms=5, outages=[(120.0, 3.0)], seed=1)
        synth_s = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            fast = analyze_pcap(path, media_format="rtp")  # loss and jitter are RTP figures
            runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = subprocess.run(["tshark", "-r", str(path), "-q", "--enable-heuristic", "rtp_udp", "-z", "rtp,streams"],
                             capture_output=True, text=True, check=True).stdout
        streams_s = time.perf_counter() - t0
        figures = {
            "capture": {"minutes": minutes, "packets": synth.packets, "mbytes": round(path.stat().st_size / 1e6, 1),
                        "kbps_both_ways": round((fast.direction("sent")["kbps"] or 0)
                                                + (fast.direction("received")["kbps"] or 0), 1),
                        "synthesis_s": round(synth_s, 2)},
            "tshark_fields_s": {"median": round(statistics.median(runs), 2), "min": round(min(runs), 2)},
            "tshark_rtp_streams_s": round(streams_s, 2),
            "received_loss_pct": fast.direction("received")["loss_pct"],
            "tshark_rtp_streams_lost": sorted(int(n) for n in re.findall(r"\s(\d+) \([\d.]+%\)", out)),
            "gaps": [g["duration_s"] for g in fast.direction("received")["gaps"]],
        }
        if not skip_pyshark:
            from harness.analysis.pyshark_path import pyshark_analysis

            t0 = time.perf_counter()
            slow = pyshark_analysis(path)
            pyshark_s = time.perf_counter() - t0
            same = all(fast.direction(d)[k] == slow.direction(d)[k] for d in ("sent", "received")
                       for k in ("packets", "lost", "gaps"))
            figures["pyshark_json_per_packet_s"] = round(pyshark_s, 1)
            figures["pyshark_us_per_packet"] = round(pyshark_s / synth.packets * 1e6, 1)
            figures["speedup_fields_vs_pyshark"] = round(pyshark_s / statistics.median(runs), 1)
            figures["pyshark_agrees"] = same
        return figures


def bench_live(devices: int, room_type: str, seconds: float) -> dict:
    import simulator
    from simulator.media import media_of
    from simulator.wmpf import model_of

    with simulator.Simulator(devices, connect=False, base_port=26500) as sim:
        time.sleep(1.0)
        cpu0, t0 = os.times(), time.perf_counter()
        idle_cpu = None
        time.sleep(2.0)
        cpu1 = os.times()
        idle_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (time.perf_counter() - t0)
        for i in range(devices):
            dev = sim.device(i)
            sim.call(lambda dev=dev, i=i: media_of(dev).call_connected(f"bench{i}", room_type, model_of(dev).faults))
        time.sleep(1.0)
        cpu0, t0 = os.times(), time.perf_counter()
        time.sleep(seconds)
        cpu1, wall = os.times(), time.perf_counter() - t0
        devs = [sim.device(i) for i in range(devices)]
        states = [sim.call(lambda dev=dev: media_of(dev).describe()["call"]) for dev in devs]
        for dev in devs:
            sim.call(lambda dev=dev: media_of(dev).call_ended())
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
    received = sum(s["receivedRtp"] for s in states)
    sent = sum(s["sentRtp"] for s in states)
    return {"devices": devices, "room_type": room_type, "seconds": seconds, "bound": sum(s["bound"] for s in states),
            "cpu_cores_busy": round(cpu, 2), "idle_cpu_cores_busy": round(idle_cpu, 2),
            "device_packets_per_s": round((sent + received) / (seconds + 1.0)),
            "received_rtp_per_call_per_s": round(received / devices / (seconds + 1.0), 1)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--skip-pyshark", action="store_true")
    ap.add_argument("--live-devices", type=int, default=64)
    ap.add_argument("--live-seconds", type=float, default=10.0)
    ap.add_argument("--skip-live", action="store_true")
    args = ap.parse_args()
    figures = {"analysis_10min_video": bench_analysis(args.minutes, args.skip_pyshark)}
    if not args.skip_live:
        figures["live_voice"] = bench_live(args.live_devices, "voice", args.live_seconds)
        figures["live_video"] = bench_live(args.live_devices, "video", args.live_seconds)
    save("analysis", figures)
