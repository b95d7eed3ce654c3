"""The lab a test session runs in: one adb server and the devices on it, real or simulated.

With no serial named, the lab starts an isolated adb server and the simulator (the embedded default), with
``sim_phones`` simulated phones running WeChat for the phone-app caller;
with serials, it attaches to the user's adb server and those devices. Either way the rest of the harness
sees the same thing: an adb server port and a list of serials.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import adbutils

import simulator
from harness.device.adb_server import AdbServer
from harness.device.declared_kind import declared_time_scale, lab_time_scale
from harness.errors import LabError


@dataclass
class LabConfig:
    serials: list[str] = field(default_factory=list)
    adb_path: str | None = None
    adb_port: int | None = None
    sim_devices: int = 1
    sim_profile: str | simulator.DeviceProfile | None = None
    sim_base_port: int = 20000
    sim_time_scale: float = 1.0
    sim_phones: int = 0  # simulated phones running WeChat (the callers), beside the simulated devices
    sim_phone_profile: str | simulator.DeviceProfile | None = None  # their device profile (default wechat-phone)
    truth_dir: Path | None = None
    shared_adb: bool = False  # attach to the adb server at adb_port (another lab's) instead of owning one


def derive_profile(base: str | Path | simulator.DeviceProfile | None,
                   overrides: dict[str, dict[str, Any]]) -> simulator.DeviceProfile:
    """A device profile: ``base`` with tables overridden (``{"call": {"end_mode": "exit"}}``, ``{"clock":
    {"offset_s": 86400, "drift_ppm": 200}}``, ``{"device": {"serial_prefix": "WMPFEXIT"}}``). The WMPF tables
    are validated when the simulator installs WMPF, with the same errors as a profile file."""
    profile = base if isinstance(base, simulator.DeviceProfile) else simulator.load_profile(base)
    extra = {name: dict(table) for name, table in profile.extra.items()}
    changes: dict[str, Any] = {}
    for table, values in overrides.items():
        if table == "clock":
            changes.update({f"clock_{k}": float(v) for k, v in values.items()})
        elif table == "device":
            changes.update(values)
        else:
            extra.setdefault(table, {}).update(values)
    return dataclasses.replace(profile, extra=extra, **changes)


class Lab:
    def __init__(self, config: LabConfig) -> None:
        self.config = config
        self.simulator: simulator.Simulator | None = None
        self.adb = AdbServer(config.adb_port, config.adb_path, owned=not config.serials and not config.shared_adb)
        self.serials: list[str] = list(config.serials)
        self.phone_serials: list[str] = []  # the simulated phones' serials (callers), when simulated
        self.declared_scale: float | None = None  # named devices that declare themselves simulated (declared_kind)

    @property
    def simulated(self) -> bool:
        return self.simulator is not None or self.declared_scale is not None

    @property
    def time_scale(self) -> float:
        """How fast the devices' own timers run: the simulator's ``--sim-time-scale``, or what named simulated
        devices declare; 1 for hardware."""
        if self.simulator is not None:
            return self.config.sim_time_scale
        return self.declared_scale if self.declared_scale is not None else 1.0

    def start(self) -> Lab:
        self.adb.start()
        try:
            if not self.config.serials:
                self.simulator = simulator.Simulator(
                    self.config.sim_devices, profile=self.config.sim_profile,
                    base_port=self.config.sim_base_port, adb_path=self.adb.adb_path,
                    adb_server_port=self.adb.port, time_scale=self.config.sim_time_scale,
                    truth_dir=self.config.truth_dir, phones=self.config.sim_phones,
                    phone_profile=self.config.sim_phone_profile,
                ).start()
                self.serials = [d.serial for d in self.simulator.devices]
                self.phone_serials = [p.serial for p in self.simulator.phones]
            else:
                self.declared_scale = lab_time_scale(self._declared_scales())
        except BaseException:
            self.adb.stop()
            raise
        return self

    def _declared_scales(self) -> dict[str, float | None]:
        """What the named devices declare (a device not reachable now is left out: the run reports it)."""
        scales: dict[str, float | None] = {}
        for serial in self.serials:
            try:
                scales[serial] = declared_time_scale(self.client().device(serial))
            except (adbutils.AdbError, OSError):
                continue
        return scales

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        self.adb.stop()

    def variant(self, overrides: dict[str, dict[str, Any]], base: Path | str | None = None, *,
                truth_dir: Path | None = None) -> Lab:
        """Another simulated device on this lab's adb server: device profile ``base`` (default this lab's) with
        ``overrides``.

        For scenarios that need another kind of device (another end mode: its own device profile). Not
        started: use ``.start()`` and ``.stop()`` (the shared adb server stays up).
        """
        if self.simulator is None:
            raise LabError("device variants need the simulator; a real device is configured as it is")
        profile = derive_profile(base if base is not None else self.simulator.profile, overrides)
        return Lab(dataclasses.replace(
            self.config, serials=[], adb_port=self.adb.port, adb_path=self.adb.adb_path, sim_devices=1,
            sim_profile=profile, sim_base_port=self.config.sim_base_port + 50,
            sim_phones=min(self.config.sim_phones, 1),
            truth_dir=truth_dir or self.config.truth_dir, shared_adb=True))

    def client(self) -> adbutils.AdbClient:
        return self.adb.client()

    def device(self, serial: str | None = None) -> adbutils.AdbDevice:
        """An adbutils device on this lab's adb server; it must be online."""
        serial = serial or self.serials[0]
        states = {info.serial: info.state for info in self.client().list()}
        state = states.get(serial)
        if state != "device":
            raise LabError(
                f"device {serial} is {state or 'not connected'} on the adb server at port {self.adb.port}"
                f" (connected: {', '.join(f'{s} ({st})' for s, st in states.items()) or 'none'})")
        return self.client().device(serial)
