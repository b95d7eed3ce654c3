"""The simulated phone and WeChat backend: ``POST /callWMPF`` rings a simulated device.

What a phone's ``wmpfVoip.callWMPF`` does end to end: validate the request the way the backend does
(unknown sn, wrong or expired pushToken → errCode 14; device offline or never activated → an error), create
a room ``wxf830863afde621ebWmpfVoip<digits>``, answer ``{"roomId"}`` and, after the device's push delivery
latency, hand the push JSON to that device's WMPF. Further endpoints play the caller (cancel, hang up,
lose the network), expose call state and switch device faults at runtime. The full API is in
``docs/simulator-phone-api.md``. Runs on the simulator's event loop, beside the devices it serves.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from simulator.phone.http import HttpError, HttpServer, Request
from simulator.phone.room import CallerPlan, Room
from simulator.wmpf import install
from simulator.wmpf.config import PLUGIN_APPID
from simulator.wmpf.faults import FaultError, apply_fault
from simulator.wmpf.pushmsg import APP_TYPES, build_push
from simulator.wmpf.scheduler import Scheduler

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.wmpf.model import WmpfDevice
    from simulator.wmpf.truth import TruthRecorder

MAX_ROOMS = 2000  # ended rooms kept for GET /calls/<roomId>
DUPLICATE_GAP_MS = 80.0  # a duplicated push arrives this much (unscaled) after the first


def _bad(message: str) -> HttpError:
    return HttpError(400, {"errCode": 1004, "errMsg": f"bad parameters: {message}"})


def _not_found(message: str) -> HttpError:
    return HttpError(404, {"errCode": 404, "errMsg": message})


class PhoneBackend:
    """``PhoneBackend(devices, truth)``; ``url = await backend.start()``; ``await backend.stop()``."""

    def __init__(self, devices: list[SimDevice], truth: TruthRecorder | None = None) -> None:
        self.models: dict[str, WmpfDevice] = {}
        for device in devices:
            model = install(device, truth)  # no-op when the farm already installed it
            model.cloud = self
            self.models[model.sn] = model
        self.rooms: OrderedDict[str, Room] = OrderedDict()
        self.caller_plans: dict[str, CallerPlan] = {}  # POST /control/caller: how the caller behaves, per device
        self.scheduler = Scheduler("phone backend")
        self._seq = itertools.count(1)
        self._server = HttpServer(self.handle)
        self.url: str | None = None
        self._routes: list[tuple[str, re.Pattern[str], Any]] = [
            ("POST", re.compile(r"/callWMPF"), self.call_wmpf),
            ("GET", re.compile(r"/devices"), self.list_devices),
            ("GET", re.compile(r"/devices/(?P<sn>[^/]+)"), self.get_device),
            ("GET", re.compile(r"/calls"), self.list_calls),
            ("GET", re.compile(r"/calls/(?P<room>[^/]+)"), self.get_call),
            ("POST", re.compile(r"/calls/(?P<room>[^/]+)/cancel"), self.caller_cancel),
            ("POST", re.compile(r"/calls/(?P<room>[^/]+)/hangup"), self.caller_hang_up),
            ("POST", re.compile(r"/calls/(?P<room>[^/]+)/network_loss"), self.caller_network_loss),
            ("POST", re.compile(r"/control/faults"), self.set_fault),
            ("GET", re.compile(r"/control/faults"), self.get_faults),
            ("POST", re.compile(r"/control/push"), self.raw_push),
            ("POST", re.compile(r"/control/caller"), self.set_caller_plan),
            ("GET", re.compile(r"/control/caller"), self.get_caller_plan),
        ]

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        bound_host, bound_port = await self._server.start(host, port)
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        self.scheduler.cancel_all()
        for room in self.rooms.values():
            room.scheduler.cancel_all()
        await self._server.stop()

    # -- the Cloud protocol the devices use --------------------------------------------------------------
    def room(self, room_id: str) -> Room | None:
        return self.rooms.get(room_id)

    # -- routing ---------------------------------------------------------------------------------------------
    async def handle(self, request: Request) -> tuple[int, Any]:
        allowed = []
        for method, pattern, fn in self._routes:
            match = pattern.fullmatch(request.path.rstrip("/") or "/")
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request.params = match.groupdict()
            return 200, fn(request)
        if allowed:
            raise HttpError(405, {"errCode": 405, "errMsg": f"{request.method} {request.path} is not supported; "
                                                            f"use {' or '.join(allowed)}"})
        raise _not_found(f"no endpoint {request.path}; see docs/simulator-phone-api.md")

    # -- callWMPF -----------------------------------------------------------------------------------------------
    def _model(self, sn: str) -> WmpfDevice:
        model = self.models.get(sn)
        if model is None:
            raise HttpError(400, {"errCode": 14, "errMsg": f"voipToken wrong (WeChat → device): unknown sn "
                                                           f"{sn!r}; known: {', '.join(self.models) or 'none'}"})
        return model

    def call_wmpf(self, request: Request) -> dict[str, Any]:
        return {"roomId": self.place_call(request.json())}

    def place_call(self, body: Any) -> str:
        """``callWMPF`` with a request body (from HTTP or the simulated WeChat's Mini Program): the roomId, or
        :class:`HttpError` with the backend's errCode."""
        if not isinstance(body, dict):
            raise _bad(f"expected a JSON object, got {type(body).__name__}")

        def text(key: str, required: bool = True, default: str = "") -> str:
            value = body.get(key, None)
            if value is None:
                if required:
                    raise _bad(f"{key} is required")
                return default
            if not isinstance(value, str) or (required and not value):
                raise _bad(f"{key} must be a non-empty string, got {value!r}")
            return value

        room_type = text("roomType")
        if room_type not in ("voice", "video"):
            raise _bad(f"roomType must be 'voice' or 'video', got {room_type!r}")
        sn, model_id, token, nick = text("sn"), text("modelId"), text("pushToken"), text("nickName")
        env = text("envVersion", required=False, default="release")
        if env not in APP_TYPES:
            raise _bad(f"envVersion must be one of {', '.join(APP_TYPES)}, got {env!r}")
        custom = text("customQuery", required=False)
        model = self._model(sn)
        device_name = text("deviceName", required=False, default=model.wmpf_config.device_name)
        plan = self._plan(body["_sim"]) if "_sim" in body else self.caller_plans.get(sn, CallerPlan())
        if model_id != model.wmpf_config.model_id:
            raise HttpError(400, {"errCode": 17, "errMsg": f"voipToken and modelId mismatch: device {sn} has "
                                                           f"modelId {model.wmpf_config.model_id!r}, got {model_id!r}"})
        current = model.service.push_token
        if current is None or current.token != token:
            raise HttpError(400, {"errCode": 14, "errMsg": f"voipToken wrong (WeChat → device): pushToken is not "
                                                           f"the current token of device {sn}; GET /devices"})
        if current.expired:
            raise HttpError(400, {"errCode": 14, "errMsg": f"voipToken wrong (WeChat → device): the pushToken of "
                                                           f"device {sn} expired at {current.expire_timestamp}; "
                                                           "the device must fetch a new one"})
        if not model.service.registered_at_backend:
            raise HttpError(409, {"errCode": 2, "errMsg": f"device {sn} has not activated WMPF (activateDevice)"})
        if not model.reachable:
            raise HttpError(503, {"errCode": 5, "errMsg": f"room creation failed: device {sn} is offline"})
        room_id = f"{PLUGIN_APPID}WmpfVoip{time.time_ns() // 1_000_000}{next(self._seq) % 1_000_000:06d}"
        room = Room(room_id=room_id, sn=sn, room_type=room_type, caller_name=nick, listener_name=device_name,
                    timing=model.timing, plan=plan)
        room.on_end.append(lambda r: model.recorder.event("room_ended", r.room_id, reason=r.end_reason,
                                                          keep_time=r.keep_time_s))
        self._remember(room)
        model.recorder.event("call_placed", room_id, room_type=room_type, caller=nick, env_version=env)
        room.start()
        push = build_push(room_type=room_type, room_id=room_id, sn=sn, caller_name=nick, custom_query=custom,
                          env_version=env, appid=model.wmpf_config.miniprogram_appid)
        self._send_push(model, push.to_json(), room_id)
        return room_id

    @staticmethod
    def _plan(raw: Any) -> CallerPlan:
        if raw is None:
            return CallerPlan()
        if not isinstance(raw, dict):
            raise _bad(f"the caller plan must be an object like {{\"callerJoins\": false}}, got {raw!r}")
        unknown = set(raw) - {"callerJoins", "hangUpAfterS", "cancelAfterS"}
        if unknown:
            raise _bad(f"the caller plan has unknown keys {sorted(unknown)}; use callerJoins, hangUpAfterS, "
                       f"cancelAfterS")
        joins = raw.get("callerJoins", True)
        if not isinstance(joins, bool):
            raise _bad(f"callerJoins must be true or false, got {joins!r}")
        times: dict[str, float | None] = {}
        for key in ("hangUpAfterS", "cancelAfterS"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise _bad(f"{key} must be a non-negative number of seconds, got {value!r}")
            times[key] = None if value is None else float(value)
        return CallerPlan(joins=joins, hang_up_after_s=times["hangUpAfterS"], cancel_after_s=times["cancelAfterS"])

    def _remember(self, room: Room) -> None:
        self.rooms[room.room_id] = room
        while len(self.rooms) > MAX_ROOMS:
            oldest_id, oldest = next(iter(self.rooms.items()))
            if oldest.active:
                break
            del self.rooms[oldest_id]

    def _send_push(self, model: WmpfDevice, message: str, room_id: str | None) -> None:
        """Deliver after the device's latency, subject to the drop/duplicate/delay faults."""
        faults = model.faults
        if faults.push_drop > 0:
            faults.push_drop -= 1
            model.recorder.event("push_dropped", room_id, reason="lost by the backend (fault push_drop)")
            return
        if faults.push_drop_rate > 0 and model.timing.rng.random() < faults.push_drop_rate:
            model.recorder.event("push_dropped", room_id, reason="lost by the backend (fault push_drop_rate)")
            return
        delay = model.timing.delay("push_delivery_ms") + model.timing.scaled(faults.push_delay_ms / 1000)
        copies = 1
        if faults.push_duplicate > 0:
            faults.push_duplicate -= 1
            copies = 2
        for i in range(copies):
            extra = model.timing.scaled(i * DUPLICATE_GAP_MS / 1000)
            self.scheduler.later(delay + extra, lambda: self._arrive(model, message, room_id))

    @staticmethod
    def _arrive(model: WmpfDevice, message: str, room_id: str | None) -> None:
        if not model.reachable:
            model.recorder.event("push_dropped", room_id, reason="device offline when the push arrived")
            return
        model.field.arrive(room_id, lambda: model.service.deliver_push(message, room_id))

    # -- devices and calls --------------------------------------------------------------------------------------
    def list_devices(self, request: Request) -> list[dict[str, Any]]:
        out = []
        for sn, model in self.models.items():
            token = model.service.push_token
            out.append({"sn": sn, "modelId": model.wmpf_config.model_id,
                        "pushToken": token.token if token else None,
                        "expireTimestamp": token.expire_timestamp if token else None,
                        "deviceName": model.wmpf_config.device_name,
                        "online": model.reachable, "activated": model.service.registered_at_backend})
        return out

    def get_device(self, request: Request) -> dict[str, Any]:
        sn = request.params["sn"]
        model = self.models.get(sn)
        if model is None:
            raise _not_found(f"no device {sn!r}; known: {', '.join(self.models)}")
        return model.describe()

    def _room(self, request: Request) -> Room:
        room_id = request.params["room"]
        room = self.rooms.get(room_id)
        if room is None:
            raise _not_found(f"no call {room_id!r} (roomIds come from POST /callWMPF)")
        return room

    def list_calls(self, request: Request) -> list[dict[str, Any]]:
        sn = request.query.get("sn")
        return [r.describe() for r in self.rooms.values() if sn is None or r.sn == sn]

    def get_call(self, request: Request) -> dict[str, Any]:
        return self._room(request).describe()

    def _caller_action(self, request: Request, action: str) -> dict[str, Any]:
        return self.caller_act(self._room(request), action)

    def caller_act(self, room: Room, action: str) -> dict[str, Any]:
        """The caller cancels, hangs up or loses its network (HTTP, or a tap on the simulated phone)."""
        model = self.models[room.sn]
        before = room.state.value
        ok = {"cancel": room.caller_cancel, "hangup": room.caller_hang_up,
              "network_loss": room.caller_lose_network}[action]()
        if not ok:
            raise HttpError(409, {"errCode": 409, "errMsg": f"cannot {action} call {room.room_id}: it is {before}"
                                  + (f" ({room.end_reason})" if room.end_reason else "")})
        model.recorder.event(f"caller_{action}", room.room_id, state_before=before)
        return room.describe()

    def caller_cancel(self, request: Request) -> dict[str, Any]:
        return self._caller_action(request, "cancel")

    def caller_hang_up(self, request: Request) -> dict[str, Any]:
        return self._caller_action(request, "hangup")

    def caller_network_loss(self, request: Request) -> dict[str, Any]:
        return self._caller_action(request, "network_loss")

    # -- control ------------------------------------------------------------------------------------------------
    def set_fault(self, request: Request) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("sn"), str) or not isinstance(body.get("fault"), str):
            raise _bad('expected {"sn": "<device sn>", "fault": "<name>", "value": ...}')
        model = self.models.get(body["sn"])
        if model is None:
            raise _not_found(f"no device {body['sn']!r}; known: {', '.join(self.models)}")
        try:
            return apply_fault(model, body["fault"], body.get("value", True))
        except FaultError as exc:
            raise _bad(str(exc)) from None

    def get_faults(self, request: Request) -> dict[str, Any]:
        sn = request.query.get("sn")
        if sn is not None and sn not in self.models:
            raise _not_found(f"no device {sn!r}; known: {', '.join(self.models)}")
        return {s: m.faults.describe() for s, m in self.models.items() if sn is None or s == sn}

    def set_caller_plan(self, request: Request) -> dict[str, Any]:
        """``{"sn", "callerJoins", "hangUpAfterS", "cancelAfterS"}``: how the caller behaves in every later call
        to device ``sn``, whoever places it (the phone bot API or a tap on a simulated phone); ``{"sn"}`` alone
        puts the ordinary caller back."""
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("sn"), str):
            raise _bad('expected {"sn": "<device sn>", "callerJoins": false, "hangUpAfterS": 5, ...}')
        sn = body.pop("sn")
        self._model(sn)
        plan = self._plan(body)
        if plan == CallerPlan():
            self.caller_plans.pop(sn, None)
        else:
            self.caller_plans[sn] = plan
        return self._describe_plan(sn)

    def get_caller_plan(self, request: Request) -> dict[str, Any]:
        sn = request.query.get("sn")
        if sn is None:
            return {s: self._describe_plan(s)[s] for s in self.models}
        self._model(sn)
        return self._describe_plan(sn)

    def _describe_plan(self, sn: str) -> dict[str, Any]:
        plan = self.caller_plans.get(sn, CallerPlan())
        return {sn: {"callerJoins": plan.joins, "hangUpAfterS": plan.hang_up_after_s,
                     "cancelAfterS": plan.cancel_after_s}}

    def raw_push(self, request: Request) -> dict[str, Any]:
        """Push an arbitrary message through the device's push channel (malformed-push tests)."""
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("sn"), str) or not isinstance(body.get("msg"), str):
            raise _bad('expected {"sn": "<device sn>", "msg": "<push message text>"}')
        model = self.models.get(body["sn"])
        if model is None:
            raise _not_found(f"no device {body['sn']!r}; known: {', '.join(self.models)}")
        self._send_push(model, body["msg"], None)
        return {"queued": True}
