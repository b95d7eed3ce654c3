"""``input``: taps, swipes (a still swipe of >= 500 ms is a long press), key events and text.

Keys go through :meth:`AndroidSystem.press_key`, the same policy uiautomator2's pressKey uses, so POWER,
HOME and BACK behave the same whichever way a test sends them.
"""

from __future__ import annotations

import asyncio

from simulator.android import keys
from simulator.shell.api import CommandContext, command

SOURCES = {"keyboard", "mouse", "joystick", "touchnavigation", "touchpad", "trackball", "stylus", "dpad",
           "gesture", "touchscreen", "gamepad", "rotaryencoder"}
LONG_PRESS_MS = 500
TOUCH_SLOP_PX = 16
MAX_GESTURE_S = 2.0

USAGE = """Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The commands and default sources are:
      text <string> (Default: touchscreen)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      draganddrop <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      longpress <x> <y> (Default: touchscreen)
"""


def _ints(args: list[str], count: int) -> list[int] | None:
    if len(args) < count:
        return None
    try:
        return [int(float(a)) for a in args[:count]]
    except ValueError:
        return None


async def _sleep_ms(ctx: CommandContext, ms: int) -> None:
    delay = min(ms / 1000, MAX_GESTURE_S) * ctx.device.time_scale
    if delay > 0:
        await asyncio.sleep(delay)


@command("input")
async def input_command(ctx: CommandContext) -> int:
    args = list(ctx.args)
    if args and args[0] in SOURCES:
        args = args[1:]
    if len(args) >= 2 and args[0] == "-d":
        args = args[2:]
    if not args:
        await ctx.err(USAGE)
        return 1
    verb, rest = args[0], args[1:]
    system = ctx.device.android
    screen = system.screen
    if verb == "tap":
        point = _ints(rest, 2)
        if point is None:
            await ctx.err(USAGE)
            return 1
        screen.tap(*point)
        return 0
    if verb in ("swipe", "draganddrop"):
        coords = _ints(rest, 4)
        if coords is None:
            await ctx.err(USAGE)
            return 1
        duration = _ints(rest[4:], 1)
        ms = duration[0] if duration else 300
        await _sleep_ms(ctx, ms)
        x1, y1, x2, y2 = coords
        if abs(x2 - x1) <= TOUCH_SLOP_PX and abs(y2 - y1) <= TOUCH_SLOP_PX:
            screen.tap(x1, y1, long=ms >= LONG_PRESS_MS)
        return 0
    if verb == "longpress":
        point = _ints(rest, 2)
        if point is None:
            await ctx.err(USAGE)
            return 1
        await _sleep_ms(ctx, LONG_PRESS_MS)
        screen.tap(*point, long=True)
        return 0
    if verb == "keyevent":
        long = "--longpress" in rest
        double = "--doubletap" in rest
        codes = [a for a in rest if a not in ("--longpress", "--doubletap")]
        if not codes:
            await ctx.err(USAGE)
            return 1
        for text in codes:
            code = keys.keycode(text)
            if code is None:
                continue  # Android sends KEYCODE_UNKNOWN, which nothing handles
            for _ in range(2 if double else 1):
                system.press_key(code, long=long)
        return 0
    if verb == "text":
        if not rest:
            await ctx.err(USAGE)
            return 1
        text = " ".join(rest).replace("%s", " ")
        top = screen.top()
        if top is not None and top.on_text is not None and screen.on:
            top.on_text(text)
        return 0
    if verb in ("press", "roll", "motionevent", "keycombination"):
        return 0
    await ctx.err(f"Error: Unknown command: {verb}\n" + USAGE)
    return 1
