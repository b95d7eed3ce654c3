"""``root:``, ``unroot:`` and ``tcpip:PORT`` (adb root / unroot / tcpip), answered as AOSP
``daemon/restart_service.cpp`` does.

On a debuggable build (``ro.debuggable=1``) adbd says ``restarting adbd as root`` and restarts: every link
drops and the host reconnects to an adbd running as uid 0 (``unroot:`` the reverse, back to 2000). A user
build answers ``adbd cannot run as root in production builds`` and stays as it is. The restart time is the
profile's ``adbd_restart_s``. ``tcpip:PORT`` answers ``restarting in TCP mode port: PORT`` and restarts adbd
(``service.adb.tcp.port``); the simulated device keeps listening where the simulator put it, so the host's
existing ``adb connect`` address still reaches it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice

log = logging.getLogger(__name__)

ALREADY_ROOT = "adbd is already running as root\n"
PRODUCTION_BUILD = "adbd cannot run as root in production builds\n"
RESTARTING_ROOT = "restarting adbd as root\n"
NOT_ROOT = "adbd not running as root\n"
RESTARTING_NONROOT = "restarting adbd as non root\n"


def debuggable(device: SimDevice) -> bool:
    return device.props.get("ro.debuggable", "0") == "1"


def resolve_tcpip(device: SimDevice, name: str) -> ServiceRunner:
    port_text = name[len("tcpip:"):]

    async def run(stream: AdbStream) -> None:
        port = int(port_text) if port_text.isdigit() else 0
        if port <= 0:
            await stream.write(f"invalid port {port_text}\n".encode())
            await stream.close()
            return
        device.props["service.adb.tcp.port"] = str(port)
        await stream.write(f"restarting in TCP mode port: {port}\n".encode())
        await stream.close()
        device.restart_adbd(root=device.adbd.root)

    return run


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    want_root = name.startswith("root:")

    async def run(stream: AdbStream) -> None:
        restart = False
        if want_root:
            if device.adbd.root:
                reply = ALREADY_ROOT
            elif not debuggable(device):
                reply = PRODUCTION_BUILD
            else:
                reply, restart = RESTARTING_ROOT, True
        elif not device.adbd.root:
            reply = NOT_ROOT
        else:
            reply, restart = RESTARTING_NONROOT, True
        await stream.write(reply.encode())
        await stream.close()
        if restart:
            log.info("%s: adbd restarting as %s", device.serialno, "root" if want_root else "non root")
            device.restart_adbd(root=want_root)

    return run
