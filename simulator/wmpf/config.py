"""The validated ``[wmpf]``, ``[host_app]`` and ``[call]`` tables of a device profile.

The profile loader keeps these tables verbatim (they belong to this layer); here each is validated as its
model (:mod:`simulator.config_schema`), so a typo fails at start naming the file, the key and the problem.
Every behaviour the facts document marks [INFERRED] is a key here, defaulting to the documented-most-likely choice.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from simulator.config_schema import Schema, check, validate
from simulator.errors import ProfileError
from simulator.profile import DeviceProfile

PLUGIN_APPID = "wxf830863afde621eb"
CALL_PAGE_PATH = f"plugin-private://{PLUGIN_APPID}/pages/call-page-plugin/call-page-plugin"
WMPF_PACKAGE = "com.tencent.wmpf"
DEFAULT_HOST_PACKAGE = "com.example.wmpfhost"


def _dotted(example: str) -> Any:
    return check(lambda s: "." in s and " " not in s, example)


Activity = Annotated[str, check(lambda s: s.startswith(".") and " " not in s and len(s) > 1, "an activity like .Main")]
OneLine = Annotated[str, check(lambda s: "\n" not in s, "one line")]


class WmpfConfig(Schema):
    """``[wmpf]``: the WMPF service and the device's identity at the WeChat backend."""

    model_id: Annotated[str, check(lambda s: 0 < len(s) <= 64, "1-64 characters")] = "wmpfhil-model-t10"
    device_name: str = "WMPF Learning Tablet"
    # the device maker's Mini Program hosting the plugin
    miniprogram_appid: Annotated[str, check(lambda s: s.startswith("wx") and len(s) == 18,
                                            "an appid like wx0123456789abcdef")] = "wx0123456789abcdef"
    # [INFERRED] not documented numerically
    push_token_ttl_s: Annotated[float, check(lambda v: v > 0, "positive seconds")] = 7 * 24 * 3600.0
    plugin_version: str = "2.4.3"
    appbrand_process: str = "com.tencent.wmpf:appbrand0"
    # Where the device maker keeps the SN WMPF registers: "" is ro.serialno; else a vendor property, set at
    # start to sn_prefix + the serial number (what a maker's factory would write).
    sn_property: Annotated[str, check(lambda s: s == "" or ("." in s and " " not in s),
                                      "a property name such as ro.vendor.acme.sn")] = ""
    sn_prefix: Annotated[str, check(lambda s: s == "" or s.replace("-", "").isalnum(), "letters, digits and -")] = ""


class HostAppConfig(Schema):
    """``[host_app]``: how the device maker's app uses WMPF."""

    package: Annotated[str, _dotted("a package name such as com.example.wmpfhost")] = DEFAULT_HOST_PACKAGE
    # "v2" registerPushMsgEventListener (rebinds) | "legacy" setPushMsgCallback
    push_listener: Literal["v2", "legacy"] = "v2"
    lifecycle_listener: bool = True  # restart + re-activate WMPF after onWMPFFinish
    reregister_legacy_on_restart: bool = False  # a careful legacy app re-registers in onWMPFRestart
    # "host": own incoming-call screen; "direct": launch the call page at once
    incoming_ui: Literal["host", "direct"] = "host"
    # "reject": forceHangUpVoip through the plugin; "ignore": just close the screen
    decline: Literal["reject", "ignore"] = "reject"
    debug_action: Annotated[str, _dotted("an intent action such as com.example.wmpfhost.DEBUG_PUSH")] = (
        "com.example.wmpfhost.DEBUG_PUSH")
    warm_up: bool = True  # warmUpApp(isPreLaunch=1) after activation
    prefetch_device_token: bool = True  # on each push, as call-wmpf.html advises
    wake_screen: bool = True  # turn the screen on when ringing (FLAG_TURN_SCREEN_ON)
    main_activity: Activity = ".MainActivity"
    incoming_activity: Activity = ".IncomingCallActivity"
    auto_answer: bool = False  # a kiosk: answers its own incoming notification after auto_answer_ms
    auto_answer_ms: Annotated[float, check(lambda v: 0 <= v <= 60000, "milliseconds 0-60000")] = 800.0
    # The app's own log lines (what its maker documents); {room}, {caller}, {msg}, {name}, {api}, {pid}, {restart}
    log_tag: OneLine = "WMPF-API"
    incoming_tag: OneLine = "IncomingCallActivity"
    push_log: OneLine = "收到推送消息: {msg}"
    ring_log: OneLine = "show incoming call from {caller}"
    answer_log: OneLine = "answer clicked"
    listener_log: OneLine = "监听成功"
    auto_answer_log: OneLine = "auto-answer: answering {room}"
    voip_event_log: OneLine = ""  # "": the app does not log the plugin's events it is forwarded (Invoke Channel)
    wmpf_ready_log: OneLine = ""  # "": the app logs nothing of its own when WMPF (re)connects
    relog_listener_on_rebind: bool = False  # the app logs listener_log again when the client library rebinds


class CallConfig(Schema):
    """``[call]``: the plugin call page's behaviour where the docs are silent."""

    hangon_before_start: bool = True  # [INFERRED] order of hangOnVoip and startVoip
    # "background" = closeWxaApp keepRunning
    end_mode: Literal["end_page", "background", "exit"] = "background"
    end_page_path: Annotated[str, check(lambda s: s.startswith("/"), "a Mini Program page path starting with /")] = (
        "/pages/call-end/call-end")
    finish_voip: Literal["always", "connected", "never"] = "always"  # [INFERRED]
    listener_timeout_event: bool = True  # [INFERRED] the listener also sees `timeout` at 60 s
    # a push for a room the backend never made
    unknown_room: Literal["loopback", "join_fail"] = "loopback"
    # abortVoip.status when packets stop arriving
    network_loss_status: Literal["abortByListener", "abortByCaller", "unknown"] = "abortByListener"
    log_events: bool = True  # the Mini Program logs each onVoipEvent (``onVoipEvent {json}``, WMPF.VoipPlugin)


def _table(profile: DeviceProfile, name: str) -> Any:
    return profile.extra.get(name, {})


def parse_wmpf(profile: DeviceProfile) -> WmpfConfig:
    return validate(_table(profile, "wmpf"), WmpfConfig, profile.source, key="wmpf")


def parse_host_app(profile: DeviceProfile) -> HostAppConfig:
    out = validate(_table(profile, "host_app"), HostAppConfig, profile.source, key="host_app")
    if profile.packages and profile.package(out.package) is None:
        raise ProfileError(profile.source, "host_app.package",
                           f"{out.package!r} is not among the profile's [[packages]]; add it there")
    return out


def parse_call(profile: DeviceProfile) -> CallConfig:
    return validate(_table(profile, "call"), CallConfig, profile.source, key="call")
