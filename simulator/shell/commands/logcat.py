"""``logcat``: dump or stream the device log like AOSP ``logcat.cpp``.

The harness keeps one streaming logcat per device for a whole run, so the streaming path is cheap: it
sleeps on the log buffer's subscription queue, formats whatever arrived in one batch and writes it with
one call. It ends when the reader goes away (:class:`StreamClosed`, task cancelled, or the pipe reports
its reader gone), when the device reboots (the queue yields ``None``) or after ``-m`` matching lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import getopt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from simulator.fs import FsError
from simulator.logbuffer import BUFFERS, LogEntry
from simulator.logcat_filter import FilterSpecError, TagFilter, parse_log_time
from simulator.logcat_format import LogFormat, LogFormatError, device_zone, split_words
from simulator.shell.api import CommandContext, command
from simulator.streams import StreamClosed

SHORT_OPTS = "cdDhLt:T:gG:sQf:r:n:v:b:BSpP:m:e:"
LONG_OPTS = [
    "binary", "buffer=", "buffer-size", "clear", "debug", "dividers", "file=", "format=", "grep=", "head=",
    "help", "id=", "last", "max-count=", "pid=", "print", "prune", "proto", "regex=", "rotate-count=",
    "rotate-kbytes=", "statistics", "tail=", "uid=", "wrap",
]
DEFAULT_BUFFERS = frozenset({"main", "system", "crash", "kernel"})
READER_CHECK_S = 2.0  # how often an idle stream checks whether its reader went away
RING_BYTES = 256 * 1024


class UsageError(Exception):
    """logcat's ``error(EXIT_FAILURE, ...)``: print ``logcat: message`` and exit 1."""


@dataclass
class Options:
    clear: bool = False
    nonblock: bool = False
    dividers: bool = False
    get_size: bool = False
    control_only: bool = False  # -G/-P/-S: answer and exit
    statistics: bool = False
    tail_lines: int = 0
    tail_time_ns: int | None = None
    got_t: bool = False
    pid: int = 0
    uids: set[int] = field(default_factory=set)
    buffers: set[str] = field(default_factory=set)
    regex: re.Pattern[str] | None = None
    max_count: int = 0
    print_anyway: bool = False
    out_file: str | None = None
    formats: list[str] = field(default_factory=list)
    silent: bool = False
    specs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    help: bool = False


