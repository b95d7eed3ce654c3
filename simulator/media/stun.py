"""The binding exchange that opens a call's media path: STUN Binding (RFC 5389), as ICE/TURN stacks use it.

The device sends a Binding Request carrying its call credentials in USERNAME; the relay binds the sender's
address to that call and answers with a Binding Success Response holding XOR-MAPPED-ADDRESS. The messages
are real STUN, so tshark dissects them and a capture shows the exchange before the first RTP packet.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
ATTR_USERNAME = 0x0006
ATTR_XOR_MAPPED_ADDRESS = 0x0020
_HEADER = struct.Struct("!HHI12s")


@dataclass(frozen=True)
class StunMessage:
    kind: int
    transaction: bytes
    username: str | None = None
    mapped: tuple[str, int] | None = None


def _attr(kind: int, value: bytes) -> bytes:
    pad = (-len(value)) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def binding_request(username: str, transaction: bytes | None = None) -> tuple[bytes, bytes]:
    """A Binding Request and its 12-byte transaction id."""
    tid = transaction or os.urandom(12)
    body = _attr(ATTR_USERNAME, username.encode())
    return _HEADER.pack(BINDING_REQUEST, len(body), MAGIC, tid) + body, tid


def binding_success(transaction: bytes, addr: tuple[str, int]) -> bytes:
    """A Binding Success Response telling the sender the address the relay saw (XOR-MAPPED-ADDRESS)."""
    ip = struct.unpack("!I", socket.inet_aton(addr[0]))[0] ^ MAGIC
    value = struct.pack("!BBHI", 0, 0x01, addr[1] ^ (MAGIC >> 16), ip)
    body = _attr(ATTR_XOR_MAPPED_ADDRESS, value)
    return _HEADER.pack(BINDING_SUCCESS, len(body), MAGIC, transaction) + body


def parse(data: bytes) -> StunMessage | None:
    """A STUN message, or None if ``data`` is not one (RTP starts with version bits 10, STUN with 00)."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    kind, length, magic, tid = _HEADER.unpack_from(data)
    if magic != MAGIC or len(data) < 20 + length:
        return None
    username = mapped = None
    pos = 20
    while pos + 4 <= 20 + length:
        atype, alen = struct.unpack_from("!HH", data, pos)
        value = data[pos + 4:pos + 4 + alen]
        if atype == ATTR_USERNAME:
            username = value.decode(errors="replace")
        elif atype == ATTR_XOR_MAPPED_ADDRESS and len(value) >= 8:
            port = struct.unpack_from("!H", value, 2)[0] ^ (MAGIC >> 16)
            ip = struct.unpack_from("!I", value, 4)[0] ^ MAGIC
            mapped = (socket.inet_ntoa(struct.pack("!I", ip)), port)
        pos += 4 + alen + ((-alen) % 4)
    return StunMessage(kind, tid, username, mapped)
