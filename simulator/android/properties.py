"""System properties as a real Android 10-14 build has them (several hundred), derived from the profile.

:func:`build_properties` starts from a typical tablet build (``ro.build.*``, ``ro.product.*`` and the
per-partition ``ro.product.{system,vendor,...}.*``/``ro.{system,vendor,...}.build.*`` families, ``ro.boot.*``,
``ro.hardware``, ``ro.build.characteristics``, ``dalvik.vm.*``, ``persist.*``, ``sys.*``, ``init.svc.*``,
``net.*``) derived from the profile's own properties, which always win. :func:`check_setprop` applies
property_service's rules: a read-only ``ro.*`` can be set once, and the shell user may only set the families
SELinux's ``shell`` domain may (``debug.*``, ``log.tag.*``, ``persist.log.tag.*``, ``wrap.*``,
``service.adb.tcp.port``, ...); root may set the rest. :func:`forget_volatile` drops, at reboot, what
``setprop`` set outside ``persist.*``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.profile import DeviceProfile

PARTITIONS = ("system", "system_ext", "vendor", "odm", "product", "bootimage", "vendor_dlkm")
SDK_CODENAMES = {29: "10", 30: "11", 31: "12", 32: "12", 33: "13", 34: "14"}
SECURITY_PATCH = {29: "2020-09-05", 30: "2021-10-05", 31: "2022-03-05", 32: "2022-06-05", 33: "2023-08-05",
                  34: "2024-03-05"}
SHELL_SETTABLE = ("debug.", "log.tag.", "persist.log.tag.", "persist.debug.", "wrap.", "service.adb.tcp.port",
                  "persist.traced.enable", "persist.sys.test_harness", "ctl.interface_start")
NAME_RE = re.compile(r"[A-Za-z0-9_.\-@:]+")
MAX_VALUE = 91


def build_properties(profile: DeviceProfile, serialno: str) -> dict[str, str]:
    p = dict(profile.properties)
    sdk = int(p.get("ro.build.version.sdk", "30") or 30)
    release = p.get("ro.build.version.release", SDK_CODENAMES.get(sdk, "11"))
    brand = p.get("ro.product.brand", "android")
    name = p.get("ro.product.name", "device")
    device = p.get("ro.product.device", "device")
    model = p.get("ro.product.model", "Android device")
    manufacturer = p.get("ro.product.manufacturer", brand)
    build_id = p.get("ro.build.id", "RQ3A.211001.001")
    build_type = p.get("ro.build.type", "userdebug")
    tags = p.get("ro.build.tags", "test-keys" if build_type != "user" else "release-keys")
    incremental = p.get("ro.build.version.incremental", "20261101")
    fingerprint = p.get("ro.build.fingerprint",
                        f"{brand}/{name}/{device}:{release}/{build_id}/{incremental}:{build_type}/{tags}")
    date_utc = "1793491200"  # 2026-11-01
    date = "Sun Nov  1 00:00:00 UTC 2026"
    abi = p.get("ro.product.cpu.abi", "arm64-v8a")
    debuggable = p.get("ro.debuggable", "0" if build_type == "user" else "1")
    hardware = p.get("ro.hardware", device)
    density = str(profile.screen_density)
    props: dict[str, str] = {
        "ro.build.id": build_id,
        "ro.build.display.id": f"{name}-{build_type} {release} {build_id} {incremental} {tags}",
        "ro.build.version.incremental": incremental, "ro.build.version.sdk": str(sdk),
        "ro.build.version.preview_sdk": "0", "ro.build.version.preview_sdk_fingerprint": "REL",
        "ro.build.version.codename": "REL", "ro.build.version.all_codenames": "REL",
        "ro.build.version.release": release, "ro.build.version.release_or_codename": release,
        "ro.build.version.security_patch": SECURITY_PATCH.get(sdk, "2021-10-05"), "ro.build.version.base_os": "",
        "ro.build.version.min_supported_target_sdk": "23" if sdk >= 28 else "17",
        "ro.build.date": date, "ro.build.date.utc": date_utc, "ro.build.type": build_type,
        "ro.build.user": "android-build", "ro.build.host": "wmpf-hil-build", "ro.build.tags": tags,
        "ro.build.flavor": f"{name}-{build_type}", "ro.build.product": device,
        "ro.build.description": f"{name}-{build_type} {release} {build_id} {incremental} {tags}",
        "ro.build.fingerprint": fingerprint, "ro.build.characteristics": "tablet",
        "ro.build.system_root_image": "false", "ro.build.ab_update": "true",
        "ro.product.brand": brand, "ro.product.name": name, "ro.product.device": device, "ro.product.model": model,
        "ro.product.manufacturer": manufacturer, "ro.product.board": device, "ro.product.locale": "en-US",
        "ro.product.cpu.abi": abi, "ro.product.cpu.abilist": "arm64-v8a,armeabi-v7a,armeabi",
        "ro.product.cpu.abilist64": "arm64-v8a", "ro.product.cpu.abilist32": "armeabi-v7a,armeabi",
        "ro.product.first_api_level": str(sdk), "ro.product.build.fingerprint": fingerprint,
        "ro.hardware": hardware, "ro.hardware.egl": "mali", "ro.hardware.vulkan": "mali",
        "ro.board.platform": p.get("ro.board.platform", "mt8183"), "ro.arch": "arm64",
        "ro.bootloader": f"{device}-1.0", "ro.bootmode": "normal", "ro.baseband": "unknown",
        "ro.revision": "0", "ro.serialno": serialno, "ro.secure": "1", "ro.adb.secure": "1",
        "ro.debuggable": debuggable, "ro.allow.mock.location": "0", "ro.zygote": "zygote64_32",
        "ro.sf.lcd_density": density, "ro.opengles.version": "196610", "ro.treble.enabled": "true",
        "ro.vndk.version": str(sdk), "ro.apex.updatable": "true", "ro.crypto.state": "encrypted",
        "ro.crypto.type": "file", "ro.logd.size": "262144", "ro.logd.size.stats": "64K",
        "ro.kernel.version": "4.19", "ro.carrier": "wifi-only", "ro.radio.noril": "true",
        "ro.config.ringtone": "Ring_Synth_04.ogg", "ro.config.notification_sound": "pixiedust.ogg",
        "ro.config.alarm_alert": "Alarm_Classic.ogg", "ro.config.low_ram": "false",
        "ro.com.android.dataroaming": "false", "ro.setupwizard.mode": "DISABLED",
        "ro.surface_flinger.max_frame_buffer_acquired_buffers": "3",
        "ro.surface_flinger.has_wide_color_display": "false", "ro.opa.eligible_device": "false",
        "ro.actionable_compatible_property.enabled": "true", "ro.postinstall.fstab.prefix": "/system",
        "ro.property_service.version": "2", "ro.persistent_properties.ready": "true",
        "ro.wifi.channels": "", "ro.telephony.default_network": "9", "ro.hwui.use_vulkan": "false",
        "ro.charger.enable_suspend": "true", "ro.oem_unlock_supported": "1",
        "ro.frp.pst": "/dev/block/by-name/frp", "ro.init.kernel": "ok",
        "ro.boot.serialno": serialno, "ro.boot.hardware": hardware, "ro.boot.mode": "normal",
        "ro.boot.bootreason": "reboot", "ro.boot.verifiedbootstate": "orange" if debuggable == "1" else "green",
        "ro.boot.flash.locked": "0" if debuggable == "1" else "1", "ro.boot.veritymode": "enforcing",
        "ro.boot.vbmeta.device_state": "unlocked" if debuggable == "1" else "locked",
        "ro.boot.vbmeta.avb_version": "1.1", "ro.boot.vbmeta.hash_alg": "sha256", "ro.boot.slot_suffix": "_a",
        "ro.boot.dynamic_partitions": "true", "ro.boot.selinux": "enforcing", "ro.boot.console": "ttyS0",
        "ro.boot.hardware.platform": p.get("ro.board.platform", "mt8183"), "ro.boot.boot_devices": "soc/11230000.mmc",
        "ro.boot.avb_version": "1.1", "ro.boot.wificountrycode": "CN", "ro.boottime.init": "1042000000",
        "ro.boottime.adbd": "6132000000", "ro.boottime.surfaceflinger": "5980000000",
        "ro.boottime.zygote": "6021000000", "ro.boottime.logd": "3120000000",
        "dalvik.vm.heapsize": "512m", "dalvik.vm.heapstartsize": "8m", "dalvik.vm.heapgrowthlimit": "256m",
        "dalvik.vm.heaptargetutilization": "0.75", "dalvik.vm.heapminfree": "512k", "dalvik.vm.heapmaxfree": "8m",
        "dalvik.vm.isa.arm64.variant": "cortex-a75", "dalvik.vm.isa.arm64.features": "default",
        "dalvik.vm.isa.arm.variant": "cortex-a75", "dalvik.vm.isa.arm.features": "default",
        "dalvik.vm.usejit": "true", "dalvik.vm.usejitprofiles": "true", "dalvik.vm.dex2oat-Xms": "64m",
        "dalvik.vm.dex2oat-Xmx": "512m", "dalvik.vm.image-dex2oat-Xms": "64m", "dalvik.vm.image-dex2oat-Xmx": "64m",
        "dalvik.vm.appimageformat": "lz4", "dalvik.vm.dexopt.secondary": "true",
        "dalvik.vm.stack-trace-dir": "/data/anr", "dalvik.vm.lockprof.threshold": "500",
        "pm.dexopt.install": "speed-profile", "pm.dexopt.bg-dexopt": "speed-profile",
        "pm.dexopt.boot": "verify", "pm.dexopt.first-boot": "quicken", "pm.dexopt.shared": "speed",
        "persist.sys.timezone": "Asia/Shanghai", "persist.sys.locale": "zh-CN", "persist.sys.usb.config": "adb",
        "persist.sys.dalvik.vm.lib.2": "libart.so", "persist.sys.boot.reason": "reboot",
        "persist.sys.fflag.override.settings_bluetooth_hearing_aid": "true", "persist.sys.disable_rescue": "true",
        "persist.sys.sf.color_saturation": "1.0", "persist.device_config.runtime_native.usap_pool_enabled": "false",
        "persist.log.tag": "", "persist.radio.multisim.config": "", "persist.traced.enable": "1",
        "persist.wm.extensions.enabled": "true", "persist.bluetooth.a2dp_offload.disabled": "true",
        "sys.boot_completed": "1", "sys.bootstat.first_boot_completed": "1", "sys.usb.config": "adb",
        "sys.usb.state": "adb", "sys.usb.controller": "musb-hdrc", "sys.usb.configfs": "1",
        "sys.sysctl.extra_free_kbytes": "24300", "sys.use_memfd": "false", "sys.wifitracing.started": "1",
        "sys.user.0.ce_available": "true", "sys.rescue_boot_count": "1", "sys.retaildemo.enabled": "0",
        "sys.system_server.start_count": "1", "sys.system_server.start_elapsed": "9874",
        "sys.system_server.start_uptime": "9874", "sys.logbootcomplete": "1", "sys.oem_unlock_allowed": "1",
        "service.adb.root": "0", "service.adb.tcp.port": "5555", "service.bootanim.exit": "1",
        "service.bootanim.progress": "0", "service.sf.present_timestamp": "1",
        "net.bt.name": "Android", "net.hostname": f"android-{serialno.lower()[-8:]}", "net.qtaguid_enabled": "1",
        "net.tcp.default_init_rwnd": "60", "wifi.interface": "wlan0", "wifi.direct.interface": "p2p0",
        "wlan.driver.status": "ok", "gsm.version.baseband": "", "gsm.sim.state": "ABSENT",
        "gsm.current.phone-type": "0", "gsm.network.type": "Unknown", "gsm.operator.alpha": "",
        "gsm.version.ril-impl": "", "keyguard.no_require_sim": "true", "init.svc_debug.no_fatal.zygote": "false",
        "security.perf_harden": "1", "selinux.restorecon_recursive": "/data/misc_ce/0",
        "debug.sf.hw": "1", "debug.hwui.renderer": "skiagl", "debug.atrace.tags.enableflags": "0",
        "debug.tracing.screen_state": "2", "debug.force_rtl": "false", "log.tag.stats_log": "I",
        "bluetooth.device.class_of_device": "90,2,12", "bluetooth.profile.a2dp.source.enabled": "true",
        "bluetooth.profile.hfp.ag.enabled": "true", "bluetooth.profile.gatt.enabled": "true",
        "vold.has_adoptable": "1", "vold.has_quota": "1", "vold.has_reserved": "1", "vold.post_fs_data_done": "1",
        "vold.has_compress": "0", "vold.emulated_volumes_allowed": "1",
        "apexd.status": "ready", "apex.all.ready": "true", "bpf.progs_loaded": "1", "aaudio.mmap_policy": "2",
        "audio.deep_buffer.media": "true", "audio.offload.min.duration.secs": "30",
        "media.recorder.show_manufacturer_and_model": "true", "media.stagefright.thumbnail.prefer_hw_codecs": "true",
        "tombstoned.max_tombstone_count": "50", "storage.mmc_size": "64000000000",
        "ril.ecclist": "112,911", "ro.telephony.call_ring.multiple": "false",
        "ro.lmk.kill_heaviest_task": "true", "ro.lmk.use_minfree_levels": "true", "ro.lmk.log_stats": "true",
        "ro.lmk.critical_upgrade": "true", "ro.lmk.upgrade_pressure": "100", "ro.lmk.downgrade_pressure": "100",
        "ro.lmk.psi_partial_stall_ms": "70", "ro.lmk.psi_complete_stall_ms": "700",
        "ro.hwui.texture_cache_size": "72", "ro.hwui.layer_cache_size": "48", "ro.hwui.path_cache_size": "32",
        "ro.hwui.gradient_cache_size": "1", "ro.hwui.drop_shadow_cache_size": "6",
        "ro.hwui.r_buffer_cache_size": "8", "ro.hwui.text_small_cache_width": "1024",
        "ro.hwui.text_small_cache_height": "1024", "ro.hwui.text_large_cache_width": "2048",
        "ro.hwui.text_large_cache_height": "1024", "ro.com.google.ime.theme_id": "5",
    }
    for part in PARTITIONS:
        for key, value in (("brand", brand), ("device", device), ("manufacturer", manufacturer), ("model", model),
                           ("name", name)):
            if part != "bootimage":
                props[f"ro.product.{part}.{key}"] = value
        for key, value in (("date", date), ("date.utc", date_utc), ("fingerprint", fingerprint), ("id", build_id),
                           ("tags", tags), ("type", build_type), ("version.incremental", incremental),
                           ("version.release", release), ("version.release_or_codename", release),
                           ("version.sdk", str(sdk))):
            props[f"ro.{part}.build.{key}"] = value
    for service in ("adbd", "apexd", "audioserver", "bootanim", "cameraserver", "drm", "gatekeeperd", "healthd",
                    "hwservicemanager", "incidentd", "installd", "keystore2", "lmkd", "logd", "logd-reinit",
                    "media", "mediadrm", "mediaextractor", "mediametrics", "netd", "servicemanager",
                    "statsd", "storaged", "surfaceflinger", "tombstoned", "traced", "traced_probes",
                    "ueventd", "vndservicemanager", "vold", "wificond", "zygote", "zygote_secondary",
                    "credstore", "gpu", "heapprofd", "usbd", "wpa_supplicant", "thermalservice", "update_engine"):
        stopped = service in ("bootanim", "logd-reinit", "heapprofd")
        props[f"init.svc.{service}"] = "stopped" if stopped else "running"
        if not stopped:
            props.setdefault(f"ro.boottime.{service}", str(3_000_000_000 + len(service) * 97_000_000))
    for dns in ("net.dns1", "net.dns2"):
        props[dns] = "192.168.50.1" if dns == "net.dns1" else "8.8.8.8"
    props.update(p)
    props["ro.serialno"] = serialno
    props["ro.boot.serialno"] = serialno
    return props


def check_setprop(props: dict[str, str], name: str, value: str, uid: int) -> bool:
    """Whether property_service accepts ``setprop name value`` from ``uid`` (no change is made here)."""
    if not NAME_RE.fullmatch(name) or ".." in name or name.startswith(".") or name.endswith("."):
        return False
    if name.startswith("ro."):
        if props.get(name, "") != "":
            return False  # read-only: set once, at boot
        return uid == 0
    if len(value) > MAX_VALUE:
        return False
    if uid == 0:
        return True
    return name.startswith(SHELL_SETTABLE)


def forget_volatile(props: dict[str, str], set_at_runtime: set[str], defaults: dict[str, str]) -> None:
    """A reboot: what setprop set outside ``persist.*`` is gone (back to its build default, if any)."""
    for name in list(set_at_runtime):
        if name.startswith("persist."):
            continue
        if name in defaults:
            props[name] = defaults[name]
        else:
            props.pop(name, None)
        set_at_runtime.discard(name)
