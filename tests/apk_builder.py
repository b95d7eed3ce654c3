"""An APK writer for tests, independent of the simulator's: binary AXML with a UTF-8 string pool (aapt2's
usual choice; the simulator writes UTF-16), attribute names found only through the resource map, and a v2
APK Signing Block instead of v1 signature files. The reader must cope with both encodings."""

from __future__ import annotations

import io
import struct
import zipfile

ANDROID_NS = "http://schemas.android.com/apk/res/android"
ATTRS = {"versionCode": 0x0101021B, "versionName": 0x0101021C, "name": 0x01010003,
         "minSdkVersion": 0x0101020C, "targetSdkVersion": 0x01010270, "targetPackage": 0x01010021}


def _utf8_pool(strings: list[str]) -> bytes:
    offsets, body = [], b""
    for text in strings:
        offsets.append(len(body))
        data = text.encode()
        body += bytes([len(text), len(data)]) + data + b"\0"
    body += b"\0" * (-len(body) % 4)
    start = 28 + 4 * len(strings)
    return (struct.pack("<HHIIIIII", 0x0001, 28, start + len(body), len(strings), 0, 0x100, start, 0)
            + struct.pack(f"<{len(strings)}I", *offsets) + body)


def manifest(package: str, version_code: int, version_name: str) -> bytes:
    """<manifest package versionCode versionName><uses-sdk/><application><activity MAIN/LAUNCHER/></application>"""
    attr_names = list(ATTRS)  # first in the pool, empty names: only the resource map says what they are
    strings = [""] * len(attr_names) + ["android", ANDROID_NS, "manifest", "package", package, version_name,
                                        "uses-sdk", "application", "activity", ".Main", "intent-filter",
                                        "action", "android.intent.action.MAIN", "category",
                                        "android.intent.category.LAUNCHER"]
    idx = {s: i for i, s in enumerate(strings) if s}
    ns = idx[ANDROID_NS]

    def attr(name_index: int, value: int | str, namespace: int = ns) -> bytes:
        if isinstance(value, int):
            return struct.pack("<IIIHBBI", namespace, name_index, 0xFFFFFFFF, 8, 0, 0x10, value)
        return struct.pack("<IIIHBBI", namespace, name_index, idx[value], 8, 0, 0x03, idx[value])

    def start(name: str, attrs: list[bytes]) -> bytes:
        body = struct.pack("<IIHHHHHH", 0xFFFFFFFF, idx[name], 20, 20, len(attrs), 0, 0, 0) + b"".join(attrs)
        return struct.pack("<HHIII", 0x0102, 16, 16 + len(body), 1, 0xFFFFFFFF) + body

    def end(name: str) -> bytes:
        return struct.pack("<HHIIIII", 0x0103, 16, 24, 1, 0xFFFFFFFF, 0xFFFFFFFF, idx[name])

    a = {name: i for i, name in enumerate(attr_names)}
    chunks = [struct.pack("<HHIIIII", 0x0100, 16, 24, 1, 0xFFFFFFFF, idx["android"], ns),
              start("manifest", [attr(a["versionCode"], version_code), attr(a["versionName"], version_name),
                                 attr(idx["package"], package, 0xFFFFFFFF)]),
              start("uses-sdk", [attr(a["minSdkVersion"], 21), attr(a["targetSdkVersion"], 33)]), end("uses-sdk"),
              start("application", []), start("activity", [attr(a["name"], ".Main")]), start("intent-filter", []),
              start("action", [attr(a["name"], "android.intent.action.MAIN")]), end("action"),
              start("category", [attr(a["name"], "android.intent.category.LAUNCHER")]), end("category"),
              end("intent-filter"), end("activity"), end("application"), end("manifest"),
              struct.pack("<HHIIIII", 0x0101, 16, 24, 1, 0xFFFFFFFF, idx["android"], ns)]
    res_map = struct.pack("<HHI", 0x0180, 8, 8 + 4 * len(attr_names)) + struct.pack(
        f"<{len(attr_names)}I", *ATTRS.values())
    body = _utf8_pool(strings) + res_map + b"".join(chunks)
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


def apk(package: str, version_code: int, version_name: str) -> bytes:
    """A zip whose entries are followed by an APK Signing Block (v2 layout: size, pairs, size, magic)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("AndroidManifest.xml", manifest(package, version_code, version_name))
        zf.writestr("classes.dex", b"dex\n035\0" + b"\0" * 104)
    data = buf.getvalue()
    first_cd = data.find(b"PK\x01\x02")
    pair = struct.pack("<QI", 4 + 16, 0x7109871A) + b"\0" * 16
    block_size = len(pair) + 8 + 16
    block = struct.pack("<Q", block_size) + pair + struct.pack("<Q", block_size) + b"APK Sig Block 42"
    eocd = data.rfind(b"PK\x05\x06")
    new = data[:first_cd] + block + data[first_cd:eocd]
    eocd_rec = bytearray(data[eocd:])
    struct.pack_into("<I", eocd_rec, 16, first_cd + len(block))  # central directory moved after the block
    return new + bytes(eocd_rec)
