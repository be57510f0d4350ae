"""The simulated world on one virtual clock: the booth scene, the candidate's voice, the clap.

A simulated booth (booth.sim.booth) moves it one camera frame at a time:

    world = SimWorld(1280, 720, 30, WorldSetup(seed=1, mic_dir=run_dir / "mic"))
    install_alsa_config(run_dir, world.mic.asoundrc)   # before the microphone is opened
    mic = AlsaMicrophone(world.mic_device, period_frames=world.period_frames, stamps=world.mic)
    reader = MicReader(mic, on_chunk=...).start()    # the same reader thread as on a Pi
    camera = SimCamera(world.width, world.height, world.fps, world.scene, ring_light)
    while running:
        t = world.tick()                 # the next frame's time; the audio that reached the
        ...                              # microphone by then is in its FIFO

`clap()` flashes the scene white for exactly one frame and starts a click in the audio at the
same virtual instant, so an MP4 of a take shows the audio/video offset end to end.

Real-world clocks (the `[simulation]` settings, `Simulation`): the microphone's sample clock
error, its latency and the jitter of its reports (booth.sim.virtual_mic), the jitter of frame
timestamps (booth.sim.camera), and frames the camera drops (here: `tick` skips a frame time).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from booth.config.settings import Settings, Simulation
from booth.devices.mic_reader import MicReader
from booth.sim.scene import Scene
from booth.sim.virtual_mic import PCM_NAME, MicFlaws, MicStream, VirtualMic
from booth.sim.voice import Voice

NS = 1_000_000_000
SOUND_WAIT_S = 10.0
"""How long a step waits for the reader thread to hand on a frame's sound (it takes
microseconds; a reader that needs longer is stuck, and the run says so)."""


class SimulationStuck(RuntimeError):
    """The simulated booth's reader thread stopped handing on sound."""


def await_sound(world: SimWorld, reader: MicReader) -> None:
    """Return once `reader` has handed on every period the world's microphone has produced;
    `SimulationStuck` when it does not within `SOUND_WAIT_S`."""
    mic = world.mic
    if mic is not None and not reader.wait_for(mic.periods_written, SOUND_WAIT_S):
        raise SimulationStuck(
            f"the microphone reader handed on {reader.chunks} of {mic.periods_written} "
            f"periods ({reader.fault or 'no fault reported'})"
        )


@dataclass(frozen=True)
class WorldSetup:
    """How a simulated world is set up, beyond the camera's size and frame rate.

    seed: makes head sway, voice and noise deterministic.
    start_ns: virtual time of frame 0 and audio sample 0.
    ambient_lux: the room's light on the face and backdrop.
    mic_dir: where the virtual microphone's FIFO and ALSA config go (None: no microphone).
    rate, period_frames: the microphone's sample rate and ALSA period (None: one frame's).
    real: the devices' imperfections (`[simulation]`; default: none).
    """

    seed: int = 0
    start_ns: int = 0
    ambient_lux: float = 150.0
    mic_dir: Path | str | None = None
    rate: int = 48_000
    period_frames: int | None = None
    real: Simulation = field(default_factory=Simulation)


SILENT_ROOM = WorldSetup()
"""A world with no microphone, seed 0, from virtual time 0, its devices perfect."""


class SimWorld:
    """Scene, voice, virtual microphone and clock of one simulated booth.

    width, height, fps: the camera's recording size and frame rate; setup: the rest
    (`WorldSetup`).
    """

    def __init__(
        self, width: int, height: int, fps: float, setup: WorldSetup = SILENT_ROOM
    ) -> None:
        seed, start_ns, rate, mic_dir = setup.seed, setup.start_ns, setup.rate, setup.mic_dir
        self.real = setup.real
        self.width, self.height, self.fps = width, height, float(fps)
        self.start_ns = start_ns
        self.scene = Scene(ambient_lux=setup.ambient_lux, seed=seed)
        self.voice = Voice(rate=rate, seed=seed)
        self.rate = rate
        self.period_frames = setup.period_frames or round(rate / self.fps)
        self.frame_index = -1
        self.now_ns = start_ns
        self.dropped_frames = 0
        self._clap_frames: set[int] = set()  # a clap's frame is never the one dropped
        self._drops = random.Random(seed * 15485863 + 5)
        self.mic: VirtualMic | None = None
        if mic_dir is not None:
            flaws = MicFlaws(
                clock_ppm=self.real.mic_clock_ppm,
                latency_ns=round(self.real.mic_latency_ms * 1e6),
                jitter_ns=self.real.mic_jitter_ms * 1e6,
                seed=seed,
            )
            stream = MicStream(rate, 1, self.period_frames)
            self.mic = VirtualMic(mic_dir, self.voice, stream, start_ns, flaws)

    @classmethod
    def for_settings(cls, settings: Settings, mic_dir: Path, seed: int = 1) -> SimWorld:
        """The world of a simulated booth as its settings describe it: the camera's size and
        frame rate, the microphone's rate, and the `[simulation]` imperfections."""
        rec = settings.recording
        setup = WorldSetup(seed, mic_dir=mic_dir, rate=rec.audio_rate, real=settings.simulation)
        return cls(rec.width, rec.height, rec.fps, setup)

    @property
    def frame_jitter_ns(self) -> float:
        """For the simulated camera: the jitter of its frames' SensorTimestamps."""
        return self.real.frame_jitter_ms * 1e6

    @property
    def mic_device(self) -> str:
        """The ALSA PCM name the Microphone opens."""
        return PCM_NAME

    @property
    def frame_period_ns(self) -> float:
        return NS / self.fps

    def frame_time(self, index: int) -> int:
        """Virtual time of frame `index` (frame 0 at start_ns), in ns."""
        return self.start_ns + round(index * NS / self.fps)

    def tick(self) -> int:
        """Move to the next frame the camera delivers (skipping one it drops); make the audio
        that reached the microphone by then available; return the frame's time."""
        self.frame_index += 1
        per_frame = self.real.dropped_frames_per_minute / (60.0 * self.fps)
        dropped = per_frame > 0 and self._drops.random() < per_frame
        if dropped and self.frame_index > 0 and self.frame_index not in self._clap_frames:
            self.frame_index += 1
            self.dropped_frames += 1
        self.advance_to(self.frame_time(self.frame_index))
        return self.now_ns

    def advance_to(self, now_ns: int) -> None:
        """Set the clock to `now_ns` and produce the microphone's audio up to it."""
        self.now_ns = now_ns
        if self.mic is not None:
            self.mic.produce_until(now_ns)

    def clap(self, at_ns: int | None = None) -> int:
        """Flash white for exactly one frame and click, both at the first frame time at or after
        `at_ns` (default: the next frame). Returns that instant, in ns."""
        index = self.frame_index + 1
        if at_ns is not None:
            index = max(index, math.floor((at_ns - self.start_ns) * self.fps / NS) - 1)
            while self.frame_time(index) < at_ns:
                index += 1
        t = self.frame_time(index)
        self._clap_frames.add(index)
        # The flash lasts one frame period, so exactly one frame time falls inside it.
        self.scene.flash(t, round(self.frame_period_ns))
        if self.mic is not None:
            self.mic.click_at(t)
        return t

    def close(self) -> None:
        if self.mic is not None:
            self.mic.close()
