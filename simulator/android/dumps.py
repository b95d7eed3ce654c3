"""``dumpsys`` texts of the framework model, shaped like Android 11's so existing parsers work.

Clients read a handful of lines; those are exact (adbutils: ``mCurrentFocus=Window{hash u0 pkg/cls}``,
``mResumedActivity: ActivityRecord{hash u0 pkg/.Act tN}``, ``ACTIVITY pkg/.Act hash pid=N``,
``mHoldingDisplaySuspendBlocker=true``, ``versionName=``, ``orientation=``). The rest is realistic padding
with the same structure, trimmed to what a bench could care about.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from simulator.android import components
from simulator.android.ui import Window

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem


def _hash(*parts: object) -> str:
    """A stable 7-hex-digit identity like Java's identityHashCode in dumps."""
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()[:7]


def window_token(window: Window) -> str:
    return f"Window{{{_hash('w', id(window))} u0 {components.full(window.activity)}}}"


def activity_record(system: AndroidSystem, window: Window) -> str:
    task = system.tasks.get(window.package, 1)
    return f"ActivityRecord{{{_hash('a', id(window))} u0 {window.activity} t{task}}}"


def _focus_lines(system: AndroidSystem) -> str:
    top = system.screen.top()
    if top is None:
        return "  mCurrentFocus=null\n  mFocusedApp=null\n"
    return f"  mCurrentFocus={window_token(top)}\n  mFocusedApp={activity_record(system, top)}\n"


def window_windows(system: AndroidSystem) -> str:
    screen = system.screen
    lines = ["WINDOW MANAGER WINDOWS (dumpsys window windows)\n"]
    stack = list(reversed(screen.windows))
    system_windows = [("NavigationBar0", 2019), ("StatusBar", 2000)]
    index = len(stack) + len(system_windows) - 1
    for name, kind in system_windows:
        lines.append(f"  Window #{index} Window{{{_hash('s', name)} u0 {name}}}:\n"
                     f"    mDisplayId=0 rootTaskId=1 mSession=Session{{{_hash('sess', name)} 1000:u0a10020}}\n"
                     f"    mOwnerUid=10020 showForAllUsers=true package=com.android.systemui appop=NONE\n"
                     f"    mAttrs={{(0,0)(fillxwrap) ty={kind} fmt=TRANSLUCENT}}\n"
                     f"    isOnScreen={str(screen.on).lower()}\n    isVisible={str(screen.on).lower()}\n")
        index -= 1
    for i, window in enumerate(stack):
        spec = system.packages.get(window.package)
        uid = spec.uid if spec else 1000
        visible = screen.on and i == 0
        lines.append(f"  Window #{index} {window_token(window)}:\n"
                     f"    mDisplayId=0 rootTaskId={system.tasks.get(window.package, 1)} "
                     f"mSession=Session{{{_hash('sess', window.package)} {uid}:{components.format_uid(uid)}}}\n"
                     f"    mOwnerUid={uid} showForAllUsers=false package={window.package} appop=NONE\n"
                     f"    mAttrs={{(0,0)(fillxfill) ty=BASE_APPLICATION fmt=TRANSLUCENT}}\n"
                     f"    mViewVisibility={'0x0' if visible else '0x8'} mHaveFrame=true mObscured=false\n"
                     f"    isOnScreen={str(visible).lower()}\n    isVisible={str(visible).lower()}\n")
        index -= 1
    smallest = _dp(system, min(screen.width, screen.height))
    lines.append(f"\n  mGlobalConfiguration={{1.0 ?mcc?mnc [zh_CN] ldltr sw{smallest}dp "
                 f"w{_dp(system, screen.width)}dp h{_dp(system, screen.height)}dp {screen.density}dpi "
                 f"{'port' if screen.height >= screen.width else 'land'} finger -keyb/v/h -nav/h}}\n")
    lines.append("  mHasPermanentDpad=false\n  mTopFocusedDisplayId=0\n  mInputMethodTarget=null\n")
    lines.append(_focus_lines(system))
    return "".join(lines)


