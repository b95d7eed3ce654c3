"""Message framing and AUTH key handling, without a network."""

from __future__ import annotations

import struct

import pytest

from simulator.adb import protocol as p
from simulator.adb.auth import AdbKeyError, Authenticator, load_keys, parse_public_key
from simulator.adb.features import FEATURES
from tests.adb_wire import TestRsaKey, rsa_key


def test_encode_decode_round_trip() -> None:
    msg = p.Message(p.A_WRTE, 7, 9, b"hello")
    raw = p.encode(msg)
    assert len(raw) == p.HEADER_SIZE + 5
    command, arg0, arg1, length, check, magic = struct.unpack("<6I", raw[:24])
    assert (command, arg0, arg1, length) == (int.from_bytes(b"WRTE", "little"), 7, 9, 5)
    assert magic == command ^ 0xFFFFFFFF
    assert check == 0  # version 0x01000001 skips the checksum
    assert p.decode(raw) == msg


def test_old_version_gets_byte_sum_checksum() -> None:
    raw = p.encode(p.Message(p.A_WRTE, 1, 2, b"\x01\x02\xff"), version=p.A_VERSION_MIN)
    assert struct.unpack_from("<I", raw, 16)[0] == 0x102


@pytest.mark.parametrize(("raw", "problem"), [
    (b"GARBAGE!" * 3, "unknown command"),
    (p.encode(p.Message(p.A_OKAY, 1, 2))[:20], "truncated"),
    (p.encode(p.Message(p.A_OKAY, 1, 2))[:20] + b"\0\0\0\0", "bad magic"),
])
def test_decode_rejects_malformed_headers(raw: bytes, problem: str) -> None:
    with pytest.raises(p.ProtocolError, match=problem):
        p.decode(raw)


def test_decode_rejects_oversized_length() -> None:
    header = struct.pack("<6I", p.A_WRTE, 1, 2, p.MAX_PAYLOAD + 1, 0, p.A_WRTE ^ 0xFFFFFFFF)
    with pytest.raises(p.ProtocolError, match="exceeds the maximum"):
        p.decode_header(header)
    small = struct.pack("<6I", p.A_WRTE, 1, 2, 5000, 0, p.A_WRTE ^ 0xFFFFFFFF)
    with pytest.raises(p.ProtocolError, match="4096"):
        p.decode_header(small, max_payload=4096)
    assert p.decode_header(small).data_length == 5000


def test_decode_rejects_payload_length_mismatch() -> None:
    raw = p.encode(p.Message(p.A_WRTE, 1, 2, b"abc"))
    with pytest.raises(p.ProtocolError, match="header says 3"):
        p.decode(raw + b"x")


def test_parse_banner() -> None:
    kind, props, features = p.parse_banner(b"device::ro.product.model=M;ro.product.name=N;features=a,b\0")
    assert kind == "device"
    assert props == {"ro.product.model": "M", "ro.product.name": "N"}
    assert features == {"a", "b"}


def test_features_advertise_only_implemented_services() -> None:
    forbidden = {"delayed_ack", "abb", "sendrecv_v2_brotli", "sendrecv_v2_lz4", "sendrecv_v2_zstd",
                 "sendrecv_v2_dry_run_send"}
    assert not forbidden & set(FEATURES)
    # cmd/abb_exec: the streamed install and `cmd` exist (test_fidelity_packages); remount_shell: `remount`.
    assert {"shell_v2", "stat_v2", "ls_v2", "fixed_push_mkdir", "sendrecv_v2", "cmd", "abb_exec",
            "remount_shell"} <= set(FEATURES)


# -- AUTH ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keys() -> tuple[TestRsaKey, TestRsaKey]:
    return rsa_key(1), rsa_key(2)


def test_public_key_round_trip(keys: tuple[TestRsaKey, TestRsaKey]) -> None:
    key = parse_public_key(keys[0].public_line("me@lab") + "\n")
    assert key.modulus == keys[0].n
    assert key.exponent == 65537
    assert key.size_bytes == 256
    assert key.comment == "me@lab"


def test_signature_verifies_only_with_the_signing_key(keys: tuple[TestRsaKey, TestRsaKey]) -> None:
    first, second = (parse_public_key(k.public_line()) for k in keys)
    token = bytes(range(20))
    signature = keys[0].sign(token)
    assert first.verify(token, signature)
    assert not second.verify(token, signature)
    assert not first.verify(bytes(20), signature)  # another token
    tampered = bytearray(signature)
    tampered[-1] ^= 1
    assert not first.verify(token, bytes(tampered))
    assert not first.verify(token, signature[:-1])


def test_authenticator_checks_against_current_token(keys: tuple[TestRsaKey, TestRsaKey]) -> None:
    auth = Authenticator([parse_public_key(keys[1].public_line())])
    token = auth.next_token()
    assert len(token) == 20
    assert auth.check(keys[1].sign(token)) is not None
    assert auth.check(keys[0].sign(token)) is None
    old = token
    auth.next_token()
    assert auth.check(keys[1].sign(old)) is None  # a fresh token invalidates old signatures


@pytest.mark.parametrize(("line", "problem"), [
    ("not base64!!", "base64"),
    ("AAAA", "too short"),
    ("QAAAAAAAAAAAAAAA", "modulus_size_words"),
])
def test_bad_key_lines_raise_typed_errors(line: str, problem: str) -> None:
    with pytest.raises(AdbKeyError, match=problem):
        parse_public_key(line)


def test_load_keys_names_the_bad_line(tmp_path, keys: tuple[TestRsaKey, TestRsaKey]) -> None:
    path = tmp_path / "adb_keys"
    path.write_text(f"# lab keys\n{keys[0].public_line()}\n\n{keys[1].public_line()}\n")
    assert [k.modulus for k in load_keys(path)] == [keys[0].n, keys[1].n]
    path.write_text(f"{keys[0].public_line()}\ngarbage line\n")
    with pytest.raises(AdbKeyError, match=r"adb_keys:2:"):
        load_keys(path)


def test_missing_keys_file_is_a_typed_error(tmp_path) -> None:
    with pytest.raises(AdbKeyError, match="cannot read adb_keys file"):
        load_keys(tmp_path / "nope")
