"""Logcat lines in every layout the service may meet, stamped on the device clock."""

from __future__ import annotations

import datetime as dt

from harness.device.logcat_parse import LogcatParser, zone_from_device


def test_epoch_usec_uid() -> None:
    line = LogcatParser().parse("         1795462251.087773 10090  1234  1240 I WMPF-API: 收到来电: a: b\n")
    assert line is not None
    assert (line.device_ns, line.resolution_ns, line.uid, line.pid, line.tid) == (
        1795462251087773000, 1000, "10090", 1234, 1240)
    assert (line.priority, line.tag, line.message) == ("I", "WMPF-API", "收到来电: a: b")


def test_threadtime_fallback_uses_device_year_and_zone() -> None:
    parser = LogcatParser(tz=zone_from_device("Asia/Shanghai", "+0800"), year=2026, now_month=11)
    line = parser.parse("11-23 19:26:26.123  1234  1235 D Tag     : hello")
    assert line is not None and line.resolution_ns == 1_000_000
    expected = dt.datetime(2026, 11, 23, 11, 26, 26, tzinfo=dt.timezone.utc).timestamp()
    assert line.device_ns == int(expected) * 1_000_000_000 + 123_000_000
    december = LogcatParser(year=2027, now_month=1).parse("12-31 23:59:59.999  1  1 I T: x")
    assert december is not None and dt.datetime.fromtimestamp(december.device_ns / 1e9, dt.timezone.utc).year == 2026


def test_zone_fallback_and_junk() -> None:
    assert zone_from_device(None, "-0330").utcoffset(None) == dt.timedelta(hours=-3, minutes=-30)
    assert zone_from_device("Not/AZone", None) == dt.timezone.utc
    parser = LogcatParser()
    assert parser.parse("--------- beginning of main") is None
    assert parser.parse("garbage") is None
    empty = parser.parse("  1700000000.000001  shell  1  2 W Tag:")
    assert empty is not None and empty.message == "" and empty.uid == "shell"


def test_lines_are_slotted_and_share_their_tags() -> None:
    """The logcat service keeps up to 50,000 lines: no per-line ``__dict__``, one string per tag."""
    parser = LogcatParser()
    a = parser.parse("         1795462251.087773 10090  1234  1240 I WMPF-API: one\n")
    b = parser.parse("         1795462252.087773 10090  1234  1240 I WMPF-API: two\n")
    assert a is not None and b is not None
    assert not hasattr(a, "__dict__")
    assert a.tag is b.tag