def _dp(system: AndroidSystem, px: int) -> int:
    return px * 160 // max(1, system.screen.density)


def window_displays(system: AndroidSystem) -> str:
    screen = system.screen
    pw, ph = system.physical_size
    short_side, long_side = sorted((screen.width, screen.height))
    base = ""
    if (screen.width, screen.height) != (pw, ph) or screen.density != system.physical_density:
        base = f" base={screen.width}x{screen.height} {screen.density}dpi"
    return ("WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)\n"
            "  Display: mDisplayId=0 rootTasks=1\n"
            f"    init={pw}x{ph} {system.physical_density}dpi{base} cur={screen.width}x{screen.height} "
            f"app={screen.width}x{screen.height} rng={short_side}x{short_side}-{long_side}x{long_side}\n"
            "    deferred=false mLayoutNeeded=false mTouchExcludeRegion=SkRegion("
            f"(0,0,{screen.width},{screen.height}))\n"
            f"    mDisplayRotation=ROTATION_0 mCurrentOrientation=0 mDisplayFrozen=false\n\n"
            + _focus_lines(system))


def window(system: AndroidSystem, what: str | None) -> str:
    if what == "displays":
        return window_displays(system)
    if what in ("windows", "w", None, "-a", "all"):
        text = window_windows(system)
        if what is None or what in ("-a", "all"):
            text = window_displays(system) + "\n" + text
        return text
    return _focus_lines(system)


def activity_activities(system: AndroidSystem) -> str:
    screen = system.screen
    stack = list(reversed(screen.windows))
    lines = ["ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n",
             "Display #0 (activities from top to bottom):\n"]
    for i, window in enumerate(stack):
        spec = system.packages.get(window.package)
        uid = spec.uid if spec else 1000
        task = system.tasks.get(window.package, 1)
        visible = str(screen.on and i == 0).lower()
        lines.append(f"  * Task{{{_hash('t', window.package)} #{task} type=standard A={uid}:{window.package} "
                     f"U=0 visible={visible} mode=fullscreen translucent=false sz=1}}\n"
                     f"    * Hist #0: {activity_record(system, window)}\n"
                     f"      packageName={window.package} processName={window.package}\n"
                     f"      Intent {{ flg=0x10000000 cmp={window.activity} }}\n")
    top = screen.top()
    if top is not None and screen.on:
        record = activity_record(system, top)
        lines.append(f"\n  mResumedActivity: {record}\n  topResumedActivity={record}\n"
                     f"  ResumedActivity: {record}\n")
    else:
        lines.append("\n  mResumedActivity: null\n  topResumedActivity=null\n")
    lines.append(f"  mFocusedTask={system.tasks.get(top.package, 1) if top else 'null'}\n")
    return "".join(lines)


def activity_top(system: AndroidSystem) -> str:
    """Tasks bottom to top, as ``dumpsys activity top`` lists visible activities; the focused one last."""
    lines = []
    for window in system.screen.windows[-2:]:
        proc = system.process_of(window.package)
        pid = proc.pid if proc else 0
        spec = system.packages.get(window.package)
        uid = spec.uid if spec else 1000
        lines.append(f"TASK {uid}:{window.package} id={system.tasks.get(window.package, 1)} userId=0\n"
                     f"  ACTIVITY {window.activity} {_hash('a', id(window))} pid={pid}\n"
                     f"    Local Activity {_hash('l', id(window))} State:\n"
                     f"      mResumed={str(window is system.screen.top() and system.screen.on).lower()} "
                     "mStopped=false mFinished=false\n")
    return "".join(lines)


def activity(system: AndroidSystem, what: str | None) -> str:
    if what == "top":
        return activity_top(system)
    if what in ("processes", "p"):
        return activity_processes(system)
    return activity_activities(system)


