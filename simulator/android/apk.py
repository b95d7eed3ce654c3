"""A small APK reader and writer: the manifest facts a package manager needs, from binary AXML.

``adb install`` hands the device an APK; the package manager must know its package name, version,
instrumentation and input methods without running any of its code. :func:`read_apk` opens the zip, checks
that it is signed at all (v1 ``META-INF/*.RSA|DSA|EC`` or a v2+ APK Signing Block; signatures are *not*
verified) and decodes ``AndroidManifest.xml`` (the binary XML of ``ResXMLTree``: a string pool, a resource
map and start/end element chunks). :func:`build_apk` writes the same format, so the packages a profile lists
have real APK files at the path ``pm path`` gives.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

from simulator.errors import SimulatorError

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_RESOURCE_MAP_TYPE = 0x0180
UTF8_FLAG = 0x100
TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
ANDROID_NS = "http://schemas.android.com/apk/res/android"

# android:attr resource ids: aapt2 may leave the attribute's name out of the pool, never its id.
ATTR_IDS = {
    0x01010003: "name", 0x0101021B: "versionCode", 0x0101021C: "versionName", 0x0101020C: "minSdkVersion",
    0x01010270: "targetSdkVersion", 0x01010021: "targetPackage", 0x01010272: "testOnly",
    0x01010001: "label", 0x0101000F: "debuggable",
}
NAME_TO_ID = {name: rid for rid, name in ATTR_IDS.items()}
APK_SIG_BLOCK_MAGIC = b"APK Sig Block 42"


class ApkError(SimulatorError):
    """Not an installable APK; ``reason`` is PackageManager's failure code (``INSTALL_PARSE_FAILED_...``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Element:
    name: str
    attrs: dict[str, object] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)

    def find_all(self, name: str) -> list[Element]:
        found = [c for c in self.children if c.name == name]
        for child in self.children:
            found.extend(child.find_all(name))
        return found


@dataclass(frozen=True)
class Instrumentation:
    name: str  # fully qualified class
    target: str


@dataclass(frozen=True)
class ApkInfo:
    package: str
    version_code: int
    version_name: str
    min_sdk: int = 1
    target_sdk: int = 1
    test_only: bool = False
    instrumentations: tuple[Instrumentation, ...] = ()
    input_methods: tuple[str, ...] = ()  # service classes with the android.view.InputMethod action
    launcher_activity: str | None = None
    split: str | None = None  # a split APK's name (``<manifest split="config.xxhdpi">``); None for a base APK


# -- reading ------------------------------------------------------------------------------------------
def _strings(data: bytes, offset: int) -> list[str]:
    _type, header_size, _size = struct.unpack_from("<HHI", data, offset)
    count, _styles, flags, strings_start, _styles_start = struct.unpack_from("<IIIII", data, offset + 8)
    utf8 = bool(flags & UTF8_FLAG)
    offsets = struct.unpack_from(f"<{count}I", data, offset + header_size)
    base = offset + strings_start
    result = []
    for rel in offsets:
        pos = base + rel
        if utf8:
            n = data[pos]
            pos += 2 if n & 0x80 else 1
            length = data[pos]
            if length & 0x80:
                length = ((length & 0x7F) << 8) | data[pos + 1]
                pos += 2
            else:
                pos += 1
            result.append(data[pos:pos + length].decode("utf-8", "replace"))
        else:
            length = struct.unpack_from("<H", data, pos)[0]
            pos += 2
            if length & 0x8000:
                length = ((length & 0x7FFF) << 16) | struct.unpack_from("<H", data, pos)[0]
                pos += 2
            result.append(data[pos:pos + 2 * length].decode("utf-16-le", "replace"))
    return result


def parse_axml(data: bytes) -> Element:
    """The element tree of a binary XML document (attribute values: str, int or bool)."""
    try:
        return _parse_axml(data)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ApkError("INSTALL_PARSE_FAILED_BAD_MANIFEST", f"AndroidManifest.xml is not binary XML ({exc})") \
            from exc


