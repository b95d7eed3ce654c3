"""The device shell's language: quoting, expansion, lists, pipes, redirections, control flow, errors."""

from __future__ import annotations

import pytest

from simulator.device import SimDevice
from simulator.shell.parser import ShellSyntaxError, parse
from tests.shell_helpers import on_device, run, sh


@pytest.mark.parametrize(("script", "expected"), [
    ("echo hi", "hi\n"),
    ("echo 'a  b' \"c  d\" e\\ \\ f", "a  b c  d e  f\n"),
    ("echo '$HOME' \"$HOME\" \\$HOME", "$HOME / $HOME\n"),
    ("X='a   b'; echo $X; echo \"$X\"", "a b\na   b\n"),
    ("echo \"it's\" 'say \"hi\"'", "it's say \"hi\"\n"),
    ("echo a\\\nb", "ab\n"),
    ("echo ${UNSET:-dflt} ${HOME:+set} ${#HOME} x${UNSET}y", "dflt set 1 xy\n"),
    ("echo $((2 + 3 * 4)) $((7 / 2)) $((-7 / 2)) $((7 % 3)) $((1 < 2 && 3 > 4))", "14 3 -3 1 0\n"),
    ("echo \"$(printf 'a   b')\" $(printf 'c   d') `echo e`", "a   b c d e\n"),
    ("echo $(echo $(echo nested))", "nested\n"),
    ("echo a # comment", "a\n"),
    ("set -- x 'y z'; echo $# \"$1\" \"$2\"; for a in \"$@\"; do echo [$a]; done", "2 x y z\n[x]\n[y z]\n"),
])
def test_quoting_and_expansion(script: str, expected: str) -> None:
    result = sh(script)
    assert (result.out, result.err, result.status) == (expected, "", 0)


def test_prefix_assignment_is_scoped_to_the_command() -> None:
    result = sh("FOO=bar env | grep '^FOO='; echo \"[$FOO]\"; FOO=1; echo $FOO; sh -c 'echo [$FOO]'")
    assert result.out == "FOO=bar\n[]\n1\n[]\n"


def test_export_reaches_children() -> None:
    result = sh("export A=1; B=2; sh -c 'echo $A$B'; export ANDROID_LOG_TAGS=\"''\"; env | grep LOG_TAGS")
    assert result.out == "1\nANDROID_LOG_TAGS=''\n"


@pytest.mark.parametrize(("script", "out", "status"), [
    ("true; echo X4EXIT:$?", "X4EXIT:0\n", 0),
    ("false; echo X4EXIT:$?", "X4EXIT:1\n", 0),
    ("nosuchcmd; echo X4EXIT:$?", "X4EXIT:127\n", 0),
    ("exit 3; echo X4EXIT:$?", "", 3),
    ("sh -c 'exit 5'; echo X4EXIT:$?", "X4EXIT:5\n", 0),
    ("(exit 4); echo X4EXIT:$?", "X4EXIT:4\n", 0),
    ("cat /nope; echo X4EXIT:$?", "X4EXIT:1\n", 0),
    ("false && echo no || echo yes", "yes\n", 0),
    ("true || echo no && echo yes", "yes\n", 0),
    ("false; echo $?; echo $?", "1\n0\n", 0),
    ("! false; echo $?", "0\n", 0),
    ("x=$(exit 7); echo $?", "7\n", 0),
])
def test_status_and_lists(script: str, out: str, status: int) -> None:
    result = sh(script)
    assert (result.out, result.status) == (out, status)


def test_unknown_command_is_127_with_message() -> None:
    assert sh("frobnicate --now") == sh("frobnicate --now")  # deterministic
    result = sh("frobnicate --now")
    assert (result.status, result.err, result.out) == (127, "sh: frobnicate: not found\n", "")
    result = sh("/x/y arg")
    assert (result.status, result.err) == (127, "sh: /x/y: not found\n")
    result = sh("/data; echo $?")
    assert result.out == "126\n" and "Is a directory" in result.err


def test_commands_by_path_and_scripts() -> None:
    result = sh("/system/bin/echo hi; /system/bin/ls -d /data;"
                " printf 'echo from script $1\\nexit 9\\n' > /data/local/tmp/s.sh;"
                " sh /data/local/tmp/s.sh a; echo $?; /data/local/tmp/s.sh; echo $?;"
                " chmod 755 /data/local/tmp/s.sh; cd /data/local/tmp && ./s.sh b; echo $?")
    assert result.out == "hi\n/data\nfrom script a\n9\n126\nfrom script b\n9\n"
    assert "Permission denied" in result.err


def test_pipes() -> None:
    result = sh("printf 'b\\na\\nc\\n' | sort | head -2 | wc -l; echo a b | tr a-z A-Z")
    assert result.out == "2\nA B\n"
    result = sh("false | true; echo $?; true | false; echo $?; ! true | false; echo $?")
    assert result.out == "0\n1\n0\n"


def test_pipe_reader_gone_gives_sigpipe_to_writer() -> None:
    async def body(device: SimDevice) -> None:
        result = await run(device, "while true; do echo y; done | head -3; echo ${?}")
        assert result.out == "y\ny\ny\n0\n"
        result = await run(device, "cat /system/bin/sh | head -c 1 >/dev/null; echo done")
        assert result.out == "done\n"

    on_device(body)


def test_redirections() -> None:
    result = sh(
        "cd /data/local/tmp; echo one > f; echo two >> f; cat f; cat < f | wc -l;"
        " ls /nope 2> err; cat err; ls /nope 2>/dev/null; echo $?;"
        " ls /nope > both 2>&1; cat both; echo to-err 1>&2; echo also >&2; ls /nope &> amp; cat amp;"
        " echo 2>/dev/null; ls /nope 2>>err; wc -l err"
    )
    assert result.out == ("one\ntwo\n2\nls: /nope: No such file or directory\n1\n"
                          "ls: /nope: No such file or directory\nls: /nope: No such file or directory\n\n"
                          "2 err\n")
    assert result.err == "to-err\nalso\n"


