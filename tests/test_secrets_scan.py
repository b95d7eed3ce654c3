"""A real scenario run leaks no secret into its run directory: no pushToken, no adb private key, anywhere.

A child ``pytest scenarios`` run on the simulator places calls through the phone (whose ``callWMPF`` body carries
the device's pushToken) and the broadcast route, with DEBUG logging into JUnit, per-call pcaps, screenshots and
the pytest-html report. Its adb server gets a fresh ``HOME``, so the adb key it generates is known. Then every
file under the run directory — text or binary: results.jsonl, junit.xml, report.html (and the images inlined in
it as base64), pcaps, PNG screenshots with their metadata, the simulator's ground truth — and every file name is
searched for each pushToken the run used (``tests/support/token_spy.py`` notes them), for each line of both adb
private keys (this run's and the test session's server's) and for any PEM private-key header.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from harness.device.adb_server import AdbServer, free_server_port
from tests.conftest import ADB_PORT, DEVICE_PORT

ROOT = Path(__file__).resolve().parents[1]
# the phone route (pushToken in the request), the broadcast route with hostile caller names, a failed call
# (logcat and a screenshot kept as evidence)
SCENARIOS = "answered_by_tap or (caller_name and (shell or chinese)) or device_declines"
PEM_HEADERS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----", b"PRIVATE KEY-----")
DATA_URI = re.compile(rb"data:[a-z/+.-]+;base64,([A-Za-z0-9+/=]+)")


def key_lines(home: Path) -> list[bytes]:
    """The base64 lines of the adb private key under ``home`` (each one alone would be a leak)."""
    key = (home / ".android" / "adbkey").read_bytes()
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----"), key[:40]
    return [line for line in key.splitlines() if line and not line.startswith(b"-----")]


def secrets_in(data: bytes, secrets: dict[str, bytes], depth: int = 0) -> list[str]:
    """Names of the secrets found in ``data``, also inside base64 data URIs (images inlined in HTML)."""
    found = [name for name, secret in secrets.items() if secret in data]
    found += [f"PEM header {h.decode()}" for h in PEM_HEADERS if h in data]
    if depth == 0:
        for match in DATA_URI.finditer(data):
            try:
                inner = base64.b64decode(match.group(1), validate=False)
            except ValueError:
                continue
            found += [f"{name} (inside a data URI)" for name in secrets_in(inner, secrets, depth + 1)]
    return found


def test_a_scenario_run_leaks_no_push_token_and_no_adb_key(tmp_path: Path, adb_server: AdbServer) -> None:
    home, run, tokens_file = tmp_path / "home", tmp_path / "run", tmp_path / "tokens.txt"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), WMPF_TEST_TOKEN_FILE=str(tokens_file))
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-p", "tests.support.token_spy",
         "-k", SCENARIOS, "--sim-time-scale", "0.1", "--adb-port", str(free_server_port(ADB_PORT + 60)),
         "--sim-base-port", str(DEVICE_PORT + 980), "--run-dir", str(run), "--net-capture", "device",
         "--log-level", "DEBUG", "-o", "junit_logging=all", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    passed = re.search(r"\b(\d+) passed\b", proc.stdout)
    assert passed and int(passed.group(1)) >= 4, proc.stdout[-1500:]  # a route the run's caller lacks may skip

    tokens = sorted(set(tokens_file.read_text().split()))
    assert tokens and all(len(t) >= 32 for t in tokens), tokens
    secrets = {f"pushToken {t[:6]}…": t.encode() for t in tokens}
    for owner, key_home in (("this run's", home), ("the test session's", adb_server.home)):
        assert key_home is not None
        secrets.update({f"line {i} of {owner} adb key": line for i, line in enumerate(key_lines(key_home))})

    files = [p for p in run.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".jsonl", ".xml", ".html", ".pcap", ".png"} <= kinds, kinds  # the scan saw every kind of output
    leaks = []
    for path in files:
        leaks += [f"{path.relative_to(run)}: {name}" for name in secrets_in(path.read_bytes(), secrets)]
        leaks += [f"file name {path.relative_to(run)}: {name}"
                  for name in secrets_in(str(path).encode(), secrets, depth=1)]
    assert not leaks, "secrets in the run directory:\n" + "\n".join(leaks)
    # the scan can fail: the same search finds a token planted in a copy of a real output file
    planted = (run / "results.jsonl").read_bytes() + tokens[0].encode()
    assert secrets_in(planted, secrets)
