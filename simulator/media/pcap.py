"""libpcap files as ``tcpdump -i any -w -`` writes them: LINKTYPE_LINUX_SLL records of IPv4/UDP packets.

The global header is the classic microsecond format (magic ``a1b2c3d4``, v2.4, snaplen 262144). Every record
carries the Linux cooked header (packet type 0 = to us, 4 = sent by us; ARPHRD_ETHER with a MAC), an IPv4
header with a correct checksum, and a UDP header (checksum 0, legal for IPv4). Timestamps are whatever clock
the caller passes: the simulated device stamps with its own (offset, drifting) wall clock, as tcpdump on the
device would.
"""

from __future__ import annotations

import hashlib
import socket
import struct
from typing import BinaryIO

LINKTYPE_LINUX_SLL = 113
SNAPLEN = 262144
PKTTYPE_HOST = 0  # incoming, addressed to us
PKTTYPE_OUTGOING = 4
ARPHRD_ETHER = 1
ETH_P_IP = 0x0800
GATEWAY_MAC = bytes.fromhex("02005e100001")

GLOBAL_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_LINUX_SLL)
_RECORD = struct.Struct("<IIII")
_SLL = struct.Struct("!HHH8sH")
_IP = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")


def device_mac(serial: str) -> bytes:
    """A stable locally administered MAC for a device serial."""
    return b"\x02" + hashlib.sha1(serial.encode()).digest()[:5]


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class PacketFormatter:
    """Turns (time, direction, addresses, payload) into pcap records for one capturing host."""

    def __init__(self, mac: bytes) -> None:
        self.mac = mac
        self._ip_id = 0
        self._addr_cache: dict[str, bytes] = {}

    def _aton(self, ip: str) -> bytes:
        packed = self._addr_cache.get(ip)
        if packed is None:
            packed = self._addr_cache[ip] = socket.inet_aton(ip)
        return packed

    def record(self, ts_ns: int, outgoing: bool, src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
        self._ip_id = (self._ip_id + 1) & 0xFFFF
        total = 20 + 8 + len(payload)
        ip = _IP.pack(0x45, 0, total, self._ip_id, 0x4000, 64, 17, 0, self._aton(src[0]), self._aton(dst[0]))
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        udp = _UDP.pack(src[1], dst[1], 8 + len(payload), 0)
        sll = _SLL.pack(PKTTYPE_OUTGOING if outgoing else PKTTYPE_HOST, ARPHRD_ETHER, 6,
                        (self.mac if outgoing else GATEWAY_MAC) + b"\0\0", ETH_P_IP)
        length = 16 + total
        sec, nsec = divmod(ts_ns, 1_000_000_000)
        return _RECORD.pack(sec, nsec // 1000, length, length) + sll + ip + udp + payload


def write_header(out: BinaryIO) -> None:
    out.write(GLOBAL_HEADER)
