"""Ground truth: what really happened on each simulated device, written out of band.

The harness measures call timing through adb (logcat, uiautomator2). To check those measurements the
simulator records every modelled event in ``DIR/<serialno>.jsonl`` directly on the host, never through adb.
Each line carries the host wall and monotonic clocks and the device's own (offset, drifting) wall clock for
the same instant; the logcat line of the same event is stamped from the same ``host_mono_ns``, so the two
agree exactly once offset and drift are removed. Lines are flushed one by one so a crashed run still leaves
a readable file.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

from simulator.clock import DeviceClock

MEMORY_RECORDS = 10_000  # the latest, in memory per device for in-process readers (a few hundred calls); the file
# keeps everything. 100,000 made an in-process soak grow by ~0.8 MiB per 100 calls until some 3,000 calls.


class TruthRecorder:
    """One ground-truth directory for a whole simulator; hands out a :class:`DeviceTruth` per device."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._devices: dict[str, DeviceTruth] = {}
        self._lock = threading.Lock()

    def for_device(self, serialno: str, clock: DeviceClock) -> DeviceTruth:
        with self._lock:
            truth = self._devices.get(serialno)
            if truth is None:
                truth = DeviceTruth(self.directory / f"{serialno}.jsonl", clock)
                self._devices[serialno] = truth
            return truth

    def path_for(self, serialno: str) -> Path:
        return self.directory / f"{serialno}.jsonl"

    def close(self) -> None:
        with self._lock:
            for truth in self._devices.values():
                truth.close()

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        """All records of one device file (for tests and the harness's accuracy checks)."""
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


class DeviceTruth:
    """Appends records for one device; keeps them in memory as well for in-process tests."""

    def __init__(self, path: Path | None, clock: DeviceClock) -> None:
        self.path = path
        self.clock = clock
        self.records: deque[dict[str, Any]] = deque(maxlen=MEMORY_RECORDS)
        self._fh: IO[str] | None = None
        if path is not None:
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the device

    def record(self, event: str, room_id: str | None = None, *, host_mono_ns: int | None = None,
               **data: Any) -> dict[str, Any]:
        mono = time.monotonic_ns() if host_mono_ns is None else host_mono_ns
        # host wall time at the same instant: read both clocks now and shift by the (tiny) gap
        host_ns = time.time_ns() - (time.monotonic_ns() - mono)
        rec: dict[str, Any] = {
            "event": event,
            "room_id": room_id,
            "host_ns": host_ns,
            "host_mono_ns": mono,
            "device_ms": self.clock.wall_ns(mono) // 1_000_000,
        }
        rec.update({k: v for k, v in data.items() if v is not None})
        self.records.append(rec)
        if self._fh is not None:
            self._fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._fh.flush()
        return rec

    def events(self, room_id: str | None = None) -> list[str]:
        return [r["event"] for r in self.records if room_id is None or r["room_id"] == room_id]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
