"""The lab inventory (``LAB.toml``): which hosts a farm has and what each drives.

One file per lab, kept in the lab's own repository: every host (a CI runner, chosen by its runner labels), and per
host the devices under test (serial, model, app profile) and the phones that call them (serial, caller profile).
``wmpf-hil lab check`` validates it, ``wmpf-hil lab plan --shards N`` turns it into the shard plan a CI matrix
runs. Read through :mod:`harness.config.schema` (strict tables, every problem in one pass); the checks that
need more than one table (unique hosts and serials) are validators naming their key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from harness.config.schema import Schema, load
from harness.errors import ConfigError

Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Serial = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s;'\"`$\\]+$")]


class LabFileError(ConfigError):
    """The lab inventory is invalid (names the file, the key and the problem)."""


class DeviceEntry(Schema):
    serial: Serial
    model: str = Field(min_length=1)
    app_profile: str | None = None  # a name in fixtures/apps or a path (relative to the lab file); default: host's


class PhoneEntry(Schema):
    serial: Serial
    caller_profile: str = Field(min_length=1)  # a name in fixtures/callers or a path


class HostEntry(Schema):
    name: Name
    runner_labels: list[str] = Field(default_factory=list)  # the CI runner's labels (runs-on / tags)
    app_profile: str | None = None
    phone_url: str | None = None  # the phone bot API of this host, when calls are placed through one
    devices: list[DeviceEntry] = Field(min_length=1)
    phones: list[PhoneEntry] = Field(default_factory=list)


class LabMeta(Schema):
    name: Name
    scenarios: str = "scenarios"  # where the suite is, relative to the lab repository's root
    app_profile: str = "default"


class LabFile(Schema):
    lab: LabMeta
    hosts: list[HostEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> LabFile:
        hosts: set[str] = set()
        serials: dict[str, str] = {}
        for i, host in enumerate(self.hosts):
            if host.name in hosts:
                raise ValueError(f"hosts[{i}].name: host {host.name!r} is listed twice")
            hosts.add(host.name)
            for kind, entries in (("devices", host.devices), ("phones", host.phones)):
                for j, entry in enumerate(entries):
                    where = f"hosts[{i}].{kind}[{j}].serial"
                    if entry.serial in serials:
                        raise ValueError(f"{where}: serial {entry.serial!r} is also {serials[entry.serial]}")
                    serials[entry.serial] = where
        return self

    def app_profile_of(self, host: HostEntry, device: DeviceEntry) -> str:
        return device.app_profile or host.app_profile or self.lab.app_profile


def load_lab(path: str | Path) -> LabFile:
    return load(path, LabFile, LabFileError)


def resolve_profile(name: str, lab_path: Path, directory: Path, suffix: str = ".toml") -> Path:
    """A profile named in the lab file: a path (relative to the lab file) or a name in ``directory``."""
    given = Path(name)
    if given.suffix == suffix or "/" in name:
        return given if given.is_absolute() else (lab_path.parent / given)
    return directory / f"{name}{suffix}"
