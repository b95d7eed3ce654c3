"""Fuzzing a simulated device's adb port with raw bytes, as a broken or hostile host would send them: random,
truncated and oversize transport messages before and after the handshake, and random, truncated and oversize
``sync:`` requests (STAT/LIST/SEND/RECV/DATA/DONE with hostile paths and lengths) inside an open sync stream.

Properties, for every input: once the host stops sending (half-close), the device closes the connection within
a bound — no input leaves a connection hanging; the device logs no unexpected exception (a bug in a handler
shows as a logged traceback); and after each batch both the fuzzed device and its neighbour still answer
``shell:echo`` on fresh connections.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulator
from simulator.adb import protocol as p
from tests.adb_wire import WireClient, WireClosed
from tests.conftest import SimFactory
from tests.fuzz_support import Tally, fuzz_settings

pytestmark = pytest.mark.fuzz

PACKET_EXAMPLES, PACKET_MIN = 1500, 1500
SYNC_EXAMPLES, SYNC_MIN = 1500, 1500
CLOSE_BOUND_S = 3.0  # after the host's half-close, the device must have closed by then
CHECK_EVERY = 25

COMMANDS = st.sampled_from(list(p.COMMAND_NAMES)) | st.integers(0, 2**32 - 1)
U32 = st.sampled_from([0, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF, p.A_VERSION, p.MAX_PAYLOAD, p.MAX_PAYLOAD + 1]) | st.integers(
    0, 2**32 - 1)


@st.composite
def message(draw: st.DrawFn) -> bytes:
    """One transport message, possibly lying about its length, checksum or magic, possibly cut short."""
    command, arg0, arg1 = draw(COMMANDS), draw(U32), draw(U32)
    data = draw(st.binary(max_size=300) | st.just(b"host::features=shell_v2\0") | st.sampled_from(
        [b"shell:echo x\0", b"sync:\0", b"exec:id\0", b"reboot:\0", b"tcpip:5555\0", b"\0", b"shell:" + b"y" * 5000]))
    length = draw(st.just(len(data)) | U32)
    check = draw(st.just(sum(data) & 0xFFFFFFFF) | U32)
    magic = draw(st.just(command ^ 0xFFFFFFFF) | U32)
    raw = struct.pack("<6I", command, arg0, arg1, length, check, magic) + data
    cut = draw(st.none() | st.integers(0, len(raw)))
    return raw if cut is None else raw[:cut]


def _id(name: str) -> bytes:
    return name.encode("ascii")


PATHS = st.sampled_from([b"/data/local/tmp/f", b"/data/local/tmp", b"/", b"/proc/self/status", b"/system/bin/sh",
                         b"/sdcard/../../etc", b"/data/local/tmp/a,0644", b"/data/local/tmp/b,0x1ff", b",", b"",
                         b"/nope/" * 200, b"\xff\xfe/inv\xc3(", b"/data/local/tmp/" + b"n" * 300]) | st.binary(
    max_size=80)


@st.composite
def sync_request(draw: st.DrawFn) -> bytes:
    """One sync request (id, length, path or payload), its length honest or not, possibly cut short."""
    ident = draw(st.sampled_from([_id(n) for n in ("STAT", "STA2", "LST2", "LIST", "LIS2", "SEND", "SND2", "RECV",
                                                   "RCV2", "DATA", "DONE", "QUIT", "OKAY", "FAIL")]) | st.binary(
        min_size=4, max_size=4))
    body = draw(PATHS | st.binary(min_size=0, max_size=70_000).filter(lambda b: len(b) < 100 or b.count(b"\0") < 10)
                if ident == b"DATA" else PATHS)
    length = draw(st.just(len(body)) | U32 | st.sampled_from([1024, 1025, 64 * 1024, 64 * 1024 + 1]))
    extra = draw(st.just(b"") | st.binary(min_size=12, max_size=12))  # SND2/RCV2 setup packets
    raw = ident + struct.pack("<I", length) + body + extra
    cut = draw(st.none() | st.integers(0, len(raw)))
    return raw if cut is None else raw[:cut]


@pytest.fixture(scope="module")
def wire_sim(make_module_sim: SimFactory) -> simulator.Simulator:
    """Two devices not connected to any adb server: the fuzz is their only host."""
    return make_module_sim(2, connect=False)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """ERROR records (tracebacks of a failing handler, asyncio's 'exception never retrieved') while fuzzing."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


def still_serve(sim: simulator.Simulator) -> None:
    """Every device answers a fresh connection: the one fuzzed and the other (the fuzz never takes the server down)."""
    for device in sim.devices:
        with WireClient(device.port) as host:
            assert host.connect().command == p.A_CNXN
            host.open(1, "shell:echo alive")
            msg = host.recv(timeout=5)
            assert (msg.command, msg.data) == (p.A_WRTE, b"alive\n"), msg


def closes_after_eof(host: WireClient) -> None:
    """Half-close our side; the device must close the connection within the bound."""
    try:
        host.sock.shutdown(socket.SHUT_WR)
    except OSError:
        return  # the device already reset the connection: closed
    assert host.closed_by_peer(CLOSE_BOUND_S), f"the device kept the connection open {CLOSE_BOUND_S:g} s after EOF"


def _send(host: WireClient, raw: bytes) -> bool:
    """Send ``raw``; False when the device has already closed the connection (a fine outcome)."""
    try:
        host.send_raw(raw)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def test_random_truncated_and_oversize_packets(wire_sim: simulator.Simulator,
                                               logged_errors: list[logging.LogRecord]) -> None:
    tally = Tally("adb_packets")

    @fuzz_settings(PACKET_EXAMPLES, deadline_s=CLOSE_BOUND_S + 3)
    @given(handshake=st.booleans(), garbage=st.binary(max_size=64), messages=st.lists(message(), max_size=5))
    def run(handshake: bool, garbage: bytes, messages: list[bytes]) -> None:
        started = time.monotonic()
        with WireClient(wire_sim.devices[0].port) as host:
            sent = True
            if handshake:
                assert host.connect().command == p.A_CNXN
            elif garbage:
                sent = _send(host, garbage)
            for raw in messages:
                sent = sent and _send(host, raw)
            closes_after_eof(host)
        tally.count("closed_after_eof", 1 + len(messages))
        tally.timed(time.monotonic() - started, b"".join([garbage, *messages]))
        if tally.inputs % CHECK_EVERY < 1 + len(messages):
            still_serve(wire_sim)

    run()
    still_serve(wire_sim)
    assert not logged_errors, [r.getMessage() for r in logged_errors[:5]]
    tally.require(PACKET_MIN)


def test_random_truncated_and_oversize_sync_requests(wire_sim: simulator.Simulator,
                                                     logged_errors: list[logging.LogRecord]) -> None:
    tally = Tally("adb_sync")

    @fuzz_settings(SYNC_EXAMPLES, deadline_s=CLOSE_BOUND_S + 5)
    @given(st.lists(sync_request(), min_size=1, max_size=4))
    def run(requests: list[bytes]) -> None:
        started = time.monotonic()
        with WireClient(wire_sim.devices[0].port) as host:
            host.connect()
            opened = host.open(7, "sync:")
            assert opened.command == p.A_OKAY, opened
            device_id = opened.arg0
            stream = b"".join(requests)
            # WRTE packets within the negotiated maximum, each waiting for the device's OKAY like a real host
            for offset in range(0, len(stream), 4096):
                try:
                    host.send(p.A_WRTE, 7, device_id, stream[offset:offset + 4096])
                    reply = host.recv(timeout=CLOSE_BOUND_S)
                    while reply.command == p.A_WRTE:  # the device answers (FAIL, STAT...); acknowledge it
                        host.send(p.A_OKAY, 7, device_id)
                        reply = host.recv(timeout=CLOSE_BOUND_S)
                except (WireClosed, ConnectionResetError, BrokenPipeError):
                    break
                if reply.command == p.A_CLSE:
                    break
                assert reply.command == p.A_OKAY, reply
            closes_after_eof(host)
        tally.count("answered", len(requests))
        tally.timed(time.monotonic() - started, b"".join(requests))
        if tally.inputs % CHECK_EVERY < len(requests):
            still_serve(wire_sim)

    run()
    still_serve(wire_sim)
    assert not logged_errors, [r.getMessage() for r in logged_errors[:5]]
    tally.require(SYNC_MIN)
