"""Typed errors of the simulator, each with a message a lab engineer can act on."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class for everything the simulator raises on purpose."""


class ProfileError(SimulatorError, ValueError):
    """A device profile is malformed; the message names the file, the key and the problem."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: key '{key}': {problem}")


class AdbConnectError(SimulatorError):
    """The adb server would not connect to a simulated device."""
