"""Network commands: ``ip`` (addr, link, route), ``ifconfig``, ``ping``, ``netstat``, ``ss``.

The simulated device has a loopback and one Wi-Fi interface (``wlan0``, 192.168.50.x/24 behind gateway
.1). ``ping`` answers for loopback, the device's own address, the gateway and any IPv4 address (LAN and
internet hosts reply after 5-30 ms); a host name other than ``localhost`` does not resolve; with the link
fault on (``link_blocked``) nothing but loopback answers. Sockets listed by ``netstat``/``ss`` are the
device's real listeners: adbd's, the device-local services (uiautomator2's 9008, ``adb reverse`` ports).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time

from simulator.android import hardware as hw
from simulator.shell.api import CommandContext, command

ADBD_PORT = 5555


def _interfaces(ctx: CommandContext) -> list[tuple[int, str, str, str, str]]:
    """(index, name, flags, mac, inet/prefix)."""
    device = ctx.device
    wlan_state = "NO-CARRIER,BROADCAST,MULTICAST,UP" if device.link_blocked else "BROADCAST,MULTICAST,UP,LOWER_UP"
    return [(1, "lo", "LOOPBACK,UP,LOWER_UP", "00:00:00:00:00:00", "127.0.0.1/8"),
            (2, "dummy0", "BROADCAST,NOARP,UP,LOWER_UP", "6e:1f:2a:00:00:01", ""),
            (30, "wlan0", wlan_state, hw.wlan_mac(device), f"{hw.wlan_ip(device)}/24")]


def _ip_addr(ctx: CommandContext, only: str | None, family4: bool, link_only: bool) -> str:
    lines = []
    for index, name, flags, mac, inet in _interfaces(ctx):
        if only and name != only:
            continue
        mtu = 65536 if name == "lo" else 1500
        state = "UNKNOWN" if name in ("lo", "dummy0") else ("DOWN" if "NO-CARRIER" in flags else "UP")
        qdisc = "noqueue" if name == "lo" else "mq"
        lines.append(f"{index}: {name}: <{flags}> mtu {mtu} qdisc {qdisc} state {state} group default qlen 1000")
        if not family4:
            kind = "loopback" if name == "lo" else "ether"
            brd = "00:00:00:00:00:00" if name == "lo" else "ff:ff:ff:ff:ff:ff"
            lines.append(f"    link/{kind} {mac} brd {brd}")
        if link_only or not inet:
            continue
        scope = "host" if name == "lo" else "global"
        brd = "" if name == "lo" else " brd " + str(ipaddress.ip_interface(inet).network.broadcast_address)
        lines.append(f"    inet {inet}{brd} scope {scope} {name}")
        lines.append("       valid_lft forever preferred_lft forever")
    return "\n".join(lines) + ("\n" if lines else "")


@command("ip")
async def ip(ctx: CommandContext) -> int:
    args = list(ctx.args)
    family4 = False
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-f", "-family") and args:
            family4 = args.pop(0) == "inet"
        elif flag == "-4":
            family4 = True
    if not args:
        await ctx.err("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n")
        return 255
    obj, rest = args[0], args[1:]
    if obj in ("a", "addr", "address", "l", "link"):
        if rest and rest[0] in ("add", "del", "change", "set", "flush"):
            if ctx.uid != 0:
                await ctx.err("RTNETLINK answers: Operation not permitted\n")
                return 2
            await ctx.err("RTNETLINK answers: Operation not supported\n")
            return 2
        only = rest[rest.index("dev") + 1] if "dev" in rest and rest.index("dev") + 1 < len(rest) else \
            (rest[1] if len(rest) > 1 and rest[0] == "show" else None)
        if only and only not in {name for _, name, *_ in _interfaces(ctx)}:
            await ctx.err(f'Device "{only}" does not exist.\n')
            return 1
        await ctx.out(_ip_addr(ctx, only, family4, obj in ("l", "link")))
        return 0
    if obj in ("r", "route", "ro"):
        ip_text = hw.wlan_ip(ctx.device)
        await ctx.out(f"192.168.50.0/24 dev wlan0 proto kernel scope link src {ip_text}\n")
        return 0
    if obj in ("rule",):
        await ctx.out("0:\tfrom all lookup local\n10000:\tfrom all fwmark 0xc0000/0xd0000 lookup legacy_system\n"
                      "32000:\tfrom all unreachable\n")
        return 0
    await ctx.err(f'Object "{obj}" is unknown, try "ip help".\n')
    return 1


@command("ifconfig")
async def ifconfig(ctx: CommandContext) -> int:
    counters = hw.net_counters(ctx.device)
    blocks = []
    for _index, name, flags, mac, inet in _interfaces(ctx):
        if ctx.args and name != ctx.args[0]:
            continue
        rx, rxp, tx, txp = counters.get(name, (0, 0, 0, 0))
        head = f"{name:<10}Link encap:{'Local Loopback' if name == 'lo' else 'UniSpec'}"
        if name != "lo":
            head += f"    HWaddr {mac}"
        lines = [head]
        if inet:
            iface = ipaddress.ip_interface(inet)
            bcast = "" if name == "lo" else f"  Bcast:{iface.network.broadcast_address}"
            lines.append(f"          inet addr:{iface.ip}{bcast}  Mask:{iface.netmask}")
        lines.append(f"          {' '.join(flags.split(','))}  MTU:{65536 if name == 'lo' else 1500}  Metric:1")
        lines.append(f"          RX packets:{rxp} errors:0 dropped:0 overruns:0 frame:0")
        lines.append(f"          TX packets:{txp} errors:0 dropped:0 overruns:0 carrier:0")
        lines.append("          collisions:0 txqueuelen:1000")
        lines.append(f"          RX bytes:{rx} TX bytes:{tx}")
        blocks.append("\n".join(lines) + "\n")
    await ctx.out("\n".join(blocks))
    return 0


def _rtt_ms(host: str, seq: int, local: bool) -> float:
    if local:
        return 0.04 + (seq % 5) * 0.006
    digest = hashlib.blake2b(f"{host}/{seq}".encode(), digest_size=2).digest()
    return 5.0 + int.from_bytes(digest, "little") % 25_000 / 1000


@command("ping")
async def ping(ctx: CommandContext) -> int:
    args = list(ctx.args)
    count, interval, deadline, quiet = None, 1.0, None, False
    host = None
    i = 0
    try:
        while i < len(args):
            arg = args[i]
            if arg in ("-c", "-i", "-w", "-W", "-s", "-t") and i + 1 < len(args):
                value = args[i + 1]
                if arg == "-c":
                    count = int(value)
                elif arg == "-i":
                    interval = float(value)
                elif arg == "-w":
                    deadline = float(value)
                i += 2
                continue
            if arg == "-q":
                quiet = True
            elif not arg.startswith("-"):
                host = arg
            i += 1
    except ValueError:
        await ctx.err("ping: bad number\n")
        return 2
    if host is None:
        await ctx.err("Usage: ping [-aAbBdDfhLnOqrRUvV] [-c count] [-i interval] [-w deadline] destination\n")
        return 2
    if interval < 0.2 and ctx.uid != 0:
        await ctx.err("ping: cannot flood; minimal interval allowed for user is 200ms\n")
        return 2
    address = "127.0.0.1" if host in ("localhost", "ip6-localhost") else host
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        await ctx.err(f"ping: unknown host {host}\n")
        return 2
    local = parsed.is_loopback or address == hw.wlan_ip(ctx.device)
    reachable = local or not ctx.device.link_blocked
    await ctx.out(f"PING {host} ({address}) 56(84) bytes of data.\n")
    started = time.monotonic()
    sent = received = 0
    rtts: list[float] = []
    seq = 0
    while True:
        seq += 1
        sent += 1
        if reachable:
            rtt = _rtt_ms(address, seq, local)
            rtts.append(rtt)
            received += 1
            if not quiet:
                await ctx.out(f"64 bytes from {address}: icmp_seq={seq} ttl={64 if local else 54} time={rtt:.3g} ms\n")
        if count is not None and sent >= count:
            break
        if deadline is not None and time.monotonic() - started + interval > deadline:
            break
        await asyncio.sleep(interval)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    loss = 100 * (sent - received) // sent
    await ctx.out(f"\n--- {host} ping statistics ---\n{sent} packets transmitted, {received} received, {loss}% "
                  f"packet loss, time {elapsed_ms}ms\n")
    if rtts:
        mean = sum(rtts) / len(rtts)
        mdev = (sum((r - mean) ** 2 for r in rtts) / len(rtts)) ** 0.5
        await ctx.out(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{mean:.3f}/{max(rtts):.3f}/{mdev:.3f} ms\n")
    return 0 if received else 1


def _sockets(ctx: CommandContext) -> list[tuple[str, str, str, str]]:
    """(proto, local, foreign, state) of the device's TCP sockets."""
    rows = [("tcp6", f":::{ADBD_PORT}", ":::*", "LISTEN")]
    for port in ctx.device.services.ports():
        rows.append(("tcp", f"127.0.0.1:{port}", "0.0.0.0:*", "LISTEN"))
    ip_text = hw.wlan_ip(ctx.device)
    for n, _link in enumerate(sorted(ctx.device.links, key=id)):
        rows.append(("tcp6", f"::ffff:{ip_text}:{ADBD_PORT}", f"::ffff:192.168.50.1:{41000 + n}", "ESTABLISHED"))
    return rows


