"""toybox-like commands of the simulated device: output formats and errors as clients parse them."""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from simulator.device import SimDevice
from simulator.shell.api import COMMANDS
from simulator.shell.builtins import BUILTINS, RUNNERS, TOYBOX_COMMANDS
from simulator.shell.commands.system import format_date, format_row
from tests.shell_helpers import on_device, run, sh

TMP = "/data/local/tmp"


def test_toybox_md5sum_like_uiautomator2_checks_its_jar() -> None:
    async def body(device: SimDevice) -> None:
        jar = b"PK\x03\x04 fake jar" * 100
        device.fs.write_file(f"{TMP}/u2.jar", jar, mode=0o755)
        result = await run(device, f"toybox md5sum {TMP}/u2.jar; echo X4EXIT:$?")
        assert result.out == f"{hashlib.md5(jar).hexdigest()}  {TMP}/u2.jar\nX4EXIT:0\n"
        missing = await run(device, "toybox md5sum /data/local/tmp/none.jar")
        assert (missing.status, missing.err) == (1, "md5sum: /data/local/tmp/none.jar: No such file or directory\n")
        assert (await run(device, "echo -n abc | sha256sum")).out == f"{hashlib.sha256(b'abc').hexdigest()}  -\n"

    on_device(body)


def test_toybox_dispatcher() -> None:
    listing = sh("toybox")
    assert {"ls", "md5sum", "ps", "grep"} <= set(listing.out.split())
    assert sh("toybox echo hi").out == "hi\n"
    unknown = sh("toybox frob")
    assert (unknown.status, unknown.err) == (1, "toybox: Unknown command frob\n")
    assert set(TOYBOX_COMMANDS) <= set(COMMANDS) | set(BUILTINS) | set(RUNNERS)


def test_cat() -> None:
    result = sh(f"printf 'a\\n' > {TMP}/1; printf 'b\\n' > {TMP}/2; cat {TMP}/1 {TMP}/2; echo in | cat;"
                f" echo in | cat {TMP}/1 - {TMP}/2; cat {TMP}; echo $?")
    assert result.out == "a\nb\nin\na\nin\nb\n1\n"
    assert result.err == f"cat: {TMP}: Is a directory\n"


def test_ls_formats() -> None:
    async def body(device: SimDevice) -> None:
        stamp = 1795461600  # 2026-11-23 19:20 UTC
        device.fs.write_file(f"{TMP}/big.bin", b"\0" * 4194304, mode=0o666, mtime=stamp)
        device.fs.write_file(f"{TMP}/a.txt", b"hi", mode=0o644, mtime=stamp)
        device.fs.write_file(f"{TMP}/.hidden", b"", mtime=stamp)
        result = await run(device, f"ls -l {TMP}/big.bin")
        assert result.out == f"-rw-rw-rw- 1 shell shell 4194304 2026-11-23 19:20 {TMP}/big.bin\n"
        result = await run(device, f"cd {TMP}; ls; ls -1; ls -a | head -3; ls -d .; ls -d {TMP}")
        assert result.out == "a.txt\nbig.bin\na.txt\nbig.bin\n.\n..\n.hidden\n.\n" + TMP + "\n"
        result = await run(device, f"ls -l {TMP}")
        assert result.out.splitlines() == [
            "total 4100",
            "-rw-r--r-- 1 shell shell       2 2026-11-23 19:20 a.txt",
            "-rw-rw-rw- 1 shell shell 4194304 2026-11-23 19:20 big.bin",
        ]
        assert (await run(device, "ls -l /sdcard")).out.startswith("lrwxrwxrwx 1 root root 19 ")
        assert "/sdcard -> /storage/emulated/0" in (await run(device, "ls -l /sdcard")).out
        assert (await run(device, "ls /sdcard")).out == "Android\nDCIM\nDownload\n"
        result = await run(device, f"mkdir -p {TMP}/r/s; touch {TMP}/r/s/f; cd {TMP}; ls -R r")
        assert result.out == "r:\ns\n\nr/s:\nf\n"
        missing = await run(device, "ls /nope /data/local/tmp/a.txt")
        assert (missing.status, missing.out, missing.err) == (
            1, "/data/local/tmp/a.txt\n", "ls: /nope: No such file or directory\n")

    on_device(body)


