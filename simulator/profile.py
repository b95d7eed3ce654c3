"""Device profiles: what one simulated device model is, read from TOML in ``fixtures/devices/``.

A profile is validated completely when loaded, so a typo in a lab's fixture fails at start with the file,
the key and the problem, instead of as a strange device behaviour an hour into a run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "devices"
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
EXTENSION_TABLES = ("wmpf", "host_app", "timing", "faults", "media", "call")


class _Reader:
    """Pulls typed values out of a TOML table, naming file and dotted key in every error."""

    def __init__(self, path: str, table: dict[str, Any], prefix: str) -> None:
        self.path, self.table, self.prefix = path, table, prefix
        self.used: set[str] = set()

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, problem: str) -> ProfileError:
        return ProfileError(self.path, self._key(name), problem)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., *, check=None, hint: str = ""):
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                raise self.fail(name, "is required but missing")
            return default
        value = self.table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(name, f"expected {hint or kinds[0].__name__}, got boolean {value!r}")
        if not isinstance(value, kinds):
            raise self.fail(name, f"expected {hint or kinds[0].__name__}, got {type(value).__name__} {value!r}")
        if check is not None and not check(value):
            raise self.fail(name, f"expected {hint}, got {value!r}")
        return value

    def reject_unknown(self, allowed: tuple[str, ...] = ()) -> None:
        for name in self.table:
            if name not in self.used and name not in allowed:
                raise self.fail(name, "unknown key (check the spelling; see fixtures/devices/README.md)")


def load_profile(path: str | Path | None = None) -> DeviceProfile:
    """Read and validate a device profile; raise :class:`ProfileError` naming file, key and problem."""
    path = Path(path) if path is not None else DEFAULT_PROFILE
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(name, "<file>", f"cannot read the profile: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(name, "<file>", f"not UTF-8 text ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(name, "<file>", f"not valid TOML: {exc}") from exc
    return parse_profile(data, name)


def _positive(v: float) -> bool:
    return v > 0


def parse_profile(data: dict[str, Any], source: str = "<profile>") -> DeviceProfile:
    top = _Reader(source, data, "")
    device = _Reader(source, top.get("device", dict, hint="a table [device]"), "device.")
    serial_prefix = device.get(
        "serial_prefix", str, check=lambda s: s.isalnum() and 0 < len(s) <= 24,
        hint="1-24 letters or digits",
    )
    boot_time = float(device.get("boot_time_s", (int, float), 35.0, check=lambda v: 0 <= v <= 600,
                                 hint="seconds between 0 and 600"))
    shutdown = float(device.get("shutdown_s", (int, float), 4.0, check=lambda v: 0 <= v <= 120,
                                hint="seconds between 0 and 120"))
    adbd_restart = float(device.get("adbd_restart_s", (int, float), 0.5, check=lambda v: 0 <= v <= 30,
                                    hint="seconds between 0 and 30"))
    adb_auth = device.get("adb_auth", bool, False, hint="true or false")
    device.reject_unknown()

    props_table = top.get("properties", dict, hint="a table [properties]")
    properties: dict[str, str] = {}
    for key, value in props_table.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ProfileError(source, f"properties.{key}", f"expected a string, got {value!r}")
        properties[key] = str(value)
    for key in REQUIRED_PROPERTIES:
        if not properties.get(key):
            raise ProfileError(source, f"properties.{key}", "is required but missing")
    if not properties["ro.build.version.sdk"].isdigit():
        raise ProfileError(source, "properties.ro.build.version.sdk",
                           f"expected an API level such as 30, got {properties['ro.build.version.sdk']!r}")
    for key, value in properties.items():
        if key.startswith("ro.product.") and ("\n" in value or len(value) > 91 or any(c in value for c in ";=")):
            raise ProfileError(source, f"properties.{key}",
                               "must be one line of at most 91 characters without ';' or '=' "
                               "(it goes into the adb banner)")

    screen = _Reader(source, top.get("screen", dict, hint="a table [screen]"), "screen.")
    width = screen.get("width", int, check=_positive, hint="a positive number of pixels")
    height = screen.get("height", int, check=_positive, hint="a positive number of pixels")
    density = screen.get("density", int, 240, check=_positive, hint="a positive dpi")
    screen.reject_unknown()

    clock = _Reader(source, top.get("clock", dict, {}, hint="a table [clock]"), "clock.")
    offset = float(clock.get("offset_s", (int, float), 0.0))
    drift = float(clock.get("drift_ppm", (int, float), 0.0, check=lambda v: abs(v) <= 10_000,
                            hint="parts per million within ±10000"))
    clock.reject_unknown()

    packages: list[PackageSpec] = []
    raw_packages = top.get("packages", list, [], hint="an array of tables [[packages]]")
    seen: set[str] = set()
    for i, entry in enumerate(raw_packages):
        if not isinstance(entry, dict):
            raise ProfileError(source, f"packages[{i}]", "expected a table [[packages]]")
        pr = _Reader(source, entry, f"packages[{i}].")
        pkg_name = pr.get("name", str, check=lambda s: "." in s and " " not in s,
                          hint="a package name such as com.example.app")
        if pkg_name in seen:
            raise pr.fail("name", f"package {pkg_name!r} is listed twice")
        seen.add(pkg_name)
        packages.append(PackageSpec(
            name=pkg_name,
            version_code=pr.get("version_code", int, 1, check=_positive, hint="a positive integer"),
            version_name=pr.get("version_name", str, "1.0"),
            launcher_activity=pr.get("launcher_activity", str, None),
            uid=pr.get("uid", int, 10000 + i, check=lambda v: 1000 <= v < 100000,
                       hint="a uid between 1000 and 99999"),
            persistent=pr.get("persistent", bool, False, hint="true or false"),
        ))
        pr.reject_unknown()

    extra = {name: data[name] for name in EXTENSION_TABLES if name in data}
    top.reject_unknown(EXTENSION_TABLES)
    return DeviceProfile(
        source=source, serial_prefix=serial_prefix, boot_time_s=boot_time, properties=properties,
        screen_width=width, screen_height=height, screen_density=density, clock_offset_s=offset,
        clock_drift_ppm=drift, packages=tuple(packages), adb_auth=adb_auth, extra=extra,
        shutdown_s=shutdown, adbd_restart_s=adbd_restart,
    )
