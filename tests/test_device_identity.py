"""The device SN from where its maker keeps it, and whether root exists: on a rooted userdebug simulated device
and on a production user build (the Lumen tablet) whose SN is a vendor property."""

from __future__ import annotations

import pytest

import simulator
from harness.config.locations import FIXTURES_DIR
from harness.device.identity import IdentityError, probe_root, read_sn
from harness.device.session import DeviceSession


def test_sn_sources_and_root_on_a_userdebug_device(make_sim, adb_server) -> None:
    sim = make_sim(1)
    serial = sim.devices[0].serial
    with DeviceSession(serial, adb_port=adb_server.port) as session:
        sn = session.prop("ro.serialno")
        assert read_sn(session, "property", "ro.serialno") == sn
        session.device.shell("echo FACTORY-SN-42 > /data/local/tmp/sn.txt")
        assert read_sn(session, "file", "/data/local/tmp/sn.txt") == "FACTORY-SN-42"
        assert read_sn(session, "command", "getprop ro.product.model") == session.model
        assert read_sn(session, "literal", "LAB-7") == "LAB-7"
        with pytest.raises(IdentityError, match=r"ro\.vendor\.none\.sn"):
            read_sn(session, "property", "ro.vendor.none.sn")
        with pytest.raises(IdentityError, match="/nope"):
            read_sn(session, "file", "/nope")
        assert probe_root(session) is True


def test_a_user_build_has_no_root_and_its_sn_in_a_vendor_property(make_sim, adb_server) -> None:
    sim = make_sim(1, profile=simulator.load_profile(FIXTURES_DIR / "devices" / "lumen-tab-user.toml"))
    info = sim.devices[0]
    with DeviceSession(info.serial, adb_port=adb_server.port) as session:
        sn = read_sn(session, "property", "ro.vendor.lumen.sn")
        assert sn == info.sn and sn.startswith("LT8-") and sn != session.prop("ro.serialno")
        assert probe_root(session) is False
