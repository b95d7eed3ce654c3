"""Timers owned by one model, cancelled together when the model goes away (WMPF death, reboot).

Every modelled step is a ``loop.call_later`` on the simulator's single event loop, so a model must be able
to drop all its pending steps at once: a killed WMPF must not deliver a push it had queued, and a rebooted
device must not show a call page from before the reboot. A failing callback is logged, never allowed to
kill the loop, because one misbehaving device must not stop the other 63.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handles: set[asyncio.TimerHandle] = set()

    def later(self, delay_s: float, fn: Callable[[], object]) -> asyncio.TimerHandle:
        """Run ``fn`` after ``delay_s`` host seconds (already scaled) on the running loop."""
        loop = asyncio.get_running_loop()
        holder: list[asyncio.TimerHandle] = []

        def run() -> None:
            self._handles.discard(holder[0])
            try:
                fn()
            except Exception:  # a model bug must not take the loop (and 63 other devices) down
                log.exception("%s: scheduled step %r failed", self.name, getattr(fn, "__qualname__", fn))

        handle = loop.call_later(max(0.0, delay_s), run)
        holder.append(handle)
        self._handles.add(handle)
        return handle

    def cancel(self, handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()
            self._handles.discard(handle)

    def cancel_all(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    @property
    def pending(self) -> int:
        return len(self._handles)
