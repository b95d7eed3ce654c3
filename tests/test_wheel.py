"""A lab's own repository: the built wheel (not this checkout) gives the plugin, the CLI and the fixtures.

The test copies what the wheel is built from (pyproject.toml, setup.py, README, harness/, simulator/, fixtures/)
to a temporary directory, builds the wheel there with ``pip wheel --no-deps --no-build-isolation`` (the dev
environment's setuptools, no network), installs it into a fresh virtual environment, and runs a scenario kept in a
directory outside this repository with the lab's own app profile against the simulator.

The fresh environment gets the wheel only; its third-party dependencies (pytest, adbutils, ...) are made visible
from this environment's site-packages by one ``.pth`` line instead of being downloaded, so the test needs no
network. That line does not process the dev environment's own ``.pth`` files, so the editable install of this
checkout stays invisible: the test asserts that ``harness`` and its fixtures are imported from the fresh env.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from harness.device.adb_server import free_server_port

ROOT = Path(__file__).resolve().parents[1]
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))
SOURCES = ("pyproject.toml", "setup.py", "README.md", "harness", "simulator", "fixtures")

LAB_SCENARIO = '''
"""A lab's own scenario: written against the plugin's fixtures, kept in the lab's repository."""
import pytest

from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario


def test_our_call(call):
    record = call.run(answer="tap", hang_up="device")
    assert record.outcome is Outcome.PASSED, record.error
    assert record.extra["host"] == "lab-host-1"
'''


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("wmpf_hil-*.whl")
    return wheel


def test_wheel_installs_and_runs_a_lab_scenario_outside_the_repository(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                          "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "wmpf_hil_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    where = subprocess.run([str(python), "-c", "import harness, simulator.profile as p; "
                            "from harness.config.locations import FIXTURES_DIR as f; "
                            "print(harness.__file__); print(f); print(p.DEFAULT_PROFILE)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    harness_file, fixtures, device_profile = where.stdout.split()
    for path in (harness_file, fixtures, device_profile):
        assert Path(path).is_relative_to(env_dir) and Path(path).exists(), path
    assert Path(fixtures, "gates", "default.toml").is_file() and Path(fixtures, "apps", "default.toml").is_file()

    cli = subprocess.run([str(env_dir / "bin" / "wmpf-hil"), "lab", "check", str(Path(fixtures) / "labs" /
                          "example.toml")], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr

    lab = tmp_path / "our-lab"  # the lab's repository: its own scenarios and its own app profile
    (lab / "scenarios").mkdir(parents=True)
    (lab / "scenarios" / "test_our_call.py").write_text(LAB_SCENARIO)
    (lab / "profiles").mkdir()
    profile = (Path(fixtures) / "apps" / "default.toml").read_text()
    (lab / "profiles" / "our-app.toml").write_text(profile)
    run = subprocess.run([str(python), "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q",
                          "--app-profile", "profiles/our-app.toml", "--sim-time-scale", "0.1", "--run-dir", "run",
                          "--host-label", "lab-host-1", "--adb-port", str(free_server_port(ADB_PORT + 600)),
                          "--sim-base-port", str(DEVICE_PORT + 8000)],
                         capture_output=True, text=True, timeout=300, cwd=lab)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
    assert (lab / "run" / "results.jsonl").is_file() and (lab / "run" / "report.html").is_file()
    assert (lab / "history.sqlite").is_file()  # the history's default: beside the run directory
