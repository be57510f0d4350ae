"""What the kiosk itself costs per frame, without the simulated world's rendering.

A simulated booth at the default recording size (1920x1080, the preview 640 px wide) on an
800x480 screen goes through idle, check, question and recording. Each frame runs as
`booth.kiosk.window.run` runs it: `Kiosk.step()`, then the screen drawn and shown (still
screens, such as idle, every tenth frame). The main thread's CPU time of that frame is
measured (`time.thread_time`), less the time spent inside the simulated camera's `capture`
(the simulated sensor, which a Pi does in hardware). The world's own tick and the encoder,
microphone and worker threads are not on the kiosk's thread and are not counted.

Baseline, measured in the same run: a bare pygame blit of the same preview (the numpy frame
to a surface, scaled to the shown size, mirrored, blitted), per frame. Set beside it: what the
kiosk spends on putting the preview on screen (the screens' `preview` widget: the same steps,
and the framing guide on the check screen).
Targets (issue 10): idle <= 5 % of one core (of the 33 ms frame period); a preview frame
(check, recording) <= 2x the bare blit. The whole frame's cost on every screen is reported
beside them, as a share of one core.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pygame

from booth.config.settings import load_settings
from booth.sim.booth import SimBooth, SimRun, build_sim_booth
from booth.sim.simulate import headless_display
from booth.ui import screens_path, screens_take, widgets

FRAMES = 150
"""Frames measured per screen (5 s)."""
STILL_REDRAW_EVERY = 10
"""As booth.kiosk.window: still screens are drawn every tenth frame."""
STILL_SCREENS = {"idle", "closed", "out-of-order"}
IDLE_TARGET = 0.05
PREVIEW_TARGET = 2.0
CODE = "123456"


def write_booth(root: Path) -> tuple[Path, Path]:
    interview = root / "interviews" / "cpu"
    interview.mkdir(parents=True)
    (interview / "interview.toml").write_text(
        'id = "cpu"\nemployer = "Bench"\ntitle = { en = "Benchmark" }\nlanguages = ["en"]\n'
        "valid_from = 2025-01-01T00:00:00+01:00\ndeadline = 2035-12-31T23:59:00+01:00\n"
        "intro_clips = []\n\n[[questions]]\n"
        'id = "q1"\ntext = { en = "Tell us about a time you solved a hard problem." }\n'
        "answer_seconds = 120\nthink_seconds = 60\nreview = false\n",
        encoding="utf-8",
    )
    (interview / "codes.csv").write_text(f"code,candidate_ref\n{CODE},CPU-1\n", encoding="utf-8")
    config = root / "booth.toml"
    config.write_text(
        'booth_id = "bench"\nlanguage = "en"\nlanguages = ["en"]\n'
        "[recording]\ndisk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    return config, root / "interviews"


class ThreadClock:
    """Wraps a function to add up the calling thread's CPU time inside it."""

    def __init__(self, fn: Any) -> None:
        self.inside = 0.0
        self.calls = 0
        self._fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return self._fn(*args, **kwargs)
        finally:
            self.inside += time.thread_time() - started
            self.calls += 1


def measure(booth: SimBooth, clock: ThreadClock, frames: int) -> list[float]:
    """Per-frame kiosk CPU seconds on the main thread over `frames` frames."""
    kiosk = booth.kiosk
    costs = []
    for index in range(frames):
        booth.advance()
        inside, started = clock.inside, time.thread_time()
        kiosk.step()
        if kiosk.flow.screen not in STILL_SCREENS or index % STILL_REDRAW_EVERY == 0:
            kiosk.render()
            pygame.display.flip()
        costs.append(time.thread_time() - started - (clock.inside - inside))
        booth.settle()
    return costs


@contextlib.contextmanager
def preview_timed(clock: ThreadClock) -> Iterator[None]:
    """The screens draw the live preview through `clock` while this lasts."""
    with mock.patch.object(screens_path, "preview", clock):
        with mock.patch.object(screens_take, "preview", clock):
            yield


def press(booth: SimBooth, *actions: str) -> None:
    for action in actions:
        booth.kiosk.post(action)
        booth.kiosk.process_actions()
        booth.run_for(0.2)


