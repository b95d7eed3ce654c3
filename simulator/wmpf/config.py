"""The validated ``[wmpf]``, ``[host_app]`` and ``[call]`` tables of a device profile.

The profile loader keeps these tables verbatim (they belong to this layer); here they are checked with the
same reader, so a typo fails at start naming the file, the key and the problem. Every behaviour the facts
document marks [INFERRED] is a key here, defaulting to the documented-most-likely choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.profile import DeviceProfile, _Reader

PLUGIN_APPID = "wxf830863afde621eb"
CALL_PAGE_PATH = f"plugin-private://{PLUGIN_APPID}/pages/call-page-plugin/call-page-plugin"
WMPF_PACKAGE = "com.tencent.wmpf"
DEFAULT_HOST_PACKAGE = "com.example.wmpfhost"


def _activity(name: str) -> bool:
    return name.startswith(".") and " " not in name and len(name) > 1


def _choice(*options: str) -> dict[str, Any]:
    return {"check": lambda v: v in options, "hint": "one of " + ", ".join(repr(o) for o in options)}


@dataclass(frozen=True)
class WmpfConfig:
    """``[wmpf]``: the WMPF service and the device's identity at the WeChat backend."""

    model_id: str = "wmpfhil-model-t10"
    device_name: str = "WMPF Learning Tablet"
    miniprogram_appid: str = "wx0123456789abcdef"  # the device maker's Mini Program hosting the plugin
    push_token_ttl_s: float = 7 * 24 * 3600.0  # [INFERRED] not documented numerically
    plugin_version: str = "2.4.3"
    appbrand_process: str = "com.tencent.wmpf:appbrand0"
    # Where the device maker keeps the SN WMPF registers: "" is ro.serialno; else a vendor property, set at
    # start to sn_prefix + the serial number (what a maker's factory would write).
    sn_property: str = ""
    sn_prefix: str = ""


@dataclass(frozen=True)
class HostAppConfig:
    """``[host_app]``: how the device maker's app uses WMPF."""

    package: str = DEFAULT_HOST_PACKAGE
    push_listener: str = "v2"  # "v2" registerPushMsgEventListener (rebinds) | "legacy" setPushMsgCallback
    lifecycle_listener: bool = True  # restart + re-activate WMPF after onWMPFFinish
    reregister_legacy_on_restart: bool = False  # a careful legacy app re-registers in onWMPFRestart
    incoming_ui: str = "host"  # "host": own incoming-call screen; "direct": launch the call page at once
    decline: str = "reject"  # "reject": forceHangUpVoip through the plugin; "ignore": just close the screen
    debug_action: str = "com.example.wmpfhost.DEBUG_PUSH"
    warm_up: bool = True  # warmUpApp(isPreLaunch=1) after activation
    prefetch_device_token: bool = True  # on each push, as call-wmpf.html advises
    wake_screen: bool = True  # turn the screen on when ringing (FLAG_TURN_SCREEN_ON)
    main_activity: str = ".MainActivity"
    incoming_activity: str = ".IncomingCallActivity"
    auto_answer: bool = False  # a kiosk: answers its own incoming notification after auto_answer_ms
    auto_answer_ms: float = 800.0
    # The app's own log lines (what its maker documents); {room}, {caller}, {msg}, {name}, {api} are filled in.
    log_tag: str = "WMPF-API"
    incoming_tag: str = "IncomingCallActivity"
    push_log: str = "收到推送消息: {msg}"
    ring_log: str = "show incoming call from {caller}"
    answer_log: str = "answer clicked"
    listener_log: str = "监听成功"
    auto_answer_log: str = "auto-answer: answering {room}"
    voip_event_log: str = ""  # "": the app does not log the plugin's events it receives over the Invoke Channel
    wmpf_ready_log: str = ""  # "": the app logs nothing of its own when WMPF (re)connects; {pid}, {restart}
    relog_listener_on_rebind: bool = False  # the app logs listener_log again when the client library rebinds


@dataclass(frozen=True)
class CallConfig:
    """``[call]``: the plugin call page's behaviour where the docs are silent."""

    hangon_before_start: bool = True  # [INFERRED] order of hangOnVoip and startVoip
    end_mode: str = "background"  # "end_page" | "background" (closeWxaApp keepRunning) | "exit"
    end_page_path: str = "/pages/call-end/call-end"
    finish_voip: str = "always"  # [INFERRED] "always" | "connected" | "never"
    listener_timeout_event: bool = True  # [INFERRED] the listener also sees `timeout` at 60 s
    unknown_room: str = "loopback"  # a push for a room the backend never made: "loopback" | "join_fail"
    log_events: bool = True  # the Mini Program logs each onVoipEvent (``onVoipEvent {json}``, WMPF.VoipPlugin)
    network_loss_status: str = "abortByListener"  # abortVoip.status when packets stop arriving


def _table(profile: DeviceProfile, name: str) -> _Reader:
    table = profile.extra.get(name, {})
    if not isinstance(table, dict):
        return _Reader(profile.source, {name: table}, "").get(name, dict, hint=f"a table [{name}]")
    return _Reader(profile.source, table, f"{name}.")