def _uint(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parse_args(ctx: CommandContext) -> Options:
    try:
        pairs, rest = getopt.gnu_getopt(ctx.args, SHORT_OPTS, LONG_OPTS)
    except getopt.GetoptError as exc:
        if exc.opt and "requires argument" in exc.msg:
            raise UsageError(f"Option '-{exc.opt}' needs an argument.") from exc
        raise UsageError(f"Unknown option '-{exc.opt}'." if exc.opt else exc.msg) from exc
    opts = Options(specs=rest)
    tz = device_zone(ctx.device.props.get("persist.sys.timezone"))
    for opt, arg in pairs:
        if opt in ("-h", "--help"):
            opts.help = True
        elif opt == "-s":
            opts.silent = True
        elif opt in ("-c", "--clear"):
            opts.clear = True
        elif opt in ("-d", "-L", "--last"):
            opts.nonblock = True
        elif opt in ("-t", "--tail", "-T"):
            if opt != "-T":
                opts.got_t = True
                opts.nonblock = True
            name = "-t" if opt == "--tail" else opt
            if arg.isdigit():
                opts.tail_lines = int(arg)
                if opts.tail_lines < 1:
                    opts.warnings.append(f"WARNING: {name} {arg} invalid, setting to 1\n")
                    opts.tail_lines = 1
            else:
                parsed = parse_log_time(arg, tz, ctx.device.clock.wall_ns())
                if parsed is None:
                    if not arg:
                        opts.warnings.append(f"WARNING: {name} {arg} invalid, setting to 1\n")
                        opts.tail_lines = 1
                        continue
                    raise UsageError(f"{name} '{arg}' not in time format.")
                opts.tail_time_ns, trailing = parsed
                if trailing:
                    opts.warnings.append(
                        f"WARNING: {name} '{arg[: len(arg) - len(trailing)]}' '{trailing}' time truncated\n")
        elif opt in ("-D", "--dividers"):
            opts.dividers = True
        elif opt in ("-e", "--regex", "--grep"):
            try:
                opts.regex = re.compile(arg)
            except re.error as exc:
                raise UsageError(f"Invalid regex '{arg}': {exc}.") from exc
        elif opt in ("-m", "--max-count", "--head"):
            count = _uint(arg)
            if not count:
                raise UsageError(f"-m '{arg}' isn't an integer greater than zero.")
            opts.max_count = count
        elif opt in ("-g", "--buffer-size"):
            opts.get_size = True
        elif opt in ("-G", "-P", "-S", "--statistics", "-p", "--prune"):
            opts.control_only = True
            opts.statistics = opt in ("-S", "--statistics")
        elif opt in ("-b", "--buffer"):
            for name in split_words(arg):
                if name == "default":
                    opts.buffers |= {"main", "system", "crash"}
                elif name == "all":
                    opts.buffers |= set(BUFFERS)
                elif name in BUFFERS:
                    opts.buffers.add(name)
                else:
                    raise UsageError(f"Unknown -b buffer '{name}'.")
        elif opt in ("-B", "--binary", "--proto"):
            raise UsageError("binary and proto output are not supported by the simulated device.")
        elif opt in ("-f", "--file"):
            opts.out_file = arg
        elif opt in ("-v", "--format"):
            opts.formats.append(arg)
        elif opt == "--pid":
            pid = _uint(arg)
            if opts.pid:
                raise UsageError("Only one --pid argument can be provided.")
            if not pid:
                raise UsageError(f"pid '{arg}' out of range.")
            opts.pid = pid
        elif opt == "--uid":
            for text in split_words(arg):
                uid = _uint(text)
                if uid is None:
                    raise UsageError(f"Unable to parse UID '{text}'")
                opts.uids.add(uid)
        elif opt == "--print":
            opts.print_anyway = True
        # -Q, -r, -n, --id, --wrap, --debug: accepted and ignored
    if opts.max_count and opts.got_t:
        raise UsageError("Cannot use -m (--max-count) and -t together.")
    if opts.print_anyway and not (opts.regex and opts.max_count):
        opts.warnings.append("WARNING: --print ignored, to be used in combination with\n"
                             "         --regex <expr> and --max-count <N>\n")
        opts.print_anyway = False
    if not opts.buffers:
        opts.buffers = set(DEFAULT_BUFFERS)
    return opts


def build_format(ctx: CommandContext, opts: Options) -> LogFormat:
    fmt = LogFormat(tz=device_zone(ctx.device.props.get("persist.sys.timezone")))
    has_verb = False
    for arg in opts.formats:
        for word in split_words(arg):
            try:
                has_verb = fmt.apply(word) or has_verb
            except LogFormatError as exc:
                raise UsageError(str(exc)) from exc
    env_format = ctx.env.get("ANDROID_PRINTF_LOG")
    if not has_verb and env_format:
        for word in split_words(env_format):
            try:
                has_verb = fmt.apply(word) or has_verb
            except LogFormatError:
                opts.warnings.append(f"invalid format in ANDROID_PRINTF_LOG '{word}'\n")
    return fmt.finish()


def build_filter(ctx: CommandContext, opts: Options) -> TagFilter:
    tag_filter = TagFilter()
    if opts.silent:
        tag_filter.add_rule("*:s")
    if opts.specs:
        for spec in opts.specs:
            try:
                tag_filter.add_string(spec)
            except FilterSpecError as exc:
                raise UsageError(f"Invalid filter expression '{spec}'.") from exc
    elif "ANDROID_LOG_TAGS" in ctx.env:
        env_tags = ctx.env["ANDROID_LOG_TAGS"]
        try:
            tag_filter.add_string(env_tags)
        except FilterSpecError as exc:
            raise UsageError(f"Invalid filter expression '{env_tags}' in ANDROID_LOG_TAGS.") from exc
    return tag_filter


class Printer:
    """Selects, formats and writes entries, keeping logcat's divider and ``-m`` state."""

    def __init__(self, ctx: CommandContext, opts: Options, fmt: LogFormat, tag_filter: TagFilter) -> None:
        self.ctx = ctx
        self.opts = opts
        self.fmt = fmt
        self.filter = tag_filter
        self.printed = 0
        self.last_buffer: str | None = None
        self.started: set[str] = set()

    def wanted(self, entry: LogEntry) -> bool:
        """logd's side of the selection (buffer, pid, uid): applied before ``-t N`` counts lines."""
        return (entry.buffer in self.opts.buffers and (not self.opts.pid or entry.pid == self.opts.pid)
                and (not self.opts.uids or entry.uid in self.opts.uids))

    @property
    def done(self) -> bool:
        return bool(self.opts.max_count) and self.printed >= self.opts.max_count

    def render(self, entries: Iterable[LogEntry]) -> str:
        out: list[str] = []
        for entry in entries:
            if self.done:
                break
            if not self.wanted(entry) or not self.filter.allows(entry.tag, entry.priority):
                continue
            match = self.opts.regex is None or self.opts.regex.search(entry.message) is not None
            self.printed += match
            if not (match or self.opts.print_anyway):
                continue
            if entry.buffer != self.last_buffer:
                if entry.buffer not in self.started or self.opts.dividers:
                    verb = "switch to" if entry.buffer in self.started else "beginning of"
                    out.append(f"--------- {verb} {entry.buffer}\n")
                self.last_buffer = entry.buffer
                self.started.add(entry.buffer)
            out.append(self.fmt.format(entry))
        return "".join(out)

    async def emit(self, entries: Iterable[LogEntry]) -> None:
        text = self.render(entries)
        if not text:
            return
        if self.opts.out_file is None:
            await self.ctx.out(text)
            return
        path = self.ctx.path(self.opts.out_file)
        try:
            self.ctx.device.fs.write_file(path, text.encode(), append=True, uid=self.ctx.uid)
        except FsError as exc:
            raise UsageError(f"couldn't open output file '{self.opts.out_file}': {exc.strerror}") from exc


def initial_entries(printer: Printer, entries: list[LogEntry]) -> list[LogEntry]:
    """What a reader gets first: everything, the last ``N`` (``-t/-T N``) or since a time (``-t/-T TIME``)."""
    opts = printer.opts
    selected = [e for e in entries if printer.wanted(e)]
    if opts.tail_time_ns is not None:
        return [e for e in selected if e.wall_ns >= opts.tail_time_ns]
    if opts.tail_lines:
        return selected[-opts.tail_lines:]
    return selected


def _reader_gone(stream: object) -> bool:
    return bool(getattr(stream, "reader_gone", False))


async def stream_entries(ctx: CommandContext, printer: Printer, queue: asyncio.Queue[LogEntry | None]) -> int:
    """Write entries as they are logged; return the exit status when the stream ends."""
    while not printer.done:
        try:
            entry = await asyncio.wait_for(queue.get(), READER_CHECK_S)
        except asyncio.TimeoutError:
            if _reader_gone(ctx.stdout):
                return 0
            continue
        batch: list[LogEntry] = []
        while entry is not None:
            batch.append(entry)
            if queue.empty():
                break
            entry = queue.get_nowait()
        await printer.emit(batch)
        if entry is None:
            return 1  # the device went down (logcat: "Unexpected EOF!")
    return 0


async def _size_report(ctx: CommandContext, opts: Options) -> None:
    lines = []
    entries = ctx.device.logcat.entries()
    for name in BUFFERS:
        if name not in opts.buffers:
            continue
        used = sum(len(e.tag) + len(e.message) + 30 for e in entries if e.buffer == name)
        kib = max(1, used // 1024) if used else 0
        lines.append(f"{name}: ring buffer is {RING_BYTES // 1024} KiB ({kib} KiB consumed, {kib} KiB readable),"
                     " max entry is 5120 B, max payload is 4068 B\n")
    await ctx.out("".join(lines))


@command("logcat")
async def logcat(ctx: CommandContext) -> int:
    try:
        opts = parse_args(ctx)
        if opts.help:
            await ctx.out("Usage: logcat [OPTION]... [FILTERSPEC]...\n")
            return 0
        fmt = build_format(ctx, opts)
        tag_filter = build_filter(ctx, opts)
    except UsageError as exc:
        return await ctx.fail(str(exc))
    if opts.warnings:
        await ctx.err("".join(opts.warnings))
    log = ctx.device.logcat
    if opts.clear:
        if opts.out_file is not None:
            with contextlib.suppress(FsError):
                ctx.device.fs.remove(ctx.path(opts.out_file))
            return 0
        log.clear(None if opts.buffers >= DEFAULT_BUFFERS else opts.buffers)
        return 0
    if opts.get_size:
        await _size_report(ctx, opts)
        return 0
    if opts.control_only:
        if opts.statistics:
            await ctx.out("size/num main system crash Total\n")
        return 0
    printer = Printer(ctx, opts, fmt, tag_filter)
    if opts.nonblock:
        try:
            await printer.emit(initial_entries(printer, log.entries()))
        except UsageError as exc:
            return await ctx.fail(str(exc))
        return 0
    queue = log.subscribe()  # before the snapshot: nothing logged in between can be missed
    try:
        await printer.emit(initial_entries(printer, log.entries()))
        return await stream_entries(ctx, printer, queue)
    except StreamClosed:
        return 0
    except UsageError as exc:
        return await ctx.fail(str(exc))
    finally:
        log.unsubscribe(queue)
