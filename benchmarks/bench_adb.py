"""adb-side benchmarks of the simulated device (issue: the simulated device behind the real adb protocol).

- shell round trip through adbutils, and the same request over a raw socket to the adb server;
- `adb push` throughput (4 MiB and 64 MiB) with the bundled adb;
- scale: the most devices one simulator process serves while every device runs shell calls at once;
- memory per idle device (RSS of a `wmpf-hil sim` process with N devices versus 1).

The simulator under test runs in its own process (`wmpf-hil sim`), so its CPU and memory are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import save, summary_ms

from harness.device.adb_server import AdbServer, free_server_port

BENCH_ADB_PORT = 16037
BENCH_DEVICE_PORT = 26000


class SimProcess:
    """`wmpf-hil sim --devices N` as a child process, stopped with SIGTERM."""

    def __init__(self, server: AdbServer, devices: int, base_port: int = BENCH_DEVICE_PORT) -> None:
        cmd = [sys.executable, "-m", "harness.cli", "sim", "--devices", str(devices), "--base-port", str(base_port),
               "--adb", server.adb_path, "--adb-port", str(server.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env)
        self.devices = []
        assert self.proc.stdout is not None
        for _ in range(devices):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"wmpf-hil sim failed: {self.proc.stderr.read() if self.proc.stderr else ''}")
            self.devices.append(json.loads(line))

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def raw_shell(port: int, serial: str, cmd: str) -> bytes:
    """One shell request straight over the adb host protocol (no client library overhead)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for request in (f"host:transport:{serial}", f"shell:{cmd}"):
            sock.sendall(f"{len(request):04x}{request}".encode())
            status = sock.recv(4)
            if status != b"OKAY":
                raise RuntimeError(f"adb server said {status!r} to {request}")
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


def bench_round_trips(server: AdbServer, rounds: int) -> dict:
    sim = SimProcess(server, 1)
    try:
        serial = sim.devices[0]["serial"]
        device = server.client().device(serial)
        for _ in range(10):
            device.shell("echo hi")
        lib = []
        for _ in range(rounds):
            t = time.perf_counter()
            device.shell("echo hi")
            lib.append(time.perf_counter() - t)
        raw = []
        for _ in range(rounds):
            t = time.perf_counter()
            assert raw_shell(server.port, serial, "echo hi") == b"hi\n"
            raw.append(time.perf_counter() - t)
        return {"adbutils_shell": summary_ms(lib), "raw_adb_server_shell": summary_ms(raw)}
    finally:
        sim.stop()


def bench_push(server: AdbServer) -> dict:
    sim = SimProcess(server, 1)
    figures = {}
    try:
        serial = sim.devices[0]["serial"]
        with tempfile.TemporaryDirectory() as tmp:
            for mib in (4, 64):
                src = Path(tmp) / f"blob{mib}"
                src.write_bytes(os.urandom(mib << 20))
                t = time.perf_counter()
                proc = server.adb("-s", serial, "push", str(src), f"/data/local/tmp/blob{mib}", timeout=300)
                elapsed = time.perf_counter() - t
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr)
                figures[f"adb_push_{mib}MiB_MBps"] = round(mib * 1.048576 / elapsed, 1)
                server.adb("-s", serial, "shell", f"rm /data/local/tmp/blob{mib}")
    finally:
        sim.stop()
    return figures


def bench_scale(server: AdbServer, counts: list[int], calls: int) -> dict:
    results = {}
    best = 0
    for n in counts:
        sim = SimProcess(server, n)
        try:
            client = server.client()
            errors: list[str] = []

            def work(info: dict, client=client, errors=errors) -> None:
                device = client.device(info["serial"])
                for i in range(calls):
                    try:
                        res = device.shell2(f"echo {i}")
                        if res.returncode != 0 or res.output.strip() != str(i):
                            errors.append(f"{info['serial']}: {res!r}")
                    except Exception as exc:
                        errors.append(f"{info['serial']}: {exc!r}")

            t = time.perf_counter()
            with ThreadPoolExecutor(max_workers=min(n, 64)) as pool:
                list(pool.map(work, sim.devices))
            elapsed = time.perf_counter() - t
            results[str(n)] = {"errors": len(errors), "calls": n * calls, "wall_s": round(elapsed, 2),
                               "calls_per_s": round(n * calls / elapsed, 1), "rss_mib": round(sim.rss_kib() / 1024, 1),
                               "first_error": errors[0] if errors else None}
            if not errors:
                best = n
        finally:
            sim.stop()
        server.adb("reconnect", "offline")
    return {"max_devices_without_errors": best, "by_count": results}


def bench_memory(server: AdbServer, n: int) -> dict:
    one = SimProcess(server, 1)
    try:
        time.sleep(1)
        rss1 = one.rss_kib()
    finally:
        one.stop()
    many = SimProcess(server, n, base_port=BENCH_DEVICE_PORT + 2000)
    try:
        time.sleep(1)
        rssn = many.rss_kib()
    finally:
        many.stop()
    return {"rss_1_device_mib": round(rss1 / 1024, 1), f"rss_{n}_devices_mib": round(rssn / 1024, 1),
            "kib_per_idle_device": round((rssn - rss1) / (n - 1), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--scale", default="64,128,256,512", help="device counts to try")
    parser.add_argument("--calls", type=int, default=5, help="shell calls per device in the scale test")
    parser.add_argument("--only", choices=["rtt", "push", "scale", "memory"], default=None)
    args = parser.parse_args()
    figures: dict = {}
    with AdbServer(free_server_port(BENCH_ADB_PORT)) as server:
        if args.only in (None, "rtt"):
            figures["round_trip"] = bench_round_trips(server, args.rounds)
        if args.only in (None, "push"):
            figures["push"] = bench_push(server)
        if args.only in (None, "memory"):
            figures["memory"] = bench_memory(server, 256)
        if args.only in (None, "scale"):
            figures["scale"] = bench_scale(server, [int(c) for c in args.scale.split(",")], args.calls)
    save("adb" if args.only is None else f"adb_{args.only}", figures)


if __name__ == "__main__":
    main()
