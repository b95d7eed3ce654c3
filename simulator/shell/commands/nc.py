"""``nc [-q SECS] HOST PORT`` (toybox netcat, client side): stdin to a TCP port on the device's loopback, the
answer to stdout, until the other side closes. It reaches the same listeners ``adb forward`` does
(device-local services, ``adb reverse`` ports, which lead on to the host). The end of stdin is not passed
on (adb streams cannot half-close) unless ``-q SECS`` asks to quit that long after it. A port nobody listens
on: ``nc: connect: Connection refused``."""

from __future__ import annotations

import asyncio
import contextlib

from simulator.adb.services.tcp import LOOPBACK_NAMES
from simulator.android import hardware as hw
from simulator.shell.api import CommandContext, command
from simulator.streams import Pipe, StreamClosed


@command("nc", "netcat")
async def nc(ctx: CommandContext) -> int:
    args = list(ctx.args)
    quit_after: float | None = None
    if "-q" in args:
        i = args.index("-q")
        try:
            quit_after = float(args[i + 1])
        except (IndexError, ValueError):
            return await ctx.fail("-q needs a number of seconds")
        del args[i:i + 2]
    operands = [a for a in args if not a.startswith("-")]
    if len(operands) != 2 or not operands[1].isdigit():
        await ctx.err("usage: nc [-lw] HOST PORT\n")
        return 1
    host, port = operands[0], int(operands[1])
    if host not in LOOPBACK_NAMES and host != hw.wlan_ip(ctx.device):
        return await ctx.fail("connect: Network is unreachable")
    handler = ctx.device.services.lookup(port)
    if handler is None:
        return await ctx.fail("connect: Connection refused")
    to_service, from_service = Pipe(), Pipe()
    service = asyncio.ensure_future(handler(to_service, from_service))

    async def send() -> None:
        with contextlib.suppress(StreamClosed):
            while chunk := await ctx.stdin.read(65536):
                await to_service.write(chunk)
        if quit_after is not None:
            await asyncio.sleep(quit_after)
            to_service.close_nowait()
            from_service.close_nowait()

    sender = asyncio.ensure_future(send())
    try:
        while chunk := await from_service.read(65536):
            await ctx.out(chunk)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        if not service.done():
            to_service.close_nowait()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(service, 5)
    return 0
