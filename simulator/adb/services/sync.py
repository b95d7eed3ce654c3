"""``sync:`` — the file sync protocol (adb push/pull/ls/stat; adbutils ``device.sync``).

Wire format from AOSP ``file_sync_protocol.h`` (all little-endian, structs packed); behaviour follows
``daemon/file_sync_service.cpp``: a request is ``id[4] | path_length u32 | path`` (path <= 1024 bytes), and
the session serves requests until QUIT, an error that ends it (FAIL), or the host closing the stream.

Compression (SND2/RCV2 flags brotli/lz4/zstd) is refused with FAIL: the device does not advertise the
``sendrecv_v2_*`` codec features, so well-behaved hosts never ask.
"""

from __future__ import annotations

import asyncio
import errno
import os
import posixpath
import stat as st
import struct
from typing import TYPE_CHECKING

from simulator.fs import FileStat, FileSystem, FsError
from simulator.shell.access import READ_ONLY_MOUNTS

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice


def _id(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "little")


ID_LSTAT_V1 = _id("STAT")
ID_STAT_V2 = _id("STA2")
ID_LSTAT_V2 = _id("LST2")
ID_LIST_V1 = _id("LIST")
ID_LIST_V2 = _id("LIS2")
ID_DENT_V1 = _id("DENT")
ID_DENT_V2 = _id("DNT2")
ID_SEND_V1 = _id("SEND")
ID_SEND_V2 = _id("SND2")
ID_RECV_V1 = _id("RECV")
ID_RECV_V2 = _id("RCV2")
ID_DONE = _id("DONE")
ID_DATA = _id("DATA")
ID_OKAY = _id("OKAY")
ID_FAIL = _id("FAIL")
ID_QUIT = _id("QUIT")

FLAG_BROTLI = 1
FLAG_LZ4 = 2
FLAG_ZSTD = 4
FLAG_DRY_RUN = 0x8000_0000

SYNC_DATA_MAX = 64 * 1024
MAX_PATH = 1024

REQUEST = struct.Struct("<II")  # id, path_length; also data/status/recv_v2_setup: id, size
STAT_V1 = struct.Struct("<IIII")  # id, mode, size, mtime
STAT_V2 = struct.Struct("<IIQQIIIIQqqq")  # id, error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime
DENT_V1 = struct.Struct("<IIIII")  # id, mode, size, mtime, namelen
DENT_V2 = struct.Struct("<IIQQIIIIQqqqI")  # stat_v2 + namelen
SEND_V2_SETUP = struct.Struct("<III")  # id, mode, flags
DEVICE_DEV = 0xFD00  # st_dev of /data on a typical device (dm-0)


class SyncAbort(Exception):
    """The session must end (after a FAIL was sent, or the host vanished mid-request)."""


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    async def run(stream: AdbStream) -> None:
        session = SyncSession(device, stream)
        await session.serve()
        await stream.close()

    return run


def _errno_message(exc: OSError) -> str:
    return exc.strerror or os.strerror(exc.errno or errno.EIO)


def _parse_mode(text: str) -> int:
    """``strtoul(text, nullptr, 0)``: ``0x`` hex, leading ``0`` octal, else decimal."""
    text = text.strip()
    if text.lower().startswith("0x"):
        return int(text[2:], 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text[1:], 8)
    return int(text)


