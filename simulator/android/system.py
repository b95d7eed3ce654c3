"""The Android framework of a simulated device: packages, app processes, activities, broadcasts, power.

Simulated apps (WMPF, the host app, ...) attach a Python object per package and get callbacks, all
optional (checked with ``getattr``)::

    on_process_start(proc)            # the package's process was spawned (boot, launch, broadcast)
    on_process_death(proc, status)    # it died (kill, force-stop, crash, reboot); its windows are gone
    on_activity_start(intent)         # show a Window via system.screen.show(...); intent.component is set
    on_new_intent(intent)             # an activity already on top was started again
    on_broadcast(intent)              # an explicit broadcast to the package (manifest receiver)
    on_service_start(intent)          # ``am start-service``
    on_activity_finish(activity)      # BACK finished one of its activities
    on_clear_data()                   # ``pm clear``
    activities                        # optional collection of activity names the package declares
    label                             # optional launcher label
    resolve_activity(intent) -> str   # optional: claim an implicit intent (return "pkg/.Act" or None)

An exception in a callback is an app crash: logged like ``AndroidRuntime: FATAL EXCEPTION`` (and to Python
logging), recorded in :attr:`AndroidSystem.crashes`, and the app's process dies — as on a real device.
The framework logs what ActivityManager, ActivityTaskManager and PowerManagerService log, to the system
buffer, so the harness sees process starts and deaths where it would on hardware.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from simulator.android import components, keys
from simulator.android.intent import Intent
from simulator.android.packages import InstallSession, PackageMeta, seed_apk_files
from simulator.android.power import Keyguard, StandbyState
from simulator.android.power_state import BatteryState, DeviceIdleState
from simulator.android.ui import Screen, Window
from simulator.android.windows import launcher_window, plain_window
from simulator.errors import SimulatorError
from simulator.processes import Process
from simulator.profile import PackageSpec

if TYPE_CHECKING:
    from simulator.device import SimDevice

log = logging.getLogger(__name__)

ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"
CATEGORY_HOME = "android.intent.category.HOME"
ACTION_BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED"
ACTION_SCREEN_ON = "android.intent.action.SCREEN_ON"
ACTION_SCREEN_OFF = "android.intent.action.SCREEN_OFF"
FLAG_ACTIVITY_NEW_TASK = 0x10000000
FLAG_INCLUDE_STOPPED_PACKAGES = 0x20
DEFAULT_LAUNCHER = "com.android.launcher3"
SIGKILL_STATUS = 128 + 9
COLD_LAUNCH_MS = 412  # what `am start -W` and "Displayed" report; a plausible cold start on a tablet
WARM_LAUNCH_MS = 96


class UnknownPackageError(SimulatorError, KeyError):
    """The package is not installed on this device (add it to the profile's [[packages]])."""

    def __init__(self, package: str) -> None:
        self.package = package
        super().__init__(f"package {package!r} is not installed (list it under [[packages]] in the profile)")

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class Receiver:
    """A receiver registered at runtime (``Context.registerReceiver``); it dies with its package's process."""

    package: str
    action: str
    callback: Callable[[Intent], object] = field(repr=False)


@dataclass
class LaunchResult:
    """What ``am start`` needs to print; ``error`` is the text am prints on failure."""

    component: str | None = None
    error: str | None = None
    error_type: int = 0
    cold: bool = False
    delivered_to_top: bool = False
    total_ms: int = 0


def default_settings(device: SimDevice) -> dict[str, dict[str, str]]:
    android_id = hashlib.sha256(device.serialno.encode()).hexdigest()[:16]
    return {
        "system": {"screen_brightness": "102", "screen_brightness_mode": "0", "screen_off_timeout": "1800000",
                   "font_scale": "1.0", "accelerometer_rotation": "0", "user_rotation": "0",
                   "pointer_location": "0", "show_touches": "0", "volume_music": "10", "volume_ring": "5"},
        "secure": {"android_id": android_id, "default_input_method": "com.android.inputmethod.latin/.LatinIME",
                   "enabled_input_methods": "com.android.inputmethod.latin/.LatinIME",
                   "location_mode": "0", "user_setup_complete": "1"},
        "global": {"adb_enabled": "1", "airplane_mode_on": "0", "wifi_on": "1", "bluetooth_on": "0",
                   "stay_on_while_plugged_in": "0", "development_settings_enabled": "1", "auto_time": "1",
                   "auto_time_zone": "1", "device_name": device.model, "package_verifier_enable": "0",
                   "window_animation_scale": "1.0", "transition_animation_scale": "1.0",
                   "animator_duration_scale": "1.0"},
    }


class AndroidSystem:
    """ActivityManager, PackageManager, WindowManager and PowerManager of one device, in one small model."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        p = device.profile
        self.screen = Screen(p.screen_width, p.screen_height, p.screen_density)
        self.physical_size = (p.screen_width, p.screen_height)
        self.physical_density = p.screen_density
        self.packages: dict[str, PackageSpec] = {spec.name: spec for spec in p.packages}
        self.package_meta: dict[str, PackageMeta] = {}  # paths, installs, instrumentation (android.packages)
        self.battery = BatteryState()
        self.install_sessions: dict[int, InstallSession] = {}  # pm install-create .. install-commit
        self.disabled: set[str] = set()  # pm disable-user
        self.idle = DeviceIdleState()
        self.standby = StandbyState()  # am set-standby-bucket / set-inactive (simulator.android.power)
        self.keyguard = Keyguard()  # the lock screen: wm dismiss-keyguard
        self.lock_on_screen_off = True  # the profile's [field] lock_on_screen_off (set by the field model)
        self.settings = default_settings(device)
        self.apps: dict[str, Any] = {}
        self.receivers: list[Receiver] = []
        self.stopped: set[str] = set()  # force-stopped packages: no manifest broadcasts until launched
        self.crashes: list[tuple[str, BaseException]] = []
        self.booted = False
        self.install_time = _dt.datetime.fromtimestamp(device.clock.wall_ns() // 10**9 - 30 * 86400,
                                                       _dt.timezone.utc).replace(microsecond=0)
        self.launcher_package = next((n for n in self.packages if "launcher" in n), DEFAULT_LAUNCHER)
        self.launcher = launcher_window(self.launcher_package, self._launcher_activity(), self.launchable_apps,
                                        self._launch_from_launcher)
        self.tasks: dict[str, int] = {}  # package → task id (ActivityRecord "t12")
        self._next_task = 10
        self._force_stopping: set[str] = set()
        self._shutting_down = False
        self.last_wake_ns = 0
        self.last_sleep_ns = 0
        seed_apk_files(self)

    # -- packages ---------------------------------------------------------------------------------
    def spec(self, package: str) -> PackageSpec:
        spec = self.packages.get(package)
        if spec is None:
            raise UnknownPackageError(package)
        return spec

    def is_system_package(self, package: str) -> bool:
        spec = self.spec(package)
        return spec.uid < 10000 or package.startswith("com.android.")

    def apk_path(self, package: str) -> str:
        meta = self.package_meta.get(package)
        if meta is not None:
            return meta.path
        if self.is_system_package(package):
            name = package.rsplit(".", 1)[-1].capitalize()
            return f"/system/priv-app/{name}/{name}.apk"
        return f"/data/app/{package}-1/base.apk"

    def label(self, package: str) -> str:
        label = getattr(self.apps.get(package), "label", None)
        if isinstance(label, str) and label:
            return label
        return package.rsplit(".", 1)[-1].capitalize()

    def launchable_apps(self) -> list[tuple[str, str]]:
        return [(name, self.label(name)) for name, spec in self.packages.items()
                if spec.launcher_activity and name != self.launcher_package]

    def _launcher_activity(self) -> str:
        spec = self.packages.get(self.launcher_package)
        return components.make(self.launcher_package, (spec and spec.launcher_activity) or ".Launcher")

    # -- apps -------------------------------------------------------------------------------------
    def attach_app(self, package: str, app: Any) -> None:
        """Give ``package`` a behaviour. Attached apps survive reboots; if its process already runs, the
        app gets ``on_process_start`` now so it never misses the process it lives in."""
        self.spec(package)
        self.apps[package] = app
        proc = self.process_of(package)
        if proc is not None:
            self._call(package, "on_process_start", proc)

    def detach_app(self, package: str) -> None:
        self.apps.pop(package, None)

    def _call(self, package: str, method: str, *args: Any) -> Any:
        """Call an optional app callback; an exception is that app's crash."""
        fn = getattr(self.apps.get(package), method, None)
        if fn is None:
            return None
        try:
            return fn(*args)
        except Exception as exc:
            self.crash(package, exc)
            return None

    def crash(self, package: str, exc: BaseException) -> None:
        """An uncaught exception in ``package``: log it like AndroidRuntime and kill the process."""
        log.error("simulated app %s crashed", package, exc_info=exc)
        self.crashes.append((package, exc))
        proc = self.process_of(package)
        pid = proc.pid if proc else self._system_pid()
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        detail = "".join(frames).rstrip("\n").split("\n")
        body = "\n".join([f"Process: {package}, PID: {pid}", f"{type(exc).__name__}: {exc}"]
                         + [f"\tat {line.strip()}" for line in detail[1:-1] if line.strip()])
        uid = proc.uid if proc else 1000
        self.device.logcat.log("E", "AndroidRuntime", "FATAL EXCEPTION: main\n" + body, pid=pid, uid=uid,
                               buffer="crash")
        if proc is not None and proc.alive:
            self.device.processes.exit(proc, SIGKILL_STATUS)

    # -- processes --------------------------------------------------------------------------------
    def process_of(self, package: str) -> Process | None:
        """The package's main process (named like the package), if running."""
        return next((p for p in self.device.processes.by_package(package) if p.name == package), None)

    def start_process(self, package: str, *, hosting: str | None = None, process_name: str | None = None
                      ) -> Process:
        """Spawn the package's process (or ``package:name`` with ``process_name=":name"``) unless running."""
        spec = self.spec(package)
        name = package if not process_name else (package + process_name if process_name.startswith(":")
                                                  else process_name)
        existing = next((p for p in self.device.processes.by_package(package) if p.name == name), None)
        if existing is not None:
            return existing
        zygote = self.device.processes.by_name("zygote64")
        proc = self.device.processes.spawn(name, spec.uid, ppid=zygote[0].pid if zygote else 1, package=package)
        self.stopped.discard(package)
        self._log("I", "ActivityManager", f"Start proc {proc.pid}:{name}/{components.format_uid(spec.uid)} for "
                  f"{hosting or 'added application ' + name}")
        proc.on_exit.append(self._on_process_exit)
        self._call(package, "on_process_start", proc)
        return proc

    def _on_process_exit(self, proc: Process, status: int) -> None:
        package = proc.package or proc.name
        quiet = self._shutting_down or package in self._force_stopping
        main = proc.name == package
        if not quiet:
            self._log("I", "ActivityManager", f"Process {proc.name} (pid {proc.pid}) has died: "
                      f"{self._proc_state(package)}")
        if main:
            self.screen.remove(package=package)
            self.receivers = [r for r in self.receivers if r.package != package]
        self._call(package, "on_process_death", proc, status)
        self._ensure_home()

    def _ensure_home(self) -> None:
        """Android never leaves the display empty: with no activity left, home (re)starts."""
        if self.booted and not self._shutting_down and self.screen.top() is None:
            self.go_home()

    def _proc_state(self, package: str) -> str:
        top = self.screen.top()
        if top is not None and top.package == package and self.screen.on:
            return "fg  TOP"
        if self.packages.get(package) and self.packages[package].persistent:
            return "pers PER "
        return "cch  CEM "

    def force_stop(self, package: str, *, caller_pid: int | None = None) -> None:
        """``am force-stop``: kill every process of the package, close its windows, forget its receivers."""
        spec = self.spec(package)
        caller = caller_pid if caller_pid is not None else self._system_pid()
        self._log("I", "ActivityManager", f"Force stopping {package} appid={spec.uid % 100000} user=0: "
                  f"from pid {caller}")
        self._force_stopping.add(package)
        try:
            for proc in list(self.device.processes.by_package(package)):
                self._log("I", "ActivityManager", f"Killing {proc.pid}:{proc.name}/"
                          f"{components.format_uid(proc.uid)} (adj 0): stop {package} due to from pid {caller}")
                self.device.processes.exit(proc, SIGKILL_STATUS)
        finally:
            self._force_stopping.discard(package)
        self.screen.remove(package=package)
        self.receivers = [r for r in self.receivers if r.package != package]
        self.tasks.pop(package, None)
        self.stopped.add(package)
        self._ensure_home()

    def kill_background(self, package: str) -> bool:
        """``am kill``: kill the package's processes unless it is in the foreground."""
        self.spec(package)
        top = self.screen.top()
        if top is not None and top.package == package and self.screen.on:
            return False
        for proc in list(self.device.processes.by_package(package)):
            self._log("I", "ActivityManager", f"Killing {proc.pid}:{proc.name}/{components.format_uid(proc.uid)}"
                      " (adj 900): kill background")
            self.device.processes.exit(proc, SIGKILL_STATUS)
        return True

    def clear_data(self, package: str) -> None:
        """``pm clear``: stop the app, then let it forget its stored state."""
        self.force_stop(package)
        self._call(package, "on_clear_data")

    # -- activities -------------------------------------------------------------------------------
    def resolve_activity(self, intent: Intent) -> tuple[str | None, str | None]:
        """Return ``(short component, None)`` or ``(None, the error am prints)``."""
        if intent.component:
            try:
                package, cls = components.split(intent.component)
            except components.ComponentError:
                return None, f"Error: Bad component name: {intent.component}"
            missing = f"Error: Activity class {{{package}/{cls}}} does not exist."
            spec = self.packages.get(package)
            if spec is None:
                return None, missing
            component = components.short(f"{package}/{cls}")
            if not self._declares(package, component):
                return None, missing
            return component, None
        if intent.package:
            spec = self.packages.get(intent.package)
            if spec is not None and spec.launcher_activity and (
                    intent.action in (None, ACTION_MAIN) and
                    all(c in (CATEGORY_LAUNCHER, "android.intent.category.DEFAULT") for c in intent.categories)):
                return components.make(spec.name, spec.launcher_activity), None
            if spec is not None:
                claimed = self._call(spec.name, "resolve_activity", intent)
                if claimed:
                    return components.short(claimed), None
        elif intent.action == ACTION_MAIN and CATEGORY_HOME in intent.categories:
            return self.launcher.activity, None
        else:
            for package in self.apps:
                claimed = self._call(package, "resolve_activity", intent)
                if claimed:
                    return components.short(claimed), None
        shown = replace(intent, flags=intent.flags | FLAG_ACTIVITY_NEW_TASK)
        return None, f"Error: Activity not started, unable to resolve {shown.describe()}"

    def _declares(self, package: str, component: str) -> bool:
        spec = self.packages[package]
        if spec.launcher_activity and component == components.make(package, spec.launcher_activity):
            return True
        if package == self.launcher_package and component == self.launcher.activity:
            return True
        app = self.apps.get(package)
        declared = getattr(app, "activities", None)
        if declared is None:
            return app is not None  # a modelled app without a declaration accepts any activity
        return component in {components.make(package, a) for a in declared}

    def start_activity(self, intent: Intent, *, caller_uid: int = 2000) -> str | None:
        """Start an activity; return None on success or the error text ``am start`` prints."""
        return self.launch(intent, caller_uid=caller_uid).error

    def launch(self, intent: Intent, *, caller_uid: int = 2000) -> LaunchResult:
        if not self.booted:
            return LaunchResult(error="Error: Activity manager is not running (device booting)", error_type=-1)
        component, error = self.resolve_activity(intent)
        if component is None:
            return LaunchResult(error=error, error_type=3 if intent.component else 0)
        package = components.split(component)[0]
        intent = replace(intent, component=component, flags=intent.flags | FLAG_ACTIVITY_NEW_TASK)
        self._log("I", "ActivityTaskManager", f"START u0 {_inner(intent)} from uid {caller_uid}")
        proc = self.process_of(package)
        top = self.screen.top()
        if top is not None and top.activity == component and proc is not None:
            self._call(package, "on_new_intent", intent)
            return LaunchResult(component=component, delivered_to_top=True)
        cold = proc is None
        if package == self.launcher_package and component == self.launcher.activity:
            self.start_process(package, hosting=f"activity {{{components.full(component)}}}")
            self.screen.show(self.launcher)
        else:
            proc = self.start_process(package, hosting=f"activity {{{components.full(component)}}}")
            self._task_id(package)
            if getattr(self.apps.get(package), "on_activity_start", None) is not None:
                self._call(package, "on_activity_start", intent)
            elif proc.alive:
                self.screen.show(plain_window(package, component, self.label(package)))
        total = COLD_LAUNCH_MS if cold else WARM_LAUNCH_MS
        self._log("I", "ActivityTaskManager", f"Displayed {component}: +{total}ms")
        return LaunchResult(component=component, cold=cold, total_ms=total)

    def launch_package(self, package: str, *, caller_uid: int = 2000, flags: int = 0x10200000) -> LaunchResult:
        """Start the package's launcher activity, like a launcher tap or ``monkey -p PKG 1``."""
        spec = self.packages.get(package)
        if spec is None or not spec.launcher_activity:
            return LaunchResult(error="** No activities found to run, monkey aborted.")
        intent = Intent(action=ACTION_MAIN, categories=[CATEGORY_LAUNCHER], flags=flags,
                        component=components.make(package, spec.launcher_activity))
        return self.launch(intent, caller_uid=caller_uid)

    def _launch_from_launcher(self, package: str) -> None:
        launcher_uid = self.packages[self.launcher_package].uid if self.launcher_package in self.packages else 10010
        self.launch_package(package, caller_uid=launcher_uid)

    def _task_id(self, package: str) -> int:
        if package not in self.tasks:
            self.tasks[package] = self._next_task
            self._next_task += 1
        return self.tasks[package]

    def top_window(self) -> Window | None:
        return self.screen.top()

    def top_activity(self) -> str | None:
        top = self.screen.top()
        return top.activity if top is not None else None

    def go_home(self) -> None:
        if self.launcher_package in self.packages:
            self.start_process(self.launcher_package)
        self.screen.show(self.launcher)

    def finish_top_activity(self) -> bool:
        """BACK not consumed by the app: finish its top activity (the launcher never finishes)."""
        top = self.screen.top()
        if top is None or top is self.launcher:
            return False
        self.screen.remove(window=top)
        self._call(top.package, "on_activity_finish", top.activity)
        return True

    def start_service(self, intent: Intent) -> str | None:
        """``am start-service``: start the package's process and call the app's ``on_service_start``."""
        package = intent.target_package
        if package is None or package not in self.packages:
            return "Error: Not found; no service started."
        name = components.full(intent.component) if intent.component else package
        self.start_process(package, hosting=f"service {{{name}}}")
        self._call(package, "on_service_start", intent)
        return None

    # -- broadcasts -------------------------------------------------------------------------------
    def register_receiver(self, package: str, action: str, callback: Callable[[Intent], object]) -> Receiver:
        """Register a runtime receiver; it goes away when the package's process dies or is force-stopped."""
        self.spec(package)
        receiver = Receiver(package, action, callback)
        self.receivers.append(receiver)
        return receiver

    def unregister_receiver(self, receiver: Receiver) -> None:
        if receiver in self.receivers:
            self.receivers.remove(receiver)

    def send_broadcast(self, intent: Intent) -> int:
        """Deliver to matching runtime receivers and, for an explicit intent, the target app's
        ``on_broadcast`` (starting its process like a manifest receiver). Return how many received it."""
        target = intent.target_package
        delivered = 0
        for receiver in list(self.receivers):
            if receiver.action != intent.action or (target is not None and receiver.package != target):
                continue
            if receiver not in self.receivers:
                continue  # unregistered by an earlier receiver
            try:
                receiver.callback(intent)
            except Exception as exc:
                self.crash(receiver.package, exc)
            delivered += 1
        if target is not None and target in self.packages:
            handler = getattr(self.apps.get(target), "on_broadcast", None)
            stopped = target in self.stopped and not intent.flags & FLAG_INCLUDE_STOPPED_PACKAGES
            if handler is not None and not stopped:
                if self.process_of(target) is None:
                    self.start_process(target, hosting=f"broadcast {{{target}/{intent.action or ''}}}")
                self._call(target, "on_broadcast", intent)
                delivered += 1
        return delivered

    # -- input and power --------------------------------------------------------------------------
    def press_key(self, keycode: int, *, long: bool = False) -> bool:
        """Key policy first (POWER, WAKEUP, SLEEP, HOME), then the focused window, then BACK's default."""
        if keycode == keys.POWER:
            self.set_screen_power(not self.screen.on, reason="power_button")
            return True
        if keycode == keys.WAKEUP:
            self.set_screen_power(True, reason="wakeup_key")
            return True
        if keycode == keys.SLEEP:
            self.set_screen_power(False, reason="sleep_key")
            return True
        if not self.screen.on:
            return False
        if keycode == keys.HOME:
            self.go_home()
            return True
        if self.screen.key(keycode):
            return True
        if keycode == keys.BACK:
            return self.finish_top_activity()
        return False

    def set_screen_power(self, on: bool, *, reason: str = "application") -> None:
        if on == self.screen.on:
            return
        now = self.device.clock.uptime_ns()
        if on:
            self.last_wake_ns = now
            self._log("I", "PowerManagerService", f"Waking up from Asleep (uid=1000, reason={reason})...")
        else:
            self.last_sleep_ns = now
            self._log("I", "PowerManagerService", f"Going to sleep due to {reason} (uid 1000)...")
        self.screen.set_power(on)
        if not on and self.lock_on_screen_off:
            self.keyguard.set(True)
        self.send_broadcast(Intent(action=ACTION_SCREEN_ON if on else ACTION_SCREEN_OFF))

    def set_display_size(self, size: tuple[int, int] | None) -> None:
        """``wm size WxH`` (None resets): the logical size every reader of the screen sees."""
        width, height = size or self.physical_size
        if self.screen.rotation % 2:
            width, height = height, width
        self.screen.width, self.screen.height = width, height

    def set_display_density(self, density: int | None) -> None:
        self.screen.density = density or self.physical_density

    # -- lifecycle --------------------------------------------------------------------------------
    def boot(self) -> None:
        """Framework start: persistent apps' processes, the launcher on screen, BOOT_COMPLETED."""
        self._shutting_down = False
        for window in self.screen.windows:
            self.screen.remove(window=window)
        self.screen.on = True
        self.receivers.clear()
        self.tasks.clear()
        self.booted = True
        self.last_wake_ns = self.device.clock.uptime_ns()
        for spec in self.packages.values():
            if spec.persistent:
                self.start_process(spec.name)
        self.screen.show(self.launcher)
        self.send_broadcast(Intent(action=ACTION_BOOT_COMPLETED))

    def shutdown(self) -> None:
        """Going down (reboot or power off): every app process dies, so apps drop their state."""
        self._shutting_down = True
        self.booted = False
        try:
            for package in self.packages:
                for proc in list(self.device.processes.by_package(package)):
                    self.device.processes.exit(proc, SIGKILL_STATUS)
        finally:
            self.receivers.clear()
            for window in self.screen.windows:
                self.screen.remove(window=window)
            self.screen.on = False

    # -- helpers ----------------------------------------------------------------------------------
    def _system_pid(self) -> int:
        procs = self.device.processes.by_name("system_server")
        return procs[0].pid if procs else 0

    def _log(self, priority: str, tag: str, message: str) -> None:
        self.device.logcat.log(priority, tag, message, pid=self._system_pid(), uid=1000, buffer="system")


def _inner(intent: Intent) -> str:
    """``Intent.toShortString`` as ActivityTaskManager logs it: ``{act=... cmp=...}``."""
    text = intent.describe()
    return "{" + text[len("Intent { "):-2] + "}"
