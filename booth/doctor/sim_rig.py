"""The acceptance recording's devices in simulation: the simulated world, camera and microphone.

Everything real except the hardware: the microphone is read through ALSA (the simulator's
`file` PCM), frames go through the software H.264 writer, and a flash-and-beep is the
simulator's clap: one white frame and a click at the same instant of virtual time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from booth.config.settings import Settings
from booth.devices.camera import SimCamera
from booth.devices.gpio import sim_pin_factory
from booth.devices.light import RingLight
from booth.devices.microphone import AudioChunk, Microphone
from booth.media.takefiles import TakeFiles
from booth.media.video import VideoWriter
from booth.sim.world import SimWorld


class SimRig:
    """A simulated booth for `record_acceptance`, built from the booth settings.

    settings: recording size, frame rate, bit rate, audio rate and ring light level.
    work_dir: where the virtual microphone's FIFO and ALSA configuration go.
    """

    encoder = "software (libx264 through PyAV)"

    def __init__(self, settings: Settings, work_dir: Path, seed: int = 1) -> None:
        rec = settings.recording
        self.bitrate_bps = rec.bitrate_bps
        self.world = SimWorld(
            rec.width, rec.height, rec.fps, seed=seed, mic_dir=work_dir / "mic", rate=rec.audio_rate
        )
        self.world.install_alsa_config()
        self.mic = Microphone(
            self.world.mic_device, rate=rec.audio_rate, period_frames=self.world.period_frames
        )
        self.mic_device = self.mic.device
        self.light = RingLight(
            settings.devices.light_pin,
            settings.devices.light_frequency_hz,
            pin_factory=sim_pin_factory(),
        )
        self.light.set(settings.devices.light_level)
        self.camera = SimCamera.for_recording(rec, self.world.scene, self.light)
        self.camera.start()

    def take_writer(self, files: TakeFiles) -> VideoWriter:
        width, height = self.camera.size
        # Virtual time waits for the encoder, so no frame is dropped for want of CPU.
        return VideoWriter(files, width, height, self.camera.fps, self.bitrate_bps, realtime=False)

    def next_frame_ns(self) -> int:
        return self.world.tick()

    def audio(self) -> Iterator[AudioChunk]:
        return self.world.read_mic(self.mic)

    def flash_and_beep(self) -> None:
        self.world.clap()

    @property
    def overruns(self) -> int:
        virtual = self.world.mic.overruns if self.world.mic is not None else 0
        return self.mic.overruns + virtual

    def close(self) -> None:
        self.camera.stop()
        self.mic.close()
        self.light.close()
        self.world.close()
