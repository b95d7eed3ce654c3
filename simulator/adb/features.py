"""The feature list the device advertises in its CNXN banner.

Clients choose protocols from this list (shell v2 vs v1, STA2 vs STAT, SND2 vs SEND, streamed vs push
install, ``adb shell remount`` vs ``remount:``), so it must name only what the services here implement:
``delayed_ack`` would change the flow control the transport speaks, ``abb`` would make clients use the
shell-protocol binder bridge (only ``abb_exec`` exists), and the ``sendrecv_v2_*`` codecs would make adb 36
compress file transfers we cannot decode.
"""

from __future__ import annotations

FEATURES: list[str] = [
    "shell_v2",  # shell,v2,...: packets with separate stdout/stderr and an exit code
    "stat_v2",  # sync STA2/LST2 with the 72-byte stat and errno
    "ls_v2",  # sync LIS2/DNT2
    "fixed_push_mkdir",  # SEND creates missing parent directories
    "fixed_push_symlink_timestamp",  # SEND of a symlink sets its own mtime
    "apex",
    "sendrecv_v2",  # sync SND2/RCV2 (uncompressed only)
    "cmd",  # the device has `cmd`: adb install streams the APK (exec:cmd package install -S SIZE)
    "abb_exec",  # abb_exec:package\0install\0-S\0SIZE (preferred over exec:cmd when advertised)
    "remount_shell",  # adb remount runs `adb shell remount` (Android 10+)
]
