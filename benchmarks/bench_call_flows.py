"""64 simulated devices each completing a call flow at the same time, in one process.

Every device: boot → WMPF activation → ``POST /callWMPF`` on the phone backend → push delivery → the host
app's incoming screen → Answer tapped on the screen model → hangOnVoip/startVoip → ``calling`` every
(scaled) second → the caller hangs up → endVoip → finishVoip → the page goes to the background. Reports
wall time for the whole flow, CPU time, peak RSS, and whether every device produced the full sequence.

    python benchmarks/bench_call_flows.py [--devices 64] [--time-scale 0.05] [--talk-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import save, summary_ms

from tests.testbed import TestBed, collapse_calling

EXPECTED = ["callPageOnShow", "hangOnVoip", "startVoip", "calling", "hangUpVoip", "endVoip", "finishVoip"]


def expected_events(talk_s: float) -> list[str]:
    """``calling`` comes once a second of talk: a call shorter than a second has none."""
    return EXPECTED if talk_s >= 1.0 else [e for e in EXPECTED if e != "calling"]


async def one_flow(bed: TestBed, i: int, talk_s: float) -> float:
    start = time.monotonic()
    room = await bed.call(i, nick_name=f"Caller{i}", hangUpAfterS=talk_s)
    await bed.until(lambda: bed.has_node(i, "wmpfhost:id/answer"), 60, f"device {i} ringing", interval=0.02)
    bed.click(i, "wmpfhost:id/answer")
    await bed.until(lambda: "finishVoip" in bed.voip_events(i, room), 120, f"device {i} finishVoip", interval=0.05)
    return time.monotonic() - start


async def main(devices: int, time_scale: float, talk_s: float) -> dict[str, object]:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, cpu0 = time.monotonic(), time.process_time()
    async with TestBed(devices, time_scale=time_scale, ready_timeout=120) as bed:
        t_ready, cpu_ready = time.monotonic(), time.process_time()
        durations = await asyncio.gather(*(one_flow(bed, i, talk_s) for i in range(devices)))
        t_done, cpu_done = time.monotonic(), time.process_time()
        want = expected_events(talk_s)
        complete = sum(collapse_calling(bed.voip_events(i))[-len(want):] == want for i in range(devices))
        callings = [bed.voip_events(i).count("calling") for i in range(devices)]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    flow_wall = t_done - t_ready
    return {
        "devices": devices, "time_scale": time_scale, "talk_s_simulated": talk_s,
        "boot_to_ready_wall_s": round(t_ready - t0, 3), "boot_to_ready_cpu_s": round(cpu_ready - cpu0, 3),
        "flows_wall_s": round(flow_wall, 3), "flows_cpu_s": round(cpu_done - cpu_ready, 3),
        "flows_cpu_share": round((cpu_done - cpu_ready) / flow_wall, 3),
        "ideal_flow_s": round((0.3 + 0.15 + 0.6 + 0.8 + 0.7 + talk_s + 0.5) * time_scale, 3),
        "per_device_flow": summary_ms(list(durations)),
        "complete_sequences": f"{complete}/{devices}",
        "calling_events_min_max": [min(callings), max(callings)],
        "peak_rss_mib": round(rss / 1024, 1), "rss_growth_mib": round((rss - rss0) / 1024, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=64)
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--talk-s", type=float, default=10.0)
    args = parser.parse_args()
    figures = asyncio.run(main(args.devices, args.time_scale, args.talk_s))
    save(f"call_flows_{args.devices}x_scale{args.time_scale:g}", figures)
    if figures["complete_sequences"] != f"{args.devices}/{args.devices}":
        sys.exit(1)
