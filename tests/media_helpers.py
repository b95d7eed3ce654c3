"""Helpers for media/capture tests: simulator profiles with media faults, and a connected call."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import simulator
from harness.callers.phone import Phone
from simulator.media import media_of
from simulator.profile import DeviceProfile
from tests.testbed import place_call, profile_with


def media_profile(*, faults: dict[str, Any] | None = None, media: dict[str, Any] | None = None,
                  properties: dict[str, str] | None = None) -> DeviceProfile:
    tables: dict[str, dict[str, Any]] = {}
    if faults:
        tables["faults"] = faults
    if media:
        tables["media"] = media
    profile = profile_with(**tables)
    if properties:
        profile = dataclasses.replace(profile, properties={**profile.properties, **properties})
    return profile


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _tap(sim: simulator.Simulator, index: int, suffixes: tuple[str, ...]) -> bool:
    dev = sim.device(index)

    def tap() -> bool:
        screen = dev.android.screen
        for node in screen.tree().walk():
            if any(node.resource_id.endswith(s) for s in suffixes):
                return bool(screen.tap(*node.center))
        return False

    return sim.call(tap)


def connect_call(sim: simulator.Simulator, index: int = 0, room_type: str = "voice") -> str:
    """Place a call from the simulated phone, answer it on the device's screen, wait until it is connected."""
    info = sim.devices[index]
    assert info.phone is not None
    phone = Phone(info.phone)
    wait_for(lambda: any(d["sn"] == info.sn and d.get("activated") and d.get("pushToken") for d in phone.devices()),
             20, "device activated")
    room = place_call(phone, info.sn, room_type=room_type)
    wait_for(lambda: _tap(sim, index, (":id/answer", ":id/voip_answer")), 20, "the answer button")
    wait_for(lambda: phone.call_state(room)["state"] == "connected", 20, "call connected")
    return room


def hang_up(sim: simulator.Simulator, room: str, index: int = 0) -> None:
    info = sim.devices[index]
    assert info.phone is not None
    Phone(info.phone).hang_up(room)
    dev = sim.device(index)
    wait_for(lambda: sim.call(lambda: media_of(dev).call is None), 10, "media stopped")


def media_state(sim: simulator.Simulator, index: int = 0) -> dict[str, Any]:
    dev = sim.device(index)
    return sim.call(lambda: media_of(dev).describe())
