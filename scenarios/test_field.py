"""Push-to-ring under the conditions that break it in the field: one call per condition (``--conditions``).

Each condition (``harness/conditions``) is set up through adb as a lab does on a real device and undone
after the call. The record carries ``extra["condition"]`` (and what the condition measured), so the report's
table gives push_to_ring and the outcome per condition per device model. A condition that loses the call
fails at ``push_not_received`` or ``no_ring`` like any other call: that is the finding, not a harness error.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.conditions import Condition, parse_conditions
from harness.results.records import Outcome

pytestmark = [pytest.mark.wmpf_scenario, pytest.mark.field, pytest.mark.needs_connect]  # each call is answered


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "condition" in metafunc.fixturenames:
        try:
            conditions = parse_conditions(metafunc.config.getoption("--conditions"))
        except ValueError as exc:
            raise pytest.UsageError(f"--conditions: {exc}") from None
        metafunc.parametrize("condition", conditions, ids=[c.name for c in conditions])


def test_call_under_condition(call: CallDriver, condition: Condition) -> None:
    rig = call.rig
    try:
        condition.setup(rig)
        with call.call() as c:
            condition.annotate(c.record)
            c.place()
            condition.after_place(rig)
            c.wait_ring()
            condition.on_ring(c.record)
            c.answer()
            c.wait_connected()
            c.hold()
            c.hang_up("device")
    finally:
        condition.teardown(rig)
    record = c.record
    assert record.outcome is Outcome.PASSED, (
        f"{condition.name}: {record.outcome.value} at {record.stage.value if record.stage else '-'}: {record.error}")
