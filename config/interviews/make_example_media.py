"""Make the example interview's clips: a coloured title card with a soft tone, as MP4.

    .venv/bin/python config/interviews/make_example_media.py [DIRECTORY]

Writes intro-1.mp4, intro-2.mp4 and question-2.mp4 (H.264 + AAC, 640x360, 30 fps, 5 s) into
DIRECTORY (default: config/interviews/example next to this script). The outputs are committed;
run this again only to change them.
"""

from __future__ import annotations

import math
import os
import sys
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import av  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 30, 5
AUDIO_RATE = 48_000

# (file, background colour, title lines, tone in Hz)
CLIPS = (
    ("intro-1.mp4", (24, 74, 122), ("Välkommen / Welcome", "Kommunen Exempelstad"), 392.0),
    (
        "intro-2.mp4",
        (34, 110, 74),
        ("Om jobbet / About the job", "Handläggare, socialtjänst"),
        440.0,
    ),
    (
        "question-2.mp4",
        (120, 60, 110),
        ("Fråga 2 / Question 2", "Ett svårt samtal / A hard talk"),
        330.0,
    ),
)


def card(colour: tuple[int, int, int], lines: tuple[str, ...], progress: float) -> np.ndarray:
    """One RGB frame: the title lines centred, and a thin bar showing how far the clip is."""
    surface = pygame.Surface((WIDTH, HEIGHT))
    surface.fill(colour)
    big, small = pygame.font.Font(FONT, 34), pygame.font.Font(FONT, 24)
    for i, (font, text) in enumerate(zip((big, small), lines, strict=True)):
        rendered = font.render(text, True, (255, 255, 255))
        surface.blit(rendered, rendered.get_rect(center=(WIDTH // 2, HEIGHT // 2 - 30 + 60 * i)))
    pygame.draw.rect(surface, (255, 255, 255), (0, HEIGHT - 8, int(WIDTH * progress), 8))
    return pygame.surfarray.array3d(surface).swapaxes(0, 1).copy()


def tone(frequency: float) -> np.ndarray:
    """A soft mono sine with 0.5 s fades, float32 in -1..1."""
    t = np.arange(SECONDS * AUDIO_RATE) / AUDIO_RATE
    fade = np.clip(np.minimum(t, SECONDS - t) / 0.5, 0.0, 1.0)
    return (0.15 * fade * np.sin(2 * math.pi * frequency * t)).astype(np.float32)


def make_clip(path: Path, colour: tuple[int, int, int], lines: tuple[str, ...], hz: float) -> None:
    with av.open(str(path), "w", container_options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"crf": "28", "preset": "medium"}
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        audio.bit_rate = 64_000
        for i in range(SECONDS * FPS):
            # The bar moves in steps of half a second: smooth enough, and it keeps the file small.
            step = (i // (FPS // 2)) / (SECONDS * 2)
            frame = av.VideoFrame.from_ndarray(card(colour, lines, step), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        samples = tone(hz)
        chunk = 1024
        for start in range(0, len(samples), chunk):
            block = samples[start : start + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="flt", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode())


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else Path(__file__).resolve().parent / "example"
    directory.mkdir(parents=True, exist_ok=True)
    pygame.font.init()
    for name, colour, lines, hz in CLIPS:
        make_clip(directory / name, colour, lines, hz)
        print(f"{directory / name}: {(directory / name).stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
