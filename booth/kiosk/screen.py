"""What the candidate sees: the flow's view drawn on the kiosk's surface.

The view comes with the camera's preview (on the screens that show one), the clip playing
and its subtitles, and the microphone's level. Each draw leaves the touch targets (`hitboxes`)
for the window to map taps to actions; with a screenshots folder, every screen shown is saved
as a numbered PNG (the simulator's screenshots, `booth simulate --screenshots`).
"""

from __future__ import annotations

from pathlib import Path

import pygame

from booth.devices.level_meter import LevelMeter
from booth.devices.ports.camera import CameraFrame
from booth.media.player import ClipPlayer
from booth.session.view import View
from booth.ui.renderer import Renderer, shows_preview
from booth.ui.subtitles_draw import draw_subtitle
from booth.ui.widgets import MicLevel


class KioskScreen:
    """Draws on `surface` with `renderer`; the clip's frame and subtitles come from `clips`,
    the level from `meter`; screenshots go to `screenshots` (None: none)."""

    def __init__(
        self,
        surface: pygame.Surface,
        renderer: Renderer,
        clips: ClipPlayer,
        meter: LevelMeter,
        screenshots: Path | None = None,
    ) -> None:
        self.surface = surface
        self.renderer = renderer
        self.clips = clips
        self.meter = meter
        self.screenshots = screenshots
        self.hitboxes: list = []
        self._shots = 0

    def draw(self, view: View, frame: CameraFrame | None, now: float) -> None:
        """Draw `view` at `now` (the session clock's seconds), with the preview of the
        camera's latest `frame` where the screen shows one (made only then)."""
        meter = self.meter
        mic = MicLevel(meter.rms_dbfs, meter.peak_dbfs, meter.clipping, meter.too_quiet)
        clip_frame = self.clips.frame(now)
        preview = frame.preview if frame is not None and shows_preview(view.screen) else None
        self.hitboxes = self.renderer.draw(
            self.surface, view, preview, mic, now, clip_frame=clip_frame
        )
        clip_rect = self.renderer.clip_rect
        if clip_rect is not None and view.clip_path:
            self.clips.shown_size = clip_rect.size  # later frames are decoded at this size
            subtitle = self.clips.subtitle(now, view.language)
            draw_subtitle(self.surface, clip_rect, subtitle, self.renderer.fonts)

    def next_shot(self, screen: str) -> str | None:
        """The name of the next numbered screenshot, of `screen` ("003-welcome"), or None
        without a screenshots folder."""
        if self.screenshots is None:
            return None
        self._shots += 1
        return f"{self._shots:03d}-{screen}"

    def save(self, name: str) -> Path:
        """What is drawn now, as `name`.png in the screenshots folder."""
        assert self.screenshots is not None
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        pygame.image.save(self.surface, str(path))
        return path
