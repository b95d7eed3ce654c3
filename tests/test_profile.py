"""Device profiles: the default loads, and every malformed profile is refused naming file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import ProfileError, load_profile
from simulator.profile import DEFAULT_PROFILE

GOOD = DEFAULT_PROFILE.read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dev.toml"
    path.write_text(text)
    return path


def test_default_profile_loads() -> None:
    profile = load_profile()
    assert profile.model == "WMPF Learning Tablet T10"
    assert profile.serial_for(3) == "WMPFSIM0003"
    assert profile.package("com.tencent.wmpf").version_code == 9020001
    assert (profile.screen_width, profile.screen_height) == (1200, 1920)


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("width = 1200", 'width = "wide"', "screen.width", "expected a valid integer, got str 'wide'"),
        ("width = 1200", "width = -5", "screen.width", "expected a positive number of pixels, got -5"),
        ('"ro.build.version.sdk" = "30"', '"ro.build.version.sdk" = "thirty"', "properties.ro.build.version.sdk",
         "expected an API level"),
        ('"ro.product.model" = "WMPF Learning Tablet T10"', '"ro.product.model" = "a;b"', "properties.ro.product.model",
         "without ';'"),
        ('"ro.product.model" = "WMPF Learning Tablet T10"', "", "properties.ro.product.model", "required but missing"),
        ("drift_ppm = 0.0", "drift_ppm = 50000", "clock.drift_ppm", "within ±10000"),
        ("drift_ppm = 0.0", "drift_ppm = true", "clock.drift_ppm", "got boolean"),
        ("boot_time_s = 38.0", "boot_tme_s = 38.0", "device.boot_tme_s", "unknown key"),
        ("shutdown_s = 4.0", "shutdown_s = -1", "device.shutdown_s", "between 0 and 120"),
        ('serial_prefix = "WMPFSIM"', 'serial_prefix = "WM PF"', "device.serial_prefix", "letters or digits"),
        ('name = "com.android.settings"', 'name = "com.tencent.wmpf"', "packages[2].name", "listed twice"),
        ("[clock]", "[clocks]", "clocks", "unknown key"),
        ("adb_auth = false", 'adb_auth = "yes"', "device.adb_auth", "expected a valid boolean, got str 'yes'"),
    ],
)
def test_malformed_profile_is_refused(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert message.startswith(f"{path}: key '{key}': "), message
    assert problem in message


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    text = GOOD.replace("width = 1200", "width = -5").replace("drift_ppm = 0.0", "drift_ppm = true")
    text = text.replace("boot_time_s = 38.0", "boot_tme_s = 38.0")
    path = write(tmp_path, text.replace('"ro.product.model" = "WMPF Learning Tablet T10"', ""))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    keys = [key for key, _ in info.value.problems]
    assert sorted(keys) == sorted(["device.boot_tme_s", "properties.ro.product.model", "screen.width",
                                   "clock.drift_ppm"])
    lines = str(info.value).splitlines()
    assert len(lines) == 4 and all(line.startswith(f"{path}: key '") for line in lines)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[device\nserial_prefix = 1")
    with pytest.raises(ProfileError, match=r"dev\.toml: key '<file>': not valid TOML"):
        load_profile(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"nope\.toml: key '<file>': cannot read the profile"):
        load_profile(tmp_path / "nope.toml")
