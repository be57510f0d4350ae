"""The done screen's receipt: what was sent and a reference, in body size and full contrast, and
a QR code of the reference and the date that the candidate can photograph (issue 27.6).

The reference is the random tail of the session's name in the spool (`session_ref`): staff find
the session with `booth takes list | grep REF`. It is neither the invitation code nor the
candidate's reference from codes.csv, so the QR code holds no personal data: only that random
reference, the date and time, and the words that say what they are.
"""

from __future__ import annotations

from datetime import datetime

import pygame
import segno

from booth.session.screens import Action
from booth.session.view import View
from booth.ui import palette, texts
from booth.ui.blocks import Line, stack
from booth.ui.canvas import BODY, Canvas, HitBox
from booth.ui.texts import Translate

QUIET_MODULES = 4
"""The light margin a QR code needs around it, in modules (ISO/IEC 18004)."""
MIN_MODULE_PX = 3
"""A phone camera at arm's length reads modules of 3 px on a 7" 800×480 panel."""
BLACK: palette.Color = (0, 0, 0)
WHITE: palette.Color = (255, 255, 255)


def session_ref(session_id: str) -> str:
    """The part of a session id a candidate can read out: its random tail (unique per booth),
    which `booth takes list` shows as part of the session's name."""
    return session_id.rsplit("-", 1)[-1]


def receipt_lines(tr: Translate, v: View) -> list[str]:
    """The receipt's lines: date, employer, answers kept, and the reference ([] without one)."""
    if v.practice_only or v.interview is None or v.session_ref is None:
        return []
    when = v.finished_at or v.now
    lines = [texts.date_time(tr, when)] if when is not None else []
    lines.append(v.interview.employer)
    lines.append(
        tr("Answers kept: {n} of {total}").format(n=v.kept_count, total=v.interview.question_count)
    )
    lines.append(tr("Reference: {ref}").format(ref=session_ref(v.session_ref)))
    return lines


def qr_text(tr: Translate, session_id: str, when: datetime | None) -> str:
    """What the QR code holds: the reference and the date, in the candidate's language, and
    nothing about the candidate."""
    parts = [
        tr("Video interview receipt"),
        tr("Reference: {ref}").format(ref=session_ref(session_id)),
    ]
    if when is not None:
        parts.append(f"{when:%Y-%m-%d %H:%M}")
    return "\n".join(parts)


def draw_qr(c: Canvas, area: pygame.Rect, text: str) -> pygame.Rect | None:
    """The QR code of `text`, as large as fits in `area` in whole pixels per module, dark on
    white with its quiet zone; None when even the smallest readable one does not fit."""
    code = segno.make(text, error="m", micro=False)
    matrix = code.matrix
    modules = len(matrix) + 2 * QUIET_MODULES
    px = min(area.w, area.h) // modules
    if px < MIN_MODULE_PX:
        return None
    side = modules * px
    square = pygame.Rect(0, 0, side, side)
    square.center = area.center
    c.surface.fill(WHITE, square)
    top = square.y + QUIET_MODULES * px
    left = square.x + QUIET_MODULES * px
    for row, bits in enumerate(matrix):
        for col, dark in enumerate(bits):
            if dark:
                c.surface.fill(BLACK, (left + col * px, top + row * px, px, px))
    return square


def receipt_panel(c: Canvas, area: pygame.Rect, v: View) -> bool:
    """The receipt in a panel filling `area`: the QR code, and under it the receipt's lines in
    body size and full contrast. The whole panel is a touch target: a touch keeps the receipt
    up (Action.STAY). Whether a QR code was drawn (none when there is no receipt, or no room
    for modules a phone can read)."""
    tr = c.tr
    lines = receipt_lines(tr, v)
    if not lines or v.session_ref is None:
        return False
    c.panel(area)
    inner = area.inflate(-round(3 * c.u), -round(3 * c.u))
    body = [Line(text, BODY, space_after_u=0.6) for text in lines[:-1]]
    body.append(Line(lines[-1], BODY, bold=True))
    needed = sum(c.text_height(ln.text, inner.w, ln.size_u, ln.bold) for ln in body)
    needed += round(sum(ln.space_after_u for ln in body[:-1]) * c.u)
    qr_area = pygame.Rect(inner.x, inner.y, inner.w, max(0, inner.h - needed - c.gap))
    square = draw_qr(c, qr_area, qr_text(tr, v.session_ref, v.finished_at or v.now))
    top = square.bottom + c.gap if square is not None else inner.y
    stack(c, pygame.Rect(inner.x, top, inner.w, inner.bottom - top), body, valign="middle")
    c.hitboxes.append(HitBox(pygame.Rect(area), Action.STAY))
    return square is not None