def activity_processes(system: AndroidSystem) -> str:
    lines = ["ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)\n"]
    for proc in system.device.processes.all():
        if proc.package is None:
            continue
        lines.append(f"  *APP* UID {proc.uid} ProcessRecord{{{_hash('p', proc.pid)} {proc.pid}:{proc.name}/"
                     f"{components.format_uid(proc.uid)}}}\n")
    return "".join(lines)


def power(system: AndroidSystem) -> str:
    on = system.screen.on
    now = system.device.clock.uptime_ns() // 1_000_000
    wake = system.last_wake_ns // 1_000_000
    sleep = system.last_sleep_ns // 1_000_000
    return ("POWER MANAGER (dumpsys power)\n\nPower Manager State:\n"
            "  mDirty=0x0\n"
            f"  mWakefulness={'Awake' if on else 'Asleep'}\n"
            f"  mWakefulnessChanging=false\n  mIsPowered={str(system.battery.plugged).lower()}\n"
            f"  mPlugType={1 if system.battery.ac else 2 if system.battery.usb else 0}\n"
            f"  mBatteryLevel={system.battery.level}\n"
            "  mBatteryLevelWhenDreamStarted=0\n  mDockState=0\n  mStayOn=false\n  mProximityPositive=false\n"
            f"  mBootCompleted={str(system.booted).lower()}\n  mSystemReady=true\n"
            f"  mDeviceIdleMode={str(system.idle.deep == 'IDLE').lower()}\n"
            f"  mLightDeviceIdleMode={str(system.idle.light in ('IDLE', 'OVERRIDE')).lower()}\n"
            "  mHalAutoSuspendModeEnabled=false\n  mHalInteractiveModeEnabled=true\n"
            f"  mWakeLockSummary=0x{0x20 if on else 0:x}\n  mUserActivitySummary=0x{1 if on else 0}\n"
            "  mRequestWaitForNegativeProximity=false\n  mSandmanScheduled=false\n"
            f"  mLastWakeTime={wake} ({now - wake} ms ago)\n  mLastSleepTime={sleep} ({now - sleep} ms ago)\n"
            f"  mDisplayReady=true\n  mHoldingWakeLockSuspendBlocker={str(on).lower()}\n"
            f"  mHoldingDisplaySuspendBlocker={str(on).lower()}\n\n"
            "Settings and Configuration:\n"
            f"  mScreenOffTimeoutSetting={system.settings['system'].get('screen_off_timeout', '60000')}\n"
            f"  mStayOnWhilePluggedInSetting={system.settings['global'].get('stay_on_while_plugged_in', '0')}\n\n"
            f"Display Power: state={'ON' if on else 'OFF'}\n")


def display(system: AndroidSystem) -> str:
    screen = system.screen
    pw, ph = system.physical_size
    state = "ON" if screen.on else "OFF"
    rot = screen.rotation
    return ("DISPLAY MANAGER (dumpsys display)\n"
            f"  mOnlyCode=false\n  mSafeMode=false\n  mPendingTraversal=false\n  mGlobalDisplayState={state}\n"
            "  mViewports=[DisplayViewport{type=INTERNAL, valid=true, isActive=true, displayId=0, "
            f"uniqueId='local:0', physicalPort=0, orientation={rot}, logicalFrame=Rect(0, 0 - {screen.width}, "
            f"{screen.height}), physicalFrame=Rect(0, 0 - {pw}, {ph}), deviceWidth={pw}, deviceHeight={ph}}}]\n\n"
            "Display Devices: size=1\n"
            f"  DisplayDeviceInfo{{\"Built-in Screen\": uniqueId=\"local:0\", {pw} x {ph}, modeId 1, "
            f"defaultModeId 1, density {system.physical_density}, rotation 0, type INTERNAL, state {state}, "
            "FLAG_DEFAULT_DISPLAY, FLAG_ROTATES_WITH_CONTENT, FLAG_SECURE}\n"
            f"    mCurrentOrientation={rot}\n\n"
            "Logical Displays: size=1\n"
            f"  Display 0:\n    mDisplayId=0\n    mBaseDisplayInfo=DisplayInfo{{\"Built-in Screen\", displayId 0, "
            f"real {pw} x {ph}, largest app {screen.width} x {screen.height}, rotation {screen.rotation}, "
            f"density {screen.density}, state {state}}}\n")


