"""Programs as processes: pids in ``ps`` while they run, ``kill``, cancellation, background jobs, SIGPIPE."""

from __future__ import annotations

import asyncio

import pytest

from simulator.device import SimDevice
from simulator.streams import BufferWriter, EmptyReader, Pipe, StreamClosed
from tests.shell_helpers import on_device, run


class FeedReader:
    """A reader with fixed content (stdin of ``sh`` in tests)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, n: int = 65536) -> bytes:
        chunk, self._data = self._data[:n], self._data[n:]
        return chunk


class ClosedWriter:
    """A writer whose reader is gone (the host closed the adb stream)."""

    async def write(self, data: bytes) -> None:
        raise StreamClosed("gone")

    async def close(self) -> None:
        return None


def test_ps_shows_running_sleep_and_kill_ends_it() -> None:
    async def body(device: SimDevice) -> None:
        task = asyncio.create_task(run(device, "sleep 5; echo after $?"))
        await asyncio.sleep(0.05)
        sleeping = device.processes.by_name("sleep")
        assert len(sleeping) == 1 and sleeping[0].uid == 2000
        shell_pid = sleeping[0].ppid
        assert device.processes.get(shell_pid).name == "sh"  # type: ignore[union-attr]
        ps = await run(device, "ps -A -o PID,PPID,NAME")
        assert f"{sleeping[0].pid:>5} {shell_pid:>5} sleep" in ps.out.splitlines()
        assert (await run(device, "pidof sleep")).out == f"{sleeping[0].pid}\n"
        killed = await run(device, f"kill -9 {sleeping[0].pid}")
        assert (killed.status, killed.err) == (0, "")
        result = await asyncio.wait_for(task, 1)
        assert result.out == "after 137\n"
        assert not device.processes.by_name("sleep")
        assert device.processes.get(shell_pid) is None  # the shell exited too

    on_device(body)


def test_every_command_gets_a_new_pid_and_exits() -> None:
    async def body(device: SimDevice) -> None:
        before = {p.pid for p in device.processes.all()}
        first = await run(device, "sh -c 'echo $$'; ps -o PID,NAME | grep -w ps")
        second = await run(device, "ps -o PID,NAME | grep -w ps")
        assert first.out.split()[1] != second.out.split()[0]
        assert {p.pid for p in device.processes.all()} == before

    on_device(body)


def test_cancelled_run_stops_cleanly_and_frees_pids() -> None:
    async def body(device: SimDevice) -> None:
        before = {p.pid for p in device.processes.all()}
        task = asyncio.create_task(run(device, "sleep 30 | cat; echo never"))
        await asyncio.sleep(0.05)
        assert device.processes.by_name("sleep") and device.processes.by_name("cat")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert {p.pid for p in device.processes.all()} == before

    on_device(body)


def test_killing_exec_shell_ends_the_exec_command() -> None:
    async def body(device: SimDevice) -> None:
        task = asyncio.create_task(run(device, "exec sleep 30"))
        await asyncio.sleep(0.05)
        (proc,) = device.processes.by_name("sleep")
        assert device.processes.get(proc.ppid).name == "adbd"  # type: ignore[union-attr]  # exec kept sh's pid
        await run(device, f"kill {proc.pid}")
        result = await asyncio.wait_for(task, 1)
        assert result.status == 143

    on_device(body)


def test_kill_errors_and_permissions() -> None:
    async def body(device: SimDevice) -> None:
        result = await run(device, "kill 99999; echo $?; kill 1; kill -l 9; kill -l KILL; kill -FOO 1")
        assert result.out == "1\nKILL\n9\n"
        assert result.err == ("kill: pid 99999: No such process\nkill: pid 1: Operation not permitted\n"
                              "kill: Unknown signal 'FOO'\n")
        wmpf = device.processes.spawn("com.example.victim", 10099)
        assert (await run(device, f"kill -9 {wmpf.pid}")).status == 1
        assert wmpf.alive
        assert (await run(device, f"su 0 kill -s KILL {wmpf.pid}")).status == 0
        assert not wmpf.alive

    on_device(body)


def test_background_job_runs_detached() -> None:
    async def body(device: SimDevice) -> None:
        result = await run(device, "sleep 0.05 & echo started $!; wait; echo waited $?")
        assert result.out.startswith("started ") and result.out.endswith("waited 0\n")
        result = await run(device, "(sleep 0.1; touch /data/local/tmp/late) & echo now")
        assert result.out == "now\n" and not device.fs.exists("/data/local/tmp/late")
        await asyncio.sleep(0.3)
        assert device.fs.exists("/data/local/tmp/late")

    on_device(body)


def test_closed_output_ends_command_with_141_quietly() -> None:
    async def body(device: SimDevice) -> None:
        err = BufferWriter()
        status = await device.shell.run("echo hi; echo X4EXIT:$?", EmptyReader(), ClosedWriter(), err)
        assert status == 141 and err.data == b""
        pipe = Pipe()
        pipe.close_read()
        status = await device.shell.run("cat /system/bin/sh", EmptyReader(), pipe, err)
        assert status == 141

    on_device(body)


def test_busy_loop_does_not_starve_the_event_loop() -> None:
    async def body(device: SimDevice) -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        t = asyncio.create_task(ticker())
        task = asyncio.create_task(run(device, "while true; do :; done"))
        await asyncio.sleep(0.05)
        task.cancel()
        t.cancel()
        assert ticks > 10

    on_device(body)


def test_simple_command_is_fast() -> None:
    import time

    async def body(device: SimDevice) -> float:
        await run(device, "echo hi; echo X4EXIT:$?")
        start = time.process_time()
        for _ in range(300):
            await run(device, "echo hi; echo X4EXIT:$?")
        return (time.process_time() - start) / 300

    assert on_device(body) < 0.001
