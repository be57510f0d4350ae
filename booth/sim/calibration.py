"""The ring light's calibration in simulation: the same measurement as `booth light calibrate`
on a Pi (booth.light.calibrate), with a throwaway simulated camera filming the simulated scene."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from booth.devices.face_exposure import CameraAim
from booth.devices.ports.camera import LightLevel
from booth.devices.ports.light import Light
from booth.light.calibrate import Metadata, calibrate
from booth.light.curve import LightCurve
from booth.sim.camera import SimCamera, SimCameraSetup
from booth.sim.scene import Scene


@contextmanager
def exposure_meter(
    scene: Scene,
    light: LightLevel,
    fps: float,
    flicker_period_us: float | None = None,
    size: tuple[int, int] = (320, 240),
    aim: CameraAim | None = None,
) -> Iterator[Callable[[], Metadata]]:
    """A throwaway simulated camera filming `scene` lit by `light`: a function giving its next
    frame's metadata, one frame period of virtual time later each call.

    The metadata does not depend on the frame size, so a small camera keeps a calibration under
    a second; its virtual clock is its own, so a SimWorld's clock does not move. aim: the
    camera's auto-exposure as the booth sets it up (booth.devices.face_exposure.camera_aim).
    """
    setup = SimCameraSetup(flicker_period_us=flicker_period_us, aim=aim)
    camera = SimCamera(size[0], size[1], fps, scene, light, setup)
    camera.start()
    frame = [0]

    def next_metadata() -> Metadata:
        frame[0] += 1
        captured = camera.capture(round(frame[0] * 1e9 / fps))
        return captured.metadata

    try:
        yield next_metadata
    finally:
        camera.stop()


def calibrate_simulated(
    scene: Scene,
    light: Light,
    fps: float,
    flicker_period_us: float | None = None,
    aim: CameraAim | None = None,
) -> LightCurve:
    """Calibrate `light` on a simulated `scene` with a throwaway simulated camera (see
    `exposure_meter`) of the default size."""
    with exposure_meter(scene, light, fps, flicker_period_us, aim=aim) as next_metadata:
        return calibrate(light.set, next_metadata, measured=datetime.now().astimezone())
