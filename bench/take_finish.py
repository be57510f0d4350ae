"""Time from stop to a ready MP4 for a 180 s 1080p take, as a ratio to ffmpeg on the same files.

Inputs, made once: a take directory as the booth leaves it at stop (booth.media.takefiles):
`video.h264` (raw H.264 from the booth's own software writer: one second of the simulated
camera at 1920x1080 and the configured 8 Mb/s, repeated to 180 s; each second starts with an
IDR frame, so the stream is valid), `video.pts` (30 fps), `audio.pcm` (180 s of the simulated
voice, ten seconds repeated, 48 kHz mono S16) and `audio.ts` (one line per 1600-sample chunk).

- booth: `booth.media.mux.mux_take`, everything the kiosk does between stop and "ready": H.264
  copied with each frame's pts from video.pts, audio aligned and encoded to AAC 64 kb/s, MP4
  with faststart written to a temporary name, fsync'ed, renamed, directory fsync'ed, SHA-256.
- baseline: the ffmpeg command line, started as a process, on the same files: `ffmpeg -f h264
  -framerate 30 -i video.h264 -f s16le -ar 48000 -ac 1 -i audio.pcm -c:v copy -c:a aac -b:a 64k
  -movflags +faststart out.mp4`. MP4 cannot carry PCM by stream copy, so the baseline must
  encode AAC as well; it does no alignment, no fsync and no hash.

Each is run `RUNS` times, alternating, after one untimed run of each to warm the page cache.
The machine is shared and noisy, so the figure is the ratio of the fastest runs (what each
costs when it has the CPU); the ratio of medians is reported too. Target (issue 3): <= 1.2.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles
from booth.sim.camera import SimCamera, SoftwareRecording
from booth.sim.voice import Voice
from booth.sim.world import SimWorld, WorldSetup

SECONDS = 180
WIDTH, HEIGHT, FPS = 1920, 1080, 30
BITRATE_BPS = 8_000_000
RATE = 48_000
CHUNK = 1600
RUNS = 5
TARGET_RATIO = 1.2
NS = 1_000_000_000


def make_take(directory: Path) -> TakeFiles:
    """The files of a stopped 180 s 1080p take (see the module docstring)."""
    files = TakeFiles(directory / ".take-q1-1").create(
        question_id="q1", take=1, width=WIDTH, height=HEIGHT, fps=FPS, sample_rate=RATE, channels=1
    )
    one_second = TakeFiles(directory / ".take-one-second").create(fps=FPS)
    world = SimWorld(WIDTH, HEIGHT, FPS, WorldSetup(seed=4))
    camera = SimCamera(WIDTH, HEIGHT, FPS, world.scene)
    camera.start()
    for _ in range(FPS):  # auto-exposure settles
        camera.capture(world.tick())
    writer = SoftwareRecording.for_files(
        one_second, WIDTH, HEIGHT, FPS, BITRATE_BPS, realtime=False
    )
    for _ in range(FPS):
        writer.write(camera.capture(world.tick()).image, world.now_ns)
    writer.close()
    second = one_second.video.read_bytes()
    with open(files.video, "wb") as video:
        for _ in range(SECONDS):
            video.write(second)
    frames = SECONDS * FPS
    files.pts.write_text("".join(f"{NS + i * NS // FPS}\n" for i in range(frames)))

    total = SECONDS * RATE
    ten_seconds = Voice(rate=RATE, seed=4).samples(0, 10 * RATE)
    voice = np.tile(np.rint(ten_seconds * 32767).astype("<i2"), SECONDS // 10)
    files.audio.write_bytes(voice.tobytes())
    marks = (f"{k} {NS + k * NS // RATE}\n" for k in range(0, total, CHUNK))
    files.audio_ts.write_text("".join(marks))
    return files


def ffmpeg_command(files: TakeFiles, out: Path) -> list[str]:
    return [
        "ffmpeg", "-y", "-hide_banner", "-loglevel", "error",
        "-f", "h264", "-framerate", str(FPS), "-i", str(files.video),
        "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", str(files.audio),
        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "64k",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-take-finish-") as tmp:
        root = Path(tmp)
        files = make_take(root)
        video_mb = files.video.stat().st_size / 1e6
        ours_out, theirs_out = root / "booth.mp4", root / "ffmpeg.mp4"
        command = ffmpeg_command(files, theirs_out)
        ours, theirs = [], []
        for run_index in range(RUNS + 1):
            started = time.perf_counter()
            result = mux_take(files, ours_out)
            elapsed_ours = time.perf_counter() - started
            started = time.perf_counter()
            subprocess.run(command, check=True)
            elapsed_theirs = time.perf_counter() - started
            if run_index:  # the first run of each only warms the page cache
                ours.append(elapsed_ours)
                theirs.append(elapsed_theirs)
        ffmpeg_mb = theirs_out.stat().st_size / 1e6
        shutil.rmtree(files.path)

    booth_s, ffmpeg_s = min(ours), min(theirs)
    ratio = booth_s / ffmpeg_s
    median_ratio = statistics.median(ours) / statistics.median(theirs)
    ok = ratio <= TARGET_RATIO
    take = f"{SECONDS} s {WIDTH}x{HEIGHT}, {video_mb:.0f} MB of H.264"
    return {
        "table": [
            ["figure", "measured", "target", "ok"],
            ["take", take, "", ""],
            ["booth mux_take (fastest)", f"{booth_s:.2f} s -> {result.bytes / 1e6:.0f} MB", "", ""],
            ["ffmpeg copy + AAC (fastest)", f"{ffmpeg_s:.2f} s -> {ffmpeg_mb:.0f} MB", "", ""],
            ["ratio booth / ffmpeg", f"{ratio:.2f}", f"<= {TARGET_RATIO}", ok],
            ["ratio of medians", f"{median_ratio:.2f}", "", ""],
        ],
        "booth_seconds": [round(s, 3) for s in ours],
        "ffmpeg_seconds": [round(s, 3) for s in theirs],
        "video_mb": round(video_mb, 1),
        "ratio": round(ratio, 3),
        "ratio_of_medians": round(median_ratio, 3),
        "targets": {"max_ratio": TARGET_RATIO},
        "pass": ok,
    }
