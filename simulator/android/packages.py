"""Installing and removing packages from APK files, as PackageManager does for ``adb install``/``uninstall``.

The profile's ``[[packages]]`` are the factory image; :func:`seed_apk_files` gives each a real APK file at its
``pm path`` so ``adb pull`` of that path works. :func:`install` reads an APK with :mod:`simulator.android.apk`
and answers with the texts ``PackageManagerShellCommand`` prints (``Success``, ``Failure [REASON: detail]``).
An installed package's code never runs: its launcher activity opens a plain window, its instrumentation can be
listed but not started.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from simulator.android.apk import ApkError, ApkInfo, Instrumentation, build_apk, manifest_element, read_apk
from simulator.android.components import ComponentError
from simulator.android.components import split as split_component
from simulator.profile import PackageSpec

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem

FIRST_APP_UID = 10100  # above the profile's usual app uids


@dataclass
class PackageMeta:
    """What PackageManager knows of a package beyond the profile's spec."""

    path: str
    min_sdk: int = 25
    target_sdk: int = 30
    first_install: _dt.datetime | None = None
    last_update: _dt.datetime | None = None
    installer: str | None = None
    instrumentations: tuple[Instrumentation, ...] = ()
    input_methods: tuple[str, ...] = ()
    from_profile: bool = True
    splits: tuple[str, ...] = ()  # paths of installed split APKs (install-multiple)


class InstallFailure(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"Failure [{reason}: {detail}]")
        self.reason = reason


