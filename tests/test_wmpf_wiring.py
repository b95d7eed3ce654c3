"""The WMPF models get the parts and peers they use from WmpfDevice, never WmpfDevice itself (issue 8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulator.device import SimDevice
from simulator.profile import load_profile
from simulator.wmpf import install

WMPF_DIR = Path(__file__).resolve().parent.parent / "simulator" / "wmpf"
MODELS = ("service.py", "hostapp.py", "miniprogram.py", "voip.py")


@pytest.mark.parametrize("name", MODELS)
def test_a_model_never_names_the_whole_device(name: str) -> None:
    tree = ast.parse((WMPF_DIR / name).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attrs = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert "simulator.wmpf.model" not in imported
    assert "WmpfDevice" not in names
    assert "m" not in attrs  # the old `self.m` back-reference


def test_the_wiring_point_connects_each_peer_once() -> None:
    model = install(SimDevice(load_profile()))
    assert model.service.host is model.host and model.service.miniprogram is model.miniprogram
    assert model.host.service is model.service and model.host.miniprogram is model.miniprogram
    assert model.miniprogram.host is model.host
    assert model.service.timing is model.host.timing is model.miniprogram.timing is model.timing
    assert model.service.faults is model.host.faults is model.miniprogram.faults is model.faults
    assert model.miniprogram.call_config is model.call_config
    model.cloud = None
    assert model.miniprogram.cloud is None
