"""Fidelity: packages as PackageManager handles them — adb install (streamed and push), install -r,
downgrades, uninstall, pm path/list/dump, instrumentation — with a built APK and uiautomator2's real APK."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.device.adb_server import AdbServer
from simulator.android.apk import Element, build_apk
from tests import apk_builder
from tests.conftest import SimFactory
from tests.fidelity_helpers import U2_APK, Cli, make_apk

PKG = "com.example.fidelity"


@pytest.fixture(scope="module", params=["adb36", "adb29"])
def cli(request: pytest.FixtureRequest, adb_server: AdbServer, make_module_sim: SimFactory) -> Iterator[Cli]:
    server = request.getfixturevalue("adb29_server") if request.param == "adb29" else adb_server
    running = make_module_sim(1, adb_path=server.adb_path, adb_server_port=server.port, time_scale=0.05)
    yield Cli(request.param, server, running)
    running.stop()


def _clean(cli: Cli, package: str = PKG) -> None:
    cli.adb("uninstall", package)


def test_streamed_install_then_pm_sees_it(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    apk = make_apk(tmp_path)
    result = cli.adb("install", str(apk))
    assert result.returncode == 0, result.stderr
    assert "Performing Streamed Install" in result.stdout
    assert result.stdout.rstrip().endswith("Success")
    assert f"package:{PKG}\n" in cli.shell("pm list packages")
    assert f"package:{PKG} versionCode:3" in cli.shell(f"pm list packages --show-versioncode {PKG}")
    assert f"package:{PKG}" in cli.shell("pm list packages -3")
    assert PKG not in cli.shell("pm list packages -s")
    dump = cli.shell(f"dumpsys package {PKG}")
    assert "versionCode=3 minSdk=24 targetSdk=30" in dump
    assert "versionName=1.3" in dump


def test_pm_path_exists_and_pulls_the_same_bytes(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    apk = make_apk(tmp_path)
    assert cli.adb("install", "-r", str(apk)).returncode == 0
    path = cli.shell(f"pm path {PKG}").strip()
    assert path.startswith("package:/data/app/") and path.endswith("/base.apk")
    pulled = tmp_path / "pulled.apk"
    assert cli.adb("pull", path[len("package:"):], str(pulled)).returncode == 0
    assert hashlib.sha256(pulled.read_bytes()).digest() == hashlib.sha256(apk.read_bytes()).digest()
    # A factory package's path exists too, and is an APK of that package.
    wmpf_path = cli.shell("pm path com.tencent.wmpf").strip()[len("package:"):]
    assert cli.shell(f"ls {wmpf_path}") == wmpf_path + "\n"
    assert cli.shell("pm list packages -f com.tencent.wmpf") == f"package:{wmpf_path}=com.tencent.wmpf\n"


def test_update_downgrade_and_push_install(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    assert cli.adb("install", str(make_apk(tmp_path, version_code=5, version_name="1.5"))).returncode == 0
    newer = make_apk(tmp_path, version_code=6, version_name="1.6", name="newer.apk")
    update = cli.adb("install", "-r", str(newer))
    assert update.returncode == 0, update.stderr
    assert "versionName=1.6" in cli.shell(f"dumpsys package {PKG}")
    older = make_apk(tmp_path, version_code=4, version_name="1.4", name="older.apk")
    refused = cli.adb("install", str(older))
    assert refused.returncode != 0
    assert "INSTALL_FAILED_VERSION_DOWNGRADE" in refused.stdout + refused.stderr
    assert cli.adb("install", "-r", "-d", str(older)).returncode == 0
    pushed = cli.adb("install", "--no-streaming", str(newer))
    assert pushed.returncode == 0, pushed.stderr
    assert "Performing Push Install" in pushed.stdout and "Success" in pushed.stdout
    assert cli.shell("ls /data/local/tmp/newer.apk 2>&1").endswith("No such file or directory\n")  # cleaned


def test_unsigned_and_broken_apks_are_refused(cli: Cli, tmp_path: Path) -> None:
    unsigned = cli.adb("install", str(make_apk(tmp_path, signed=False, name="unsigned.apk")))
    assert unsigned.returncode != 0 and "INSTALL_PARSE_FAILED_NO_CERTIFICATES" in unsigned.stdout + unsigned.stderr
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"not a zip at all")
    broken = cli.adb("install", str(junk))
    assert broken.returncode != 0 and "INSTALL_PARSE_FAILED_NOT_APK" in broken.stdout + broken.stderr


def test_uninstall(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    assert cli.adb("install", "-r", str(make_apk(tmp_path))).returncode == 0
    path = cli.shell(f"pm path {PKG}").strip()[len("package:"):]
    result = cli.adb("uninstall", PKG)
    assert (result.returncode, result.stdout) == (0, "Success\n")
    assert PKG not in cli.shell("pm list packages")
    assert cli.adb("shell", f"pm path {PKG}").returncode == 1
    assert "No such file" in cli.adb("shell", f"ls {path}").stderr
    again = cli.adb("uninstall", PKG)
    assert "Failure [DELETE_FAILED_INTERNAL_ERROR]" in again.stdout + again.stderr
    system = cli.adb("shell", "pm uninstall com.android.settings")
    assert system.stdout == "Failure [DELETE_FAILED_INTERNAL_ERROR]\n"


def test_instrumentation_is_listed_but_not_run(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    assert cli.adb("install", "-r", str(make_apk(tmp_path))).returncode == 0
    listed = cli.shell("pm list instrumentation")
    assert f"instrumentation:{PKG}/.test.Runner (target={PKG})\n" in listed
    assert cli.shell(f"pm list instrumentation {PKG}") == f"instrumentation:{PKG}/.test.Runner (target={PKG})\n"
    run = cli.adb("shell", f"am instrument -w {PKG}/.test.Runner")
    assert run.returncode != 0
    assert "INSTRUMENTATION_STATUS: Error=Not supported: the simulated device cannot run APK code" in run.stdout
    assert f"INSTRUMENTATION_FAILED: {PKG}/.test.Runner" in run.stderr
    missing = cli.adb("shell", "am instrument -w com.nope/.Runner")
    assert "Unable to find instrumentation info for: ComponentInfo{com.nope/.Runner}" in missing.stdout


def test_real_uiautomator2_apk(cli: Cli) -> None:
    result = cli.adb("install", "-r", str(U2_APK))
    assert result.returncode == 0, result.stderr
    assert "versionName=2.4.0" in cli.shell("dumpsys package com.github.uiautomator")
    assert "com.github.uiautomator/.AdbKeyboard\n" in cli.shell("ime list -s -a")


def test_adbutils_install_and_uninstall(cli: Cli, tmp_path: Path) -> None:
    device = cli.server.client().device(cli.serial)
    device.uninstall(PKG)
    device.install(str(make_apk(tmp_path)), nolaunch=True, silent=True)
    assert PKG in device.list_packages()
    assert device.app_info(PKG).version_name == "1.3"
    device.uninstall(PKG)
    assert PKG not in device.list_packages()


def test_apk_with_utf8_manifest_and_v2_signing_block(cli: Cli, tmp_path: Path) -> None:
    """An APK laid out like aapt2 + apksigner make them (UTF-8 string pool, names only in the resource map,
    APK Signing Block), written by an encoder independent of the simulator's."""
    package = "com.example.utf8"
    cli.adb("uninstall", package)
    path = tmp_path / "utf8.apk"
    path.write_bytes(apk_builder.apk(package, 12, "1.2-beta"))
    result = cli.adb("install", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    dump = cli.shell(f"dumpsys package {package}")
    assert "versionCode=12 minSdk=21 targetSdk=33" in dump and "versionName=1.2-beta" in dump
    launched = cli.adb("shell", f"monkey -p {package} -c android.intent.category.LAUNCHER 1")
    assert launched.returncode == 0 and "Events injected: 1" in launched.stdout
    assert f"{package}/.Main" in cli.shell("dumpsys activity top")  # a plain window: its code does not run
    assert cli.adb("uninstall", package).stdout == "Success\n"


def test_install_multiple_with_a_split(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    base = make_apk(tmp_path, with_instrumentation=False, name="base.apk")
    split = tmp_path / "split_config.xxhdpi.apk"
    split.write_bytes(build_apk(Element("manifest", {"package": PKG, "split": "config.xxhdpi", "versionCode": 3})))
    result = cli.adb("install-multiple", str(base), str(split))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
    paths = cli.shell(f"pm path {PKG}").splitlines()
    assert len(paths) == 2 and paths[0].endswith("/base.apk") and paths[1].endswith("/split_config.xxhdpi.apk")
    lone_split = cli.adb("install-multiple", str(split))
    assert lone_split.returncode != 0 and "INSTALL_FAILED_INVALID_APK" in lone_split.stdout + lone_split.stderr


def test_disable_user_and_enable(cli: Cli, tmp_path: Path) -> None:
    _clean(cli)
    assert cli.adb("install", str(make_apk(tmp_path))).returncode == 0
    assert cli.shell(f"pm disable-user --user 0 {PKG}") == f"Package {PKG} new state: disabled-user\n"
    assert cli.shell("pm list packages -d") == f"package:{PKG}\n"
    assert PKG not in cli.shell("pm list packages -e")
    assert cli.shell(f"pm enable {PKG}") == f"Package {PKG} new state: enabled\n"
    assert cli.shell("pm list packages -d") == ""
