"""``tcpdump``: capture the device's own media traffic as a real pcap, like tcpdump on a userdebug build.

Supported: ``-i IFACE`` (``any`` or the Wi-Fi name; all see the same media), ``-w FILE`` (``-`` = stdout, or
a device file to ``adb pull`` afterwards, flushed when tcpdump is stopped; without ``-w`` one summary line per
packet), ``-U`` (flush after every batch instead of every 8 KiB),
``-c N``, ``-s N``, ``-n``/``-nn``/``-q``/``-v``, ``--version`` and a filter made of ``udp``, ``ip``,
``tcp``, ``[src|dst] port N``, ``[src|dst] host A`` joined by ``and``/``or``/``not`` (and ``&&``, ``||``,
``!``); anything else is a syntax error, as tcpdump's own parser would report.

Capturing needs root: as uid 2000 it fails with libpcap's permission message and exit 1, exactly what a lab
sees without ``su``. Packets come from the device's :class:`~simulator.media.tap.PacketTap` (what the
device's sockets really sent and received), stamped with the device clock. It runs until ``-c`` is
reached, its reader goes away (the adb stream closes) or it is killed, and prints tcpdump's counters.
"""

from __future__ import annotations

import contextlib
import getopt
from collections.abc import Callable

from simulator.fs import FsError
from simulator.media import media_of
from simulator.media.pcap import GLOBAL_HEADER, PacketFormatter
from simulator.media.tap import Packet
from simulator.shell.access import check_write, strerror
from simulator.shell.api import CommandContext, command
from simulator.shell.io import FileWriter
from simulator.streams import StreamClosed

VERSION = "tcpdump version 4.99.4\nlibpcap version 1.10.4\n"
READER_CHECK_S = 1.0
BUFFERED_FLUSH = 8192
Matcher = Callable[[Packet], bool]


class FilterError(Exception):
    pass


def parse_filter(words: list[str]) -> Matcher:
    """A matcher for the small filter language above (``not`` binds tighter than ``and``, then ``or``)."""
    tokens = [t for w in words for t in w.replace("(", " ( ").replace(")", " ) ").split()]
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise FilterError("syntax error")
        pos += 1
        return tokens[pos - 1]

    def primary() -> Matcher:
        word = take()
        if word in ("not", "!"):
            inner = primary()
            return lambda p: not inner(p)
        if word == "(":
            inner = expr()
            if take() != ")":
                raise FilterError("syntax error")
            return inner
        side = None
        if word in ("src", "dst"):
            side, word = word, take()
        if word in ("udp", "ip") and side is None:
            if peek() in ("port", "src", "dst"):
                return primary()
            return lambda p: True
        if word in ("tcp", "icmp", "arp", "ip6") and side is None:
            return lambda p: False
        if word in ("port", "host"):
            value = take()
            if word == "port":
                if not value.isdigit():
                    raise FilterError(f"illegal port number {value}" if value else "syntax error")
                port = int(value)
                return _side(side, lambda a: a[1] == port)
            return _side(side, lambda a: a[0] == value)
        raise FilterError("syntax error")

    def conj() -> Matcher:
        left = primary()
        while peek() in ("and", "&&"):
            take()
            right, prev = primary(), left
            left = (lambda a, b: lambda p: a(p) and b(p))(prev, right)
        return left

    def expr() -> Matcher:
        left = conj()
        while peek() in ("or", "||"):
            take()
            right, prev = conj(), left
            left = (lambda a, b: lambda p: a(p) or b(p))(prev, right)
        return left

    if not tokens:
        return lambda p: True
    matcher = expr()
    if pos != len(tokens):
        raise FilterError("syntax error")
    return matcher


def _side(side: str | None, test: Callable[[tuple[str, int]], bool]) -> Matcher:
    if side == "src":
        return lambda p: test(p[2])
    if side == "dst":
        return lambda p: test(p[3])
    return lambda p: test(p[2]) or test(p[3])