def test_rm_mkdir_touch_chmod() -> None:
    result = sh(
        f"cd {TMP}; mkdir d; mkdir d; mkdir -p d/e/f; touch d/e/f/g; rm d; echo $?; rm -r d; ls; rm nope;"
        f" rm -f nope; echo $?; touch t; chmod 755 t; ls -l t | cut -d' ' -f1; chmod u-x,g-x t;"
        f" stat -c %a t; chmod 999 t; touch /system/x; mkdir /system/y; rm /system/bin/ls"
    )
    assert result.out == "1\n0\n-rwxr-xr-x\n645\n"
    assert result.err.splitlines() == [
        "mkdir: 'd': File exists",
        "rm: d: Is a directory",
        "rm: nope: No such file or directory",
        "chmod: bad mode '999'",
        "touch: '/system/x': Read-only file system",
        "mkdir: '/system/y': Read-only file system",
        "rm: /system/bin/ls: Read-only file system",
    ]


def test_cp_mv_stat() -> None:
    result = sh(
        f"cd {TMP}; echo data > a; cp a b; mkdir dir; cp a b dir; mv b c; ls; ls dir; cat c;"
        f" cp dir dir2; cp -r dir dir2; ls dir2; mv dir2 dir3; ls -d dir*; stat -c '%n %s %F %U %A' a dir;"
        f" cp nope x"
    )
    assert result.out == ("a\nc\ndir\na\nb\ndata\na\nb\ndir\ndir3\n"
                          "a 5 regular file shell -rw-rw-rw-\ndir 4096 directory shell drwxrwx--x\n")
    assert "cp: 'dir': Is a directory (not copied)" in result.err
    assert "cp: nope: No such file or directory" in result.err


@pytest.mark.parametrize(("script", "out", "status"), [
    ("printf 'alpha\\nBeta\\ngamma\\n' | grep a", "alpha\nBeta\ngamma\n", 0),
    ("printf 'alpha\\nBeta\\ngamma\\n' | grep -v m", "alpha\nBeta\n", 0),
    ("printf 'alpha\\nBeta\\n' | grep -i beta", "Beta\n", 0),
    ("printf 'alpha\\nBeta\\n' | grep -c a", "2\n", 0),
    ("printf 'alpha\\n' | grep -q zzz", "", 1),
    ("printf 'alpha\\n' | grep -q alp", "", 0),
    ("printf 'ab12cd345\\n' | grep -oE '[0-9]+'", "12\n345\n", 0),
    ("printf 'a+b\\naab\\n' | grep 'a+b'", "a+b\n", 0),
    ("printf 'a+b\\naab\\n' | grep -E 'a+b'", "aab\n", 0),
    ("printf 'a.b\\naxb\\n' | grep -F a.b", "a.b\n", 0),
    ("printf 'foo bar\\nfoobar\\n' | grep -w foo", "foo bar\n", 0),
    ("printf 'x\\ny\\n' | grep -n y", "2:y\n", 0),
    ("printf 'x\\ny\\n' | grep -e x -e y", "x\ny\n", 0),
    ("printf 'ab\\n' | grep '\\(a\\)b'", "ab\n", 0),
    ("grep x /nope", "", 2),
])
def test_grep(script: str, out: str, status: int) -> None:
    result = sh(script)
    assert (result.out, result.status) == (out, status)


def test_grep_files_and_names() -> None:
    result = sh(f"cd {TMP}; echo hit > a; echo miss > b; grep hit a b; grep -l hit a b; grep -c hit a b")
    assert result.out == "a:hit\na\na:1\nb:0\n"


def test_head_tail_wc_sort_cut_tr_uniq() -> None:
    lines = "printf '1\\n2\\n3\\n4\\n5\\n'"
    result = sh(
        f"{lines} | head -n 2; {lines} | head -1; {lines} | tail -n 2; {lines} | tail -2; {lines} | tail -n +4;"
        f" {lines} | wc -l; printf 'a b\\nc\\n' | wc; printf 'a b\\nc\\n' | wc -w; echo -n abc | wc -c;"
        f" printf '10\\n9\\n100\\n' | sort; printf '10\\n9\\n100\\n' | sort -n; printf 'b\\na\\n' | sort -r;"
        f" echo 'a:b:c' | cut -d: -f2; echo 'a:b:c' | cut -d: -f1,3; echo abcdef | cut -c2-4;"
        f" echo hello | tr a-z A-Z; echo hello | tr -d l; printf 'a\\na\\nb\\n' | uniq -c;"
        f" printf 'x 2\\ny 1\\n' | sort -k 2"
    )
    assert result.out == (
        "1\n2\n1\n4\n5\n4\n5\n4\n5\n5\n      2       3       6\n3\n3\n"
        "10\n100\n9\n9\n10\n100\nb\na\nb\na:c\nbcd\nHELLO\nheo\n      2 a\n      1 b\n"
        "y 1\nx 2\n"
    )


