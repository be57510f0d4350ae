"""The equipment check's way out (issue 27.8): "Something is wrong" opens help for the problem
the booth measures, beside the live preview and the sound meter, so the candidate sees a fix
work, and names staff (the `[help]` contact) for what the tips do not fix.

What the booth measures here: sound, from the microphone's level (the meter's own reading),
and light, from the brightness of the face patch of the preview the camera sends (the face
meter's patch, booth.devices.face_meter). Auto-exposure brightens a dim face by itself, so a
face patch still dark after it means the camera has run out of exposure: too dark. Whether the
face is inside the oval is not measured (the booth has no face detector): the candidate picks
that problem, and the tips say how to check it on the preview.
"""

from __future__ import annotations

import numpy as np
import pygame

from booth.devices.face_meter import face_luma
from booth.session.view import View
from booth.ui import palette
from booth.ui.blocks import Line, stack
from booth.ui.canvas import BODY, HEADING, Canvas
from booth.ui.i18n import N_
from booth.ui.screens_path import contact
from booth.ui.widgets import (
    SPEECH_FLOOR_DBFS,
    Btn,
    Live,
    MicLevel,
    button_row,
    meter_height,
    mic_meter,
    top_bar,
)
from booth.ui.widgets import preview as draw_preview

DARK_FACE_LUMA = 60.0
"""Face-patch luma (0..255) below which the face counts as too dark. A well-exposed face sits
around 100-150 in video; below about a quarter of full scale it looks murky on a recruiter's
screen, and auto-exposure leaves it there only when it has no more to give."""

LABELS = {
    "sound": N_("No sound"),
    "light": N_("Too dark"),
    "framing": N_("Outside the oval"),
}
MEASURED = {
    "sound": N_("The booth hears no sound from you right now."),
    "light": N_("Your face looks dark to the camera."),
}
TIPS = {
    "sound": (
        N_("Say your name out loud, as if to someone across a table."),
        N_("Move a little closer to the screen."),
        N_("Watch the bar: it moves when the booth hears you."),
    ),
    "light": (
        N_("Wait a few seconds: the light adjusts to you."),
        N_("Sit in the middle of the chair, facing the screen."),
        N_("Take off a cap or hood that shades your face."),
    ),
    "framing": (
        N_("Move the chair until your eyes are on the dashed line."),
        N_("Sit so that your face fills the oval."),
        N_("Lean back if your head goes outside the oval."),
    ),
}


def measured_problems(live: Live) -> list[str]:
    """The problems the booth measures now, most pressing first."""
    found = []
    if _no_sound(live.mic):
        found.append("sound")
    if live.preview is not None and _too_dark(live.preview):
        found.append("light")
    return found


def _no_sound(mic: MicLevel | None) -> bool:
    return mic is None or mic.too_quiet or mic.rms_dbfs < SPEECH_FLOOR_DBFS


def _too_dark(frame_rgb: np.ndarray) -> bool:
    return frame_rgb.ndim == 3 and frame_rgb.shape[2] >= 3 and face_luma(frame_rgb) < DARK_FACE_LUMA


def check_help(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = top_bar(c, v, tr("What is wrong?"))
    measured = measured_problems(live)
    topic = v.check_problem or (measured[0] if measured else None)
    back = Btn(tr("Back to the check"), "back", kind="primary", left=not c.portrait)
    if c.portrait:
        area = button_row(c, area, [back])
        seen = pygame.Rect(area.x, area.y, area.w, round(area.h * 0.36))
        rest = pygame.Rect(area.x, seen.bottom + c.gap, area.w, area.bottom - seen.bottom - c.gap)
    else:
        # The way back under the preview: the help beside it keeps the whole height.
        seen = pygame.Rect(area.x, area.y, round(area.w * 0.44), area.h)
        rest = pygame.Rect(
            seen.right + 2 * c.gap, area.y, area.right - seen.right - 2 * c.gap, area.h
        )
        seen = button_row(c, seen, [back])
    meter_h = meter_height(c)
    shown = draw_preview(
        c, pygame.Rect(seen.x, seen.y, seen.w, seen.h - meter_h - c.gap), live.preview, guide=True
    )
    mic_meter(c, pygame.Rect(seen.x, shown.bottom + c.gap, seen.w, meter_h), live.mic)
    # One button per problem; the one whose help is shown is lit.
    row_h = c.button_height
    gap = c.gap
    w = (rest.w - 2 * gap) // 3
    for i, problem in enumerate(LABELS):
        rect = pygame.Rect(rest.x + i * (w + gap), rest.y, w, row_h)
        kind = "primary" if problem == topic else "secondary"
        c.button(rect, tr(LABELS[problem]), "problem", problem, kind=kind, size_u=BODY)
    text = pygame.Rect(rest.x, rest.y + row_h + c.gap, rest.w, rest.h - row_h - c.gap)
    stack(c, text, _topic_lines(c, topic, measured, live))


def _topic_lines(c: Canvas, topic: str | None, measured: list[str], live: Live) -> list[Line]:
    tr = c.tr
    lines: list[Line] = []
    if topic is None:
        lines.append(
            Line(
                tr("The booth hears you and sees you well. Choose what is wrong."), BODY, bold=True
            )
        )
    else:
        if topic in measured:
            lines.append(Line(tr(MEASURED[topic]), BODY, bold=True, color=palette.WARNING))
        lines += [Line("• " + tr(tip), BODY, space_after_u=0.6) for tip in TIPS[topic]]
    lines[-1] = Line(lines[-1].text, lines[-1].size_u, lines[-1].bold, lines[-1].color, 2.0)
    lines.append(
        Line(
            tr("Still not right? Ask the staff for help."),
            HEADING - 1.2,
            bold=True,
            space_after_u=1.0,
        )
    )
    # Without [help] text the line above says all the booth knows (DEFAULT_HELP).
    return lines + contact(c, live, BODY, spaces_u=(1.0, 2.0, 2.0), default=False)