class SyncSession:
    def __init__(self, device: SimDevice, stream: AdbStream) -> None:
        self.device = device
        self.fs = device.fs
        self.stream = stream

    async def serve(self) -> None:
        try:
            while await self._one_request():
                pass
        except (SyncAbort, asyncio.IncompleteReadError):
            return

    async def _one_request(self) -> bool:
        try:
            header = await self.stream.readexactly(REQUEST.size)
        except asyncio.IncompleteReadError:
            return False
        request_id, length = REQUEST.unpack(header)
        if length > MAX_PATH:
            await self._fail("path too long")
            return False
        path = (await self.stream.readexactly(length)).decode("utf-8", "surrogateescape")
        if request_id == ID_LSTAT_V1:
            await self._stat_v1(path)
        elif request_id in (ID_STAT_V2, ID_LSTAT_V2):
            await self._stat_v2(request_id, path)
        elif request_id in (ID_LIST_V1, ID_LIST_V2):
            await self._list(path, v2=request_id == ID_LIST_V2)
        elif request_id == ID_SEND_V1:
            comma = path.rfind(",")
            if comma < 0:
                await self._fail("missing , in ID_SEND_V1")
                return False
            try:
                mode = _parse_mode(path[comma + 1:])
            except ValueError:
                await self._fail("bad mode")
                return False
            return await self._send(path[:comma], mode, dry_run=False)
        elif request_id == ID_SEND_V2:
            setup_id, mode, flags = SEND_V2_SETUP.unpack(await self.stream.readexactly(SEND_V2_SETUP.size))
            if setup_id != ID_SEND_V2:
                await self._fail("invalid send_v2 setup packet")
                return False
            if flags & ~FLAG_DRY_RUN:
                await self._fail(f"unsupported flags: {flags} (this device does no compression)")
                return False
            return await self._send(path, mode, dry_run=bool(flags & FLAG_DRY_RUN))
        elif request_id == ID_RECV_V1:
            return await self._recv(path)
        elif request_id == ID_RECV_V2:
            setup_id, flags = REQUEST.unpack(await self.stream.readexactly(REQUEST.size))
            if setup_id != ID_RECV_V2:
                await self._fail("invalid recv_v2 setup packet")
                return False
            if flags:
                await self._fail(f"unsupported flags: {flags} (this device does no compression)")
                return False
            return await self._recv(path)
        elif request_id == ID_QUIT:
            return False
        else:
            await self._fail(f"unknown command {request_id:08x}")
            return False
        return True

    # -- replies ------------------------------------------------------------------------------------
    async def _fail(self, message: str) -> None:
        data = message.encode("utf-8", "replace")
        await self.stream.write(REQUEST.pack(ID_FAIL, len(data)) + data)

    def _abs(self, path: str) -> str:
        return self.fs.normalize(path, "/")

    # -- stat / list --------------------------------------------------------------------------------
    async def _stat_v1(self, path: str) -> None:
        try:
            s = self.fs.lstat(self._abs(path))
            reply = STAT_V1.pack(ID_LSTAT_V1, s.mode, s.size & 0xFFFFFFFF, s.mtime & 0xFFFFFFFF)
        except FsError:
            reply = STAT_V1.pack(ID_LSTAT_V1, 0, 0, 0)  # v1 has no error field: all zero means "failed"
        await self.stream.write(reply)

    async def _stat_v2(self, request_id: int, path: str) -> None:
        try:
            abs_path = self._abs(path)
            s = self.fs.stat(abs_path) if request_id == ID_STAT_V2 else self.fs.lstat(abs_path)
        except FsError as exc:
            reply = STAT_V2.pack(request_id, exc.errno or errno.EIO, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        else:
            reply = STAT_V2.pack(request_id, 0, *_stat_v2_fields(s))
        await self.stream.write(reply)

    async def _list(self, path: str, *, v2: bool) -> None:
        try:
            abs_path = self._abs(path)
            entries = [(".", self.fs.stat(abs_path)),
                       ("..", self.fs.stat(posixpath.dirname(abs_path) or "/"))]
            entries += self.fs.listdir(abs_path)
        except FsError:
            entries = []  # adbd: opendir failed, so just DONE
        out = bytearray()
        for name, s in entries:
            raw = name.encode("utf-8", "surrogateescape")
            if v2:
                out += DENT_V2.pack(ID_DENT_V2, 0, *_stat_v2_fields(s), len(raw)) + raw
            else:
                out += DENT_V1.pack(ID_DENT_V1, s.mode, s.size & 0xFFFFFFFF, s.mtime & 0xFFFFFFFF, len(raw)) + raw
            if len(out) >= SYNC_DATA_MAX:
                await self.stream.write(bytes(out))
                out.clear()
        out += DENT_V2.pack(ID_DONE, *([0] * 12)) if v2 else DENT_V1.pack(ID_DONE, 0, 0, 0, 0)
        await self.stream.write(bytes(out))

    # -- send (push) --------------------------------------------------------------------------------
    async def _send(self, path: str, mode: int, *, dry_run: bool) -> bool:
        """Receive one file; True to keep the session going (OKAY sent), False after a FAIL."""
        try:
            abs_path = self._abs(path)
        except FsError as exc:
            await self._fail(f"couldn't create file: {_errno_message(exc)}")
            await self._discard_data()
            return False
        if st.S_ISLNK(mode):
            return await self._send_link(abs_path, dry_run=dry_run)
        # adbd copies the user permission bits to group and other.
        mode &= 0o777
        mode |= (mode >> 3) & 0o070
        mode |= (mode >> 3) & 0o007
        if not dry_run:
            error = self._create(abs_path, mode)
            if error:
                await self._fail(error)
                await self._discard_data()
                return False
        data = bytearray()
        while True:
            chunk_id, size = REQUEST.unpack(await self.stream.readexactly(REQUEST.size))
            if chunk_id == ID_DONE:
                mtime = size
                break
            if chunk_id != ID_DATA:
                await self._fail("invalid data message")
                return False
            if size > SYNC_DATA_MAX:
                await self._fail(f"oversize data message: {size} bytes > {SYNC_DATA_MAX}")
                return False
            chunk = await self.stream.readexactly(size)
            if not dry_run:
                data += chunk
        if not dry_run:
            try:
                self.fs.write_file(abs_path, data, mode=mode, mtime=mtime)
            except FsError as exc:
                await self._fail(f"write failed: {_errno_message(exc)}")
                return False
        await self.stream.write(REQUEST.pack(ID_OKAY, 0))
        return True

    def _create(self, path: str, mode: int) -> str | None:
        """Create (or truncate) the target like adbd's open(O_CREAT); a FAIL message, or None on success."""
        if _under_read_only_mount(path) and not self.fs.system_writable:
            return f"couldn't create file: {_errno_message(FsError(errno.EROFS, path))}"
        if _lexists(self.fs, path) and st.S_ISLNK(self.fs.lstat(path).mode):
            self.fs.remove(path)  # adbd unlinks a symlink being replaced by a regular file
        try:
            self.fs.write_file(path, b"", mode=mode)
            return None
        except FsError as exc:
            if exc.errno != errno.ENOENT:
                return f"couldn't create file: {_errno_message(exc)}"
        try:  # fixed_push_mkdir: create missing parents (adbd's secure_mkdirs, mode 0775), then retry
            self.fs.mkdir(posixpath.dirname(path) or "/", parents=True, mode=0o775)
        except FsError as exc:
            return f"secure_mkdirs() failed: {_errno_message(exc)}"
        try:
            self.fs.write_file(path, b"", mode=mode)
        except FsError as exc:
            return f"couldn't create file: {_errno_message(exc)}"
        return None

    async def _send_link(self, path: str, *, dry_run: bool) -> bool:
        chunk_id, size = REQUEST.unpack(await self.stream.readexactly(REQUEST.size))
        if chunk_id != ID_DATA:
            await self._fail("invalid data message: expected ID_DATA")
            return False
        if size > SYNC_DATA_MAX:
            await self._fail("oversize data message")
            return False
        target = (await self.stream.readexactly(size)).rstrip(b"\0").decode("utf-8", "surrogateescape")
        if not dry_run:
            try:
                if _lexists(self.fs, path):
                    self.fs.remove(path)
                parent = posixpath.dirname(path) or "/"
                if not self.fs.exists(parent):
                    self.fs.mkdir(parent, parents=True, mode=0o775)
                self.fs.symlink(target, path)
            except FsError as exc:
                await self._fail(f"symlink failed: {_errno_message(exc)}")
                return False
        chunk_id, _mtime = REQUEST.unpack(await self.stream.readexactly(REQUEST.size))
        if chunk_id != ID_DONE:
            await self._fail("invalid data message: expected ID_DONE")
            return False
        await self.stream.write(REQUEST.pack(ID_OKAY, 0))
        return True

    async def _discard_data(self) -> None:
        """After a FAIL, swallow the host's DATA until DONE, as adbd does, so it reads our FAIL."""
        while True:
            try:
                chunk_id, size = REQUEST.unpack(await self.stream.readexactly(REQUEST.size))
            except asyncio.IncompleteReadError:
                return
            if chunk_id != ID_DATA or size > SYNC_DATA_MAX:
                return
            try:
                await self.stream.readexactly(size)
            except asyncio.IncompleteReadError:
                return

    # -- recv (pull) --------------------------------------------------------------------------------
    async def _recv(self, path: str) -> bool:
        try:
            data = self.fs.read_file(self._abs(path))
        except FsError as exc:
            what = "read failed" if exc.errno == errno.EISDIR else "open failed"
            await self._fail(f"{what}: {_errno_message(exc)}")
            return False
        view = memoryview(data)
        for start in range(0, len(view), SYNC_DATA_MAX):
            chunk = view[start:start + SYNC_DATA_MAX]
            await self.stream.write(REQUEST.pack(ID_DATA, len(chunk)) + chunk)
        await self.stream.write(REQUEST.pack(ID_DONE, 0))
        return True


def _under_read_only_mount(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in READ_ONLY_MOUNTS)


def _stat_v2_fields(s: FileStat) -> tuple[int, ...]:
    """dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime."""
    return (DEVICE_DEV, s.ino, s.mode, s.nlink, s.uid, s.gid, s.size, s.mtime, s.mtime, s.mtime)


def _lexists(fs: FileSystem, path: str) -> bool:
    try:
        fs.lstat(path)
    except FsError:
        return False
    return True
