"""Profile tables of the WMPF layer: validation names file, key and problem; timing is seeded and scaled."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from simulator.device import SimDevice
from simulator.errors import ProfileError
from simulator.profile import load_profile
from simulator.wmpf import install
from simulator.wmpf.config import parse_call, parse_host_app, parse_wmpf
from simulator.wmpf.faults import parse_faults
from simulator.wmpf.timing import Distribution, Timing, parse_distribution, parse_timing
from tests.testbed import profile_with


def test_default_profile_tables_parse() -> None:
    profile = load_profile()
    assert parse_host_app(profile).package == "com.example.wmpfhost"
    assert parse_wmpf(profile).model_id
    assert parse_call(profile).end_mode in ("end_page", "background", "exit")
    assert parse_faults(profile).push_drop == 0
    timing = parse_timing(profile.extra.get("timing", {}), profile.source)
    assert timing.timers["ring_timeout_s"] == 60 and timing.timers["join_timeout_s"] == 20


@pytest.mark.parametrize(("tables", "key", "words"), [
    ({"host_app": {"incoming_ui": "popup"}}, "host_app.incoming_ui", "expected 'host' or 'direct', got str 'popup'"),
    ({"host_app": {"warm_up": "yes"}}, "host_app.warm_up", "expected a valid boolean, got str 'yes'"),
    ({"faults": {"push_drop": 1.5}}, "faults.push_drop", "expected a valid integer"),
    ({"timing": {"cold_start_ms": {"dist": "fixed", "value": 5, "median": 3}}}, "timing.cold_start_ms.median",
     "unknown key for dist = 'fixed'"),
    ({"timing": {"cold_start_ms": {"dist": "normal", "mean": 5}}}, "timing.cold_start_ms.sd", "required but missing"),
    ({"timing": {"cold_start_ms": True}}, "timing.cold_start_ms", "got boolean True"),
    ({"host_app": {"push_listner": "v2"}}, "host_app.push_listner", "unknown key"),
    ({"host_app": {"package": "com.nope.app"}}, "host_app.package", "not among the profile's [[packages]]"),
    ({"wmpf": {"miniprogram_appid": "xx"}}, "wmpf.miniprogram_appid", "appid"),
    ({"call": {"end_mode": "vanish"}}, "call.end_mode", "end_page"),
    ({"faults": {"push_drop_rate": 3}}, "faults.push_drop_rate", "probability"),
    ({"timing": {"push_delivery_ms": {"dist": "gamma"}}}, "timing.push_delivery_ms.dist", "lognormal"),
    ({"timing": {"push_delivery_ms": {"dist": "uniform", "low": 5, "high": 1}}}, "timing.push_delivery_ms.high",
     ">= low"),
    ({"timing": {"ring_timeout_s": -1}}, "timing.ring_timeout_s", "positive"),
    ({"timing": {"push_deliver_ms": 5}}, "timing.push_deliver_ms", "unknown timing step"),
])
def test_bad_tables_fail_at_install_with_file_key_and_problem(tables: dict[str, Any], key: str, words: str) -> None:
    profile = profile_with(**tables)
    with pytest.raises(ProfileError) as err:
        install(SimDevice(profile))
    assert err.value.key == key
    assert words in err.value.problem
    assert profile.source in str(err.value)


def test_every_bad_key_of_a_table_is_reported_at_once() -> None:
    profile = profile_with(call={"end_mode": "vanish", "finish_voip": 1, "hangon_first": True})
    with pytest.raises(ProfileError) as err:
        install(SimDevice(profile))
    assert [key for key, _ in err.value.problems] == ["call.end_mode", "call.finish_voip", "call.hangon_first"]
    assert str(err.value).count(f"{profile.source}: key 'call.") == 3


def test_a_table_that_is_not_a_table_is_refused() -> None:
    profile = load_profile()
    profile = dataclasses.replace(profile, extra={**profile.extra, "faults": "network_down"})
    with pytest.raises(ProfileError) as err:
        parse_faults(profile)
    assert (err.value.key, err.value.problem) == ("faults", "expected a table, got str 'network_down'")


def test_an_int_is_a_float_and_defaults_keep_their_types() -> None:
    profile = profile_with(faults={"push_delay_ms": 250}, wmpf={"push_token_ttl_s": 60})
    faults, wmpf = parse_faults(profile), parse_wmpf(profile)
    assert faults.push_delay_ms == 250.0 and isinstance(faults.push_delay_ms, float)
    assert isinstance(wmpf.push_token_ttl_s, float) and parse_call(profile).end_mode == "background"


def test_distributions() -> None:
    rng = random.Random(1)
    assert parse_distribution("f", "k", 250) == Distribution("fixed", 250.0)
    uni = parse_distribution("f", "k", {"dist": "uniform", "low": 10, "high": 20})
    assert all(10 <= uni.draw(rng) <= 20 for _ in range(200))
    normal = parse_distribution("f", "k", {"dist": "normal", "mean": 5, "sd": 50})
    assert all(normal.draw(rng) >= 0 for _ in range(200))
    logn = parse_distribution("f", "k", {"dist": "lognormal", "median": 300, "sigma": 0.3})
    draws = sorted(logn.draw(rng) for _ in range(2001))
    assert 270 < draws[1000] < 330


def test_timing_is_seeded_per_device_and_scaled() -> None:
    profile = load_profile()
    cfg = parse_timing({"seed": 7}, profile.source)
    a = [Timing(cfg, 1.0, "SN1").draw_ms("push_delivery_ms") for _ in range(3)]
    b = [Timing(cfg, 1.0, "SN1").draw_ms("push_delivery_ms") for _ in range(3)]
    c = Timing(cfg, 1.0, "SN2").draw_ms("push_delivery_ms")
    assert a == b and c != a[0]
    t1, t2 = Timing(cfg, 1.0, "SN"), Timing(cfg, 0.05, "SN")
    assert t2.delay("cold_start_ms") == pytest.approx(t1.delay("cold_start_ms") * 0.05)
    assert t2.timer("ring_timeout_s") == pytest.approx(3.0)
    with pytest.raises(KeyError, match="unknown timing step"):
        t1.draw_ms("teleport_ms")
