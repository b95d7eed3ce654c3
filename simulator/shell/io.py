"""Stream ends the shell creates itself: files behind redirections and writers of detached jobs.

They implement :mod:`simulator.streams`' reader/writer protocols, so a command never knows whether its
stdout is an adb stream, a pipe, a file on the device or a command substitution's buffer.
"""

from __future__ import annotations

from simulator.fs import FileSystem
from simulator.streams import ByteWriter, StreamClosed


class BytesReader:
    """Reads a snapshot of a file (``< file``); ``readline`` lets ``read`` consume one line at a time."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    async def read(self, n: int = 65536) -> bytes:
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk

    async def readline(self) -> bytes:
        end = self._data.find(b"\n", self._pos)
        end = len(self._data) if end < 0 else end + 1
        line = self._data[self._pos:end]
        self._pos = end
        return line


class FileWriter:
    """Appends every write to a device file (``> file`` truncates it first, when the shell opens it)."""

    def __init__(self, fs: FileSystem, path: str, uid: int) -> None:
        self._fs = fs
        self._path = path
        self._uid = uid

    async def write(self, data: bytes) -> None:
        if data:
            self._fs.write_file(self._path, data, append=True, uid=self._uid)

    async def close(self) -> None:
        return None


class DetachedWriter:
    """The output of a background job (``cmd &``): passed through while its shell runs, dropped after.

    A real ``sh`` leaves a background job writing to the adb stream only until the stream closes; here
    the job must neither write into a finished session nor die of :class:`StreamClosed` when it does.
    """

    def __init__(self, inner: ByteWriter, session: Session) -> None:
        self._inner = inner
        self._session = session

    async def write(self, data: bytes) -> None:
        if not self._session.open:
            return
        try:
            await self._inner.write(data)
        except StreamClosed:
            self._session.open = False

    async def close(self) -> None:
        return None


class Session:
    """One ``Shell.run`` call; detached jobs check ``open`` before writing to its streams."""

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = True