def package_dump(system: AndroidSystem, package: str) -> str:
    spec = system.packages.get(package)
    if spec is None:
        return f"Unable to find package: {package}\n"
    meta = system.package_meta.get(package)
    first = (meta.first_install if meta and meta.first_install else system.install_time)
    last = (meta.last_update if meta and meta.last_update else system.install_time)
    when = first.strftime("%Y-%m-%d %H:%M:%S")
    updated = last.strftime("%Y-%m-%d %H:%M:%S")
    min_sdk, target_sdk = (meta.min_sdk, meta.target_sdk) if meta else (25, 30)
    installer = (meta.installer if meta else None) or "null"
    path = system.apk_path(package)
    code_path = path.rsplit("/", 1)[0]
    flags = "SYSTEM HAS_CODE ALLOW_CLEAR_USER_DATA" if system.is_system_package(package) else \
        "HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP"
    signature = _hash("sig", package) + "1"
    stopped = str(package in system.stopped).lower()
    lines = []
    if meta and meta.instrumentations:
        lines.append("Instrumentation:\n" + "".join(
            f"  {package}/{i.name}:\n    targetPackage={i.target}\n" for i in meta.instrumentations) + "\n")
    if spec.launcher_activity:
        lines.append("Activity Resolver Table:\n  Non-Data Actions:\n      android.intent.action.MAIN:\n"
                     f"        {_hash('r', package)} {components.make(package, spec.launcher_activity)} "
                     f"filter {_hash('f', package)}\n          Action: \"android.intent.action.MAIN\"\n"
                     "          Category: \"android.intent.category.LAUNCHER\"\n\n")
    lines.append(
        "Packages:\n"
        f"  Package [{package}] ({_hash('pkg', package)}):\n"
        f"    userId={spec.uid}\n"
        f"    pkg=Package{{{_hash('pkgobj', package)} {package}}}\n"
        f"    codePath={code_path}\n    resourcePath={code_path}\n"
        f"    legacyNativeLibraryDir={code_path}/lib\n"
        f"    primaryCpuAbi={system.device.props.get('ro.product.cpu.abi', 'arm64-v8a')}\n"
        "    secondaryCpuAbi=null\n"
        f"    versionCode={spec.version_code} minSdk={min_sdk} targetSdk={target_sdk}\n"
        f"    versionName={spec.version_name}\n"
        "    splits=[base]\n    apkSigningVersion=2\n"
        f"    applicationInfo=ApplicationInfo{{{_hash('ai', package)} {package}}}\n"
        f"    flags=[ {flags} ]\n"
        f"    dataDir=/data/user/0/{package}\n"
        f"    timeStamp={updated}\n    firstInstallTime={when}\n    lastUpdateTime={updated}\n"
        f"    installerPackageName={installer}\n"
        f"    signatures=PackageSignatures{{{_hash('ps', package)} version:2, signatures:[{signature}], "
        "past signatures:[]}\n"
        "    installPermissionsFixed=true\n"
        f"    pkgFlags=[ {flags} ]\n"
        "    requested permissions:\n      android.permission.INTERNET\n"
        "    install permissions:\n      android.permission.INTERNET: granted=true\n"
        f"    User 0: ceDataInode=0 installed=true hidden=false suspended=false distractionFlags=0 "
        f"stopped={stopped} notLaunched=false enabled=0 instant=false virtual=false\n")
    return "".join(lines)


def battery() -> str:
    return ("Current Battery Service state:\n  AC powered: true\n  USB powered: false\n"
            "  Wireless powered: false\n  Max charging current: 2000000\n  Max charging voltage: 5000000\n"
            "  Charge counter: 4000000\n  status: 5\n  health: 2\n  present: true\n  level: 100\n  scale: 100\n"
            "  voltage: 4350\n  temperature: 280\n  technology: Li-ion\n")
