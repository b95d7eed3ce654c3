"""The ``logcat`` command on an in-process device: dump, filters, tails, clear and live streaming."""

from __future__ import annotations

import asyncio
import shlex

from simulator.device import SimDevice
from simulator.profile import load_profile
from simulator.shell.api import CommandContext
from simulator.shell.commands.logcat import logcat
from simulator.streams import BufferWriter, EmptyReader, Pipe


def booted() -> SimDevice:
    device = SimDevice(load_profile())
    device.boot()
    device.logcat.clear()
    return device


async def run(device: SimDevice, line: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = BufferWriter(), BufferWriter()
    ctx = CommandContext(device, shlex.split(line), EmptyReader(), out, err, env=env or {})
    status = await logcat(ctx)
    return status, out.data.decode(), err.data.decode()


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("---------")]


def test_dump_prints_dividers_and_threadtime() -> None:
    async def main() -> None:
        device = booted()
        device.logcat.log("I", "WMPFCli", "hello", pid=300, tid=301, uid=10071)
        device.logcat.log("I", "ActivityManager", "Start proc", pid=200, buffer="system")
        device.logcat.log("W", "WMPFCli", "again", pid=300)
        status, out, err = await run(device, "logcat -d", {"ANDROID_LOG_TAGS": "''"})
        assert status == 0 and err == ""
        got = out.splitlines()
        assert got[0] == "--------- beginning of main"
        assert got[1].endswith("  300   301 I WMPFCli : hello")
        assert got[2] == "--------- beginning of system"
        assert got[3].endswith("  200   200 I ActivityManager: Start proc")
        assert len(got) == 5 and got[4].endswith(" W WMPFCli : again")  # no second "beginning of main"
        _, out, _ = await run(device, "logcat -d -D")
        assert "--------- switch to main" in out

    asyncio.run(main())


def test_filterspecs_and_silent() -> None:
    async def main() -> None:
        device = booted()
        for prio, tag in (("D", "WMPFCli"), ("I", "WMPFCli"), ("E", "Other"), ("V", "Noise")):
            device.logcat.log(prio, tag, f"{prio}{tag}", pid=10)
        _, out, _ = await run(device, "logcat -d -s WMPFCli:I")
        assert [line[-8:] for line in lines(out)] == ["IWMPFCli"]
        _, out, _ = await run(device, "logcat -d WMPFCli:D *:S")
        assert len(lines(out)) == 2
        _, out, _ = await run(device, "logcat -d *:E")
        assert [line.split()[-1] for line in lines(out)] == ["EOther"]
        _, out, _ = await run(device, "logcat -d", {"ANDROID_LOG_TAGS": "*:W"})
        assert len(lines(out)) == 1
        status, _, err = await run(device, "logcat -d Tag:x")
        assert status == 1 and err == "logcat: Invalid filter expression 'Tag:x'.\n"

    asyncio.run(main())


def test_formats_regex_pid_and_max_count() -> None:
    async def main() -> None:
        device = booted()
        device.logcat.log("I", "A", "call joined room 42", pid=10)
        device.logcat.log("I", "B", "call ended", pid=11)
        device.logcat.log("I", "A", "idle", pid=10)
        _, out, _ = await run(device, "logcat -d -v raw -e 'call'")
        assert lines(out) == ["call joined room 42", "call ended"]
        _, out, _ = await run(device, "logcat -d -v tag --pid=10")
        assert lines(out) == ["I/A       : call joined room 42", "I/A       : idle"]
        _, out, _ = await run(device, "logcat -d -v brief -m 1")
        assert lines(out) == ["I/A       (   10): call joined room 42"]
        _, out, _ = await run(device, "logcat -d -v epoch,usec -v uid")
        first = lines(out)[0]
        assert first.split()[1] == "1000" and len(first.split()[0].split(".")[1]) == 6
        assert first.index(".") == 19
        status, _, err = await run(device, "logcat -d -v nope")
        assert status == 1 and err == "logcat: Invalid -v 'nope'.\n"

    asyncio.run(main())


def test_tail_counts_and_times() -> None:
    async def main() -> None:
        device = booted()
        entries = [device.logcat.log("I", "T", f"m{i}", pid=1) for i in range(5)]
        _, out, _ = await run(device, "logcat -t 2 -v raw")
        assert lines(out) == ["m3", "m4"]
        since = entries[3].wall_ns
        _, out, _ = await run(device, f"logcat -v raw -t {since // 10**9}.{since % 10**9:09d}")
        assert lines(out) == ["m3", "m4"]
        _, out, err = await run(device, "logcat -d -v raw -t 0")
        assert lines(out) == ["m4"] and err == "WARNING: -t 0 invalid, setting to 1\n"
        status, _, err = await run(device, "logcat -t yesterday")
        assert status == 1 and "not in time format" in err

    asyncio.run(main())


def test_clear_empties_the_log() -> None:
    async def main() -> None:
        device = booted()
        device.logcat.log("I", "T", "x", pid=1)
        assert await run(device, "logcat -c") == (0, "", "")
        assert await run(device, "logcat -d") == (0, "", "")

    asyncio.run(main())


def test_stream_delivers_new_entries_until_closed() -> None:
    async def main() -> None:
        device = booted()
        device.logcat.log("I", "T", "before", pid=1)
        out = Pipe()
        ctx = CommandContext(device, ["logcat", "-v", "raw", "-T", "1"], EmptyReader(), out, BufferWriter())
        task = asyncio.create_task(logcat(ctx))
        assert await asyncio.wait_for(out.readline(), 1) == b"--------- beginning of main\n"
        assert await asyncio.wait_for(out.readline(), 1) == b"before\n"
        device.logcat.log("I", "T", "after", pid=1)
        assert await asyncio.wait_for(out.readline(), 1) == b"after\n"
        out.close_read()
        device.logcat.log("I", "T", "nobody reads this", pid=1)
        assert await asyncio.wait_for(task, 1) == 0
        assert not device.logcat._subscribers

    asyncio.run(main())


def test_stream_ends_on_reboot_and_on_cancel() -> None:
    async def main() -> None:
        device = booted()
        out = Pipe()
        ctx = CommandContext(device, ["logcat"], EmptyReader(), out, BufferWriter())
        task = asyncio.create_task(logcat(ctx))
        await asyncio.sleep(0)
        device.logcat.close_subscribers()
        assert await asyncio.wait_for(task, 1) == 1
        task = asyncio.create_task(logcat(ctx))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert not device.logcat._subscribers

    asyncio.run(main())


def test_stream_max_count_exits() -> None:
    async def main() -> None:
        device = booted()
        out = BufferWriter()
        ctx = CommandContext(device, ["logcat", "-v", "raw", "-m", "2"], EmptyReader(), out, BufferWriter())
        task = asyncio.create_task(logcat(ctx))
        await asyncio.sleep(0)
        for i in range(3):
            device.logcat.log("I", "T", f"n{i}", pid=1)
        assert await asyncio.wait_for(task, 1) == 0
        assert lines(out.data.decode()) == ["n0", "n1"]

    asyncio.run(main())
