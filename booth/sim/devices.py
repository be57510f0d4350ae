"""The simulated world (`[devices] backend = "sim"`): a booth's devices on a computer without
one, shipped beside the Pi's as gpiozero ships `MockFactory` beside its real pin factories
(see booth.devices.world).

Everything real except the hardware. The camera is booth.sim.camera filming the simulated room
(booth.sim.world: the candidate, the backdrop, the room's light and the ring light), its takes
written by the Pi's own take writer through a software H.264 encoder. The microphone is an ALSA
`file` PCM that the room's voice feeds, read through pyalsaaudio on the same reader thread as
on a Pi; the speaker is another `file` PCM (paced like a sound card in real time), both in one
ALSA configuration (booth.sim.alsa_config). The ring light, the buttons and the occupied light
are gpiozero's devices on its mock pins (booth.sim.pins), the light always on gpiozero's PWM
(there is no kernel PWM to drive) and as bright as the ring of `RING_LUX_AT_FULL`. A
flash-and-beep is the room's clap: one white frame and a click at the same instant of virtual
time. The room's clock is virtual: the simulated booth moves it a frame at a time
(booth.sim.booth), the acceptance recording a frame per clapperboard tick, and `booth mic test`
with the wall clock, so the meter moves at the speed of speech.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pygame
from gpiozero.pins.mock import MockFactory

from booth.config.settings import LightSettings, Settings
from booth.devices.display import open_display
from booth.devices.face_exposure import camera_aim
from booth.devices.light import RingLight, open_ring_light
from booth.devices.live_mic import LiveMic
from booth.devices.mic_reader import MicReader
from booth.devices.microphone import AlsaMicrophone
from booth.devices.ports.light import Light
from booth.devices.speaker import ReopeningSpeaker, Speaker
from booth.devices.world import Rig, WorldChecks
from booth.sim.alsa_config import install_alsa_config
from booth.sim.calibration import exposure_meter
from booth.sim.camera import SimCamera
from booth.sim.pins import sim_pin_factory
from booth.sim.room import Room
from booth.sim.scenarios import RING_LUX_AT_FULL
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.world import NS, SILENT_ROOM, SimWorld, WorldSetup, await_sound

CALIBRATION_SIZE = (320, 240)
"""Frame size for calibrating in simulation: the metadata does not depend on it."""
ENCODER = "software (libx264 through PyAV)"


def lit_room(width: int, height: int, fps: float, setup: WorldSetup = SILENT_ROOM) -> SimWorld:
    """A simulated room whose ring light is the simulated booth's (`RING_LUX_AT_FULL`), so a
    light curve measured in one fits the others."""
    room = SimWorld(width, height, fps, setup)
    room.scene.ring_lux_at_full = RING_LUX_AT_FULL
    return room


class RoomFeed:
    """The simulated room behind the virtual microphone (a `booth.devices.live_mic.Feed`).

    wall_clock: the room's clock follows this process's monotonic clock from now (`booth mic
    test`); otherwise whoever ticks the room moves it (the acceptance recording).
    """

    def __init__(self, room: SimWorld, wall_clock: bool) -> None:
        self.room = room
        self._start_ns = time.monotonic_ns() if wall_clock else None

    @property
    def overruns(self) -> int:
        return self.room.mic.overruns if self.room.mic is not None else 0

    def catch_up(self, reader: MicReader) -> None:
        room = self.room
        if self._start_ns is not None:
            now = room.start_ns + time.monotonic_ns() - self._start_ns
            step = room.period_frames * NS // room.rate
            # A period at a time, each handed on before the next: the FIFO holds a few seconds.
            while room.now_ns < now:
                room.advance_to(min(now, room.now_ns + step))
                await_sound(room, reader)
        await_sound(room, reader)

    def close(self) -> None:
        self.room.close()


class RoomClap:
    """The simulated booth's clapperboard: each frame one frame period of virtual time on, and a
    clap is a white frame and a click at the same instant."""

    def __init__(self, room: SimWorld) -> None:
        self.room = room

    def next_frame_ns(self) -> int:
        return self.room.tick()

    def flash_and_beep(self) -> None:
        self.room.clap()

    def close(self) -> None:
        """The room closes with the microphone it feeds."""


class SimulatedWorld:
    """The devices of a simulated booth, as the booth's settings describe them (the camera's
    size and frame rate, the microphone's rate, the pins, and the `[simulation]`
    imperfections).

    work_dir: where the virtual microphone's FIFO, the virtual speaker's capture and their ALSA
    configuration go (None: a temporary directory, removed by `close`).
    seed: makes the candidate's sway and voice reproducible. realtime: the speaker plays at the
    pace of a sound card and the camera paces itself (a window, `booth demo`); False for a
    headless run in virtual time. clock_ns: that virtual time (the kiosk's clock); with it the
    speaker plays on it and the microphone hears the speaker through the room (booth.sim.room).
    """

    checks = WorldChecks(screen=False, speaker=False, pins_shared=False, not_checked="simulated")

    def __init__(
        self,
        settings: Settings,
        work_dir: Path | None = None,
        *,
        seed: int = 1,
        realtime: bool = False,
        clock_ns: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self._clock_ns = None if realtime else clock_ns
        self.seed = seed
        self.realtime = realtime
        self._work_dir = work_dir
        self._own_dir = work_dir is None
        self._room: SimWorld | None = None
        self._card: VirtualSpeaker | None = None
        self._lit_by: Light | None = None

    @property
    def light_settings(self) -> LightSettings:
        # No kernel PWM here: the simulated light is always gpiozero's, on mock pins.
        return dataclasses.replace(self.settings.light, driver="gpiozero")

    @property
    def pins(self) -> MockFactory:
        return sim_pin_factory()

    @property
    def work_dir(self) -> Path:
        if self._work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="booth-sim-"))
        return self._work_dir

    @property
    def room(self) -> SimWorld:
        """The simulated room the camera films and the microphone hears, on its virtual clock.
        Made on first use, with both virtual sound cards in ALSA's configuration."""
        if self._room is None:
            rec = self.settings.recording
            room = lit_room(
                rec.width,
                rec.height,
                rec.fps,
                WorldSetup(
                    seed=self.seed,
                    mic_dir=self.work_dir / "mic",
                    rate=rec.audio_rate,
                    real=self.settings.simulation,
                ),
            )
            assert room.mic is not None
            card = VirtualSpeaker(
                self.work_dir / "speaker", paced=self.realtime, clock_ns=self._clock_ns
            )
            install_alsa_config(self.work_dir, room.mic.asoundrc, card.asoundrc)
            if self._clock_ns is not None:
                # In virtual time the microphone hears the speaker through the booth's air.
                room.mic.sounds.append(Room(card.sound_at).heard)
            self._room, self._card = room, card
        return self._room

    @property
    def virtual_speaker(self) -> VirtualSpeaker:
        """The simulator's side of the speaker: what it played (`captured()`)."""
        _ = self.room
        assert self._card is not None
        return self._card

    def ring_light(self) -> RingLight:
        """The ring light on mock pins; the room is lit by the one opened last."""
        dev = self.settings.devices
        light = open_ring_light(
            self.light_settings, dev.light_pin, dev.light_frequency_hz, self.pins
        )
        self._lit_by = light
        return light

    def camera(self) -> SimCamera:
        room = self.room
        return SimCamera.for_recording(
            self.settings.recording,
            room.scene,
            self._lit_by or self.ring_light(),
            realtime=self.realtime,
            frame_jitter_ns=room.frame_jitter_ns,
            light_settings=self.light_settings,
        )

    def microphone(self) -> AlsaMicrophone:
        room = self.room
        return AlsaMicrophone(
            room.mic_device,
            rate=self.settings.recording.audio_rate,
            period_frames=room.period_frames,
            stamps=room.mic,
        )

    def speaker(self) -> ReopeningSpeaker:
        card = self.virtual_speaker

        def open_card(device: str) -> Speaker:
            speaker = Speaker(device, open_pcm=card.open_pcm)
            speaker.latency_s = card.latency_s(speaker.buffer_frames)
            return speaker

        return ReopeningSpeaker(lambda: (card.device, None), open_card)

    def display(self) -> pygame.Surface:
        """A window on this computer's desktop, of the booth's `[display] size`."""
        return open_display(self.settings.display.size, fullscreen=False, title="booth demo")

    @contextmanager
    def opened_camera(self) -> Iterator[SimCamera]:
        light = self.ring_light()
        light.set(self.settings.devices.light_level)
        camera = self.camera()
        camera.start()
        try:
            yield camera
        finally:
            camera.stop()
            light.close()

    def live_mic(self) -> LiveMic:
        """The simulated candidate's voice through the virtual microphone, the room's clock
        following the wall clock, so the meter moves at the speed of speech."""
        return LiveMic(self.microphone(), feed=RoomFeed(self.room, wall_clock=True))

    def record_rig(self) -> Rig:
        """The simulated booth, `[simulation]` included (a drifting microphone shows in the
        acceptance report)."""
        mic = LiveMic(self.microphone(), feed=RoomFeed(self.room, wall_clock=False))
        light = self.ring_light()
        light.set(self.settings.devices.light_level)
        camera = self.camera()
        camera.start()
        return Rig(camera, mic, RoomClap(self.room), ENCODER, light)

    @contextmanager
    def exposure_meter(self, light: Light) -> Iterator[Callable[[], Mapping[str, Any]]]:
        """A small camera in a room of its own (the curve fits every simulated booth)."""
        rec = self.settings.recording
        room = lit_room(*CALIBRATION_SIZE, rec.fps)
        with exposure_meter(
            room.scene,
            light,
            rec.fps,
            rec.flicker_period_us or None,
            CALIBRATION_SIZE,
            camera_aim(self.light_settings),
        ) as next_metadata:
            yield next_metadata

    def close(self) -> None:
        """Close the virtual sound cards; a temporary work directory goes too."""
        if self._card is not None:
            self._card.close()
        if self._room is not None:
            self._room.close()
        if self._own_dir and self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
