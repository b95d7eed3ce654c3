"""Why a capture could not start, as a code a report can group by and a sentence a lab engineer can act on."""

from __future__ import annotations

from harness.errors import LabError

REASONS = ("no_root", "no_tcpdump", "no_tool", "no_permission", "no_interface", "failed")


class CaptureUnavailable(LabError):
    """The call's capture cannot run. Unless the capture is ``required`` the call runs without one."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown capture failure reason {reason!r}")
        self.reason = reason
        super().__init__(message)
