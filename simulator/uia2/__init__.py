"""The simulated device's uiautomator2 on-device server (``com.wetest.uia2.Main`` from ``u2.jar``).

uiautomator2 3.7.1 pushes ``/data/local/tmp/u2.jar``, starts it with ``app_process`` over a streaming shell,
and then talks JSON-RPC over HTTP to device port 9008 through adb's ``tcp:`` service. This package is that
server: an HTTP/1.1 front end (:mod:`.http`), JSON-RPC dispatch (:mod:`.jsonrpc`), the UiSelector engine
(:mod:`.selector`), the hierarchy dump (:mod:`.hierarchy`), the RPC methods (:mod:`.methods`) and the server
lifecycle tied to a device process (:mod:`.server`).
"""

from __future__ import annotations

from simulator.uia2.server import DEFAULT_PORT, Uia2Server, crash_server, running_server

__all__ = ["DEFAULT_PORT", "Uia2Server", "crash_server", "running_server"]
