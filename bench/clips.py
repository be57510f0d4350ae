"""Benchmark: a 720p30 recruiter clip played in real time, as on the booth.

A generated clip (a moving pattern, a white flash with a beep every second) plays through
the ClipPlayer into the paced virtual speaker while a loop at 30 frames per second fetches
and draws frames, as the kiosk does. Figures, with the issue's targets:

- frames dropped at real-time speed (0);
- CPU time of the whole process over wall time, in % of one core (≤ 60);
- A/V offset, the speaker's position minus the shown frame's time (≤ 40 ms), and the same
  measured at the virtual speaker's output, flash drawn against beep heard (which includes the
  simulator's FIFO, see booth.sim.virtual_speaker);
- question screen to first frame (≤ 300 ms).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS, RATE = 1280, 720, 30, 10, 48_000
BEEP_S = 0.1
BEEP_HZ = 1000.0


def make_clip(path: Path, width: int = WIDTH, height: int = HEIGHT, seconds: int = SECONDS) -> None:
    """A pattern moving one step a frame; each whole second a white frame and a 0.1 s beep."""
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w", container_options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23", "bf": "0"}
        audio = out.add_stream("aac", rate=RATE, layout="stereo")
        for i in range(seconds * FPS):
            rgb = np.empty((height, width, 3), np.uint8)
            rgb[..., 0] = (xx + 6 * i) % 256
            rgb[..., 1] = (yy + 3 * i) % 256
            rgb[..., 2] = ((xx // 80 + yy // 80 + i // 10) % 2) * 200
            if i % FPS == 0:
                rgb[:] = 255
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        t = np.arange(seconds * RATE) / RATE
        beep = 0.5 * np.sin(2 * math.pi * BEEP_HZ * t) * ((t % 1.0) < BEEP_S)
        planes = np.stack([beep, beep]).astype(np.float32)
        for k in range(0, planes.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planes[:, k : k + 1024]), format="fltp", layout="stereo"
            )
            frame.rate, frame.pts, frame.time_base = RATE, k, Fraction(1, RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode())


def play_in_real_time(clip: Path, work: Path, shown: tuple[int, int]) -> dict:
    """Play `clip` at 30 frames per second, drawing each frame at `shown` size."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from booth.devices.speaker import Speaker
    from booth.media.player import ClipPlayer
    from booth.sim.alsa_config import install_alsa_config
    from booth.sim.virtual_speaker import VirtualSpeaker
    from booth.ui.widgets import image_surface

    sim = VirtualSpeaker(work / "speaker", channels=2, paced=True)
    install_alsa_config(sim.directory, sim.asoundrc)
    speaker = Speaker(sim.device, RATE, 2, open_pcm=sim.open_pcm)
    speaker.latency_s = sim.latency_s(speaker.buffer_frames)
    player = ClipPlayer(speaker, realtime=True, shown_size=shown)
    pygame.display.init()
    screen = pygame.Surface(shown)
    view = SimpleNamespace(clip_path=str(clip), clip_playing=True)
    drawn: dict[float, float] = {}  # a frame's time in the clip -> when it was first drawn
    cpu0, wall0 = time.process_time(), time.monotonic()
    ticks = 0
    while True:
        now = time.monotonic()
        player.follow(view, now)
        if player.finished(now):
            break
        rgb = player.frame(now)
        if rgb is not None:
            screen.blit(image_surface(rgb, shown, mirror=False), (0, 0))
            drawn.setdefault(round(player.playback.current_t, 3), time.monotonic())
        ticks += 1
        time.sleep(max(0.0, wall0 + ticks / FPS - time.monotonic()))
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    report = player.take_report() or {}
    player.close()
    sim.close()
    heard = []
    for second in range(1, SECONDS):
        beep_heard = sim.heard_at(second * RATE)
        if beep_heard is not None and float(second) in drawn:
            heard.append((drawn[float(second)] - beep_heard) * 1000)
    report.update(
        wall_s=round(wall, 2),
        cpu_percent=round(100 * cpu / wall, 1),
        heard_av_offset_ms=round(float(np.mean(heard)), 1) if heard else None,
    )
    return report


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = work / "clip720p30.mp4"
        make_clip(clip)
        results = {size: play_in_real_time(clip, work / f"{size[0]}", size) for size in
                   ((1280, 720), (704, 396))}  # fmt: skip
    full, question = results[(1280, 720)], results[(704, 396)]
    rows = [["figure", "full screen 1280x720", "question area 704x396", "target"]]
    for key, target in (
        ("frames_dropped", "0"),
        ("cpu_percent", "<= 60"),
        ("av_offset_ms", "<= 40"),
        ("av_offset_max_ms", ""),
        ("heard_av_offset_ms", "(sim FIFO incl.)"),
        ("first_frame_ms", "<= 300"),
        ("frames_shown", f"{SECONDS * FPS}"),
    ):
        rows.append([key, full.get(key), question.get(key), target])
    return {"clip": f"{WIDTH}x{HEIGHT} {FPS} fps, {SECONDS} s, H.264 + AAC stereo",
            "full_screen": full, "question_area": question, "table": rows}  # fmt: skip
