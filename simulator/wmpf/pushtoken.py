"""The device's pushToken: what the WeChat backend checks a ``callWMPF`` against.

``WMPFDeviceApi.getPushToken()`` returns ``pushToken`` and ``expireTimestamp``; the docs tell the backend to
refresh it before it expires (facts doc §0, §5). A wrong or expired token makes ``callWMPF`` fail with
errCode 14. The token survives WMPF restarts until it expires; its lifetime is scaled like every duration.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


@dataclass
class PushToken:
    token: str
    expire_mono_ns: int  # host monotonic instant of expiry (what the backend checks)
    expire_timestamp: int  # device epoch seconds, as getPushToken reports it

    @property
    def expired(self) -> bool:
        return time.monotonic_ns() >= self.expire_mono_ns

    @property
    def redacted(self) -> str:
        """For log lines: enough to tell tokens apart, not enough to use one."""
        return self.token[:8] + "..."

    @classmethod
    def issue(cls, rng: random.Random, ttl_scaled_s: float, device_wall_ns: int) -> PushToken:
        token = rng.getrandbits(256).to_bytes(32, "big").hex()
        now = time.monotonic_ns()
        ttl_ns = int(ttl_scaled_s * 1e9)
        return cls(token=token, expire_mono_ns=now + ttl_ns, expire_timestamp=(device_wall_ns + ttl_ns) // 10**9)

    def expire_now(self) -> None:
        self.expire_mono_ns = time.monotonic_ns()
