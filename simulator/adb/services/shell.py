"""``shell:`` and ``shell,v2,...:`` — commands and interactive sessions on the device shell.

Service name: ``shell[,ARG...]:COMMAND``. Arguments (``docs/dev/services.md``): ``v2`` selects the shell
protocol, ``raw``/``pty`` the terminal type (default: pty for an interactive session, raw for a command),
``TERM=...`` the terminal name.

* v1 (``shell:CMD``, what adbutils and uiautomator2 use): stdout and stderr are merged onto the stream and the
  exit status is lost (adbutils appends ``; echo X4EXIT:$?`` to learn it).
* v2 (``shell_v2`` feature, the adb CLI): both directions carry packets ``id u8 | length u32 LE | data``
  (see ``shell_protocol.h``): 0 stdin, 1 stdout, 2 stderr, 3 exit (one byte), 4 close-stdin,
  5 window-size. adb 29 sends close-stdin right after the start when it has no stdin to forward.

An empty command is an interactive session; it is deliberately minimal: lines are run one by one (shell
state such as ``cd`` does not carry over between lines), ``exit [N]`` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.streams import ByteReader, ByteWriter, EmptyReader, Pipe, StreamClosed

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice

ID_STDIN = 0
ID_STDOUT = 1
ID_STDERR = 2
ID_EXIT = 3
ID_CLOSE_STDIN = 4
ID_WINDOW_SIZE = 5

PACKET_HEADER = struct.Struct("<BI")
MAX_PACKET_DATA = 32 * 1024  # what adbd's shell protocol buffer holds; larger reads are split


@dataclass
class ShellRequest:
    command: str
    v2: bool = False
    pty: bool = False
    env: dict[str, str] = field(default_factory=dict)


def parse_service(name: str) -> ShellRequest:
    """Split ``shell[,args]:command``; unknown arguments are ignored like adbd does."""
    head, _, command = name.partition(":")
    args = head.split(",")[1:]
    request = ShellRequest(command=command, pty=not command)
    for arg in args:
        if arg == "v2":
            request.v2 = True
        elif arg == "raw":
            request.pty = False
        elif arg == "pty":
            request.pty = True
        elif arg.startswith("TERM="):
            request.env["TERM"] = arg[len("TERM="):]
    return request


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    request = parse_service(name)

    async def run(stream: AdbStream) -> None:
        if request.v2:
            await _run_v2(device, request, stream)
        else:
            await _run_v1(device, request, stream)
        await stream.close()

    return run


# -- writers ------------------------------------------------------------------------------------------
class NoCloseWriter:
    """Shares a stream between writers (stdout and stderr) without letting a command close it."""

    def __init__(self, inner: ByteWriter) -> None:
        self._inner = inner

    async def write(self, data: bytes) -> None:
        await self._inner.write(data)

    async def close(self) -> None:
        return None


class PtyWriter:
    """What a pty's ONLCR does to output: ``\\n`` becomes ``\\r\\n``."""

    def __init__(self, inner: ByteWriter) -> None:
        self._inner = inner

    async def write(self, data: bytes) -> None:
        await self._inner.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    async def close(self) -> None:
        return None


class PacketWriter:
    """Writes data as shell-protocol packets of one id; each packet goes out in a single stream write."""

    def __init__(self, stream: ByteWriter, packet_id: int) -> None:
        self._stream = stream
        self._id = packet_id

    async def write(self, data: bytes) -> None:
        for start in range(0, len(data), MAX_PACKET_DATA):
            chunk = data[start:start + MAX_PACKET_DATA]
            await self._stream.write(PACKET_HEADER.pack(self._id, len(chunk)) + chunk)

    async def close(self) -> None:
        return None


# -- v1 -----------------------------------------------------------------------------------------------
async def _run_v1(device: SimDevice, request: ShellRequest, stream: AdbStream) -> None:
    out: ByteWriter = PtyWriter(stream) if request.pty else NoCloseWriter(stream)
    if request.command:
        await device.shell.run(request.command, stream, out, out, env=request.env or None)
    else:
        await interactive(device, stream, out, out, pty=request.pty, env=request.env)


