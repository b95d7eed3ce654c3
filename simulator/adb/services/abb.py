"""``abb_exec:`` — the Android Binder Bridge, raw: ``abb_exec:SERVICE\\0ARG\\0ARG...`` runs ``cmd SERVICE ARGS``.

adb uses it (when the device advertises ``abb_exec``) for the streamed install: ``abb_exec:package\\0install
\\0-S\\0SIZE`` with the APK bytes on the stream and ``Success``/``Failure [...]`` back, and for ``settings get``.
Arguments arrive already split, so nothing is parsed by a shell; stdout and stderr share the stream, as
with ``exec:``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.shell.commands.cmd import run_argv

from .shell import NoCloseWriter

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    argv = [arg for arg in name[len("abb_exec:"):].split("\0")]
    while argv and argv[-1] == "":
        argv.pop()

    async def run(stream: AdbStream) -> None:
        out = NoCloseWriter(stream)
        await run_argv(device, ["cmd", *argv], stream, out, out)
        await stream.close()

    return run
