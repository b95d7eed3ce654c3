"""Typed errors of the harness, each with a message a lab engineer can act on."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class for errors the harness raises on purpose."""


class LabError(HarnessError):
    """The lab failed (adb server, device link, tooling), not the product under test."""


class AdbServerError(LabError):
    """An adb server could not be started or reached."""
