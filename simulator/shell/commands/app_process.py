"""``app_process``: runs a Java main class from a jar; here only the uiautomator2 server ``u2.jar``.

uiautomator2 3.7.1 starts its server with the streaming v1 shell
``CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p 9008`` and treats the stream as
the server's life: it watches the output for ``already registered`` and for an early end, and closes the
stream to stop the server. So this command spawns a process, binds the port and then blocks until the
stream goes away (task cancelled / reader gone) or the process is killed.
"""

from __future__ import annotations

import asyncio
import contextlib

from simulator.local_services import PortInUse
from simulator.shell.api import CommandContext, command
from simulator.uia2.server import DEFAULT_PORT, Uia2Server, running_server

UIA2_MAIN_CLASSES = ("com.wetest.uia2.Main",)
LIVENESS_POLL_S = 0.5
SIGHUP_STATUS = 128 + 1


def _parse(args: list[str]) -> tuple[list[str], str | None, str | None, list[str]]:
    """``[java-options] cmd-dir class [class-args]`` → (java options, cmd dir, class, class args)."""
    java_opts: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        java_opts.append(args[i])
        i += 1
    cmd_dir = args[i] if i < len(args) else None
    main_class = args[i + 1] if i + 1 < len(args) else None
    return java_opts, cmd_dir, main_class, args[i + 2:]


def _classpath(ctx: CommandContext, java_opts: list[str]) -> list[str]:
    for opt in java_opts:
        if opt.startswith("-Djava.class.path="):
            return [p for p in opt.split("=", 1)[1].split(":") if p]
    return [p for p in ctx.env.get("CLASSPATH", "").split(":") if p]


def _port(class_args: list[str]) -> int | None:
    port = DEFAULT_PORT
    for i, arg in enumerate(class_args):
        if arg in ("-p", "--port") and i + 1 < len(class_args):
            try:
                port = int(class_args[i + 1])
            except ValueError:
                return None
    return port if 0 < port < 65536 else None


@command("app_process", "app_process64", "app_process32")
async def app_process(ctx: CommandContext) -> int:
    java_opts, _cmd_dir, main_class, class_args = _parse(ctx.args)
    if main_class is None:
        await ctx.err("Usage: app_process [java-options] cmd-dir start-class-name [options]\n")
        return 1
    classpath = _classpath(ctx, java_opts)
    jars = [ctx.path(p) for p in classpath]
    if main_class not in UIA2_MAIN_CLASSES or not jars or not any(ctx.device.fs.exists(j) for j in jars):
        path = ",".join(f'zip file "{j}"' for j in jars)
        await ctx.err(
            f'Exception in thread "main" java.lang.ClassNotFoundException: Didn\'t find class "{main_class}" '
            f"on path: DexPathList[[{path}],nativeLibraryDirectories=[/system/lib64, /system_ext/lib64]]\n")
        return 1
    port = _port(class_args)
    if port is None:
        await ctx.err("java.lang.NumberFormatException: invalid port\n")
        return 1
    device = ctx.device
    # Only one UiAutomation connection may exist per device: a second server fails like the real one.
    if running_server(device) is not None:
        await ctx.out("[server] INFO: [UiAutomator2Server] Starting Server\n")
        await ctx.err(
            "java.lang.IllegalStateException: UiAutomationService android.accessibilityservice."
            "IAccessibilityServiceClient$Stub$Proxy@5deffd5already registered!\n")
        return 1

    # The shell gives every program a process (ctx.pid) and cancels us when it is killed; run outside a
    # shell (ctx.pid unknown) the command spawns its own so the server still has a pid to kill.
    proc = device.processes.get(ctx.pid) if ctx.pid else None
    own_proc = proc is None
    if proc is None:
        proc = device.processes.spawn("app_process", ctx.uid, ppid=1, threads=12)
    server = Uia2Server(device, port, process=proc)
    try:
        server.start()
    except PortInUse:
        if own_proc:
            device.processes.exit(proc, 1)
        await ctx.out("[server] INFO: [UiAutomator2Server] Starting Server\n")
        await ctx.err(f"java.net.BindException: bind failed: EADDRINUSE (Address already in use) port {port}\n")
        return 1

    exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_exit(_proc: object, status: int) -> None:
        if not exited.done():
            exited.set_result(status)

    proc.on_exit.append(on_exit)
    device.logcat.log("I", "UiAutomator2Server", f"Starting Server on port {port}", pid=proc.pid, uid=ctx.uid)
    try:
        await ctx.out("[server] INFO: [UiAutomator2Server] Starting Server\n")
        while not exited.done():
            if getattr(ctx.stdout, "reader_gone", False):
                device.processes.exit(proc, SIGHUP_STATUS)  # the shell's pty hung up
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(exited), LIVENESS_POLL_S)
        return exited.result() if exited.done() else SIGHUP_STATUS
    except asyncio.CancelledError:
        if own_proc:
            device.processes.exit(proc, SIGHUP_STATUS)
        raise
    finally:
        server.stop()
        if own_proc and proc.alive:
            device.processes.exit(proc, 1)
