"""WMPF, the host app and the VoIP plugin's call page inside a simulated device.

Entry hook for the simulator farm::

    from simulator.wmpf import install
    install(device, truth)      # before device.boot()

After boot the device behaves like a WMPF VoIP device: WMPF (``com.tencent.wmpf``) and the host app start
as persistent processes, activate, register their push listener and ring when the simulated phone
(:class:`simulator.phone.backend.PhoneBackend`) places a call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.wmpf.truth import TruthRecorder

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.wmpf.model import WmpfDevice

__all__ = ["TruthRecorder", "WmpfDevice", "install", "model_of"]

_ATTR = "_wmpf_model"


def install(device: SimDevice, truth: TruthRecorder | None = None) -> WmpfDevice:
    """Attach the WMPF, host app and Mini Program models to ``device`` (once; before boot).

    Raises :class:`simulator.errors.ProfileError` if the profile's ``[wmpf]``, ``[host_app]``, ``[call]``,
    ``[timing]`` or ``[faults]`` table is malformed.
    """
    existing = getattr(device, _ATTR, None)
    if existing is not None:
        return existing
    from simulator.wmpf.model import WmpfDevice  # late: the models import simulator.phone.room

    model = WmpfDevice(device, truth)
    setattr(device, _ATTR, model)
    return model


def model_of(device: SimDevice) -> WmpfDevice:
    """The WMPF model installed on ``device``; raises LookupError with a hint if there is none."""
    model = getattr(device, _ATTR, None)
    if model is None:
        raise LookupError(f"device {device.serialno} has no WMPF model: call simulator.wmpf.install(device) "
                          "before booting it")
    return model


def __getattr__(name: str) -> Any:
    if name == "WmpfDevice":
        from simulator.wmpf.model import WmpfDevice

        return WmpfDevice
    raise AttributeError(f"module 'simulator.wmpf' has no attribute {name!r}")