def _now(system: AndroidSystem) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(system.device.clock.wall_ns() // 10**9, _dt.timezone.utc)


def _code_dir(package: str, generation: int) -> str:
    return f"/data/app/{package}-{generation}"


def seed_apk_files(system: AndroidSystem) -> None:
    """Write an APK for every profile package at the path ``pm path`` reports."""
    fs = system.device.fs
    for name, spec in system.packages.items():
        path = system.apk_path(name)
        if name not in system.package_meta:
            system.package_meta[name] = PackageMeta(path=path, first_install=system.install_time,
                                                    last_update=system.install_time)
        if not fs.exists(path):
            data = build_apk(manifest_element(name, spec.version_code, spec.version_name, min_sdk=25,
                                              launcher_activity=spec.launcher_activity))
            fs.mkdir(path.rsplit("/", 1)[0], parents=True, mode=0o755, uid=1000)
            fs.write_file(path, data, mode=0o644, uid=1000)


def install(system: AndroidSystem, data: bytes, *, allow_downgrade: bool = False, allow_test: bool = False,
            installer: str | None = None, grant_all: bool = False) -> ApkInfo:
    """Install or update from APK bytes; raise :class:`InstallFailure` with PackageManager's reason."""
    try:
        info = read_apk(data)
    except ApkError as exc:
        raise InstallFailure(exc.reason, exc.detail) from exc
    del grant_all  # permissions are not modelled beyond INTERNET
    if info.test_only and not allow_test:
        raise InstallFailure("INSTALL_FAILED_TEST_ONLY", "installPackageLI")
    sdk = int(system.device.props.get("ro.build.version.sdk", "30") or 30)
    if info.min_sdk > sdk:
        raise InstallFailure("INSTALL_FAILED_OLDER_SDK",
                             f"Requires newer sdk version #{info.min_sdk} (current version is #{sdk})")
    old = system.packages.get(info.package)
    if old is not None and info.version_code < old.version_code and not allow_downgrade:
        raise InstallFailure("INSTALL_FAILED_VERSION_DOWNGRADE",
                             f"Downgrade detected: Update version code {info.version_code} is older than current "
                             f"{old.version_code}")
    now = _now(system)
    fs = system.device.fs
    old_meta = system.package_meta.get(info.package)
    if old is not None and system.is_system_package(info.package):
        generation = 1  # an update of a system app lives in /data/app like any other
    else:
        generation = 2 if old_meta is not None and old_meta.path.startswith(_code_dir(info.package, 1) + "/") else 1
    if old_meta is not None and not old_meta.path.startswith("/system/"):
        _remove_file(system, old_meta.path)
    path = _code_dir(info.package, generation) + "/base.apk"
    fs.mkdir(path.rsplit("/", 1)[0], parents=True, mode=0o775, uid=1000)
    fs.write_file(path, data, mode=0o644, uid=1000)
    launcher = info.launcher_activity
    if old is None:
        used = {spec.uid for spec in system.packages.values()}
        uid = FIRST_APP_UID
        while uid in used:
            uid += 1
        system.packages[info.package] = PackageSpec(
            name=info.package, version_code=info.version_code, version_name=info.version_name,
            launcher_activity=_short(info.package, launcher), uid=uid)
    else:
        if system.process_of(info.package) is not None or system.device.processes.by_package(info.package):
            system.force_stop(info.package)
        system.packages[info.package] = replace(old, version_code=info.version_code,
                                                version_name=info.version_name,
                                                launcher_activity=_short(info.package, launcher)
                                                or old.launcher_activity)
    system.package_meta[info.package] = PackageMeta(
        path=path, min_sdk=info.min_sdk, target_sdk=info.target_sdk,
        first_install=old_meta.first_install if old_meta and old is not None else now, last_update=now,
        installer=installer, instrumentations=info.instrumentations, input_methods=info.input_methods,
        from_profile=False)
    system.stopped.add(info.package)
    system.device.logcat.log("I", "PackageManager", f"installPackageLI: {info.package} version "
                             f"{info.version_code} at {path}", pid=system._system_pid(), uid=1000,
                             buffer="system")
    return info


@dataclass
class InstallSession:
    """``pm install-create`` .. ``install-commit`` (adb install-multiple): APKs written by name, then one install."""

    options: dict[str, object]
    apks: dict[str, bytes] = field(default_factory=dict)


def create_session(system: AndroidSystem, options: dict[str, object]) -> int:
    session_id = 1_000_000_000 + (len(system.install_sessions) * 7919 + int(system.device.clock.wall_ns() // 1000))\
        % 999_999_999
    system.install_sessions[session_id] = InstallSession(options)
    return session_id


def commit_session(system: AndroidSystem, session_id: int) -> ApkInfo:
    """Install the session's base APK (and keep its splits beside it); raise :class:`InstallFailure`."""
    session = system.install_sessions.pop(session_id, None)
    if session is None:
        raise InstallFailure("INSTALL_FAILED_INTERNAL_ERROR", f"Failed to find session {session_id}")
    bases, splits = [], []
    for name, data in session.apks.items():
        try:
            info = read_apk(data)
        except ApkError as exc:
            raise InstallFailure(exc.reason, f"{name}: {exc.detail}") from exc
        (splits if info.split else bases).append((name, data, info))
    if len(bases) != 1:
        raise InstallFailure("INSTALL_FAILED_INVALID_APK", f"Full install must include a base package "
                             f"(got {len(bases)} base APKs)")
    opts = session.options
    info = install(system, bases[0][1], allow_downgrade=bool(opts.get("-d")), allow_test=bool(opts.get("-t")),
                   installer=opts["-i"] if isinstance(opts.get("-i"), str) else None)
    code_dir = system.package_meta[info.package].path.rsplit("/", 1)[0]
    for _name, data, split in splits:
        if split.package != info.package:
            raise InstallFailure("INSTALL_FAILED_INVALID_APK", f"Split {split.split} has inconsistent package name")
        system.device.fs.write_file(f"{code_dir}/split_{split.split}.apk", data, mode=0o644, uid=1000)
    system.package_meta[info.package].splits = tuple(f"{code_dir}/split_{s.split}.apk" for _n, _d, s in splits)
    return info


def _short(package: str, component: str | None) -> str | None:
    if not component:
        return None
    return component[len(package):] if component.startswith(package + ".") else component


def _remove_file(system: AndroidSystem, path: str) -> None:
    fs = system.device.fs
    code_dir = path.rsplit("/", 1)[0]
    if fs.exists(code_dir) and code_dir.startswith("/data/app/"):
        fs.remove(code_dir, recursive=True)


def uninstall(system: AndroidSystem, package: str, *, keep_data: bool = False) -> str:
    """``pm uninstall``: ``Success`` or the failure text; system packages cannot be removed."""
    spec = system.packages.get(package)
    if spec is None:
        return "Failure [DELETE_FAILED_INTERNAL_ERROR]"
    meta = system.package_meta.get(package)
    if system.is_system_package(package) and (meta is None or meta.from_profile):
        return "Failure [DELETE_FAILED_INTERNAL_ERROR]"
    system.force_stop(package)
    if not keep_data:
        system._call(package, "on_clear_data")
    if meta is not None:
        _remove_file(system, meta.path)
    del system.packages[package]
    system.package_meta.pop(package, None)
    system.stopped.discard(package)
    system.device.logcat.log("I", "PackageManager", f"deletePackageX: pkg={package} user=0",
                             pid=system._system_pid(), uid=1000, buffer="system")
    return "Success"


def instrumentations(system: AndroidSystem, target: str | None = None) -> list[tuple[str, Instrumentation]]:
    """(package, instrumentation) pairs, optionally only those targeting ``target``."""
    found = []
    for package, meta in sorted(system.package_meta.items()):
        for inst in meta.instrumentations:
            if target is None or inst.target == target:
                found.append((package, inst))
    return found


def find_instrumentation(system: AndroidSystem, component: str) -> tuple[str, Instrumentation] | None:
    try:
        package, full = split_component(component)
    except ComponentError:
        return None
    for pkg, inst in instrumentations(system):
        if pkg == package and inst.name == full:
            return pkg, inst
    return None


def input_methods(system: AndroidSystem) -> list[str]:
    """IME ids (``pkg/.Service``) of every installed package, as ``ime list -s -a`` prints them."""
    ids = ["com.android.inputmethod.latin/.LatinIME"]
    for package, meta in sorted(system.package_meta.items()):
        for service in meta.input_methods:
            short = service[len(package):] if service.startswith(package + ".") else service
            ids.append(f"{package}/{short}")
    return ids


def signature_digest(package: str) -> str:
    return hashlib.sha256(package.encode()).hexdigest()[:8]
