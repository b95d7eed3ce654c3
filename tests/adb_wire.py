"""A tiny adb *host* that speaks the transport protocol over a real socket, for device-side tests.

The real adb servers hide the wire (flow control, CLSE answers, AUTH tokens, malformed input); this
client lets tests see and provoke it. It also makes RSA keys in pure Python so AUTH can be tested
without adb's key files.
"""

from __future__ import annotations

import functools
import hashlib
import random
import socket
import struct

from simulator.adb import protocol as p
from simulator.adb.auth import encode_public_key, pkcs1_v15_sha1_block

HOST_FEATURES = b"host::features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp"


class WireClosed(Exception):
    """The device closed the connection."""


class WireClient:
    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.version = p.A_VERSION

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> WireClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        self.sock.sendall(p.encode(p.Message(command, arg0, arg1, data), self.version))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _recv_exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise WireClosed(f"connection closed after {len(out)} of {n} bytes")
            out += chunk
        return bytes(out)

    def recv(self, timeout: float | None = None) -> p.Message:
        if timeout is not None:
            self.sock.settimeout(timeout)
        header = p.decode_header(self._recv_exact(p.HEADER_SIZE))
        data = self._recv_exact(header.data_length) if header.data_length else b""
        return p.Message(header.command, header.arg0, header.arg1, data)

    def data_check_of_next(self) -> tuple[p.Message, int]:
        """Receive one message and also return its raw data_check field."""
        raw = self._recv_exact(p.HEADER_SIZE)
        header = p.decode_header(raw)
        data = self._recv_exact(header.data_length) if header.data_length else b""
        return p.Message(header.command, header.arg0, header.arg1, data), header.data_check

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        """True once the device closes the socket (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def connect(self, max_payload: int = p.MAX_PAYLOAD, version: int = p.A_VERSION) -> p.Message:
        self.version = version
        self.send(p.A_CNXN, version, max_payload, HOST_FEATURES)
        return self.recv()

    def open(self, local_id: int, service: str) -> p.Message:
        self.send(p.A_OPEN, local_id, 0, service.encode() + b"\0")
        return self.recv()


# -- RSA keys for AUTH tests ------------------------------------------------------------------------------
def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 4:
        return n in (2, 3)
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _is_probable_prime(candidate, rng):
            return candidate


@functools.cache
def rsa_key(seed: int) -> TestRsaKey:
    """A cached :class:`TestRsaKey` (making one takes about a second of pure-Python prime search)."""
    return TestRsaKey(seed)


class TestRsaKey:
    """An RSA-2048 key made from a seed (deterministic, so tests are repeatable)."""

    __test__ = False  # not a pytest class

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        e = 65537
        while True:
            p_, q_ = _prime(1024, rng), _prime(1024, rng)
            n = p_ * q_
            phi = (p_ - 1) * (q_ - 1)
            if n.bit_length() == 2048 and phi % e:
                break
        self.n, self.e, self.d = n, e, pow(e, -1, phi)

    def sign(self, token: bytes) -> bytes:
        block = pkcs1_v15_sha1_block(token, 256)
        return pow(int.from_bytes(block, "big"), self.d, self.n).to_bytes(256, "big")

    def public_line(self, comment: str = "test@wmpf-hil") -> str:
        return encode_public_key(self.n, self.e, comment)

    def fingerprint(self) -> str:
        return hashlib.md5(self.n.to_bytes(256, "big")).hexdigest()


def u32(data: bytes, offset: int = 0) -> int:
    return struct.unpack_from("<I", data, offset)[0]
