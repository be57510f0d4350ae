"""What only the tests ask of the simulated devices: resetting the mock pins, silencing the
virtual microphone, looking into a simulated part's state, and a Pi world with a stand-in
camera. The simulator itself never
needs these, so they live here and not in booth.sim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from booth.config.settings import Settings
from booth.devices.choice import ROOT
from booth.devices.pi_world import PiWorld
from booth.devices.ports.camera import Camera
from booth.sim import pins
from booth.sim.camera import SimCamera
from booth.sim.scene import Scene, _clamp01
from booth.sim.virtual_mic import VirtualMic
from booth.sim.world import SimWorld


def reset_sim_pins() -> None:
    """Forget every simulated pin and reservation (between tests).

    Devices still holding pins must be closed first; after this, the same pin numbers can be
    claimed again.
    """
    if pins._sim_factory is not None:
        pins._sim_factory.reset()


def silence_mic(world: SimWorld) -> None:
    """Make the microphone deliver only zeros (a dead input) from now on."""
    if world.mic is not None:
        world.mic.silence = True


def pending_frames(mic: VirtualMic) -> int:
    """Frames written to the virtual microphone's FIFO and not yet read by the Microphone."""
    return mic._fifo_bytes() // (2 * mic.channels)


def face_lux(scene: Scene, ring_level: float) -> float:
    """Illuminance on the face, in lux, with the ring light at duty `ring_level` (0..1)."""
    return scene.ambient_lux + scene.ring_lux_at_full * _clamp01(ring_level)


def exposure_locked(camera: SimCamera) -> bool:
    """Whether the simulated camera's auto-exposure is held (a take is being recorded)."""
    return camera._manual is not None


class PiWorldWithCamera(PiWorld):
    """The Pi's world with another camera standing in for picamera2 (off a Pi): everything
    else of a booth (its pins, sound cards and their choice) as on a Pi."""

    def __init__(self, settings: Settings, camera: Camera, root: Path = ROOT, pins: Any = None):
        super().__init__(settings, root, pins)
        self._camera = camera

    def camera(self) -> Any:
        return self._camera
