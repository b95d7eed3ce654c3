"""The device's adb transport seen on the wire: handshake, AUTH, streams, flow control, bad input.

A small host written for the tests (tests/adb_wire.py) talks to devices served in-process over real TCP,
so every rule the real adb servers rely on is checked directly.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from pathlib import Path

import pytest

import simulator
from simulator.adb import protocol as p
from simulator.adb.features import FEATURES
from simulator.streams import ByteReader, ByteWriter
from tests.adb_wire import TestRsaKey, WireClient, WireClosed, rsa_key
from tests.conftest import SimFactory


@pytest.fixture(scope="module")
def wire_sim(make_module_sim: SimFactory) -> simulator.Simulator:
    """Two devices, not connected to any adb server: the tests are the only host."""
    return make_module_sim(2, connect=False)


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[TestRsaKey, TestRsaKey]:
    return rsa_key(1), rsa_key(2)


@pytest.fixture(scope="module")
def auth_sim(tmp_path_factory: pytest.TempPathFactory, rsa_keys: tuple[TestRsaKey, TestRsaKey],
             make_module_sim: SimFactory) -> simulator.Simulator:
    keys_file: Path = tmp_path_factory.mktemp("keys") / "adb_keys"
    keys_file.write_text(rsa_keys[0].public_line() + "\n")
    return make_module_sim(1, connect=False, adb_keys=keys_file)


def _port(sim: simulator.Simulator, index: int = 0) -> int:
    return sim.devices[index].port


def _listen(sim: simulator.Simulator, port: int, handler) -> None:
    device = sim.device(0)
    sim.call(lambda: device.services.close(port))
    sim.call(lambda: device.services.listen(port, handler))


async def _echo(reader: ByteReader, writer: ByteWriter) -> None:
    while data := await reader.read():
        await writer.write(data)


# -- handshake ----------------------------------------------------------------------------------------
def test_cnxn_answers_with_banner_and_features(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        reply = host.connect(max_payload=256 * 1024)
    assert reply.command == p.A_CNXN
    assert reply.arg0 == p.A_VERSION
    assert reply.arg1 == 256 * 1024  # the smaller of host and device maximum
    kind, props, features = p.parse_banner(reply.data)
    assert kind == "device"
    assert props["ro.product.model"] == wire_sim.devices[0].model
    assert features == set(FEATURES)


def test_old_protocol_version_gets_checksums(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        host.version = p.A_VERSION_MIN
        host.send(p.A_CNXN, p.A_VERSION_MIN, 4096, b"host::")
        reply, check = host.data_check_of_next()
    assert reply.command == p.A_CNXN
    assert check == p.checksum(reply.data) != 0


def test_messages_before_cnxn_are_ignored(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        host.send(p.A_OPEN, 1, 0, b"shell:echo hi\0")
        reply = host.connect()
    assert reply.command == p.A_CNXN


# -- streams ------------------------------------------------------------------------------------------
def test_unknown_service_and_closed_port_are_refused(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        host.connect()
        for local_id, service in ((5, "nosuch:thing"), (6, "tcp:1"), (7, "tcp:9008:example.com"),
                                  (8, "jdwp:1")):
            reply = host.open(local_id, service)
            assert (reply.command, reply.arg0, reply.arg1) == (p.A_CLSE, 0, local_id), service


def test_write_is_okayed_and_echoed_then_close_is_answered(wire_sim: simulator.Simulator) -> None:
    _listen(wire_sim, 7001, _echo)
    with WireClient(_port(wire_sim)) as host:
        host.connect()
        opened = host.open(3, "tcp:7001")
        assert (opened.command, opened.arg1) == (p.A_OKAY, 3)
        device_id = opened.arg0
        assert device_id != 0
        host.send(p.A_WRTE, 3, device_id, b"ping")
        seen = [host.recv(), host.recv()]
        kinds = sorted((m.name, m.arg0, m.arg1, m.data) for m in seen)
        assert kinds == [("OKAY", device_id, 3, b""), ("WRTE", device_id, 3, b"ping")]
        host.send(p.A_OKAY, 3, device_id)
        host.send(p.A_CLSE, 3, device_id)
        reply = host.recv()
        assert (reply.command, reply.arg0, reply.arg1) == (p.A_CLSE, device_id, 3)


def test_one_wrte_in_flight_and_payload_within_negotiated_max(wire_sim: simulator.Simulator) -> None:
    blob = os.urandom(20_000)

    async def producer(reader: ByteReader, writer: ByteWriter) -> None:
        for start in range(0, len(blob), 2000):  # many small writes, as a program makes them
            await writer.write(blob[start:start + 2000])
        await writer.close()

    _listen(wire_sim, 7002, producer)
    received = bytearray()
    sizes: list[int] = []
    with WireClient(_port(wire_sim)) as host:
        host.connect(max_payload=4096)
        opened = host.open(4, "tcp:7002")
        device_id = opened.arg0
        while True:
            msg = host.recv()
            if msg.command == p.A_CLSE:
                break
            assert msg.command == p.A_WRTE
            assert len(msg.data) <= 4096
            received += msg.data
            sizes.append(len(msg.data))
            # Until we OKAY, the device must not send another WRTE on this stream (CLSE may come).
            try:
                early = host.recv(timeout=0.05)
            except TimeoutError:
                early = None
            host.sock.settimeout(5)
            if early is not None:
                assert early.command == p.A_CLSE, f"{early} before our OKAY"
                break
            host.send(p.A_OKAY, 4, device_id)
    assert bytes(received) == blob
    # The first write goes out at once; writes made while waiting for OKAY are coalesced up to the max.
    assert sizes[0] == 2000
    assert sizes[1:-1] == [4096] * (len(sizes) - 2)


def test_host_close_cancels_the_service(wire_sim: simulator.Simulator) -> None:
    state: dict[str, object] = {}

    async def sleeper(reader: ByteReader, writer: ByteWriter) -> None:
        state["started"] = True
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise

    _listen(wire_sim, 7003, sleeper)
    with WireClient(_port(wire_sim)) as host:
        host.connect()
        device_id = host.open(9, "tcp:7003").arg0
        host.send(p.A_CLSE, 9, device_id)
        reply = host.recv()
        assert (reply.command, reply.arg0, reply.arg1) == (p.A_CLSE, device_id, 9)
    deadline = time.monotonic() + 5
    while not state.get("cancelled") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state == {"started": True, "cancelled": True}


def test_shell_v2_packets_and_exit_code(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        host.connect()
        device_id = host.open(2, "shell,v2,TERM=xterm,raw:echo out; echo err >&2; exit 3").arg0
        host.send(p.A_WRTE, 2, device_id, struct.pack("<BI", 4, 0))  # close-stdin, like adb 29
        stream = bytearray()
        while True:
            msg = host.recv()
            if msg.command == p.A_WRTE:
                stream += msg.data
                host.send(p.A_OKAY, 2, device_id)
            elif msg.command == p.A_CLSE:
                break
    packets: dict[int, bytes] = {}
    offset = 0
    while offset < len(stream):
        packet_id, length = struct.unpack_from("<BI", stream, offset)
        packets[packet_id] = packets.get(packet_id, b"") + stream[offset + 5:offset + 5 + length]
        offset += 5 + length
    assert packets == {1: b"out\n", 2: b"err\n", 3: b"\x03"}


# -- bad input ----------------------------------------------------------------------------------------
def _still_serves(sim: simulator.Simulator, index: int) -> None:
    with WireClient(_port(sim, index)) as host:
        assert host.connect().command == p.A_CNXN
        device_id = host.open(1, "shell:echo alive").arg0
        msg = host.recv()
        assert (msg.command, msg.data) == (p.A_WRTE, b"alive\n"), (device_id, msg)


@pytest.mark.parametrize("bad", [
    pytest.param(b"\x00\xffGARBAGE-GARBAGE-GARBAGE-GARBAGE", id="garbage"),
    pytest.param(p.encode(p.Message(p.A_CNXN, p.A_VERSION, 4096, b"host::"))[:10], id="truncated-header"),
    pytest.param(struct.pack("<6I", p.A_WRTE, 1, 1, 64 * 1024 * 1024, 0, p.A_WRTE ^ 0xFFFFFFFF),
                 id="oversized-length"),
    pytest.param(struct.pack("<6I", p.A_CNXN, p.A_VERSION, 4096, 0, 0, 0x12345678), id="bad-magic"),
])
def test_bad_bytes_close_only_that_connection(wire_sim: simulator.Simulator, bad: bytes) -> None:
    with WireClient(_port(wire_sim, 0)) as good, WireClient(_port(wire_sim, 0)) as victim:
        assert good.connect().command == p.A_CNXN
        victim.send_raw(bad)
        if len(bad) < p.HEADER_SIZE:
            victim.sock.shutdown(socket.SHUT_WR)  # the header never completes
        assert victim.closed_by_peer(), "the device kept a connection that sent bad bytes"
        device_id = good.open(1, "shell:echo still here").arg0
        assert good.recv().data == b"still here\n", device_id
    _still_serves(wire_sim, 0)
    _still_serves(wire_sim, 1)


def test_oversized_after_negotiation_is_rejected(wire_sim: simulator.Simulator) -> None:
    with WireClient(_port(wire_sim)) as host:
        host.connect(max_payload=4096)
        host.send(p.A_WRTE, 1, 1, b"x" * 8192)
        assert host.closed_by_peer()


def test_drop_links_cuts_connections(wire_sim: simulator.Simulator) -> None:
    device = wire_sim.device(1)
    with WireClient(_port(wire_sim, 1)) as host:
        host.connect()
        assert wire_sim.call(lambda: len(device.links)) >= 1
        wire_sim.call(device.drop_links)
        assert host.closed_by_peer()
    assert wire_sim.call(lambda: len(device.links)) == 0


def test_offline_device_closes_new_connections(wire_sim: simulator.Simulator) -> None:
    device = wire_sim.device(1)
    wire_sim.call(lambda: setattr(device, "link_blocked", True))
    try:
        with WireClient(_port(wire_sim, 1)) as host:
            assert host.closed_by_peer()
    finally:
        wire_sim.call(lambda: setattr(device, "link_blocked", False))
    _still_serves(wire_sim, 1)


# -- AUTH ---------------------------------------------------------------------------------------------
def _expect_token(host: WireClient) -> bytes:
    msg = host.recv()
    assert (msg.command, msg.arg0) == (p.A_AUTH, p.AUTH_TOKEN)
    assert len(msg.data) == 20
    return msg.data


def test_auth_accepts_a_listed_key(auth_sim: simulator.Simulator, rsa_keys) -> None:
    allowed, other = rsa_keys
    with WireClient(_port(auth_sim)) as host:
        host.send(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, b"host::")
        token = _expect_token(host)
        host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, other.sign(token))  # adb tries each of its keys
        token = _expect_token(host)  # a wrong signature gets a fresh token
        host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, allowed.sign(token))
        reply = host.recv()
        assert reply.command == p.A_CNXN
        assert p.parse_banner(reply.data)[0] == "device"


def test_auth_keeps_unknown_key_unauthorized(auth_sim: simulator.Simulator, rsa_keys) -> None:
    _, other = rsa_keys
    with WireClient(_port(auth_sim)) as host:
        host.send(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, b"host::")
        token = _expect_token(host)
        host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, other.sign(token))
        _expect_token(host)
        host.send(p.A_AUTH, p.AUTH_RSAPUBLICKEY, 0, other.public_line().encode() + b"\0")
        with pytest.raises(TimeoutError):
            host.recv(timeout=0.5)  # no CNXN: a real device would be waiting for its user
        # Streams are not served to an unauthorized host.
        host.sock.settimeout(5)
        host.send(p.A_OPEN, 1, 0, b"shell:echo hi\0")
        with pytest.raises(TimeoutError):
            host.recv(timeout=0.3)


def test_auth_signature_of_a_stale_token_fails(auth_sim: simulator.Simulator, rsa_keys) -> None:
    allowed, _ = rsa_keys
    with WireClient(_port(auth_sim)) as host:
        host.send(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, b"host::")
        first = _expect_token(host)
        host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, b"\0" * 256)
        second = _expect_token(host)
        assert second != first
        host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, allowed.sign(first))
        assert host.recv().command == p.A_AUTH


def test_wire_client_sees_close(wire_sim: simulator.Simulator) -> None:
    """Sanity check of the test host itself: a closed socket is reported as WireClosed."""
    with WireClient(_port(wire_sim)) as host:
        host.send_raw(b"x" * 24)
        with pytest.raises(WireClosed):
            host.recv()
