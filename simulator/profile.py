"""Device profiles: what one simulated device model is, read from TOML in ``fixtures/devices/``.

A profile is validated completely when loaded, so a typo in a lab's fixture fails at start with the file,
the key and the problem, instead of as a strange device behaviour an hour into a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from simulator.config_schema import Invalid, Schema, check, load, validate

# A checkout's fixtures/devices, or in an installed wheel the same files shipped as harness/fixtures package data
# (a data directory beside this package, not an import of the harness).
_CHECKOUT = Path(__file__).resolve().parent.parent / "fixtures" / "devices"
_PACKAGED = Path(__file__).resolve().parent.parent / "harness" / "fixtures" / "devices"
FIXTURES_DIR = _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT
DEFAULT_PROFILE = FIXTURES_DIR / "wmpf-tablet.toml"

REQUIRED_PROPERTIES = (
    "ro.product.model",
    "ro.product.name",
    "ro.product.device",
    "ro.build.version.sdk",
    "ro.build.version.release",
)


@dataclass(frozen=True)
class PackageSpec:
    """An installed package: its name, version and (optional) launcher activity."""

    name: str
    version_code: int = 1
    version_name: str = "1.0"
    launcher_activity: str | None = None
    uid: int = 10000
    persistent: bool = False  # started at boot, like a system service or a kiosk's host app


@dataclass(frozen=True)
class DeviceProfile:
    """One device model. ``extra`` keeps the tables later layers (WMPF, timing, faults) own."""

    source: str
    serial_prefix: str
    boot_time_s: float
    properties: dict[str, str]
    screen_width: int
    screen_height: int
    screen_density: int
    clock_offset_s: float
    clock_drift_ppm: float
    packages: tuple[PackageSpec, ...]
    adb_auth: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    shutdown_s: float = 4.0  # adb reboot: how long the device stays up shutting down before the link drops
    adbd_restart_s: float = 0.5  # adb root/unroot: how long adbd is away while it restarts

    @property
    def model(self) -> str:
        return self.properties["ro.product.model"]

    def serial_for(self, index: int) -> str:
        """``ro.serialno`` of the ``index``-th device started from this profile."""
        return f"{self.serial_prefix}{index:04d}"

    def package(self, name: str) -> PackageSpec | None:
        return next((p for p in self.packages if p.name == name), None)


# Top-level tables owned by later layers; validated by their owners, kept verbatim here.
EXTENSION_TABLES = ("wmpf", "host_app", "timing", "faults", "media", "call", "field", "leak")

_LETTERS_OR_DIGITS = check(lambda s: s.isalnum() and 0 < len(s) <= 24, "1-24 letters or digits")
_POSITIVE_PIXELS = check(lambda v: v > 0, "a positive number of pixels")


class _Device(Schema):
    serial_prefix: Annotated[str, _LETTERS_OR_DIGITS]
    boot_time_s: Annotated[float, check(lambda v: 0 <= v <= 600, "seconds between 0 and 600")] = 35.0
    # adb reboot: how long the device stays up shutting down before the link drops
    shutdown_s: Annotated[float, check(lambda v: 0 <= v <= 120, "seconds between 0 and 120")] = 4.0
    # adb root/unroot: how long adbd is away while it restarts
    adbd_restart_s: Annotated[float, check(lambda v: 0 <= v <= 30, "seconds between 0 and 30")] = 0.5
    adb_auth: bool = False


class _Screen(Schema):
    width: Annotated[int, _POSITIVE_PIXELS]
    height: Annotated[int, _POSITIVE_PIXELS]
    density: Annotated[int, check(lambda v: v > 0, "a positive dpi")] = 240


class _Clock(Schema):
    offset_s: float = 0.0
    drift_ppm: Annotated[float, check(lambda v: abs(v) <= 10_000, "parts per million within ±10000")] = 0.0


class _Package(Schema):
    name: Annotated[str, check(lambda s: "." in s and " " not in s, "a package name such as com.example.app")]
    version_code: Annotated[int, check(lambda v: v > 0, "a positive integer")] = 1
    version_name: str = "1.0"
    launcher_activity: str | None = None
    uid: Annotated[int, check(lambda v: 1000 <= v < 100000, "a uid between 1000 and 99999")] | None = None
    persistent: bool = False


class _Profile(Schema):
    """The whole file. Callers get a :class:`DeviceProfile` dataclass built from it: the harness's lab copies
    profiles with :func:`dataclasses.replace`, and ``extra`` keeps the later layers' tables verbatim."""

    device: _Device
    properties: dict[str, Any]
    screen: _Screen
    clock: _Clock = _Clock()
    packages: list[_Package] = Field(default_factory=list)
    # the later layers' tables, checked by their owners (simulator.wmpf, simulator.media)
    wmpf: Any = None
    host_app: Any = None
    timing: Any = None
    faults: Any = None
    media: Any = None
    call: Any = None
    field: Any = None  # simulator.android.field: Doze, standby, screen, network behaviour
    leak: Any = None  # simulator.android.field: a leak per call, for the soak's gate

    @field_validator("properties", mode="after")
    @classmethod
    def _properties(cls, table: dict[str, Any]) -> dict[str, str]:
        problems: list[tuple[str, str]] = []
        properties: dict[str, str] = {}
        for key, value in table.items():
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                problems.append((key, f"expected a string, got {value!r}"))
            else:
                properties[key] = str(value)
        problems += [(key, "is required but missing") for key in REQUIRED_PROPERTIES
                     if key not in table or properties.get(key) == ""]
        sdk = properties.get("ro.build.version.sdk")
        if sdk and not sdk.isdigit():
            problems.append(("ro.build.version.sdk", f"expected an API level such as 30, got {sdk!r}"))
        problems += [(key, "must be one line of at most 91 characters without ';' or '=' (it goes into the adb banner)")
                     for key, value in properties.items()
                     if key.startswith("ro.product.") and ("\n" in value or len(value) > 91
                                                           or any(c in value for c in ";="))]
        if problems:
            raise Invalid(*problems)
        return properties

    @field_validator("packages", mode="after")
    @classmethod
    def _packages_once(cls, packages: list[_Package]) -> list[_Package]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, package in enumerate(packages):
            if package.name in seen:
                problems.append((f"[{i}].name", f"package {package.name!r} is listed twice"))
            seen.add(package.name)
        if problems:
            raise Invalid(*problems)
        return packages


