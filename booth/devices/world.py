"""The world the booth runs in: one seam for every device, chosen once, as gpiozero's pin factory.

gpiozero's `LED` neither knows nor asks whether its pin is real: the factory chosen at start-up
decides, and its mock factory ships beside the real ones. The booth does the same one level
up. A `World` hands out the camera, the microphone, the speaker, the ring light, the GPIO pin
factory, the screen and, for the staff commands, the devices as `booth doctor`, `booth mic test`,
`booth camera snapshot`, `booth light calibrate` and the acceptance recording open them. Two
worlds ship:

- `booth.devices.pi_world.PiWorld`: a Raspberry Pi booth (picamera2, the USB microphone and
  the speaker `booth devices` chooses, the kernel's PWM or lgpio, the console's screen);
- `booth.sim.devices.SimulatedWorld`: a computer without one (the simulated room filmed by
  the simulated camera, the candidate's voice through an ALSA `file` PCM, gpiozero's mock
  pins), documented like gpiozero's `MockFactory`.

The CLI (booth.cli.world) picks one from `[devices] backend` and passes it on; nothing below
it asks which world it is in. Where the worlds differ in what can be checked (a simulated
booth has no screen of its own), the world says so in `checks`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import pygame
from gpiozero.pins import Factory

from booth.config.settings import LightSettings
from booth.devices.live_mic import LiveMic
from booth.devices.ports.camera import Camera
from booth.devices.ports.light import Light
from booth.devices.ports.microphone import AudioChunk, Microphone
from booth.devices.ports.speaker import Speaker


@dataclass(frozen=True)
class WorldChecks:
    """What `booth doctor` can check in a world, and what it says of the rest.

    screen: the world has a screen of its own (KMS/DRM, SDL's console driver) to check.
    speaker: it has sound cards to choose the speaker from and open.
    pins_shared: its pins are the machine's, shared between processes: a light pin that opens
    means its service is not driving it. (A simulated world's mock pins are the process's own.)
    not_checked: what `booth doctor` says of a check the world cannot do.
    """

    screen: bool
    speaker: bool
    pins_shared: bool
    not_checked: str = ""


class Clapperboard(Protocol):
    """What makes an acceptance recording's claps, and the time of its frames."""

    def next_frame_ns(self) -> int:
        """The time to capture the next frame at (simulation: moves the virtual clock)."""
        ...

    def flash_and_beep(self) -> None:
        """Flash the screen white and beep, both to be caught by the next frame."""
        ...

    def close(self) -> None: ...


class Rig:
    """The booth parts an acceptance recording (booth.doctor.record) drives: a started camera,
    the microphone read as it happens, and a clapperboard.

    encoder: which H.264 encoder records, for the report ("software (libx264)", …).
    light: the ring light lighting the picture, if the rig holds it (closed with the rig).
    """

    def __init__(
        self,
        camera: Camera,
        mic: LiveMic,
        clapperboard: Clapperboard,
        encoder: str,
        light: Light | None = None,
    ) -> None:
        self.camera = camera
        self.mic = mic
        self.mic_device = mic.device
        self.clapperboard = clapperboard
        self.encoder = encoder
        self.light = light

    def next_frame_ns(self) -> int:
        return self.clapperboard.next_frame_ns()

    def audio(self) -> list[AudioChunk]:
        """The microphone chunks captured since the last call, timestamped."""
        return self.mic.chunks()

    def flash_and_beep(self) -> None:
        self.clapperboard.flash_and_beep()

    @property
    def overruns(self) -> int:
        """Microphone overruns so far (periods of audio lost)."""
        return self.mic.overruns

    def close(self) -> None:
        self.camera.close()
        self.mic.close()
        self.clapperboard.close()
        if self.light is not None:
            self.light.close()


class World(Protocol):
    """Every device of a booth, as the booth's settings describe them.

    checks: what `booth doctor` can check here.
    light_settings: the `[light]` settings the world's ring light runs with.
    pins: gpiozero's pin factory for the light, the buttons and the occupied light (None:
    gpiozero's own default, the real pins of a Pi).
    """

    checks: WorldChecks

    @property
    def light_settings(self) -> LightSettings: ...

    @property
    def pins(self) -> Factory | None: ...

    def camera(self) -> Camera:
        """The kiosk's camera as `[recording]` describes it, not started yet."""
        ...

    def microphone(self) -> Microphone:
        """The kiosk's microphone, opened."""
        ...

    def speaker(self) -> Speaker:
        """The kiosk's speaker; one that does not open says why in `fault`."""
        ...

    def ring_light(self) -> Light:
        """The ring light on its driver and pins (off)."""
        ...

    def display(self) -> pygame.Surface:
        """The screen the kiosk draws on, opened as `[display]` says (raises `DisplayError`
        saying what to do)."""
        ...

    def opened_camera(self) -> AbstractContextManager[Camera]:
        """The camera started, with the ring light at `[devices] light_level`, released
        afterwards (`booth camera snapshot`, `booth doctor`)."""
        ...

    def live_mic(self) -> LiveMic:
        """The microphone read as it happens (`booth mic test`, `booth doctor`)."""
        ...

    def record_rig(self) -> Rig:
        """The devices of the acceptance recording, opened."""
        ...

    def exposure_meter(self, light: Light) -> AbstractContextManager[Any]:
        """For `booth light calibrate`: a function giving the camera's next frame's metadata
        (picamera2's keys) while `light` lights the face; the camera released afterwards."""
        ...

    def close(self) -> None:
        """Release what the world itself holds (the simulator's virtual sound cards)."""
        ...
