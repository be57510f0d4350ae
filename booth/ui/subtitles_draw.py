"""Subtitles over the lower part of the clip area, as television shows them.

The kiosk calls `draw_subtitle(surface, renderer.clip_rect, text, renderer.fonts)` after
`Renderer.draw`, with the clip player's `subtitle(now, language)`.
"""

from __future__ import annotations

import pygame

from booth.ui.canvas import BODY
from booth.ui.fonts import FontBook
from booth.ui.texts import keep_together

BAND = (0, 0, 0, 170)  # a dark, see-through band: legible on any picture
TEXT = (255, 255, 255)


def _wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in keep_together(text).split("\n"):
        line = ""
        # Split on plain spaces only: str.split() would also break at the non-breaking ones.
        for word in filter(None, paragraph.split(" ")):
            trial = f"{line} {word}".strip()
            if line and font.size(trial)[0] > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def draw_subtitle(
    surface: pygame.Surface, clip_rect: pygame.Rect | None, text: str | None, fonts: FontBook
) -> pygame.Rect | None:
    """Draw `text` centred near the bottom of `clip_rect`; returns the band drawn, if any.

    The type is 1/16 of the clip's height, which reads like television subtitles from the
    candidate's chair, and never smaller than the screen's body text (a small clip beside a
    question would otherwise give 14 px subtitles at 800×480).
    """
    if not text or clip_rect is None or clip_rect.w < 40:
        return None
    body_px = round(BODY * min(surface.get_size()) / 100)
    font = fonts.get(max(body_px, clip_rect.h // 16))
    pad = max(4, font.get_height() // 4)
    lines = _wrap(font, text, clip_rect.w - 4 * pad)
    rendered = [font.render(line, True, TEXT) for line in lines]
    height = sum(r.get_height() for r in rendered) + 2 * pad
    width = max(r.get_width() for r in rendered) + 4 * pad
    band = pygame.Rect(0, 0, min(width, clip_rect.w), min(height, clip_rect.h))
    band.midbottom = (clip_rect.centerx, clip_rect.bottom - pad)
    shade = pygame.Surface(band.size, pygame.SRCALPHA)
    shade.fill(BAND)
    surface.blit(shade, band)
    y = band.y + pad
    for r in rendered:
        surface.blit(r, r.get_rect(midtop=(band.centerx, y)))
        y += r.get_height()
    return band
