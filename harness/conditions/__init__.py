"""Field conditions a call is placed under (Doze, standby, screen off, cold boot, network drop, memory kill,
WMPF crash loop, long idle), each set up through adb as a lab would on a real device and undone after.

``catalog.CONDITIONS`` names them; ``catalog.parse_conditions("doze_deep,wifi_drop")`` turns the
``--conditions`` option into instances. A condition sees the device only through the rig.
"""

from harness.conditions.base import Condition, ConditionError
from harness.conditions.catalog import CONDITIONS, parse_conditions

__all__ = ["CONDITIONS", "Condition", "ConditionError", "parse_conditions"]
