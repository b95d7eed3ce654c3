"""adb public-key authentication, device side: the ``adb_keys`` format and AUTH SIGNATURE checks.

A host proves it holds a key by signing the device's 20-byte random token. adb signs with
``RSA_sign(NID_sha1, token, ...)``: the token is used *as* the SHA-1 digest, wrapped in the SHA-1
DigestInfo and PKCS#1 v1.5 padded. Verifying needs one modular exponentiation, which Python's ``pow``
does fast enough for a handshake, so no crypto dependency is needed.

A key line in ``adb_keys`` (and the host's ``adbkey.pub``) is base64 of Android's ``RSAPublicKey`` struct —
little-endian u32 ``modulus_size_words``, u32 ``n0inv``, the modulus and ``R^2 mod n`` as little-endian
byte arrays, u32 exponent — optionally followed by `` user@host``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import SimulatorError

from .protocol import TOKEN_SIZE

# DER DigestInfo header for SHA-1 (RFC 8017 §9.2 note 1).
SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")
ANDROID_MODULUS_WORDS = 64  # adb keys are RSA-2048


class AdbKeyError(SimulatorError, ValueError):
    """A line in an adb_keys file is not a valid adb public key."""


@dataclass(frozen=True)
class AdbPublicKey:
    modulus: int
    exponent: int
    size_bytes: int
    comment: str = ""

    def verify(self, token: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's PKCS#1 v1.5 SHA-1 signature with ``token`` as the digest."""
        if len(token) != TOKEN_SIZE or len(signature) != self.size_bytes:
            return False
        value = int.from_bytes(signature, "big")
        if value >= self.modulus:
            return False
        encoded = pow(value, self.exponent, self.modulus).to_bytes(self.size_bytes, "big")
        return hmac.compare_digest(encoded, pkcs1_v15_sha1_block(token, self.size_bytes))


def pkcs1_v15_sha1_block(digest: bytes, size_bytes: int) -> bytes:
    """The padded block ``00 01 FF.. 00 DigestInfo digest`` that a valid signature decrypts to."""
    payload = SHA1_DIGEST_INFO + digest
    padding = size_bytes - 3 - len(payload)
    if padding < 8:
        raise ValueError(f"an RSA key of {size_bytes} bytes is too small for a SHA-1 signature")
    return b"\x00\x01" + b"\xff" * padding + b"\x00" + payload


def parse_public_key(line: str) -> AdbPublicKey:
    """Parse one ``adb_keys`` line: ``BASE64 [user@host]``."""
    text = line.strip()
    if not text:
        raise AdbKeyError("empty key line")
    blob_text, _, comment = text.partition(" ")
    try:
        blob = base64.b64decode(blob_text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AdbKeyError(f"key is not valid base64 ({exc}): {blob_text[:24]}...") from exc
    if len(blob) < 8:
        raise AdbKeyError(f"key blob of {len(blob)} bytes is too short for an RSAPublicKey")
    words, _n0inv = struct.unpack_from("<II", blob)
    size = words * 4
    expected = 8 + 2 * size + 4
    if words == 0 or len(blob) != expected:
        raise AdbKeyError(
            f"key blob is {len(blob)} bytes but modulus_size_words={words} needs {expected} "
            f"(an adb key is {8 + 2 * ANDROID_MODULUS_WORDS * 4 + 4} bytes)")
    modulus = int.from_bytes(blob[8:8 + size], "little")
    (exponent,) = struct.unpack_from("<I", blob, 8 + 2 * size)
    if modulus.bit_length() < size * 8 - 8 or exponent < 3:
        raise AdbKeyError("key has an implausible modulus or exponent")
    return AdbPublicKey(modulus=modulus, exponent=exponent, size_bytes=size, comment=comment.strip())


def encode_public_key(modulus: int, exponent: int, comment: str = "") -> str:
    """The ``adbkey.pub`` form of a key (used by tests and by labs that make keys without adb)."""
    words = (modulus.bit_length() + 31) // 32
    size = words * 4
    n0inv = (-pow(modulus, -1, 1 << 32)) & 0xFFFFFFFF
    rr = pow(1 << (size * 8), 2, modulus)
    blob = (struct.pack("<II", words, n0inv) + modulus.to_bytes(size, "little")
            + rr.to_bytes(size, "little") + struct.pack("<I", exponent))
    text = base64.b64encode(blob).decode()
    return f"{text} {comment}" if comment else text


def load_keys(path: Path) -> list[AdbPublicKey]:
    """Read an ``adb_keys`` file; a bad line fails loudly with its line number rather than being skipped."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise AdbKeyError(f"cannot read adb_keys file {path}: {exc.strerror or exc}") from exc
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            keys.append(parse_public_key(line))
        except AdbKeyError as exc:
            raise AdbKeyError(f"{path}:{number}: {exc}") from exc
    return keys


def new_token() -> bytes:
    return os.urandom(TOKEN_SIZE)


class Authenticator:
    """Per-connection AUTH state: the token last sent and the keys that may answer it."""

    def __init__(self, keys: list[AdbPublicKey]) -> None:
        self.keys = keys
        self.token = new_token()

    def next_token(self) -> bytes:
        self.token = new_token()
        return self.token

    def check(self, signature: bytes) -> AdbPublicKey | None:
        return next((key for key in self.keys if key.verify(self.token, signature)), None)
