"""On-device capture: ``su 0 tcpdump -i any -U -w -`` streamed to the host through ``adb exec-out``.

``exec:`` is raw (no pty, no shell-protocol framing), so the pcap bytes arrive unchanged; but adbd merges the
command's stderr into that stream, so tcpdump's "listening on ..." line would corrupt the pcap: stderr goes
to /dev/null, and root and tcpdump are checked beforehand with ``adb shell`` (exit codes, messages) so that a
capture that cannot start says why. The command line is quoted word by word with the broadcast injector's
:func:`~harness.shellquote.sh_join`. A reader thread copies the stream to ``<call id>.pcap``; stopping closes
the adb stream, which ends tcpdump on the device (SIGPIPE on a phone, cancellation on the simulator).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from harness.capture.errors import CaptureUnavailable
from harness.config.capture import CaptureConfig
from harness.shellquote import sh_join

if TYPE_CHECKING:
    import adbutils

    from harness.device.services.base import DeviceLink


log = logging.getLogger("harness.capture")
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
               b"\x0a\x0d\x0d\x0a")


def check_root(session: DeviceLink) -> None:
    """Raise ``no_root`` / ``no_tcpdump`` unless ``su 0 tcpdump`` can run on the device."""
    device = session.device
    res = device.shell2("su 0 id -u", timeout=15, rstrip=True)
    out = res.output.strip()
    if res.returncode != 0 or out.splitlines()[-1:] != ["0"]:
        build = session.prop("ro.build.type") or "?"
        debuggable = session.prop("ro.debuggable") or "?"
        raise CaptureUnavailable("no_root", (
            f"no root on {session.serial} for tcpdump: `su 0 id -u` gave {out[:120]!r} (exit {res.returncode}); "
            f"ro.build.type={build}, ro.debuggable={debuggable}. On-device capture needs a userdebug/eng build "
            "or a rooted device; otherwise capture on the host ([capture] mode = \"host\")"))
    res = device.shell2("su 0 tcpdump --version", timeout=15, rstrip=True)
    if res.returncode != 0:
        raise CaptureUnavailable("no_tcpdump", (
            f"tcpdump is not usable on {session.serial}: `su 0 tcpdump --version` gave "
            f"{res.output.strip()[:160]!r} (exit {res.returncode}); push a static tcpdump to /data/local/tmp or "
            "capture on the host"))


class DeviceTcpdump:
    """One capture into ``path``; :meth:`start` raises :class:`CaptureUnavailable`, :meth:`stop` never does."""

    def __init__(self, session: DeviceLink, config: CaptureConfig, path: Path) -> None:
        self.session = session
        self.config = config
        self.path = path
        self.bytes = 0
        self.error: str | None = None
        self._conn: adbutils.AdbConnection | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._header = threading.Event()
        self._ended = threading.Event()

    @property
    def argv(self) -> list[str]:
        """tcpdump's words; the filter is one word (tcpdump joins the words of its expression anyway)."""
        argv = ["su", "0", "tcpdump", "-i", self.config.interface, "-U", "-w", "-"]
        return [*argv, self.config.filter] if self.config.filter else argv

    @property
    def command(self) -> str:
        """The device shell line, quoted like a broadcast push (:mod:`harness.shellquote`): nothing in the
        interface or the filter is ever run by the device's ``sh``, whatever the profile says."""
        return sh_join(self.argv) + " 2>/dev/null"

    def start(self) -> None:
        check_root(self.session)
        conn = self.session.device.open_transport(timeout=self.config.start_timeout_s)
        try:
            conn.send_command("exec:" + self.command)
            conn.check_okay()
            conn.conn.settimeout(0.5)
        except Exception as exc:
            conn.close()
            raise CaptureUnavailable("failed", f"adb exec-out tcpdump on {self.session.serial} failed: {exc}") from exc
        self._conn = conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._copy, name=f"tcpdump {self.session.serial}", daemon=True)
        self._thread.start()
        # tcpdump -U may hold its header until the first packet on some builds: an open, silent stream is fine
        self._header.wait(self.config.start_timeout_s)
        if self._ended.is_set() and not self._header.is_set():
            self.stop()
            raise CaptureUnavailable("failed", f"tcpdump on {self.session.serial} ended before writing a pcap"
                                               f"{': ' + self.error if self.error else ''}")
        if self.error and not self._header.is_set():
            self.stop()
            raise CaptureUnavailable("failed", f"tcpdump on {self.session.serial}: {self.error}")

    def _copy(self) -> None:
        assert self._conn is not None
        sock = self._conn.conn
        head = b""
        try:
            with self.path.open("wb") as out:
                while not self._stop.is_set():
                    try:
                        chunk = sock.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    if not self._header.is_set():
                        head += chunk
                        if len(head) < 4:
                            continue
                        if head[:4] not in PCAP_MAGICS:
                            self.error = "not a pcap stream: " + head[:200].decode("utf-8", "replace").strip()
                            break
                        self._header.set()
                        chunk, head = head, b""
                    out.write(chunk)
                    out.flush()
                    self.bytes += len(chunk)
        finally:
            self._ended.set()

    def stop(self) -> None:
        self._stop.set()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
