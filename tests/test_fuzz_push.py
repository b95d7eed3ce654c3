"""Fuzzing the two ways a push reaches a device: the broadcast injector (``am broadcast`` through the device
shell) and the phone API (``POST /callWMPF`` of the simulated phone backend). Over 10,000 generated payloads in
all: random JSON, push-shaped JSON with hostile fields, shell metacharacters aimed at a canary file, huge and
invalid-UTF-8 strings.

Properties, for every input: the harness gives a clear outcome (a placement, or a typed error with a message —
never another exception type); a payload that reaches the device shell arrives byte for byte (its md5 is echoed
back) and runs nothing (the canary file never appears); the simulator's other device still answers after each
batch; and no input takes longer than the per-example deadline.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulator
from harness.callers.broadcast import MAX_SHELL_COMMAND_BYTES, BroadcastInjector
from harness.callers.phone import Phone, PhoneApiError
from harness.callers.push import CallPush
from harness.config.app_profile import load_profile
from harness.device.adb_server import AdbServer
from harness.device.session import DeviceSession
from harness.errors import InjectionError, PushMessageError
from harness.shellquote import sh_quote
from tests.conftest import SimFactory
from tests.fuzz_support import (
    CANARY,
    JSON_SCALARS,
    RANDOM_JSON,
    Tally,
    fuzz_settings,
    huge,
    invalid_utf8,
    payloads,
    shell_text,
)

pytestmark = pytest.mark.fuzz

BROADCAST_EXAMPLES, BROADCAST_MIN = 420, 6000
PHONE_EXAMPLES, PHONE_MIN = 4200, 4200
VERIFY_MAX = 4096  # payloads up to this size are also echoed back through the shell and compared by md5


@pytest.fixture(scope="module")
def fuzz_sim(make_module_sim: SimFactory) -> simulator.Simulator:
    """Two devices: the first takes the fuzz, the second must keep answering."""
    return make_module_sim(2)


@pytest.fixture(scope="module")
def sessions(fuzz_sim: simulator.Simulator, adb_server: AdbServer) -> Iterator[tuple[DeviceSession, DeviceSession]]:
    with DeviceSession(fuzz_sim.devices[0].serial, adb_port=adb_server.port) as target, \
            DeviceSession(fuzz_sim.devices[1].serial, adb_port=adb_server.port) as other:
        target.device.shell(f"rm -f {CANARY}")
        yield target, other


def still_safe(target: DeviceSession, other: DeviceSession) -> None:
    """The canary was never created, and the other simulated device still runs commands."""
    assert target.device.shell(f"ls {CANARY} 2>/dev/null; echo end").strip() == "end", "a payload ran a command"
    assert other.device.shell2("echo alive", timeout=10).output.strip() == "alive"


def push_outcome(payload: str) -> str:
    """The push parser's outcome on any text: a push, or a PushMessageError naming the key."""
    try:
        CallPush.from_json(payload)
    except PushMessageError as exc:
        assert str(exc)
        return "push_refused"
    return "push_parsed"


def test_broadcast_path(sessions: tuple[DeviceSession, DeviceSession]) -> None:
    target, other = sessions
    profile = load_profile()
    assert profile.broadcast is not None
    injector = BroadcastInjector(target, profile.broadcast)
    tally = Tally("broadcast")

    @fuzz_settings(BROADCAST_EXAMPLES, deadline_s=20)
    @given(st.lists(payloads(huge_max=70_000), min_size=15, max_size=30))  # >= 15 each: the count is certain
    def run(batch: list[str]) -> None:
        first, rest = batch[0], batch[1:]
        push_outcome(first)
        # the injector's whole path for the first payload: a placement or a typed error
        started = time.monotonic()
        try:
            placement = injector.send(first)
            assert "Broadcast completed" in placement.detail["output"]
            tally.count("placed")
        except InjectionError as exc:
            assert str(exc)
            tally.count("refused")
        tally.timed(time.monotonic() - started, first)
        # the rest in as few shell round trips as adb allows: each command, then the payload echoed back
        chunks: list[tuple[list[str], list[str | None]]] = [([], [])]
        for payload in rest:
            push_outcome(payload)
            try:
                command = injector.command(payload)
            except InjectionError as exc:
                assert str(exc)
                tally.count("refused")
                continue
            verify = len(payload) <= VERIFY_MAX
            part = command + (f" ; printf '%s' {sh_quote(payload)} | md5sum" if verify else "")
            lines, sent = chunks[-1]
            if len(" ; ".join([*lines, part]).encode()) > MAX_SHELL_COMMAND_BYTES:
                chunks.append(([], []))
                lines, sent = chunks[-1]
            lines.append(part)
            sent.append(payload if verify else None)
        for lines, sent in chunks:
            if not lines:
                continue
            started = time.monotonic()
            out = target.device.shell2(" ; ".join(lines), timeout=30).output
            tally.timed((time.monotonic() - started) / len(lines), max((p or '' for p in sent), key=len))
            assert out.count("Broadcast completed") == len(lines), out[-400:]
            echoed = [line.split()[0] for line in out.splitlines() if line.endswith("  -")]
            expected = [hashlib.md5(p.encode()).hexdigest() for p in sent if p is not None]
            assert echoed == expected, "a payload changed on its way through the device shell"
            tally.count("placed", len(lines))
        still_safe(target, other)

    run()
    still_safe(target, other)
    tally.require(BROADCAST_MIN)