def _parse_axml(data: bytes) -> Element:
    doc_type, doc_header, doc_size = struct.unpack_from("<HHI", data, 0)
    if doc_type != RES_XML_TYPE:
        raise ApkError("INSTALL_PARSE_FAILED_BAD_MANIFEST", "AndroidManifest.xml is not binary XML")
    strings: list[str] = []
    res_ids: list[int] = []
    root = Element("#document")
    stack = [root]
    pos = doc_header
    end = min(doc_size, len(data))
    while pos + 8 <= end:
        ctype, header_size, size = struct.unpack_from("<HHI", data, pos)
        if size < 8:
            break
        if ctype == RES_STRING_POOL_TYPE:
            strings = _strings(data, pos)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            res_ids = list(struct.unpack_from(f"<{(size - header_size) // 4}I", data, pos + header_size))
        elif ctype == RES_XML_START_ELEMENT_TYPE:
            body = pos + header_size
            _ns, name_idx, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, body)
            element = Element(strings[name_idx])
            for i in range(attr_count):
                a = body + attr_start + i * attr_size
                _ans, aname, raw, _vsize, _res0, vtype, vdata = struct.unpack_from("<IIIHBBI", data, a)
                name = strings[aname] if aname < len(strings) else ""
                if aname < len(res_ids) and res_ids[aname] in ATTR_IDS:
                    name = ATTR_IDS[res_ids[aname]]
                if vtype == TYPE_STRING:
                    value: object = strings[vdata]
                elif raw != 0xFFFFFFFF and raw < len(strings):
                    value = strings[raw]
                elif vtype == TYPE_INT_BOOLEAN:
                    value = vdata != 0
                elif vtype in (TYPE_INT_DEC, TYPE_INT_HEX):
                    value = vdata - (1 << 32) if vdata & 0x80000000 and vtype == TYPE_INT_DEC else vdata
                elif vtype == TYPE_REFERENCE:
                    value = f"@0x{vdata:08x}"
                else:
                    value = vdata
                element.attrs[name] = value
            stack[-1].children.append(element)
            stack.append(element)
        elif ctype == RES_XML_END_ELEMENT_TYPE and len(stack) > 1:
            stack.pop()
        pos += size
    return root


def _qualify(package: str, name: str) -> str:
    return package + name if name.startswith(".") else name if "." in name else f"{package}.{name}"


def manifest_info(manifest: Element) -> ApkInfo:
    tops = [c for c in manifest.children if c.name == "manifest"]
    if not tops:
        raise ApkError("INSTALL_PARSE_FAILED_MANIFEST_EMPTY", "no <manifest> element")
    top = tops[0]
    package = top.attrs.get("package")
    if not isinstance(package, str) or "." not in package:
        raise ApkError("INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME", f"bad package name {package!r}")
    code = top.attrs.get("versionCode", 0)
    version_code = code if isinstance(code, int) and not isinstance(code, bool) else 0
    version_name = str(top.attrs.get("versionName", "")) if "versionName" in top.attrs else "null"
    sdk = next(iter(top.find_all("uses-sdk")), Element("uses-sdk"))
    min_sdk = sdk.attrs.get("minSdkVersion", 1)
    target_sdk = sdk.attrs.get("targetSdkVersion", min_sdk)
    app = next(iter(top.find_all("application")), Element("application"))
    instrumentations = tuple(
        Instrumentation(_qualify(package, str(i.attrs.get("name", ""))), str(i.attrs.get("targetPackage", package)))
        for i in top.find_all("instrumentation"))
    input_methods = []
    launcher = None
    for service in app.find_all("service"):
        actions = {a.attrs.get("name") for a in service.find_all("action")}
        if "android.view.InputMethod" in actions:
            input_methods.append(_qualify(package, str(service.attrs.get("name", ""))))
    for activity in app.find_all("activity") + app.find_all("activity-alias"):
        actions = {a.attrs.get("name") for a in activity.find_all("action")}
        categories = {c.attrs.get("name") for c in activity.find_all("category")}
        if launcher is None and "android.intent.action.MAIN" in actions \
                and "android.intent.category.LAUNCHER" in categories:
            launcher = _qualify(package, str(activity.attrs.get("name", "")))
    return ApkInfo(
        package=package, version_code=version_code, version_name=version_name,
        min_sdk=min_sdk if isinstance(min_sdk, int) else 1,
        target_sdk=target_sdk if isinstance(target_sdk, int) else 1,
        test_only=app.attrs.get("testOnly") is True, instrumentations=instrumentations,
        input_methods=tuple(input_methods), launcher_activity=launcher,
        split=str(top.attrs["split"]) if top.attrs.get("split") else None,
    )


def is_signed(data: bytes, names: list[str]) -> bool:
    """A v1 signature file or a v2+ APK Signing Block is present (nothing is verified)."""
    if any(n.startswith("META-INF/") and n.rsplit(".", 1)[-1].upper() in ("RSA", "DSA", "EC") for n in names):
        return True
    return APK_SIG_BLOCK_MAGIC in data[-(1 << 20) - 4096:] or APK_SIG_BLOCK_MAGIC in data