def test_redirection_errors() -> None:
    result = sh("echo x > /system/x; echo $?; echo x > /nope/dir/x; echo x > /data/data/x; cat < /nope; echo $?")
    assert result.out == "1\n1\n"
    assert result.err.splitlines() == [
        "sh: can't create /system/x: Read-only file system",
        "sh: can't create /nope/dir/x: No such file or directory",
        "sh: can't create /data/data/x: Permission denied",
        "sh: can't open /nope: No such file or directory",
    ]


def test_command_substitution_really_runs_unless_quoted() -> None:
    async def body(device: SimDevice) -> None:
        canary = "/data/local/tmp/canary"
        await run(device, "echo '$(touch /data/local/tmp/canary)' \"\\$(touch /data/local/tmp/canary)\"")
        assert not device.fs.exists(canary)
        await run(device, "echo $(touch /data/local/tmp/canary)")
        assert device.fs.exists(canary)
        device.fs.remove(canary)
        await run(device, "echo `touch /data/local/tmp/canary`x")
        assert device.fs.exists(canary)

    on_device(body)


def test_control_flow() -> None:
    result = sh(
        "if [ -d /data ]; then echo dir; else echo nodir; fi;"
        " if false; then echo a; elif true; then echo b; fi;"
        " for i in 1 2 3; do [ $i = 2 ] && continue; echo i$i; done;"
        " n=0; while [ $n -lt 3 ]; do n=$((n+1)); done; echo n$n;"
        " until true; do echo never; done;"
        " for x in a b c; do if [ $x = b ]; then break; fi; echo $x; done;"
        " { echo g1; echo g2; } | wc -l; (cd /system; pwd); pwd"
    )
    assert result.out == "dir\nb\ni1\ni3\nn3\na\n2\n/system\n/\n"


def test_globbing() -> None:
    result = sh("cd /data/local/tmp; touch a.jar b.jar c.txt; echo *.jar; echo /data/local/tmp/*.txt;"
                " echo '*.jar' nomatch*; rm *.jar; ls")
    assert result.out == "a.jar b.jar\n/data/local/tmp/c.txt\n*.jar nomatch*\nc.txt\n"


@pytest.mark.parametrize(("script", "message"), [
    ("echo 'a", "sh: syntax error: unterminated quoted string\n"),
    ("echo (", "sh: syntax error: '(' unexpected\n"),
    ("if true; then echo", "sh: syntax error: unexpected end of file\n"),
    ("; echo", "sh: syntax error: ';' unexpected\n"),
    ("echo a |", "sh: syntax error: unexpected end of file\n"),
    ("fi", "sh: syntax error: 'fi' unexpected\n"),
])
def test_syntax_errors(script: str, message: str) -> None:
    result = sh(script)
    assert (result.status, result.err, result.out) == (2, message, "")


def test_parser_is_cached_and_structural() -> None:
    assert parse("echo a; echo b") is parse("echo a; echo b")
    with pytest.raises(ShellSyntaxError):
        parse("echo $(")


def test_builtins() -> None:
    result = sh(
        "echo -n a; echo b; echo -e 'x\\ty'; echo 'p\\nq'; echo -E 'r\\ns';"
        " printf '%s-%03d-%x|%5s|%-3s|\\n' s 7 255 r l; printf '%s\\n' a b;"
        " test 3 -gt 2 && echo gt; [ abc = abc ] && echo eq; [ -z '' ] && echo empty; [ ! -e /nope ] && echo ne;"
        " [ -f /system/bin/sh -a -x /system/bin/sh ] && echo exe; [ 1 -eq ]; echo $?;"
        " cd /nope; echo $?; cd /data/local/tmp; pwd; cd; pwd;"
        " unset HOME; echo [$HOME]; type echo ls nope; command -v ls; command -v echo; which ls sh;"
        " echo line | { read v; echo got:$v; }; :; true; false"
    )
    assert result.out == (
        "ab\nx\ty\np\nq\nr\\ns\ns-007-ff|    r|l  |\na\nb\ngt\neq\nempty\nne\nexe\n2\n1\n"
        "/data/local/tmp\n/\n[]\necho is a shell builtin\nls is /system/bin/ls\n/system/bin/ls\necho\n"
        "/system/bin/ls\n/system/bin/sh\ngot:line\n"
    )
    assert result.status == 1
    assert "sh: cd: /nope: No such file or directory" in result.err
    assert "nope not found" in result.err


def test_eval_exec_and_source() -> None:
    result = sh("eval 'echo ev; X=1'; echo $X; echo 'Y=2' > /data/local/tmp/rc; . /data/local/tmp/rc; echo $Y;"
                " exec echo replaced; echo never")
    assert (result.out, result.status) == ("ev\n1\n2\nreplaced\n", 0)


def test_adb_logcat_wrapper_runs_exec_logcat_forms() -> None:
    """Both forms the adb CLI sends must parse and reach ``exec``; logcat itself is another module's."""
    for script in ("export ANDROID_LOG_TAGS=\"''\"; exec echo ok", "export ANDROID_LOG_TAGS=''; exec echo ok"):
        result = sh(script)
        assert (result.out, result.status) == ("ok\n", 0)


def test_sh_reads_script_from_stdin() -> None:
    async def body(device: SimDevice) -> None:
        from tests.test_shell_processes import FeedReader

        result = await run(device, "sh", FeedReader(b"echo from-stdin; exit 4\n"))
        assert (result.out, result.status) == ("from-stdin\n", 4)

    on_device(body)
