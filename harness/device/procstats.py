"""An app process's memory, threads and file-descriptor table, read as the shell user on any device.

``dumpsys meminfo PKG`` gives the PSS (``TOTAL PSS:`` on Android 10+, ``TOTAL`` on older builds) and
``/proc/PID/status`` — world-readable for app processes — gives ``VmRSS``, ``Threads`` and ``FDSize`` (the fd
table's size: it doubles as open descriptors outgrow it, so a descriptor leak shows as steps). The fd
directory itself (``/proc/PID/fd``) is not readable by the shell user on a production build, so it is not used.
One ``adb shell`` round trip samples every package. A soak samples between calls
(``scenarios/test_soak.py``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from harness.shellquote import sh_quote

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

_HEADER = re.compile(r"^== (\S+) (\S+)$")
_PSS = re.compile(r"^\s*TOTAL(?: PSS)?:?\s+(\d+)")
_STATUS = re.compile(r"^(VmRSS|Threads|FDSize):\s+(\d+)")


@dataclass
class ProcSample:
    package: str
    pid: int | None
    pss_kb: int | None = None
    rss_kb: int | None = None
    threads: int | None = None
    fd_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "package"}


def sample_command(packages: list[str]) -> str:
    names = " ".join(sh_quote(p) for p in packages)
    return (f'for p in {names}; do pid=$(pidof -s "$p"); echo "== $p ${{pid:-none}}"; [ -n "$pid" ] || continue; '
            'dumpsys meminfo "$p" | grep -E "TOTAL PSS:|^ +TOTAL +[0-9]"; '
            'grep -E "^(VmRSS|Threads|FDSize):" "/proc/$pid/status"; done')


def parse_samples(text: str) -> dict[str, ProcSample]:
    out: dict[str, ProcSample] = {}
    current: ProcSample | None = None
    for line in text.splitlines():
        head = _HEADER.match(line.strip())
        if head:
            pid = head.group(2).split()[0]
            current = ProcSample(head.group(1), int(pid) if pid.isdigit() else None)
            out[current.package] = current
            continue
        if current is None:
            continue
        pss = _PSS.match(line)
        if pss and current.pss_kb is None:
            current.pss_kb = int(pss.group(1))
            continue
        status = _STATUS.match(line.strip())
        if status:
            key = {"VmRSS": "rss_kb", "Threads": "threads", "FDSize": "fd_size"}[status.group(1)]
            setattr(current, key, int(status.group(2)))
    return out


def sample_processes(session: DeviceSession, packages: list[str], timeout: float = 30) -> dict[str, ProcSample]:
    """Memory, threads and fd table of each package's main process (``pid`` None when it is not running)."""
    return parse_samples(session.device.shell(sample_command(packages), timeout=timeout))