# -- v2 -----------------------------------------------------------------------------------------------
async def _run_v2(device: SimDevice, request: ShellRequest, stream: AdbStream) -> None:
    stdin = Pipe()
    demux = asyncio.get_running_loop().create_task(_demux_stdin(stream, stdin))
    stdout: ByteWriter = PacketWriter(stream, ID_STDOUT)
    stderr: ByteWriter = PacketWriter(stream, ID_STDERR)
    if request.pty:
        stdout = PtyWriter(stdout)
        stderr = stdout  # a pty has one output
    try:
        if request.command:
            status = await device.shell.run(request.command, stdin, stdout, stderr, env=request.env or None)
        else:
            status = await interactive(device, stdin, stdout, stderr, pty=request.pty, env=request.env)
        await stream.write(PACKET_HEADER.pack(ID_EXIT, 1) + bytes([status & 0xFF]))
    finally:
        demux.cancel()
        stdin.close_read()
        with contextlib.suppress(asyncio.CancelledError):
            await demux


async def _demux_stdin(stream: AdbStream, stdin: Pipe) -> None:
    """Unpack the host's packets: stdin data into the pipe, close-stdin ends it, the rest is ignored."""
    try:
        while True:
            try:
                header = await stream.readexactly(PACKET_HEADER.size)
                packet_id, length = PACKET_HEADER.unpack(header)
                data = await stream.readexactly(length) if length else b""
            except asyncio.IncompleteReadError:
                return
            if packet_id == ID_STDIN and not stdin.eof:
                with contextlib.suppress(StreamClosed):  # the command stopped reading: drop, like EPIPE
                    await stdin.write(data)  # bounded: a slow reader holds back the host's WRTEs
            elif packet_id == ID_CLOSE_STDIN:
                stdin.close_nowait()
            # ID_WINDOW_SIZE ("ROWSxCOLS,XPIXxYPIX") changes nothing for a simulated terminal.
    finally:
        stdin.close_nowait()


# -- interactive --------------------------------------------------------------------------------------
async def interactive(device: SimDevice, stdin: ByteReader, stdout: ByteWriter, stderr: ByteWriter, *,
                      pty: bool, env: dict[str, str]) -> int:
    """A minimal ``sh`` session: prompt and echo on a pty, one command per line, ``exit [N]`` ends it."""
    lines = LineEditor(stdin, stdout if pty else None)
    status = 0
    sign = "#" if device.shell_uid == 0 else "$"  # after adb root the prompt is root's
    prompt = f"{device.props.get('ro.product.device', 'android')}:/ {sign} ".encode()
    while True:
        if pty:
            await stdout.write(prompt)
        line = await lines.read_line()
        if line is None:
            return status
        words = line.split()
        if not words:
            continue
        if words[0] == "exit":
            if len(words) > 1 and words[1].lstrip("-").isdigit():
                return int(words[1]) & 0xFF
            return status
        status = await device.shell.run(line, EmptyReader(), stdout, stderr, env=env or None)


class LineEditor:
    """Reads command lines; with an echo writer it behaves like a cooked tty (echo, backspace, ^C, ^D)."""

    def __init__(self, stdin: ByteReader, echo: ByteWriter | None) -> None:
        self._stdin = stdin
        self._echo = echo
        self._pending = b""

    async def read_line(self) -> str | None:
        line = bytearray()
        while True:
            if not self._pending:
                self._pending = await self._stdin.read(4096)
                if not self._pending:
                    return line.decode("utf-8", "replace") if line else None
            byte, self._pending = self._pending[:1], self._pending[1:]
            if self._echo is None:
                if byte == b"\n":
                    return line.decode("utf-8", "replace")
                line += byte
                continue
            if byte in (b"\r", b"\n"):
                await self._echo.write(b"\n")
                return line.decode("utf-8", "replace")
            if byte in (b"\x7f", b"\x08"):
                if line:
                    del line[-1]
                    await self._echo.write(b"\x08 \x08")
            elif byte == b"\x03":
                await self._echo.write(b"^C\n")
                return ""
            elif byte == b"\x04":
                if not line:
                    return None
            else:
                line += byte
                await self._echo.write(byte)