def read_apk(data: bytes) -> ApkInfo:
    """Package facts of an APK; :class:`ApkError` with PackageManager's reason if it cannot be installed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "AndroidManifest.xml" not in names:
                raise ApkError("INSTALL_PARSE_FAILED_BAD_MANIFEST", "no AndroidManifest.xml in the APK")
            manifest = zf.read("AndroidManifest.xml")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ApkError("INSTALL_PARSE_FAILED_NOT_APK", f"not a zip archive ({exc})") from exc
    info = manifest_info(parse_axml(manifest))
    if not is_signed(data, names):
        raise ApkError("INSTALL_PARSE_FAILED_NO_CERTIFICATES",
                       f"Scanning Failed.: No signature found in package of version 2 or newer for package "
                       f"{info.package}")
    return info


# -- writing ------------------------------------------------------------------------------------------
class _Pool:
    def __init__(self) -> None:
        self.strings: list[str] = []

    def ref(self, text: str) -> int:
        if text not in self.strings:
            self.strings.append(text)
        return self.strings.index(text)

    def encode(self) -> bytes:
        offsets, body = [], b""
        for text in self.strings:
            offsets.append(len(body))
            encoded = text.encode("utf-16-le")
            body += struct.pack("<H", len(text)) + encoded + b"\0\0"
        body += b"\0" * (-len(body) % 4)
        header_size = 28
        strings_start = header_size + 4 * len(offsets)
        head = struct.pack("<HHIIIIII", RES_STRING_POOL_TYPE, header_size, strings_start + len(body),
                           len(self.strings), 0, 0, strings_start, 0)
        return head + struct.pack(f"<{len(offsets)}I", *offsets) + body


def encode_axml(root: Element) -> bytes:
    """Binary XML for an element tree whose attributes are android: attributes (str, int or bool)."""
    pool = _Pool()
    attr_names = sorted({n for e in _walk(root) for n in e.attrs if n in NAME_TO_ID})
    for name in attr_names:  # attribute names with resource ids first, so the map lines up with the pool
        pool.ref(name)
    prefix, uri = pool.ref("android"), pool.ref(ANDROID_NS)
    chunks: list[bytes] = [struct.pack("<HHIIIII", RES_XML_START_NAMESPACE_TYPE, 16, 24, 1, 0xFFFFFFFF,
                                       prefix, uri)]

    def emit(element: Element) -> None:
        attrs = b""
        for name, value in element.attrs.items():
            ns = uri if name in NAME_TO_ID or name not in ("package",) else 0xFFFFFFFF
            if name == "package":
                ns = 0xFFFFFFFF
            if isinstance(value, bool):
                raw, vtype, vdata = 0xFFFFFFFF, TYPE_INT_BOOLEAN, 0xFFFFFFFF if value else 0
            elif isinstance(value, int):
                raw, vtype, vdata = 0xFFFFFFFF, TYPE_INT_DEC, value & 0xFFFFFFFF
            else:
                idx = pool.ref(str(value))
                raw, vtype, vdata = idx, TYPE_STRING, idx
            attrs += struct.pack("<IIIHBBI", ns, pool.ref(name), raw, 8, 0, vtype, vdata)
        count = len(element.attrs)
        body = struct.pack("<IIHHHHHH", 0xFFFFFFFF, pool.ref(element.name), 20, 20, count, 0, 0, 0) + attrs
        chunks.append(struct.pack("<HHIII", RES_XML_START_ELEMENT_TYPE, 16, 16 + len(body), 1, 0xFFFFFFFF)
                      + body)
        for child in element.children:
            emit(child)
        chunks.append(struct.pack("<HHIIIII", RES_XML_END_ELEMENT_TYPE, 16, 24, 1, 0xFFFFFFFF, 0xFFFFFFFF,
                                  pool.ref(element.name)))

    emit(root)
    chunks.append(struct.pack("<HHIIIII", RES_XML_END_NAMESPACE_TYPE, 16, 24, 1, 0xFFFFFFFF, prefix, uri))
    res_map = struct.pack("<HHI", RES_XML_RESOURCE_MAP_TYPE, 8, 8 + 4 * len(attr_names)) + \
        struct.pack(f"<{len(attr_names)}I", *(NAME_TO_ID[n] for n in attr_names))
    body = pool.encode() + res_map + b"".join(chunks)
    return struct.pack("<HHI", RES_XML_TYPE, 8, 8 + len(body)) + body


def _walk(element: Element) -> list[Element]:
    out = [element]
    for child in element.children:
        out.extend(_walk(child))
    return out


def manifest_element(package: str, version_code: int, version_name: str, *, min_sdk: int = 24,
                     target_sdk: int = 30, launcher_activity: str | None = None,
                     instrumentations: tuple[Instrumentation, ...] = ()) -> Element:
    app = Element("application", {"label": package.rsplit(".", 1)[-1]})
    if launcher_activity:
        app.children.append(Element("activity", {"name": launcher_activity}, [Element("intent-filter", {}, [
            Element("action", {"name": "android.intent.action.MAIN"}),
            Element("category", {"name": "android.intent.category.LAUNCHER"})])]))
    children = [Element("uses-sdk", {"minSdkVersion": min_sdk, "targetSdkVersion": target_sdk}), app]
    children += [Element("instrumentation", {"name": i.name, "targetPackage": i.target}) for i in instrumentations]
    return Element("manifest", {"versionCode": version_code, "versionName": version_name, "package": package},
                   children)


def build_apk(manifest: Element, *, signed: bool = True, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip with the binary manifest, an empty classes.dex and (``signed``) v1 signature files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("AndroidManifest.xml", encode_axml(manifest))
        zf.writestr("classes.dex", b"dex\n035\0" + b"\0" * 104)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        if signed:
            zf.writestr("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nCreated-By: wmpf-hil\r\n\r\n")
            zf.writestr("META-INF/CERT.SF", b"Signature-Version: 1.0\r\nCreated-By: wmpf-hil\r\n\r\n")
            zf.writestr("META-INF/CERT.RSA", b"0\x82\x00\x00")
    return buf.getvalue()
