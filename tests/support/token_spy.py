"""A pytest plugin for the secrets scan (``tests/test_secrets_scan.py``): note each pushToken a run used.

Loaded into a child ``pytest scenarios`` run with ``-p tests.support.token_spy``; after each test that set up the
``rig`` fixture it asks the (simulated) phone's backend for the device's current pushToken and appends it to
the file named by ``WMPF_TEST_TOKEN_FILE``, so the scan knows exactly which secrets must not be in the run's files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    if "rig" in getattr(item, "fixturenames", ()):
        with contextlib.suppress(Exception):  # a test whose rig failed to set up has no token to note
            rig = item._request.getfixturevalue("rig")  # type: ignore[attr-defined]
            # the phone API client: on the rig's lab-faults interface or its caller (harness.callers)
            phones = [getattr(owner, "phone", None) for owner in (rig, rig.faults, rig.caller) if owner is not None]
            phone = next((p for p in phones if hasattr(p, "device")), None)
            token = phone.device(rig.sn).get("pushToken") if phone is not None else None
            if token:
                with open(os.environ["WMPF_TEST_TOKEN_FILE"], "a", encoding="utf-8") as out:
                    out.write(token + "\n")
    return (yield)
