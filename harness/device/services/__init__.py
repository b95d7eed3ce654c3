"""Per-device services: long-lived helpers (logcat stream, clock sync, ...) with one start/stop lifecycle.

A :class:`~harness.device.session.DeviceSession` owns at most one instance of each service class, starts them on
first use and stops them in reverse order when the session closes.
"""

from harness.device.services.base import DeviceService, ServiceState
from harness.device.services.clock_sync import ClockSyncService
from harness.device.services.logcat import LogcatService

__all__ = ["ClockSyncService", "DeviceService", "LogcatService", "ServiceState"]
