"""`booth doctor --record`: the acceptance recording of a newly built booth.

For `RECORD_SECONDS` the booth records a take exactly as it records a candidate (camera encoder,
microphone, the crash-safe take files, the muxer), while every `CLAP_EVERY_S` the screen flashes
white and the speaker beeps at the same moment: a clapperboard. The MP4 then shows what a
recruiter will get: the audio/video offset and its drift, the real frame rate and any dropped
frames. The devices come from the world's `Rig` (booth.devices.world): the Pi's camera, screen
and speaker on a booth, the simulated booth elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from booth.devices.world import Rig
from booth.media.analyze import SyncReport, analyze_take
from booth.media.audio import AudioWriter
from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles

RECORD_SECONDS = 10.0
CLAP_EVERY_S = 2.0
FIRST_CLAP_S = 1.0
"""The first clap comes after a second, when the camera's exposure and the mic have settled."""
SETTLE_S = 1.0
"""Camera frames before recording starts, in seconds: libcamera's AE settles in 15-20 frames."""
MP4_NAME = "doctor-record.mp4"


@dataclass(frozen=True)
class Targets:
    """What a healthy booth achieves (issue 3): offsets in ms, frame rate error as a fraction."""

    max_offset_ms: float = 20.0
    max_drift_ms: float = 5.0
    max_dropped_frames: int = 0
    max_fps_error: float = 0.01
    max_overruns: int = 0


@dataclass(frozen=True)
class Acceptance:
    """The outcome of an acceptance recording: the MP4, what it measures, what recorded it."""

    mp4: Path
    sync: SyncReport
    claps_made: int
    fps_nominal: float
    size: tuple[int, int]
    seconds: float
    camera: str
    encoder: str
    mic_device: str
    overruns: int
    video_errors: list[str] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)

    @property
    def problems(self) -> list[str]:
        """Every target missed, in words staff can act on; empty when all are met."""
        t, sync = self.targets, self.sync
        found = len(sync.claps)
        problems = list(self.video_errors)
        if found < self.claps_made:
            problems.append(
                f"only {found} of {self.claps_made} flash+beep claps found in the MP4 "
                f"({sync.flashes} flashes, {sync.clicks} beeps): sit where a candidate sits, "
                "facing the camera, with the speaker volume up and the room quiet"
            )
        if sync.offset_ms is not None and max(map(abs, sync.offsets_ms)) > t.max_offset_ms:
            worst = max(sync.offsets_ms, key=abs)
            problems.append(
                f"audio/video offset {worst:+.1f} ms is over ±{t.max_offset_ms:g} ms "
                "(positive: the sound is late). When it is about the same at every clap it is "
                f"the microphone's own latency: add {sync.offset_ms:+.0f} to [devices] "
                "mic_latency_ms in booth.toml and record again"
            )
        if sync.drift_ms is not None and abs(sync.drift_ms) > t.max_drift_ms:
            problems.append(
                f"audio drifts {sync.drift_ms:+.1f} ms against the picture (target "
                f"±{t.max_drift_ms:g} ms): the microphone's clock and the camera's disagree"
            )
        if sync.dropped_frames > t.max_dropped_frames:
            problems.append(
                f"{sync.dropped_frames} frames dropped: the encoder or the SD card is too slow"
            )
        if abs(sync.fps_measured / self.fps_nominal - 1) > t.max_fps_error:
            problems.append(
                f"the camera delivers {sync.fps_measured:.2f} fps, not {self.fps_nominal:g}"
            )
        if self.overruns > t.max_overruns:
            problems.append(f"{self.overruns} microphone overruns: audio was lost")
        return problems

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        sync = self.sync
        return {
            "passed": self.passed,
            "problems": self.problems,
            "mp4": str(self.mp4),
            "seconds": self.seconds,
            "size": list(self.size),
            "offset_ms": _round(sync.offset_ms),
            "offsets_ms": [round(o, 3) for o in sync.offsets_ms],
            "drift_ms": _round(sync.drift_ms),
            "fps_nominal": self.fps_nominal,
            "fps_measured": round(sync.fps_measured, 3),
            "dropped_frames": sync.dropped_frames,
            "frames": sync.frames,
            "duration_s": sync.duration_s,
            "claps_made": self.claps_made,
            "claps_found": len(sync.claps),
            "flashes": sync.flashes,
            "clicks": sync.clicks,
            "camera": self.camera,
            "encoder": self.encoder,
            "encoder_mark": sync.encoder,
            "mic_device": self.mic_device,
            "overruns": self.overruns,
            "targets": asdict(self.targets),
        }


def clap_frames(seconds: float, fps: float) -> list[int]:
    """Frame indices at which to flash and beep: from `FIRST_CLAP_S`, every `CLAP_EVERY_S`,
    none in the last half second (the muxer may end the take a frame early)."""
    frames = round(seconds * fps)
    last = seconds - 0.5
    count = max(0, math.floor((last - FIRST_CLAP_S) / CLAP_EVERY_S) + 1)
    return [round((FIRST_CLAP_S + k * CLAP_EVERY_S) * fps) for k in range(count)][:frames]


def record_acceptance(
    rig: Rig,
    out_dir: Path,
    seconds: float = RECORD_SECONDS,
    sample_rate: int = 48_000,
    targets: Targets | None = None,
) -> Acceptance:
    """Record `seconds` with claps through `rig`, mux `out_dir/doctor-record.mp4`, measure it.

    The take's working files go to `out_dir/.take-doctor-1/` and are removed once muxed.
    """
    camera = rig.camera
    width, height = camera.size
    fps = camera.fps
    out_dir.mkdir(parents=True, exist_ok=True)
    files = TakeFiles(out_dir / ".take-doctor-1")
    if files.path.exists():
        _remove_take_files(files)
    files.create(
        question_id="doctor",
        take=1,
        width=width,
        height=height,
        fps=fps,
        sample_rate=sample_rate,
        channels=1,
    )
    claps = set(clap_frames(seconds, fps))
    # As in the kiosk, the camera runs before a take starts: auto-exposure settles first.
    for _ in range(round(SETTLE_S * fps)):
        camera.capture(rig.next_frame_ns())
        for _chunk in rig.audio():
            pass
    video = camera.take_writer(files)
    audio = AudioWriter(files, sample_rate, 1)
    try:
        camera.start_encoder(video)  # closes `video` itself when it cannot start
    except BaseException:
        audio.close()
        raise
    try:
        for index in range(round(seconds * fps)):
            if index in claps:
                rig.flash_and_beep()
            camera.capture(rig.next_frame_ns())
            for chunk in rig.audio():
                audio.write(chunk.samples, chunk.timestamp_ns)
    finally:
        camera.stop_encoder()
        stats = video.close()
        audio.close()
    mp4 = mux_take(files, out_dir / MP4_NAME).path
    _remove_take_files(files)
    errors = [f"the recording stopped early: {stats.error}"] if stats.error else []
    return Acceptance(
        mp4=mp4,
        sync=analyze_take(mp4),
        claps_made=len(claps),
        fps_nominal=fps,
        size=(width, height),
        seconds=seconds,
        camera=camera.model,
        encoder=rig.encoder,
        mic_device=rig.mic_device,
        overruns=rig.overruns,
        video_errors=errors,
        targets=targets or Targets(),
    )


def _remove_take_files(files: TakeFiles) -> None:
    for path in files.path.iterdir():
        path.unlink()
    files.path.rmdir()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
