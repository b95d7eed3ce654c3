"""Android's fixed uids and their names (``android_filesystem_config.h``), for ``ls -l``, ``ps`` and ``id``."""

from __future__ import annotations

AID_NAMES = {
    0: "root", 1000: "system", 1001: "radio", 1002: "bluetooth", 1003: "graphics", 1004: "input",
    1005: "audio", 1006: "camera", 1007: "log", 1010: "wifi", 1011: "adb", 1013: "media", 1015: "sdcard_rw",
    1023: "media_rw", 1028: "sdcard_r", 1036: "logd", 1041: "audioserver", 1078: "ext_data_rw",
    1079: "ext_obb_rw", 2000: "shell", 3001: "net_bt_admin", 3002: "net_bt", 3003: "inet",
    3006: "net_bw_stats", 3009: "readproc", 3011: "uhid", 9997: "everybody",
}
SHELL_GROUPS = (2000, 1004, 1007, 1011, 1015, 1028, 1078, 1079, 3001, 3002, 3003, 3006, 3009, 3011)


def user_name(uid: int) -> str:
    """``u0_a71`` for app uids, the AID name for system uids, the number otherwise."""
    name = AID_NAMES.get(uid)
    if name is not None:
        return name
    if 10000 <= uid < 20000:
        return f"u0_a{uid - 10000}"
    return str(uid)
