"""Stacking several texts in one area so that together they always fit."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from booth.ui import palette
from booth.ui.canvas import BODY, Canvas


@dataclass(frozen=True)
class Line:
    """One text of a stack: a heading, a paragraph, a label."""

    text: str
    size_u: float = BODY
    bold: bool = False
    color: tuple[int, int, int] = palette.TEXT
    space_after_u: float = 2.0  # gap below, in u


def stack(
    c: Canvas, area: pygame.Rect, lines: list[Line], *, align: str = "left", valign: str = "top"
) -> pygame.Rect:
    """Draw `lines` one below the other inside `area`, shrinking them all if they do not fit.

    Returns the area covered.
    """
    lines = [line for line in lines if line.text]
    if not lines or area.h <= 0:
        return pygame.Rect(area.x, area.y, 0, 0)
    # Headings give way first: sizes above body size shrink towards it (`big`); only when
    # everything is at body size does all of it shrink together (`scale`).
    big, scale = 1.0, 1.0
    while True:
        sizes = [_sized(ln.size_u, big, scale) for ln in lines]
        heights = [
            c.text_height(ln.text, area.w, size, ln.bold)
            for ln, size in zip(lines, sizes, strict=True)
        ]
        gaps = [round(ln.space_after_u * min(big + 0.3, 1) * scale * c.u) for ln in lines[:-1]]
        total = sum(heights) + sum(gaps)
        if total <= area.h or scale < 0.5:
            break
        if big > 0:
            big = max(0.0, big - 0.1)
        else:
            scale *= 0.92
    y = area.y
    if valign == "middle" and total < area.h:
        y += (area.h - total) // 2
    covered = pygame.Rect(area.x, y, 0, 0)
    for i, ln in enumerate(lines):
        bottom_room = area.bottom - y
        box = pygame.Rect(area.x, y, area.w, max(1, min(heights[i], bottom_room)))
        used = c.text(ln.text, box, sizes[i], bold=ln.bold, color=ln.color, align=align, min_u=2.6)
        covered = covered.union(used) if covered.w else used
        y += heights[i] + (gaps[i] if i < len(gaps) else 0)
    return covered


def _sized(size_u: float, big: float, scale: float) -> float:
    """A line's size when headings keep `big` of their excess over body size, and everything
    is then scaled by `scale`."""
    if size_u > BODY:
        size_u = BODY + (size_u - BODY) * big
    return size_u * scale
