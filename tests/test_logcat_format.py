"""Exact logcat line layouts, checked against AOSP liblog/logprint.cpp (android_log_formatLogLine)."""

from __future__ import annotations

import pytest

from simulator.logbuffer import LogEntry
from simulator.logcat_filter import FilterSpecError, TagFilter, parse_log_time
from simulator.logcat_format import LogFormat, LogFormatError, convert_printable, device_zone, format_entry

# 2026-11-23 19:18:56.123456789 UTC; 5.25 s after boot
ENTRY = LogEntry(wall_ns=1795461536_123456789, uptime_ns=5_250_000_000, pid=1234, tid=1240, uid=10090,
                 priority=4, tag="WMPFCli", message="activate device success")


def fmt(words: str, entry: LogEntry = ENTRY) -> str:
    return format_entry(entry, words)


def test_threadtime_is_the_default_verb() -> None:
    assert fmt("threadtime") == "11-23 19:18:56.123  1234  1240 I WMPFCli : activate device success\n"
    assert LogFormat.parse([]).verb == "threadtime"


@pytest.mark.parametrize(("words", "line"), [
    ("brief", "I/WMPFCli ( 1234): activate device success\n"),
    ("process", "I( 1234) activate device success  (WMPFCli)\n"),
    ("tag", "I/WMPFCli : activate device success\n"),
    ("thread", "I( 1234: 1240) activate device success\n"),
    ("raw", "activate device success\n"),
    ("time", "11-23 19:18:56.123 I/WMPFCli ( 1234): activate device success\n"),
    ("long", "[ 11-23 19:18:56.123  1234: 1240 I/WMPFCli  ]\nactivate device success\n\n"),
])
def test_verbs(words: str, line: str) -> None:
    assert fmt(words) == line


@pytest.mark.parametrize(("words", "prefix"), [
    ("epoch", "         1795461536.123  1234  1240 I WMPFCli : "),
    ("threadtime,epoch,usec", "         1795461536.123456  1234  1240 I WMPFCli : "),
    ("epoch,nsec", "         1795461536.123456789  1234  1240 I WMPFCli : "),
    ("monotonic", "     5.250  1234  1240 I WMPFCli : "),
    ("usec", "11-23 19:18:56.123456  1234  1240 I WMPFCli : "),
    ("year", "2026-11-23 19:18:56.123  1234  1240 I WMPFCli : "),
    ("zone", "11-23 19:18:56.123 +0000  1234  1240 I WMPFCli : "),
    ("UTC", "11-23 19:18:56.123 +0000  1234  1240 I WMPFCli : "),
    ("epoch,zone", "         1795461536.123  1234  1240 I WMPFCli : "),
    ("uid", "11-23 19:18:56.123 10090  1234  1240 I WMPFCli : "),
])
def test_modifiers(words: str, prefix: str) -> None:
    assert fmt(words) == prefix + "activate device success\n"


def test_separate_v_arguments_combine() -> None:
    f = LogFormat.parse(["threadtime", "epoch", "usec"])
    assert f.format(ENTRY).startswith("         1795461536.123456  1234")


def test_uid_names_fit_five_columns() -> None:
    shell = LogEntry(ENTRY.wall_ns, 0, 77, 77, 2000, 3, "sh", "x")
    system = LogEntry(ENTRY.wall_ns, 0, 77, 77, 1000, 3, "sh", "x")
    assert fmt("brief,uid", shell) == "D/sh      (shell:   77): x\n"
    assert fmt("brief,uid", system) == "D/sh      ( 1000:   77): x\n"
    assert fmt("thread,uid", system) == "D( 1000:   77:   77) x\n"


def test_multiline_message_repeats_the_prefix() -> None:
    entry = LogEntry(ENTRY.wall_ns, 0, 1, 1, 0, 6, "AndroidRuntime", "FATAL EXCEPTION: main\n\tat x\n")
    assert fmt("brief", entry) == ("E/AndroidRuntime(    1): FATAL EXCEPTION: main\n"
                                   "E/AndroidRuntime(    1): \tat x\n")
    assert fmt("long", entry).endswith("]\nFATAL EXCEPTION: main\n\tat x\n\n\n")


def test_printable_escapes_control_bytes() -> None:
    assert convert_printable("a\\b\x01\x7f\té\r") == "a\\\\b\\x01\\x7F\té\\r"
    entry = LogEntry(ENTRY.wall_ns, 0, 1, 1, 0, 4, "T", "bell\a")
    assert fmt("tag,printable", entry) == "I/T       : bell\\a\n"


def test_zone_name_changes_local_time() -> None:
    f = LogFormat.parse("Asia/Shanghai")
    assert f.format(ENTRY).startswith("11-24 03:18:56.123 +0800 ")
    assert LogFormat.parse("time", tz=device_zone("Asia/Shanghai")).format(ENTRY).startswith("11-24 03:18")


def test_color_wraps_each_line() -> None:
    assert fmt("brief,color") == "\x1b[32mI/WMPFCli ( 1234): activate device success\x1b[0m\n"


def test_unknown_word_is_rejected() -> None:
    with pytest.raises(LogFormatError, match="Invalid -v 'bogus'"):
        LogFormat.parse("bogus")


def test_filter_rules_follow_logprint() -> None:
    f = TagFilter()
    f.add_string("*:S WMPFCli:I,Other")
    assert f.allows("WMPFCli", 4) and not f.allows("WMPFCli", 3)
    assert f.allows("Other", 2)
    assert not f.allows("Else", 7)
    g = TagFilter()
    g.add_rule("*")
    assert g.global_priority == 3
    g.add_rule("Tag:Warn")  # only the first letter counts
    assert g.tags["Tag"] == 5
    h = TagFilter()
    h.add_string("''")  # adb's ANDROID_LOG_TAGS="''": a harmless rule for a tag named ''
    assert h.allows("Anything", 2)
    for bad in (":I", "Tag:", "Tag:x", "Tag:0"):
        with pytest.raises(FilterSpecError):
            TagFilter().add_rule(bad)


def test_parse_log_time_formats() -> None:
    tz = device_zone("UTC")
    now = ENTRY.wall_ns
    assert parse_log_time("11-23 19:18:56.123", tz, now) == (1795461536_123000000, "")
    assert parse_log_time("2026-11-23 19:18:56.5", tz, now) == (1795461536_500000000, "")
    assert parse_log_time("1795461536.123456789", tz, now) == (1795461536_123456789, "")
    assert parse_log_time("1795461536.1 junk", tz, now) == (1795461536_100000000, " junk")
    assert parse_log_time("yesterday", tz, now) is None
