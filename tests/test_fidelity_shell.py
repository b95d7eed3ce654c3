"""Fidelity: the Android shell surface, /proc and /sys, properties, dumpsys and bug reports as lab scripts
meet them through the real adb 29 and adb 36 command lines (and adbutils), checked for consistency between
the different readers of the same fact (free vs /proc/meminfo, ps vs /proc/PID, dumpsys vs /sys)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.device.adb_server import AdbServer
from tests.conftest import SimFactory
from tests.fidelity_helpers import Cli


@pytest.fixture(scope="module", params=["adb36", "adb29"])
def cli(request: pytest.FixtureRequest, adb_server: AdbServer, make_module_sim: SimFactory) -> Iterator[Cli]:
    server = request.getfixturevalue("adb29_server") if request.param == "adb29" else adb_server
    running = make_module_sim(1, adb_path=server.adb_path, adb_server_port=server.port, time_scale=0.05)
    yield Cli(request.param, server, running)
    running.stop()


def _meminfo(text: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+):\s+(\d+) kB$", text, re.M)}


def test_proc_meminfo_agrees_with_free_and_dumpsys(cli: Cli) -> None:
    result = cli.adb("shell", "cat /proc/meminfo")
    assert result.returncode == 0
    mem = _meminfo(result.stdout)
    assert {"MemTotal", "MemFree", "MemAvailable", "Cached", "SwapTotal"} <= set(mem)
    free = cli.shell("free -k").splitlines()
    assert free[1].split()[1] == str(mem["MemTotal"])
    total_ram = re.search(r"Total RAM: ([\d,]+)K", cli.shell("dumpsys meminfo"))
    assert total_ram and int(total_ram.group(1).replace(",", "")) == mem["MemTotal"]
    assert f"Mem:  {mem['MemTotal']}K total" in cli.shell("top -b -n 1 -m 3")


def test_proc_stat_uptime_loadavg_cpuinfo_and_sys_cpu(cli: Cli) -> None:
    stat = cli.shell("cat /proc/stat").splitlines()
    assert stat[0].startswith("cpu  ") and len(stat[0].split()) == 11
    cpus = [line for line in stat if re.match(r"cpu\d", line)]
    assert len(cpus) == 8
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d\n", cli.shell("cat /proc/uptime"))
    # one shell line, so both read the same moment of a load that moves (two adb round trips may straddle a tick)
    loadavg, uptime = cli.shell("cat /proc/loadavg; uptime").splitlines()
    said = re.search(r"load average: ([\d.]+), ([\d.]+), ([\d.]+)", uptime)
    assert said is not None and tuple(loadavg.split()[:3]) == said.groups()
    assert cli.shell("grep -c ^processor /proc/cpuinfo") == "8\n"
    assert cli.shell("cat /sys/devices/system/cpu/online") == "0-7\n"
    assert cli.shell("cat /sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_max_freq") == "2000000\n"
    listing = cli.shell("ls /sys/devices/system/cpu").split()
    assert [f"cpu{n}" for n in range(8)] == [name for name in listing if re.fullmatch(r"cpu\d", name)]


def test_proc_pid_files_agree_with_ps(cli: Cli) -> None:
    ps = cli.shell("ps -A -o PID,PPID,RSS,NAME").splitlines()[1:]
    row = next(line.split() for line in ps if line.split()[3] == "surfaceflinger")
    pid, ppid, rss = row[0], row[1], row[2]
    status = cli.shell(f"cat /proc/{pid}/status")
    assert "Name:\tsurfaceflinger\n" in status and f"PPid:\t{ppid}\n" in status
    assert re.search(rf"VmRSS:\s+{rss} kB", status)
    stat = cli.shell(f"cat /proc/{pid}/stat").split()
    assert stat[:4] == [pid, "(surfaceflinger)", "S", ppid]
    assert int(stat[23]) * 4 == int(rss) // 4 * 4  # rss in 4 KiB pages
    assert cli.adb("shell", f"cat /proc/{pid}/cmdline").stdout == "surfaceflinger\0"
    assert pid in cli.shell("ls /proc").split()
    assert "No such file" in cli.adb("shell", "cat /proc/99999/status").stderr


def test_proc_net_dev_and_power_supply_agree_with_dumpsys(cli: Cli) -> None:
    net = cli.shell("cat /proc/net/dev")
    assert re.search(r"^\s*wlan0:", net, re.M) and re.search(r"^\s*lo:", net, re.M)
    assert cli.shell("cat /sys/class/power_supply/battery/capacity") == "100\n"
    cli.shell("dumpsys battery set level 42")
    try:
        assert cli.shell("cat /sys/class/power_supply/battery/capacity") == "42\n"
        assert "  level: 42\n" in cli.shell("dumpsys battery")
        cli.shell("dumpsys battery unplug")
        assert cli.shell("cat /sys/class/power_supply/ac/online") == "0\n"
        assert "mIsPowered=false" in cli.shell("dumpsys power")
    finally:
        cli.shell("dumpsys battery reset")
    assert cli.shell("cat /sys/class/power_supply/ac/online") == "1\n"


def test_properties_like_a_real_build(cli: Cli) -> None:
    listing = cli.shell("getprop")
    names = re.findall(r"^\[([^\]]+)\]: \[", listing, re.M)
    assert len(names) >= 300
    for family in ("ro.build.", "ro.product.", "ro.boot.", "persist.", "sys.", "init.svc."):
        assert any(n.startswith(family) for n in names), family
    model = cli.shell("getprop ro.product.model")
    for part in ("system", "vendor", "odm", "product"):
        assert cli.shell(f"getprop ro.product.{part}.model") == model
    assert cli.shell("getprop ro.hardware").strip()
    assert cli.shell("getprop ro.build.characteristics") == "tablet\n"
    assert cli.shell("getprop ro.build.type") == "userdebug\n"
    assert cli.shell("getprop ro.boot.serialno") == cli.shell("getprop ro.serialno")


def test_setprop_rules(cli: Cli) -> None:
    assert cli.adb("shell", "setprop debug.fidelity 1").returncode == 0
    assert cli.shell("getprop debug.fidelity") == "1\n"
    refused = cli.adb("shell", "setprop persist.sys.fidelity 1")
    assert refused.returncode == 1
    assert refused.stderr == "Failed to set property 'persist.sys.fidelity' to '1'.\nSee dmesg for error reason.\n"
    assert cli.adb("shell", "setprop ro.build.id X").returncode == 1
    assert cli.adb("shell", f"setprop debug.long {'x' * 92}").returncode == 1


def test_shell_tools(cli: Cli) -> None:
    assert cli.adb("shell", "log -t FidelityTag -p w from the lab").returncode == 0
    assert "W FidelityTag: from the lab" in re.sub(r"\s+:", ":", cli.shell("logcat -d -s FidelityTag"))
    assert cli.shell("cmd package path com.tencent.wmpf") == cli.shell("pm path com.tencent.wmpf")
    unknown = cli.adb("shell", "cmd nosuchservice")
    assert unknown.returncode == 20 and "cmd: Can't find service: nosuchservice" in unknown.stderr
    assert cli.adb("shell", "svc wifi disable").returncode == 0
    assert cli.shell("settings get global wifi_on") == "0\n"
    assert "Active default network: none" in cli.shell("dumpsys connectivity")
    cli.adb("shell", "svc wifi enable")
    query = cli.shell("content query --uri content://settings/system --where \"name='screen_brightness'\"")
    assert query == "Row: 0 _id=1, name=screen_brightness, value=102\n"
    df = cli.shell("df /data").splitlines()
    assert df[0].startswith("Filesystem") and df[1].endswith(" /data")
    assert cli.shell("find /sys/class/power_supply -maxdepth 1 -name 'a*'") == "/sys/class/power_supply/ac\n"
    assert cli.shell("getprop | sed -n 's/^\\[ro.build.type\\]: \\[\\(.*\\)\\]$/\\1/p'") == "userdebug\n"
    assert cli.shell("cat /proc/meminfo | awk '/^MemTotal/ {print $2 * 1024}'") == \
        cli.shell("free -b").splitlines()[1].split()[1] + "\n"
    ip = cli.shell("ip -4 addr show wlan0")
    address = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/24", ip).group(1)
    ping = cli.adb("shell", f"ping -c 2 -i 0.2 {address}")
    assert ping.returncode == 0 and "2 packets transmitted, 2 received, 0% packet loss" in ping.stdout
    assert cli.adb("shell", "ping -c 1 no.such.host").returncode == 2
    assert ":::5555" in cli.shell("netstat -tln") and "LISTEN" in cli.shell("ss -lt")
    assert re.match(r" \d\d:\d\d:\d\d up .*load average: ", cli.shell("uptime"))
    assert cli.shell("for i in $(seq 3); do echo n$i; done") == "n1\nn2\nn3\n"
    assert cli.shell("seq -w -s , 8 -1 -1") == "08,07,06,05,04,03,02,01,00,-1\n"
    assert cli.shell("seq 0.5 0.5 1.5") == "0.5\n1\n1.5\n"
    assert cli.adb("shell", "seq x").stderr == "seq: not a number: 'x'\n"


def test_date_set_needs_root(cli: Cli) -> None:
    refused = cli.adb("shell", "date -s 2030-01-01")
    assert refused.returncode == 1 and "date: cannot set date: Operation not permitted" in refused.stderr


def test_dumpsys_services(cli: Cli) -> None:
    services = cli.shell("dumpsys -l")
    for name in ("SurfaceFlinger", "activity", "connectivity", "cpuinfo", "deviceidle", "meminfo", "power"):
        assert f"  {name}\n" in services
    assert re.search(r"TOTAL PSS:\s+\d+", cli.shell("dumpsys meminfo com.tencent.wmpf"))
    assert cli.shell("dumpsys meminfo com.no.such") .endswith("No process found for: com.no.such\n")
    assert cli.shell("dumpsys cpuinfo").startswith("Load: ")
    for section, title in (("activities", "ACTIVITY MANAGER ACTIVITIES"), ("services", "ACTIVITY MANAGER SERVICES"),
                           ("broadcasts", "ACTIVITY MANAGER BROADCAST STATE"),
                           ("recents", "ACTIVITY MANAGER RECENT TASKS"), ("processes", "RUNNING PROCESSES")):
        assert title in cli.shell(f"dumpsys activity {section}")
    assert "com.android.launcher3/.Launcher#0" in cli.shell("dumpsys SurfaceFlinger --list")
    assert "refresh-rate" in cli.shell("dumpsys SurfaceFlinger")
    assert cli.shell("dumpsys deviceidle force-idle") == "Now forced in to deep idle mode\n"
    assert cli.shell("dumpsys deviceidle get deep") == "IDLE\n"
    assert "mDeviceIdleMode=true" in cli.shell("dumpsys power")
    assert cli.shell("dumpsys deviceidle unforce") == "Light state: ACTIVE, deep state: ACTIVE\n"
    gfx = cli.shell("dumpsys gfxinfo com.tencent.wmpf")
    assert "** Graphics info for pid" in gfx and "Janky frames: 0 (0.00%)" in gfx


def test_adb_bugreport_zip_layout(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "report.zip"
    result = cli.adb("bugreport", str(target), timeout=120)
    assert result.returncode == 0, result.stderr
    assert target.is_file()  # adb 36 says "Bug report copied to ...", adb 29 only prints the pull
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        main = zf.read("main_entry.txt").decode()
        assert re.fullmatch(r"bugreport-t10-RQ3A\.211001\.001-\d{4}(-\d\d){5}\.txt", main)
        assert main in names and "version.txt" in names and "FS/proc/meminfo" in names
        text = zf.read(main).decode()
    assert "== dumpstate: " in text and "------ MEMORY INFO (/proc/meminfo) ------" in text
    assert "DUMP OF SERVICE activity:" in text and "------ SYSTEM PROPERTIES (getprop) ------" in text
    assert cli.adb("shell", "bugreportz -v").stderr == "bugreportz version 1.2\n"
    plain = cli.adb("shell", "bugreport")
    assert "Flat (text file, non-zipped) bugreports are deprecated" in plain.stderr


def test_unsupported_answers(cli: Cli) -> None:
    """The published 'Not supported' rows: what a tool gets instead."""
    missing = cli.adb("shell", "screenrecord /sdcard/x.mp4")
    assert missing.returncode == 127 and "screenrecord: not found" in missing.stderr
    assert "No such file or directory" in cli.adb("shell", "ls /proc/self").stderr
    usb = cli.adb("usb")
    assert usb.returncode != 0 and "closed" in usb.stdout + usb.stderr
    assert cli.state() == "device"
