"""The simulated WMPF Android device.

Public entry point: :class:`Simulator` (a context manager starting N devices behind real adb transports)
and :class:`DeviceInfo`; profiles: :func:`load_profile` / :class:`ProfileError`; adb helpers for callers
that run their own server: :func:`bundled_adb_path`, :func:`adb_server_env`, :func:`prepare_adb_home`, and
:class:`NoStartAdbClient` (an adbutils client that never starts a server on the default port).
Everything else in this package is internal; the harness must not import it. Names load lazily so that
importing one submodule (e.g. ``simulator.profile``) does not start up the whole adb stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Simulator": "simulator.farm",
    "DeviceInfo": "simulator.farm",
    "DeviceProfile": "simulator.profile",
    "load_profile": "simulator.profile",
    "ProfileError": "simulator.errors",
    "SimulatorError": "simulator.errors",
    "AdbConnectError": "simulator.errors",
    "bundled_adb_path": "simulator.adb_host",
    "adb_server_env": "simulator.adb_host",
    "prepare_adb_home": "simulator.adb_host",
    "NoStartAdbClient": "simulator.adb_host",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
