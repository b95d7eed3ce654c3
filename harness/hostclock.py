"""The host's timeline: wall-clock nanoseconds that never step.

Host instants (the push, a tap) are compared with device instants mapped through the clock estimate, so the
host clock must be smooth for a whole run: it is the wall clock read once and advanced by the monotonic
clock, immune to NTP steps during the run (a slew shows up as drift, which the clock model tracks).
"""

from __future__ import annotations

import time

_WALL0_NS = time.time_ns()
_MONO0_NS = time.monotonic_ns()


def host_ns() -> int:
    """Now on the host timeline, ns since the epoch."""
    return _WALL0_NS + (time.monotonic_ns() - _MONO0_NS)


def host_ns_from_monotonic(mono_ns: int) -> int:
    return _WALL0_NS + (mono_ns - _MONO0_NS)


def monotonic_from_host_ns(host: int) -> int:
    """The host monotonic reading at a host-timeline instant (for checks against monotonic-stamped truth)."""
    return host - _WALL0_NS + _MONO0_NS


class HostBracket:
    """Something known only to have happened between two host instants (a call placed, a tap's RPC).

    Its best estimate is the midpoint and its error at most half the bracket: that is how latency bounds that
    start or end at a host action are built, so placements and taps share the arithmetic here. Subclasses
    (dataclasses) define the two fields.
    """

    host_before_ns: int
    host_after_ns: int

    @property
    def host_ns(self) -> float:
        return (self.host_before_ns + self.host_after_ns) / 2

    @property
    def bound_ns(self) -> float:
        return (self.host_after_ns - self.host_before_ns) / 2