def parse_wmpf(profile: DeviceProfile) -> WmpfConfig:
    r = _table(profile, "wmpf")
    d = WmpfConfig()
    out = WmpfConfig(
        model_id=r.get("model_id", str, d.model_id, check=lambda s: 0 < len(s) <= 64, hint="1-64 characters"),
        device_name=r.get("device_name", str, d.device_name),
        miniprogram_appid=r.get("miniprogram_appid", str, d.miniprogram_appid,
                                check=lambda s: s.startswith("wx") and len(s) == 18,
                                hint="an appid like wx0123456789abcdef"),
        push_token_ttl_s=float(r.get("push_token_ttl_s", (int, float), d.push_token_ttl_s,
                                     check=lambda v: v > 0, hint="positive seconds")),
        plugin_version=r.get("plugin_version", str, d.plugin_version),
        appbrand_process=r.get("appbrand_process", str, d.appbrand_process),
        sn_property=r.get("sn_property", str, d.sn_property, check=lambda s: s == "" or ("." in s and " " not in s),
                          hint="a property name such as ro.vendor.acme.sn"),
        sn_prefix=r.get("sn_prefix", str, d.sn_prefix, check=lambda s: s.replace("-", "").isalnum() or s == "",
                        hint="letters, digits and -"),
    )
    r.reject_unknown()
    return out


def parse_host_app(profile: DeviceProfile) -> HostAppConfig:
    r = _table(profile, "host_app")
    d = HostAppConfig()
    out = HostAppConfig(
        package=r.get("package", str, d.package, check=lambda s: "." in s and " " not in s,
                      hint="a package name such as com.example.wmpfhost"),
        push_listener=r.get("push_listener", str, d.push_listener, **_choice("v2", "legacy")),
        lifecycle_listener=r.get("lifecycle_listener", bool, d.lifecycle_listener, hint="true or false"),
        reregister_legacy_on_restart=r.get("reregister_legacy_on_restart", bool,
                                           d.reregister_legacy_on_restart, hint="true or false"),
        incoming_ui=r.get("incoming_ui", str, d.incoming_ui, **_choice("host", "direct")),
        decline=r.get("decline", str, d.decline, **_choice("reject", "ignore")),
        debug_action=r.get("debug_action", str, d.debug_action, check=lambda s: "." in s and " " not in s,
                           hint="an intent action such as com.example.wmpfhost.DEBUG_PUSH"),
        warm_up=r.get("warm_up", bool, d.warm_up, hint="true or false"),
        prefetch_device_token=r.get("prefetch_device_token", bool, d.prefetch_device_token,
                                    hint="true or false"),
        wake_screen=r.get("wake_screen", bool, d.wake_screen, hint="true or false"),
        main_activity=r.get("main_activity", str, d.main_activity, check=_activity, hint="an activity like .Main"),
        incoming_activity=r.get("incoming_activity", str, d.incoming_activity, check=_activity,
                                hint="an activity like .IncomingCall"),
        auto_answer=r.get("auto_answer", bool, d.auto_answer, hint="true or false"),
        relog_listener_on_rebind=r.get("relog_listener_on_rebind", bool, d.relog_listener_on_rebind,
                                       hint="true or false"),
        auto_answer_ms=float(r.get("auto_answer_ms", (int, float), d.auto_answer_ms, check=lambda v: 0 <= v <= 60000,
                                   hint="milliseconds 0-60000")),
        **{key: r.get(key, str, getattr(d, key), check=lambda s: "\n" not in s, hint="one line")
           for key in ("log_tag", "incoming_tag", "push_log", "ring_log", "answer_log", "listener_log",
                       "auto_answer_log", "voip_event_log", "wmpf_ready_log")},
    )
    r.reject_unknown()
    if profile.packages and profile.package(out.package) is None:
        raise r.fail("package", f"{out.package!r} is not among the profile's [[packages]]; add it there")
    return out


def parse_call(profile: DeviceProfile) -> CallConfig:
    r = _table(profile, "call")
    d = CallConfig()
    out = CallConfig(
        hangon_before_start=r.get("hangon_before_start", bool, d.hangon_before_start, hint="true or false"),
        end_mode=r.get("end_mode", str, d.end_mode, **_choice("end_page", "background", "exit")),
        end_page_path=r.get("end_page_path", str, d.end_page_path, check=lambda s: s.startswith("/"),
                            hint="a Mini Program page path starting with /"),
        finish_voip=r.get("finish_voip", str, d.finish_voip, **_choice("always", "connected", "never")),
        listener_timeout_event=r.get("listener_timeout_event", bool, d.listener_timeout_event,
                                     hint="true or false"),
        unknown_room=r.get("unknown_room", str, d.unknown_room, **_choice("loopback", "join_fail")),
        network_loss_status=r.get("network_loss_status", str, d.network_loss_status,
                                  **_choice("abortByListener", "abortByCaller", "unknown")),
        log_events=r.get("log_events", bool, d.log_events, hint="true or false"),
    )
    r.reject_unknown()
    return out
