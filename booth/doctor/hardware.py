"""How the staff commands open the booth's devices: one seam, two worlds.

`booth doctor`, `booth mic test`, `booth camera snapshot` and `booth doctor --record` open the
camera, the microphone and the pins through a `Hardware`. The Raspberry Pi's is made here
(`pi_hardware`); the simulator's by booth.sim.staff. The CLI, the composition root, picks one
from `[devices] backend`, so nothing below it knows which world it runs in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpiozero.pins import Factory

from booth.config.settings import Settings
from booth.doctor.live_mic import LiveMic, PiLiveMic
from booth.doctor.record import Rig
from booth.doctor.still_camera import opened_pi_camera


@dataclass(frozen=True)
class Hardware:
    """The booth's devices as the staff commands open them.

    simulated: whether these are the simulator's (the display check then expects no screen).
    open_camera: a context manager giving a started camera (`Camera` protocol).
    open_mic: an opened, delivering microphone.
    pins: gpiozero's pin factory for the light and buttons (None: gpiozero's default).
    record_rig: the devices of the acceptance recording, with its working folder.
    """

    simulated: bool
    open_camera: Callable[[], AbstractContextManager[Any]]
    open_mic: Callable[[], LiveMic]
    pins: Factory | None
    record_rig: Callable[[Path], Rig]


def pi_hardware(settings: Settings) -> Hardware:
    """The Raspberry Pi's devices: picamera2, the USB microphone, gpiozero's default pins."""

    def record_rig(work_dir: Path) -> Rig:
        from booth.doctor.pi_rig import build_pi_rig

        return build_pi_rig(settings, work_dir)

    return Hardware(
        simulated=False,
        open_camera=lambda: opened_pi_camera(settings),
        open_mic=lambda: PiLiveMic(settings),
        pins=None,
        record_rig=record_rig,
    )
