"""Draws a `View` of the session on a pygame surface and says where the touch targets are.

The kiosk's main loop owns the window; once per frame it calls `Renderer.draw` with
the latest View, camera frame and microphone level, and turns touches into actions
with the returned hit boxes (see `booth.ui.input`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pygame

from booth.session.screens import PREVIEW_SCREENS, Screen
from booth.session.view import SCREENS, View
from booth.ui import check_help, palette, screens_path, screens_take
from booth.ui.canvas import Canvas, HitBox, TextBox
from booth.ui.fonts import FontBook
from booth.ui.i18n import translator
from booth.ui.widgets import Live, MicLevel

Painter = Callable[[Canvas, View, Live], None]

PAINTERS: dict[Screen, Painter] = {
    Screen.IDLE: screens_path.idle,
    Screen.CODE: screens_path.code,
    Screen.WELCOME: screens_path.welcome,
    Screen.CONSENT: screens_path.consent,
    Screen.CHECK: screens_path.check,
    Screen.INTRO: screens_take.intro,
    Screen.PRACTICE: screens_take.practice,
    Screen.QUESTION: screens_take.question,
    Screen.THINK: screens_take.think,
    Screen.COUNTDOWN: screens_take.countdown,
    Screen.RECORDING: screens_take.recording,
    Screen.REVIEW: screens_take.review,
    Screen.DONE: screens_path.done,
    Screen.HELP: screens_path.help_screen,
    Screen.INACTIVE: screens_path.inactive,
    Screen.CLOSED: screens_path.closed,
    Screen.OUT_OF_ORDER: screens_path.out_of_order,
    Screen.END_CONFIRM: screens_path.end_confirm,
    Screen.CHECK_HELP: check_help.check_help,
}
assert set(PAINTERS) == set(SCREENS), "every screen id needs a painter"


def shows_preview(screen: str) -> bool:
    """Whether `screen` shows the live preview; the other screens never look at it, so a camera
    need not even make it (the Pi's converts its YUV frame only for these)."""
    return screen in PREVIEW_SCREENS


class Renderer:
    """Draws every screen of the booth at any size from 800×480 to 1920×1080.

    size: the surface size (pixels) it will usually draw on; layouts follow the size of
    the surface actually passed to `draw`. font_path: a .ttf with å ä ö (default DejaVu
    Sans; a "-Bold" file beside it is used for bold). help_text: how candidates call
    staff, per language code (or one text for all); default: "Ask the staff here for
    help.", which names nothing the booth cannot know is there. help_phone: a phone number
    for help, shown on the help, closed and out-of-order screens.
    help_location: where staff can be found, per language code (or one text for all).
    """

    def __init__(
        self,
        size: tuple[int, int],
        font_path: Path | None = None,
        *,
        help_text: Mapping[str, str] | str | None = None,
        help_phone: str = "",
        help_location: Mapping[str, str] | str | None = None,
    ) -> None:
        self.size = size
        self.fonts = FontBook(font_path)
        self.help_text = help_text
        self.help_phone = help_phone
        self.help_location = help_location
        self._text_cache: dict = {}
        self.text_boxes: list[TextBox] = []  # what the last draw wrote where
        self.preview_rect: pygame.Rect | None = None  # where the last draw put the preview
        self.clip_rect: pygame.Rect | None = None  # where clip or replay frames go

    def _help_for(self, language: str) -> str | None:
        return _in_language(self.help_text, language)

    def draw(
        self,
        surface: pygame.Surface,
        view: View,
        preview: np.ndarray | None,
        mic: MicLevel | None,
        now: float,
        *,
        clip_frame: np.ndarray | None = None,
    ) -> list[HitBox]:
        """Draw `view` over the whole `surface`; returns the touch targets, in surface pixels.

        preview: the camera's RGB frame (H, W, 3 uint8) as the camera sees it; it is
        shown mirrored. clip_frame: a decoded frame of the intro or question clip, or of
        the take being replayed on review, drawn unmirrored in the clip area.
        """
        surface.fill(palette.BACKGROUND)
        canvas = Canvas(surface, self.fonts, translator(view.language), self._text_cache)
        live = Live(
            preview,
            mic,
            clip_frame,
            now,
            self._help_for(view.language),
            self.help_phone,
            _in_language(self.help_location, view.language) or "",
        )
        painter = PAINTERS.get(view.screen, screens_path.out_of_order)
        painter(canvas, view, live)
        self.text_boxes = canvas.text_boxes
        self.preview_rect = canvas.preview_rect
        self.clip_rect = canvas.clip_rect
        return canvas.hitboxes


def _in_language(text: Mapping[str, str] | str | None, language: str) -> str | None:
    """A booth text given once for all languages, or per language code."""
    if isinstance(text, str):
        return text
    if text:
        return text.get(language)
    return None
