"""The simulator's devices for the staff commands: `booth doctor`, `booth mic test`,
`booth camera snapshot` and `booth doctor --record` on a booth whose `[devices] backend` is
"sim" (the counterpart of booth.doctor.hardware.pi_hardware).

Everything real except the hardware: the microphone is read through ALSA (the simulator's
`file` PCM) on the same reader thread as on a Pi, frames go through the software H.264 writer,
the light and buttons are gpiozero's mock pins, and a flash-and-beep is the simulator's clap:
one white frame and a click at the same instant of virtual time.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from booth.config.settings import Settings
from booth.devices.light import RingLight
from booth.devices.mic_reader import MicReader, drain
from booth.devices.microphone import AlsaMicrophone
from booth.devices.ports.microphone import AudioChunk
from booth.doctor.hardware import Hardware
from booth.doctor.live_mic import LiveMic
from booth.sim.booth import await_sound
from booth.sim.camera import SimCamera
from booth.sim.pins import sim_pin_factory
from booth.sim.scenarios import RING_LUX_AT_FULL
from booth.sim.world import SimWorld


class SimMicrophone:
    """The virtual microphone of a `SimWorld`, opened and read on its own `MicReader` thread
    into a queue, as the kiosk reads a real one."""

    def __init__(self, world: SimWorld, rate: int) -> None:
        assert world.mic is not None
        self.world = world
        world.install_alsa_config()
        self.mic = AlsaMicrophone(
            world.mic_device, rate=rate, period_frames=world.period_frames, stamps=world.mic
        )
        self._chunks: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()
        self.reader = MicReader(self.mic, self._chunks.put).start()

    def delivered(self) -> list[AudioChunk]:
        """The chunks of every period the world has produced so far."""
        await_sound(self.world, self.reader)
        return drain(self._chunks)

    @property
    def overruns(self) -> int:
        virtual = self.world.mic.overruns if self.world.mic is not None else 0
        return self.mic.overruns + virtual

    def close(self) -> None:
        """Stop the reader, wake its last read by closing the world, close the PCM."""
        self.reader.request_stop()
        self.world.close()
        self.reader.close()


class SimLiveMic(LiveMic):
    """The simulated candidate's voice through the virtual microphone, its virtual clock
    following the wall clock here, so the meter moves at the speed of speech."""

    def __init__(self, settings: Settings, seed: int = 1) -> None:
        rec = settings.recording
        self.rate = rec.audio_rate
        self._dir = Path(tempfile.mkdtemp(prefix="booth-mic-"))
        world = SimWorld(
            rec.width, rec.height, rec.fps, seed=seed, mic_dir=self._dir, rate=rec.audio_rate
        )
        self._mic = SimMicrophone(world, rec.audio_rate)
        self.device = self._mic.mic.device
        self._start = time.monotonic_ns()

    def chunks(self) -> list[AudioChunk]:
        world = self._mic.world
        now = time.monotonic_ns() - self._start
        step = world.period_frames * 1_000_000_000 // self.rate
        out: list[AudioChunk] = []
        # A period at a time, reading as it goes: the FIFO holds only a few seconds.
        while world.now_ns < now:
            world.advance_to(min(now, world.now_ns + step))
            out.extend(self._mic.delivered())
        return out

    def close(self) -> None:
        self._mic.close()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def opened_sim_camera(settings: Settings) -> Iterator[SimCamera]:
    """The simulated camera filming the simulated booth, lit by the ring light at
    `[devices] light_level`, started, and released afterwards."""
    rec, dev = settings.recording, settings.devices
    world = SimWorld(rec.width, rec.height, rec.fps, seed=1)
    world.scene.ring_lux_at_full = RING_LUX_AT_FULL
    light = RingLight(dev.light_pin, dev.light_frequency_hz, pin_factory=sim_pin_factory())
    light.set(dev.light_level)
    camera = SimCamera.for_recording(rec, world.scene, light, light_settings=settings.light)
    camera.start()
    try:
        yield camera
    finally:
        camera.stop()
        light.close()


class SimRig:
    """A simulated booth for `record_acceptance` (booth.doctor.record's `Rig`), built from the
    booth settings (`[simulation]` included: a drifting microphone shows in the report).

    work_dir: where the virtual microphone's FIFO and ALSA configuration go.
    """

    encoder = "software (libx264 through PyAV)"

    def __init__(self, settings: Settings, work_dir: Path, seed: int = 1) -> None:
        rec = settings.recording
        self.world = SimWorld.for_settings(settings, work_dir / "mic", seed)
        self._mic = SimMicrophone(self.world, rec.audio_rate)
        self.mic_device = self._mic.mic.device
        self.light = RingLight(
            settings.devices.light_pin,
            settings.devices.light_frequency_hz,
            pin_factory=sim_pin_factory(),
        )
        self.light.set(settings.devices.light_level)
        self.camera = SimCamera.for_recording(
            rec,
            self.world.scene,
            self.light,
            frame_jitter_ns=self.world.frame_jitter_ns,
            light_settings=settings.light,
        )
        self.camera.start()

    def next_frame_ns(self) -> int:
        return self.world.tick()

    def audio(self) -> list[AudioChunk]:
        return self._mic.delivered()

    def flash_and_beep(self) -> None:
        self.world.clap()

    @property
    def overruns(self) -> int:
        return self._mic.overruns

    def close(self) -> None:
        self.camera.stop()
        self._mic.close()
        self.light.close()


def sim_hardware(settings: Settings) -> Hardware:
    """The simulator's devices behind the staff commands' seam."""
    return Hardware(
        simulated=True,
        open_camera=lambda: opened_sim_camera(settings),
        open_mic=lambda: SimLiveMic(settings),
        pins=sim_pin_factory(),
        record_rig=lambda work_dir: SimRig(settings, work_dir),
    )