def _raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        conn.request("POST", "/callWMPF", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def active_device(phone: Phone, sn: str, timeout: float = 30.0) -> dict[str, Any]:
    """The backend's view of device ``sn`` once its WMPF has activated and holds a pushToken."""
    deadline = time.monotonic() + timeout
    while not (info := phone.device(sn)).get("pushToken"):
        assert time.monotonic() < deadline, f"device {sn} never activated WMPF: {info}"
        time.sleep(0.2)
    return info


def test_phone_path(fuzz_sim: simulator.Simulator, sessions: tuple[DeviceSession, DeviceSession]) -> None:
    target, other = sessions
    assert fuzz_sim.phone_url is not None
    phone = Phone(fuzz_sim.phone_url)
    sn = fuzz_sim.devices[0].sn
    info = active_device(phone, sn)
    tally = Tally("phone")
    hostile = st.text(max_size=60) | shell_text() | huge(st.text(max_size=20), at_most=400_000) | invalid_utf8()
    structured = st.fixed_dictionaries({
        "roomType": st.sampled_from(["voice", "video"]) | hostile, "sn": st.just(sn) | hostile,
        "modelId": st.just(info["modelId"]) | hostile, "pushToken": st.just(info["pushToken"]) | hostile,
        "nickName": hostile, "envVersion": st.sampled_from(["release", "develop", "trial"]) | JSON_SCALARS,
        "customQuery": hostile | JSON_SCALARS, "deviceName": hostile,
        "_sim": st.just({"callerJoins": False, "cancelAfterS": 0}) | RANDOM_JSON,
    }).map(lambda body: {k: v for k, v in body.items() if v is not None})
    # a valid call whose free-text fields are hostile: these place calls (rooms the caller cancels at once)
    placed = st.fixed_dictionaries({
        "roomType": st.sampled_from(["voice", "video"]), "sn": st.just(sn), "modelId": st.just(info["modelId"]),
        "pushToken": st.just(info["pushToken"]), "nickName": hostile.filter(bool), "customQuery": hostile,
        "deviceName": hostile, "_sim": st.just({"callerJoins": False, "cancelAfterS": 0}),
    })
    raw = st.binary(max_size=300) | shell_text().map(str.encode) | RANDOM_JSON.map(
        lambda v: json.dumps(v).encode()[:-1])  # truncated JSON

    @fuzz_settings(PHONE_EXAMPLES, deadline_s=10)
    @given(st.one_of(placed, structured, RANDOM_JSON, raw))
    def run(body: Any) -> None:
        started = time.monotonic()
        if isinstance(body, bytes):  # straight to the backend: it answers every byte string with a JSON error
            status, answer = _raw_post(fuzz_sim.phone_url or "", body, {"Content-Type": "application/json"})
            assert 400 <= status < 500 and isinstance(answer, dict) and answer.get("errMsg"), (status, answer)
            tally.count("raw_refused")
        else:
            try:
                room = phone.call_wmpf(body)
                assert room.startswith("wxf830863afde621ebWmpfVoip")
                tally.count("placed")
            except PhoneApiError as exc:
                assert exc.status != 500, f"the backend failed on this input: {exc}"
                assert exc.err_msg
                tally.count("refused")
            except InjectionError as exc:  # not sendable at all (a lone surrogate)
                assert str(exc)
                tally.count("refused_by_harness")
        tally.timed(time.monotonic() - started, body)
        if tally.inputs % 100 == 0:
            still_safe(target, other)

    run()
    still_safe(target, other)
    assert tally.outcomes.get("placed", 0) >= 100, tally.outcomes  # the fuzz reached the device, not only refusals
    tally.require(PHONE_MIN)


def test_the_largest_command_adb_carries_is_sent_and_one_byte_more_is_refused(
        sessions: tuple[DeviceSession, DeviceSession]) -> None:
    target, _ = sessions
    profile = load_profile()
    assert profile.broadcast is not None
    injector = BroadcastInjector(target, profile.broadcast)
    overhead = len(injector.command("x")) - 1  # "x" needs no quotes: the command grows by one byte per "x"
    largest = "x" * (MAX_SHELL_COMMAND_BYTES - overhead)
    assert len(injector.command(largest).encode()) == MAX_SHELL_COMMAND_BYTES
    assert "Broadcast completed" in injector.send(largest).detail["output"]
    with pytest.raises(InjectionError, match=f"adb carries at most {MAX_SHELL_COMMAND_BYTES} bytes"):
        injector.send(largest + "x")
