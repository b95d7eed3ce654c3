"""The adb transport's message framing, as AOSP ``docs/dev/protocol.md`` defines it.

Every message is a 24-byte header of six little-endian uint32 (command, arg0, arg1, data_length,
data_check, magic) followed by ``data_length`` bytes of payload. The host is a real adb server we do not
control, so everything read from it is validated here and reported as a :class:`ProtocolError`: the
transport then drops that one connection instead of misinterpreting the rest of the byte stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simulator.errors import SimulatorError


def _cmd(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "little")


A_SYNC = _cmd("SYNC")  # obsolete; recognised only to name it in errors
A_CNXN = _cmd("CNXN")
A_AUTH = _cmd("AUTH")
A_OPEN = _cmd("OPEN")
A_OKAY = _cmd("OKAY")
A_CLSE = _cmd("CLSE")
A_WRTE = _cmd("WRTE")
A_STLS = _cmd("STLS")

COMMAND_NAMES = {
    A_SYNC: "SYNC", A_CNXN: "CNXN", A_AUTH: "AUTH", A_OPEN: "OPEN",
    A_OKAY: "OKAY", A_CLSE: "CLSE", A_WRTE: "WRTE", A_STLS: "STLS",
}

A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001  # from this version on, data_check is 0 and nobody checks it
A_VERSION = 0x01000001

MAX_PAYLOAD_V1 = 4 * 1024
MAX_PAYLOAD = 1024 * 1024  # what adbd offers; the host's CNXN may ask for less
MAX_HANDSHAKE_PAYLOAD = 4096  # CNXN and AUTH payloads must fit the oldest peers' buffers

# AUTH arg0 values.
AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size


class ProtocolError(SimulatorError):
    """The peer sent bytes that are not a valid adb message; the connection cannot continue."""


@dataclass(frozen=True, slots=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"0x{self.command:08x}")

    def __repr__(self) -> str:  # short enough for logs
        preview = self.data[:32]
        return f"Message({self.name}, {self.arg0:#x}, {self.arg1:#x}, {len(self.data)}B {preview!r})"


def checksum(data: bytes) -> int:
    """The pre-1.0.0.1 data_check: the unsigned byte sum of the payload."""
    return sum(data) & 0xFFFFFFFF


def pack_header(msg: Message, version: int = A_VERSION) -> bytes:
    """The 24-byte header for ``msg`` (send the payload after it without copying it)."""
    check = checksum(msg.data) if version < A_VERSION_SKIP_CHECKSUM else 0
    return HEADER.pack(msg.command, msg.arg0, msg.arg1, len(msg.data), check, msg.command ^ 0xFFFFFFFF)


def encode(msg: Message, version: int = A_VERSION) -> bytes:
    """Header plus payload, ready for the socket."""
    return pack_header(msg, version) + msg.data


@dataclass(frozen=True, slots=True)
class Header:
    command: int
    arg0: int
    arg1: int
    data_length: int
    data_check: int


def decode_header(raw: bytes, max_payload: int = MAX_PAYLOAD) -> Header:
    """Parse and validate one 24-byte header; the payload is read separately (its length is known here)."""
    if len(raw) != HEADER_SIZE:
        raise ProtocolError(f"truncated message header: {len(raw)} of {HEADER_SIZE} bytes")
    command, arg0, arg1, length, check, magic = HEADER.unpack(raw)
    if command not in COMMAND_NAMES:
        raise ProtocolError(f"unknown command 0x{command:08x} ({raw[:4]!r})")
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic 0x{magic:08x} for {COMMAND_NAMES[command]}")
    if length > max_payload:
        raise ProtocolError(
            f"{COMMAND_NAMES[command]} payload of {length} bytes exceeds the maximum of {max_payload}")
    return Header(command, arg0, arg1, length, check)


def decode(raw: bytes, max_payload: int = MAX_PAYLOAD) -> Message:
    """Parse one complete message (header and exactly its payload)."""
    header = decode_header(raw[:HEADER_SIZE], max_payload)
    data = raw[HEADER_SIZE:]
    if len(data) != header.data_length:
        raise ProtocolError(
            f"{COMMAND_NAMES[header.command]} payload is {len(data)} bytes, header says {header.data_length}")
    return Message(header.command, header.arg0, header.arg1, bytes(data))


def parse_banner(data: bytes) -> tuple[str, dict[str, str], set[str]]:
    """Split a CNXN banner ``kind:serial:key=value;...;features=a,b`` into kind, properties, features."""
    text = data.rstrip(b"\0").decode("utf-8", "replace")
    kind, _, rest = text.partition(":")
    _, _, props_text = rest.partition(":")
    props: dict[str, str] = {}
    for item in props_text.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            props[key] = value
    features = {f for f in props.pop("features", "").split(",") if f}
    return kind, props, features
