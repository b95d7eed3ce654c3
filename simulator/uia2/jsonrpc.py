"""JSON-RPC 2.0 dispatch with the error shapes uiautomator2 3.7.1 recognises.

The client (``uiautomator2.core._jsonrpc_call``) looks for Java class names inside ``error.message``:
``uiautomator.UiObjectNotFoundException`` becomes ``UiObjectNotFoundError``, ``UiAutomation not
connected`` and ``android.os.DeadObjectException`` make it restart the server, anything else is
``RPCUnknownError``. So every failure here is a :class:`RpcError` that carries the Java exception name the
real server would have thrown, and ``error.data`` is a Java-looking stack trace string.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
ERROR_CODE_BASE = -32000  # the uiautomator server's application codes count down from here

UI_OBJECT_NOT_FOUND = "androidx.test.uiautomator.UiObjectNotFoundException"


class RpcError(Exception):
    """A JSON-RPC error answer: ``code``, the Java exception class and its message."""

    def __init__(self, code: int, java_class: str, message: str = "") -> None:
        super().__init__(f"{java_class}: {message}" if message else java_class)
        self.code = code
        self.java_class = java_class
        self.detail = message

    def to_json(self) -> dict[str, Any]:
        text = str(self)
        trace = f"{text}\n\tat com.wetest.uia2.stub.AutomatorServiceImpl.invoke(AutomatorServiceImpl.java)\n"
        return {"code": self.code, "message": text, "data": trace}


class UiObjectNotFound(RpcError):
    """No view matches the selector (``UiObjectNotFoundException``, code -32002)."""

    def __init__(self, selector_text: str) -> None:
        super().__init__(ERROR_CODE_BASE - 2, UI_OBJECT_NOT_FOUND, selector_text)


class MethodNotFound(RpcError):
    def __init__(self, method: str) -> None:
        super().__init__(METHOD_NOT_FOUND, "com.googlecode.jsonrpc4j.JsonRpcMethodNotFound",
                         f"method not found: {method}")


class InvalidParams(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, "java.lang.IllegalArgumentException", message)


RpcMethod = Callable[..., Any]


class Dispatcher:
    """Name → callable. Callables may be plain or ``async``; params are a JSON array or object."""

    def __init__(self) -> None:
        self._methods: dict[str, RpcMethod] = {}
        self._signatures: dict[str, inspect.Signature] = {}  # made once: params are checked on every call

    def add(self, name: str, fn: RpcMethod) -> None:
        self._methods[name] = fn
        self._signatures[name] = inspect.signature(fn)

    def names(self) -> list[str]:
        return sorted(self._methods)

    async def call(self, method: str, params: Any) -> Any:
        fn = self._methods.get(method)
        if fn is None:
            raise MethodNotFound(method)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if isinstance(params, list):
            args = params
        elif isinstance(params, dict):
            kwargs = params
        elif params is not None:
            raise InvalidParams(f"params must be an array or an object, got {type(params).__name__}")
        try:
            self._signatures[method].bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidParams(f"{method}: {exc}") from exc
        result = fn(*args, **kwargs)
        if isinstance(result, Awaitable):
            result = await result
        return result

    async def handle(self, body: bytes) -> bytes:
        """One HTTP body in, one JSON-RPC response body out (never raises)."""
        request_id: Any = None
        try:
            try:
                request = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise RpcError(PARSE_ERROR, "com.fasterxml.jackson.core.JsonParseException", str(exc)) from exc
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                raise RpcError(INVALID_REQUEST, "com.googlecode.jsonrpc4j.JsonRpcInvalidRequest",
                               "request must be an object with a string 'method'")
            request_id = request.get("id")
            result = await self.call(request["method"], request.get("params"))
            answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "result": result}
        except RpcError as exc:
            answer = {"jsonrpc": "2.0", "id": request_id, "error": exc.to_json()}
        except Exception as exc:  # a bug in a method: report it like an uncaught Java exception
            log.exception("uia2 RPC method failed")
            err = RpcError(INTERNAL_ERROR, "java.lang.RuntimeException", f"{type(exc).__name__}: {exc}")
            answer = {"jsonrpc": "2.0", "id": request_id, "error": err.to_json()}
        return json.dumps(answer, ensure_ascii=False).encode()
