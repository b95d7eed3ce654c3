"""An in-process test bed: N simulated devices with WMPF and the phone backend on one event loop.

For tests and benchmarks that do not need adb: ``async with TestBed(n, time_scale=0.02) as bed`` boots the
devices, waits until each is ready for calls (WMPF activated, push listener bound) and serves the phone API.
``bed.client`` is the harness's own phone client (:class:`harness.callers.phone.Phone`), so the simulator's phone is
tested through the code that drives it in real runs. It blocks: call it through ``bed.run(...)`` (a worker
thread) from async code. A test helper, not part of the simulator (which never imports the harness).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from harness.callers.bot import PhoneInjector
from harness.callers.phone import Phone
from simulator.device import SimDevice
from simulator.phone.backend import PhoneBackend
from simulator.profile import DeviceProfile, load_profile
from simulator.wmpf import TruthRecorder, WmpfDevice, install

T = TypeVar("T")


def place_call(phone: Phone, sn: str, *, room_type: str = "video", nick_name: str = "Alice",
               env_version: str = "release", custom_query: str = "", **sim: Any) -> str:
    """``callWMPF`` to device ``sn`` with its current token (as the harness places calls); the roomId.

    ``sim`` keys set how the caller behaves in this call (``POST /control/caller``): ``callerJoins``,
    ``hangUpAfterS``, ``cancelAfterS``.
    """
    if sim:
        phone.request("POST", "/control/caller", {"sn": sn, **sim})
    try:
        placement = PhoneInjector(phone, sn).call(room_type=room_type, caller_name=nick_name,
                                                  env_version=env_version, custom_query=custom_query or None)
    finally:
        if sim:
            phone.request("POST", "/control/caller", {"sn": sn})
    assert placement.room_id is not None
    return placement.room_id


def collapse_calling(names: list[str]) -> list[str]:
    """Collapse each run of the 1 Hz ``calling`` event to one entry, so event sequences read like the docs."""
    out: list[str] = []
    for name in names:
        if not (name == "calling" and out and out[-1] == "calling"):
            out.append(name)
    return out


def profile_with(base: DeviceProfile | None = None, *, clock_offset_s: float | None = None,
                 clock_drift_ppm: float | None = None, **tables: dict[str, Any]) -> DeviceProfile:
    """A copy of ``base`` (default: the default profile) with extension tables merged key by key."""
    profile = base or load_profile()
    extra = {k: dict(v) if isinstance(v, dict) else v for k, v in profile.extra.items()}
    for name, values in tables.items():
        extra.setdefault(name, {}).update(values)
    changes: dict[str, Any] = {"extra": extra}
    if clock_offset_s is not None:
        changes["clock_offset_s"] = clock_offset_s
    if clock_drift_ppm is not None:
        changes["clock_drift_ppm"] = clock_drift_ppm
    return dataclasses.replace(profile, **changes)


class TestBed:
    __test__ = False  # not a pytest class

    def __init__(self, devices: int = 1, *, profile: DeviceProfile | None = None, time_scale: float = 0.02,
                 truth_dir: str | Path | None = None, ready_timeout: float = 10.0,
                 wait_ready: bool = True) -> None:
        self.profile = profile or load_profile()
        self.count = devices
        self.time_scale = time_scale
        self.truth = TruthRecorder(truth_dir) if truth_dir is not None else None
        self.ready_timeout = ready_timeout
        self.wait_ready = wait_ready
        self.devices: list[SimDevice] = []
        self.models: list[WmpfDevice] = []
        self.backend: PhoneBackend | None = None
        self.client: Phone | None = None
        self.url = ""

    async def __aenter__(self) -> TestBed:
        for i in range(self.count):
            device = SimDevice(self.profile, i, time_scale=self.time_scale)
            self.models.append(install(device, self.truth))
            self.devices.append(device)
            device.boot()
        self.backend = PhoneBackend(self.devices, self.truth)
        self.url = await self.backend.start()
        self.client = Phone(self.url)
        if self.wait_ready:
            await self.until(lambda: all(self.ready(m) for m in self.models), self.ready_timeout, "devices ready")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.backend is not None:
            await self.backend.stop()
        for device in self.devices:
            device.shutdown()
        if self.truth is not None:
            self.truth.close()

    @staticmethod
    def ready(model: WmpfDevice) -> bool:
        svc = model.service
        return svc.running and svc.activated and (svc.v2_listener or svc.legacy_callback) is not None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call (the HTTP client) off the loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    @staticmethod
    async def until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition",
                    interval: float = 0.01) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(interval)

    # -- conveniences ------------------------------------------------------------------------------------
    async def call(self, index: int = 0, **kwargs: Any) -> str:
        assert self.client is not None
        return await self.run(place_call, self.client, self.devices[index].serialno, **kwargs)

    def click(self, index: int, resource_suffix: str) -> bool:
        """Tap the node whose resource id ends with ``resource_suffix`` (e.g. ``":id/answer"``)."""
        screen = self.devices[index].android.screen
        for node in screen.tree().walk():
            if node.resource_id.endswith(resource_suffix):
                return screen.tap(*node.center)
        return False

    def has_node(self, index: int, resource_suffix: str) -> bool:
        return any(n.resource_id.endswith(resource_suffix) for n in self.devices[index].android.screen.tree().walk())

    def voip_events(self, index: int, room_id: str | None = None) -> list[str]:
        """``onVoipEvent`` names from the device's logcat (optionally for one room; None keeps callPageOnShow)."""
        names = []
        for entry in self.devices[index].logcat.entries():
            if entry.tag == "WMPF.VoipPlugin" and entry.message.startswith("onVoipEvent "):
                event = json.loads(entry.message[len("onVoipEvent "):])
                if room_id is None or event.get("roomId") in (room_id, None):
                    names.append(event["eventName"])
        return names

    def truth_events(self, index: int, room_id: str | None = None) -> list[str]:
        return self.models[index].truth.events(room_id)