def bare_blit(preview: np.ndarray, size: tuple[int, int], frames: int) -> list[float]:
    """The floor: the preview frame shown as simply as pygame can."""
    display = pygame.display.get_surface()
    costs = []
    for _ in range(frames):
        started = time.thread_time()
        surface = pygame.image.frombuffer(
            np.ascontiguousarray(preview).tobytes(), preview.shape[1::-1], "RGB"
        )
        surface = pygame.transform.flip(pygame.transform.scale(surface, size), True, False)
        display.blit(surface, (0, 0))
        costs.append(time.thread_time() - started)
    return costs


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-cpu-") as tmp:
        root = Path(tmp)
        config, interviews = write_booth(root)
        settings = load_settings(config)
        surface = headless_display(settings.display.size)
        booth = build_sim_booth(
            settings, interviews, root / "out", surface, SimRun(screenshots=False)
        )
        camera = booth.kiosk.devices.camera
        clock = ThreadClock(camera.capture)
        camera.capture = clock  # type: ignore[method-assign]
        widget = ThreadClock(widgets.preview)
        drawn: dict[str, float] = {}
        per_screen: dict[str, list[float]] = {}
        shown: tuple[int, int] = (0, 0)
        try:
            booth.run_for(1.0)
            per_screen["idle"] = measure(booth, clock, FRAMES)
            press(booth, "start")
            for digit in CODE:
                booth.kiosk.post("digit", digit)
            press(booth, "confirm", "next", "accept")
            assert booth.kiosk.flow.screen == "check", booth.kiosk.flow.screen
            with preview_timed(widget):
                per_screen["check"] = measure(booth, clock, FRAMES)
            drawn["check"] = widget.inside / widget.calls
            rect = booth.kiosk.renderer.preview_rect
            shown = rect.size if rect is not None else (0, 0)
            preview = booth.kiosk.preview
            press(booth, "next")
            assert booth.kiosk.flow.screen == "question", booth.kiosk.flow.screen
            per_screen["question"] = measure(booth, clock, FRAMES)
            press(booth, "next", "record")
            booth.run_for(3.0)
            assert booth.kiosk.flow.screen == "recording", booth.kiosk.flow.screen
            widget.inside, widget.calls = 0.0, 0
            with preview_timed(widget):
                per_screen["recording"] = measure(booth, clock, FRAMES)
            drawn["recording"] = widget.inside / widget.calls
        finally:
            booth.close()
        assert preview is not None
        blit = bare_blit(preview, shown, FRAMES)

    period = 1.0 / settings.recording.fps
    median = {name: statistics.median(costs) for name, costs in per_screen.items()}
    blit_ms = statistics.median(blit) * 1e3
    share = {name: cost / period for name, cost in median.items()}
    ratios = {name: drawn[name] * 1e3 / blit_ms for name in drawn}
    idle_ok = share["idle"] <= IDLE_TARGET
    preview_ok = all(r <= PREVIEW_TARGET for r in ratios.values())
    table: list[list[Any]] = [["figure", "ms/frame", "share of a core", "target", "ok"]]
    for name, cost in median.items():
        target, ok = ("", "") if name != "idle" else (f"<= {IDLE_TARGET:.0%}", idle_ok)
        table.append([f"kiosk, {name}", f"{cost * 1e3:.2f}", f"{share[name]:.1%}", target, ok])
    for name, cost in drawn.items():
        target = f"<= {PREVIEW_TARGET:g}x bare blit ({ratios[name]:.2f}x)"
        table.append(
            [
                f"preview on {name}",
                f"{cost * 1e3:.2f}",
                f"{cost / period:.1%}",
                target,
                ratios[name] <= PREVIEW_TARGET,
            ]
        )
    table.append(["bare blit", f"{blit_ms:.2f}", f"{blit_ms / 1e3 / period:.1%}", "", ""])
    return {
        "table": table,
        "frames_per_screen": FRAMES,
        "preview": list(preview.shape[1::-1]),
        "shown": list(shown),
        "kiosk_ms_per_frame": {k: round(v * 1e3, 3) for k, v in median.items()},
        "share_of_a_core": {k: round(v, 4) for k, v in share.items()},
        "bare_blit_ms": round(blit_ms, 3),
        "preview_ms": {k: round(v * 1e3, 3) for k, v in drawn.items()},
        "preview_ratio": {k: round(v, 3) for k, v in ratios.items()},
        "targets": {"idle_share": IDLE_TARGET, "preview_ratio": PREVIEW_TARGET},
        "pass": idle_ok and preview_ok,
    }