@command("netstat")
async def netstat(ctx: CommandContext) -> int:
    flags = "".join(a[1:] for a in ctx.args if a.startswith("-") and not a.startswith("--"))
    listening_only = "l" in flags
    rows = [r for r in _sockets(ctx) if (r[3] == "LISTEN") == listening_only or "a" in flags]
    title = "Active Internet connections " + ("(only servers)" if listening_only else
                                              "(servers and established)" if "a" in flags else "(w/o servers)")
    lines = [title, "Proto Recv-Q Send-Q Local Address           Foreign Address         State"]
    lines += [f"{proto:<5}      0      0 {local:<23} {foreign:<23} {state}" for proto, local, foreign, state in rows]
    await ctx.out("\n".join(lines) + "\n")
    return 0


@command("ss")
async def ss(ctx: CommandContext) -> int:
    flags = "".join(a[1:] for a in ctx.args if a.startswith("-") and not a.startswith("--"))
    rows = _sockets(ctx)
    if "l" in flags:
        rows = [r for r in rows if r[3] == "LISTEN"]
    elif "a" not in flags:
        rows = [r for r in rows if r[3] != "LISTEN"]
    lines = ["State      Recv-Q Send-Q Local Address:Port               Peer Address:Port"]
    for _proto, local, foreign, state in rows:
        peer = foreign.replace("0.0.0.0:*", "*:*").replace(":::*", "*:*")
        state_text = "ESTAB" if state == "ESTABLISHED" else state
        lines.append(f"{state_text:<10} 0      {50 if state == 'LISTEN' else 0:<6} {local:<32} {peer}")
    await ctx.out("\n".join(lines) + "\n")
    return 0
