"""The fuzz suite's throughput: inputs per second of each fuzz test, its slowest input, and the suite's wall time.

Runs ``pytest tests -m fuzz`` (the full counts, as CI runs them) with ``WMPF_HIL_FUZZ_STATS`` pointing at a
scratch file where each test appends its tally (``tests/fuzz_support.py``), then sums the push payloads of the
broadcast and phone paths (the ≥ 10,000 the suite promises) and writes ``benchmarks/results/fuzz.json``.
``CI=1`` is set so the inputs are the derandomized ones CI feeds. Ports: ``WMPF_HIL_TEST_ADB_PORT`` /
``WMPF_HIL_TEST_DEVICE_PORT`` as for the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import save

ROOT = Path(__file__).resolve().parents[1]
PUSH_TESTS = ("broadcast", "phone")


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        stats_file = Path(scratch) / "fuzz.jsonl"
        env = dict(os.environ, WMPF_HIL_FUZZ_STATS=str(stats_file), CI="1")
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "tests", "-m", "fuzz", "-q", "-p", "no:cacheprovider"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        print(proc.stdout[-600:])
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        tests = [json.loads(line) for line in stats_file.read_text().splitlines()]
    push = [t for t in tests if t["test"] in PUSH_TESTS]
    push_inputs = sum(t["inputs"] for t in push)
    push_seconds = sum(t["seconds"] for t in push)
    slowest_push = max(push, key=lambda t: t["slowest_ms"])
    figures = {
        "suite_wall_s": round(wall, 1),
        "push_payloads": push_inputs,
        "push_payloads_per_s": round(push_inputs / push_seconds, 1),
        "slowest_push": {"test": slowest_push["test"], "ms": slowest_push["slowest_ms"],
                         "input": slowest_push["slowest_input"]},
        "all_inputs": sum(t["inputs"] for t in tests),
        "tests": {t["test"]: {k: t[k] for k in ("inputs", "seconds", "per_second", "outcomes", "slowest_ms",
                                                "slowest_input")} for t in tests},
    }
    print(f"{'test':24} {'inputs':>7} {'s':>6} {'per s':>7} {'slowest ms':>10}")
    for t in tests:
        print(f"{t['test']:24} {t['inputs']:>7} {t['seconds']:>6} {t['per_second']:>7} {t['slowest_ms']:>10}")
    save("fuzz", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