def load_profile(path: str | Path | None = None) -> DeviceProfile:
    """Read and validate a device profile; raise :class:`ProfileError` naming file, key and problem."""
    path = Path(path) if path is not None else DEFAULT_PROFILE
    return _device_profile(load(path, _Profile), str(path))


def parse_profile(data: dict[str, Any], source: str = "<profile>") -> DeviceProfile:
    """A profile already parsed from TOML (``source`` names it in errors)."""
    return _device_profile(validate(data, _Profile, source), source)


def _device_profile(p: _Profile, source: str) -> DeviceProfile:
    return DeviceProfile(
        source=source, serial_prefix=p.device.serial_prefix, boot_time_s=p.device.boot_time_s,
        properties=dict(p.properties), screen_width=p.screen.width, screen_height=p.screen.height,
        screen_density=p.screen.density, clock_offset_s=p.clock.offset_s, clock_drift_ppm=p.clock.drift_ppm,
        packages=tuple(PackageSpec(name=pkg.name, version_code=pkg.version_code, version_name=pkg.version_name,
                                   launcher_activity=pkg.launcher_activity,
                                   uid=pkg.uid if pkg.uid is not None else 10000 + i, persistent=pkg.persistent)
                       for i, pkg in enumerate(p.packages)),
        adb_auth=p.device.adb_auth,
        extra={name: getattr(p, name) for name in EXTENSION_TABLES if name in p.model_fields_set},
        shutdown_s=p.device.shutdown_s, adbd_restart_s=p.device.adbd_restart_s,
    )