def _summary(packet: Packet) -> str:
    ts_ns, outgoing, src, dst, payload = packet
    sec, ns = divmod(ts_ns, 1_000_000_000)
    import time as _time

    clock = _time.strftime("%H:%M:%S", _time.gmtime(sec))
    way = "Out" if outgoing else "In "
    return (f"{clock}.{ns // 1000:06d} wlan0 {way} IP {src[0]}.{src[1]} > {dst[0]}.{dst[1]}: "
            f"UDP, length {len(payload)}\n")


@command("tcpdump")
async def tcpdump(ctx: CommandContext) -> int:
    try:
        pairs, rest = getopt.gnu_getopt(ctx.args, "i:w:c:s:UnqvhDC:G:W:", ["version", "help"])
    except getopt.GetoptError as exc:
        return await ctx.fail(f"{exc.msg}\nUsage: tcpdump [-i interface] [-w file] [-c count] [expression]")
    opts = dict(pairs)
    if "--version" in opts or "-h" in opts or "--help" in opts:
        await ctx.out(VERSION)
        return 0
    if "-D" in opts:
        await ctx.out("1.wlan0 [Up, Running, Wireless, Associated]\n2.any (Pseudo-device that captures on all "
                      "interfaces) [Up, Running]\n3.lo [Up, Running, Loopback]\n")
        return 0
    iface = opts.get("-i", "wlan0")
    if iface not in ("any", "wlan0", "lo"):
        return await ctx.fail(f"{iface}: No such device exists\n(SIOCGIFHWADDR: No such device)")
    count = 0
    if "-c" in opts:
        if not opts["-c"].isdigit() or int(opts["-c"]) < 1:
            return await ctx.fail(f"invalid packet count {opts['-c']}")
        count = int(opts["-c"])
    try:
        matcher = parse_filter(rest)
    except FilterError as exc:
        return await ctx.fail(str(exc))
    if ctx.uid != 0:
        return await ctx.fail(f"{iface}: You don't have permission to capture on that device\n"
                              "(socket: Operation not permitted)")
    out_file = opts.get("-w")
    out = ctx.stdout
    if out_file is not None and out_file != "-":
        try:  # pcap_dump_open: create or truncate the file, as the capturing user
            path = ctx.path(out_file)
            check_write(ctx.device.fs, path, ctx.uid)
            ctx.device.fs.write_file(path, b"", mode=0o644, uid=ctx.uid)
        except FsError as exc:
            return await ctx.fail(f"{out_file}: {strerror(exc)}")
        out = FileWriter(ctx.device.fs, path, ctx.uid)
    media = media_of(ctx.device)
    formatter = PacketFormatter(media.mac)
    capture = media.tap.open()
    captured = 0
    pending = bytearray()
    flush_each = "-U" in opts
    try:
        await ctx.err(f"tcpdump: listening on {iface}, link-type LINUX_SLL (Linux cooked v1), snapshot length "
                      "262144 bytes\n" if out_file else
                      f"tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
                      f"listening on {iface}, link-type LINUX_SLL (Linux cooked v1), snapshot length 262144 bytes\n")
        if out_file:
            pending += GLOBAL_HEADER
        while True:
            if (flush_each or len(pending) >= BUFFERED_FLUSH) and pending:
                await out.write(bytes(pending))
                pending.clear()
            await capture.wait(READER_CHECK_S)
            if getattr(ctx.stdout, "reader_gone", False) or getattr(out, "reader_gone", False) or capture.closed:
                break
            for packet in capture.drain():
                if not matcher(packet):
                    continue
                captured += 1
                pending += formatter.record(*packet) if out_file else _summary(packet).encode()
                if count and captured >= count:
                    break
            if count and captured >= count:
                break
        if pending:
            await out.write(bytes(pending))
            pending.clear()
    except StreamClosed:
        pass
    finally:
        capture.close()
        if pending and isinstance(out, FileWriter):  # killed (SIGINT/SIGTERM): tcpdump flushes its dump file
            ctx.device.fs.write_file(path, bytes(pending), append=True, uid=ctx.uid)
    await _counters(ctx, captured, capture.dropped)
    return 0


async def _counters(ctx: CommandContext, captured: int, dropped: int) -> None:
    with contextlib.suppress(StreamClosed):
        await ctx.err(f"{captured} packets captured\n{captured + dropped} packets received by filter\n"
                      f"{dropped} packets dropped by kernel\n")