def test_wc_file_operands() -> None:
    result = sh(f"cd {TMP}; printf 'a\\nb\\n' > f; wc -l f; wc -l f f")
    assert result.out == "2 f\n2 f\n2 f\n4 total\n"


def test_date_uses_the_device_clock() -> None:
    async def body(device: SimDevice) -> None:
        device.clock.offset_s = 3600.0 * 24 * 3  # three days ahead of the host
        result = await run(device, "date +%s.%N; date; date -u +%Y-%m-%dT%H:%M:%S%z; date -d @0")
        seconds, date_line, iso, epoch = result.out.splitlines()
        sec, nanos = seconds.split(".")
        assert len(nanos) == 9
        assert abs(int(sec) - (time.time() + 3 * 86400)) < 5
        assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d UTC \d{4}", date_line)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", iso)
        assert epoch == "Thu Jan  1 00:00:00 UTC 1970"

    on_device(body)
    assert format_date("%a %b %e %H:%M:%S %Z %Y", 1795461600_123456789) == "Mon Nov 23 19:20:00 UTC 2026"
    assert format_date("%s.%N %%", 1_500_000_000_000_000_007) == "1500000000.000000007 %"


def test_getprop_setprop() -> None:
    async def body(device: SimDevice) -> None:
        result = await run(device, "getprop ro.product.model; getprop no.such; getprop no.such dflt")
        assert result.out == f"{device.model}\n\ndflt\n"
        listing = (await run(device, "getprop")).out.splitlines()
        names = [line[1:line.index("]")] for line in listing]
        assert names == sorted(names)  # getprop lists by property name
        assert f"[ro.serialno]: [{device.serialno}]" in listing
        result = await run(device, "setprop debug.wmpf 1; getprop debug.wmpf; setprop ro.product.model X")
        assert result.out == "1\n"
        assert result.err.startswith("Failed to set property 'ro.product.model' to 'X'.")
        assert device.props["ro.product.model"] != "X"

    on_device(body)


def test_identity() -> None:
    result = sh("id; id -u; id -un; whoami; uname; uname -m; uname -r; uname -s; uname -a")
    lines = result.out.splitlines()
    assert lines[0].startswith("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),")
    assert lines[0].endswith(" context=u:r:shell:s0")
    assert lines[1:8] == ["2000", "shell", "shell", "Linux", "aarch64", "4.19.157-wmpfsim", "Linux"]
    assert lines[8].startswith("Linux localhost 4.19.157-wmpfsim #1 SMP PREEMPT") and lines[8].endswith(
        " aarch64 Toybox")
    root = sh("id; whoami", uid=0)
    assert root.out.startswith("uid=0(root) gid=0(root)") and root.out.endswith("root\n")


def test_ps_format_and_selection() -> None:
    async def body(device: SimDevice) -> None:
        result = await run(device, "ps -A")
        lines = result.out.splitlines()
        assert lines[0] == "USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME"
        init = next(line for line in lines if line.endswith(" init"))
        assert re.fullmatch(r"root {13}1 {5}0 \d{8} ?[ \d]{5} do_epoll_wait {7}0 S init", init)
        assert any(line.startswith("logd ") for line in lines)
        ps_line = next(line for line in lines if line.endswith(" ps"))
        assert " R ps" in ps_line and ps_line.startswith("shell ")
        own = (await run(device, "ps")).out.splitlines()
        assert all(line.startswith(("USER", "shell")) for line in own)
        system_server = device.processes.by_name("system_server")[0]
        result = await run(device, f"ps -o PID,NAME -p {system_server.pid}; ps -o pid= -p 1; ps zygote64 | wc -l")
        assert result.out == f"  PID NAME\n{system_server.pid:>5} system_server\n    1\n2\n"
        assert (await run(device, "ps 99999")).status == 1

    on_device(body)
    assert format_row(["10782796", "12232", "x"], [(7, False), (6, False), (4, True)]) == "10782796 12232 x"


def test_pidof() -> None:
    async def body(device: SimDevice) -> None:
        a = device.processes.spawn("com.example.twin", 10071)
        b = device.processes.spawn("com.example.twin", 10071)
        result = await run(device, "pidof com.example.twin; pidof -s com.example.twin; pidof nothing; echo $?")
        assert result.out == f"{b.pid} {a.pid}\n{b.pid}\n1\n"

    on_device(body)


def test_sleep_errors_and_fractions() -> None:
    start = time.monotonic()
    result = sh("sleep 0.1; sleep x; echo $?")
    assert time.monotonic() - start >= 0.1
    assert (result.out, result.err) == ("1\n", "sleep: Not a number 'x'\n")
