"""The drawing context of one frame: sizes relative to the screen, fitted text, buttons.

Every length is a multiple of `u`, one hundredth of the screen's short side, so a
layout reads the same on a 7" 800×480 panel and on a 1080p monitor, landscape or
portrait. Text is wrapped and, when it still does not fit its box, set smaller;
it is never cut off mid-word or drawn outside its box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygame

from booth.ui import palette
from booth.ui.fonts import FontBook
from booth.ui.texts import Translate, keep_together

# Type sizes in u (hundredths of the short side).
TITLE = 7.0
HEADING = 5.6
BODY = 4.4
MIN_TEXT = 3.0  # shrink-to-fit never goes below this while it can avoid it
BUTTON_TEXT = 4.6


@dataclass(frozen=True)
class HitBox:
    """A touchable area and the action it stands for ("digit" carries the digit as value)."""

    rect: pygame.Rect
    action: str
    value: str | None = None


@dataclass(frozen=True)
class TextBox:
    """Where a text was drawn, for tests and for checking layouts."""

    rect: pygame.Rect
    text: str
    rows: tuple[str, ...] = ()  # the lines it was wrapped into
    px: int = 0  # the type size it was set at, in pixels


@dataclass
class _Set:
    """A wrapped text at one size: rendered lines and their positions relative to the box."""

    lines: list[pygame.Surface]
    line_height: int
    width: int
    height: int
    rows: list[str] = field(default_factory=list)
    broken: bool = False  # a word was split across lines: try a smaller size first
    px: int = 0


def _no_orphan(lines: list[str], first: int, font: pygame.font.Font, width: int) -> None:
    """A paragraph's last line is never one short word alone ("…spela in här just / nu."):
    the word before it moves down with it when both fit."""
    if len(lines) - first < 2 or " " in lines[-1] or len(lines[-1]) > 5:
        return
    head, _, moved = lines[-2].rpartition(" ")
    if head and font.size(f"{moved} {lines[-1]}")[0] <= width:
        lines[-2:] = [head, f"{moved} {lines[-1]}"]


class Canvas:
    """One frame being drawn: the surface, the translator, and what was drawn where."""

    def __init__(
        self, surface: pygame.Surface, fonts: FontBook, tr: Translate, cache: dict
    ) -> None:
        self.surface = surface
        self.fonts = fonts
        self.tr = tr
        self.rect = surface.get_rect()
        self.w, self.h = surface.get_size()
        self.u = min(self.w, self.h) / 100
        self.portrait = self.h > self.w
        self.margin = round(4 * self.u)
        self.gap = round(2.5 * self.u)
        self.hitboxes: list[HitBox] = []
        self.text_boxes: list[TextBox] = []
        self.preview_rect: pygame.Rect | None = None  # where the live preview was drawn
        self.clip_rect: pygame.Rect | None = None  # where a clip (or a take's replay) goes
        self._cache = cache  # (text, px, bold, colour, width) → _Set, shared across frames

    def px(self, size_u: float) -> int:
        return max(8, round(size_u * self.u))

    # text -------------------------------------------------------------------------------

    def _wrap(self, text: str, font: pygame.font.Font, width: int) -> tuple[list[str], bool]:
        """Lines of `text` no wider than `width`, and whether a word had to be broken."""
        lines: list[str] = []
        broken = False
        for paragraph in keep_together(text).split("\n"):
            line = ""
            first = len(lines)
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if font.size(candidate)[0] <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                # A word wider than the box (a long code, a long compound) is broken.
                while font.size(word)[0] > width and len(word) > 1:
                    broken = True
                    cut = len(word) - 1
                    while cut > 1 and font.size(word[:cut])[0] > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
            _no_orphan(lines, first, font, width)
        return lines, broken

    def _set(self, text: str, px: int, bold: bool, color: palette.Color, width: int) -> _Set:
        key = (text, px, bold, color, width)
        found = self._cache.get(key)
        if found is not None:
            return found
        font = self.fonts.get(px, bold)
        rows, broken = self._wrap(text, font, width)
        surfaces = [font.render(row, True, color) for row in rows]
        line_height = round(font.get_linesize() * 1.08)
        result = _Set(
            lines=surfaces,
            line_height=line_height,
            width=max((s.get_width() for s in surfaces), default=0),
            height=line_height * (len(surfaces) - 1) + font.get_height(),
            rows=rows,
            broken=broken,
            px=px,
        )
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = result
        return result

    def fit(  # noqa: PLR0913 (keyword-only style options, each with its default)
        self,
        text: str,
        rect: pygame.Rect,
        size_u: float,
        *,
        bold: bool = False,
        color: palette.Color | None = None,
        min_u: float = MIN_TEXT,
        one_line: bool = False,
    ) -> _Set:
        """Wrap `text` into `rect`, shrinking from `size_u` until it fits.

        one_line: never wrap; shrink until the whole text fits the width (a code, a clock).
        """
        color = color or palette.TEXT
        px = self.px(size_u)
        floor = min(px, self.px(min_u))
        if one_line:
            while True:
                block = self._set(text, px, bold, color, 1 << 20)
                if (block.width <= rect.w and block.height <= rect.h) or px <= 8:
                    return block
                px = max(8, min(px - 1, int(px * rect.w / max(1, block.width))))
        while True:
            block = self._set(text, px, bold, color, max(1, rect.w))
            fits = block.height <= rect.h and block.width <= rect.w
            if fits and (not block.broken or px <= floor):
                return block
            if px <= 8:
                return block
            nxt = max(floor, int(px * 0.92)) if px > floor else px - 1
            px = nxt

    def text(  # noqa: PLR0913 (keyword-only style options, each with its default)
        self,
        text: str,
        rect: pygame.Rect,
        size_u: float = BODY,
        *,
        bold: bool = False,
        color: palette.Color | None = None,
        align: str = "left",
        valign: str = "top",
        min_u: float = MIN_TEXT,
        one_line: bool = False,
    ) -> pygame.Rect:
        """Draw translated `text` wrapped inside `rect`; returns the area it covers."""
        if not text:
            return pygame.Rect(rect.x, rect.y, 0, 0)
        block = self.fit(text, rect, size_u, bold=bold, color=color, min_u=min_u, one_line=one_line)
        if valign == "middle":
            y = rect.y + (rect.h - block.height) // 2
        elif valign == "bottom":
            y = rect.bottom - block.height
        else:
            y = rect.y
        y = max(rect.y, y)
        covered = None
        for line in block.lines:
            if align == "center":
                x = rect.x + (rect.w - line.get_width()) // 2
            elif align == "right":
                x = rect.right - line.get_width()
            else:
                x = rect.x
            area = line.get_rect(topleft=(x, y))
            # Glyph boxes include the font's descent; keep them inside the box drawn for.
            area = area.clip(rect) if area.bottom > rect.bottom else area
            self.surface.blit(line, area.topleft, pygame.Rect(0, 0, area.w, area.h))
            covered = area if covered is None else covered.union(area)
            y += block.line_height
        covered = covered or pygame.Rect(rect.x, rect.y, 0, 0)
        self.text_boxes.append(TextBox(covered, text, tuple(block.rows), block.px))
        return covered

    def text_height(self, text: str, width: int, size_u: float = BODY, bold: bool = False) -> int:
        """Height `text` takes at `size_u` in a box `width` wide (without shrinking)."""
        return self._set(text, self.px(size_u), bold, palette.TEXT, max(1, width)).height

    # shapes and controls ----------------------------------------------------------------

    def panel(self, rect: pygame.Rect, color: palette.Color = palette.PANEL) -> None:
        pygame.draw.rect(self.surface, color, rect, border_radius=round(2 * self.u))

    def button(  # noqa: PLR0913 (keyword-only style options, each with its default)
        self,
        rect: pygame.Rect,
        label: str,
        action: str,
        value: str | None = None,
        *,
        kind: str = "secondary",
        enabled: bool = True,
        size_u: float = BUTTON_TEXT,
    ) -> None:
        """A touch button; only enabled buttons get a hit box."""
        fill = {"primary": palette.PRIMARY, "secondary": palette.SECONDARY}[kind]
        text_color = palette.TEXT
        if not enabled:
            fill, text_color = palette.DISABLED, palette.DISABLED_TEXT
        radius = round(2 * self.u)
        pygame.draw.rect(self.surface, fill, rect, border_radius=radius)
        pygame.draw.rect(
            self.surface,
            palette.OUTLINE,
            rect,
            width=max(1, round(0.3 * self.u)),
            border_radius=radius,
        )
        pad = round(1.6 * self.u)
        inner = rect.inflate(-2 * pad, -2 * round(0.8 * self.u))
        self.text(
            label,
            inner,
            size_u,
            bold=True,
            color=text_color,
            align="center",
            valign="middle",
            min_u=2.6,
        )
        if enabled:
            self.hitboxes.append(HitBox(pygame.Rect(rect), action, value))

    def button_width(self, label: str, size_u: float = BUTTON_TEXT) -> int:
        """The width a one-line button with `label` wants, at least a tenth of the short side."""
        font = self.fonts.get(self.px(size_u), True)
        return max(round(14 * self.u), font.size(label)[0] + round(6 * self.u))

    # layout -----------------------------------------------------------------------------

    @property
    def button_height(self) -> int:
        return round(14 * self.u)

    def inner(self) -> pygame.Rect:
        """The screen less its margin."""
        return self.rect.inflate(-2 * self.margin, -2 * self.margin)
