"""Typed errors of the simulator, each with a message a lab engineer can act on."""

from __future__ import annotations

from collections.abc import Sequence


class SimulatorError(Exception):
    """Base class for everything the simulator raises on purpose."""


class ProfileError(SimulatorError, ValueError):
    """A device profile is malformed; the message names the file, the key and the problem, one line each.

    ``key`` and ``problem`` are the first problem; ``problems`` lists them all (``more`` adds to the first),
    so one fixture with several mistakes is fixed in one go.
    """

    def __init__(self, path: str, key: str, problem: str, *, more: Sequence[tuple[str, str]] = ()) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.problems = [(key, problem), *more]
        super().__init__("\n".join(f"{path}: key '{k}': {p}" for k, p in self.problems))


class AdbConnectError(SimulatorError):
    """The adb server would not connect to a simulated device."""
