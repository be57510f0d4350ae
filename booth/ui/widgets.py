"""The pieces screens are built from: bars, buttons, preview, meter, recording sign, look-here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from booth.framing import FRAMING
from booth.session.screens import END_SCREENS, HELP_BUTTON_SCREENS, LANGUAGE_SCREENS
from booth.session.view import View
from booth.ui import palette
from booth.ui.canvas import BODY, Canvas
from booth.ui.i18n import N_, translator


@dataclass(frozen=True)
class MicLevel:
    """The microphone's level over the last fraction of a second.

    rms_dbfs, peak_dbfs: decibels relative to full scale (0 = loudest possible, about
    -60 = silence). clipping: samples hit full scale recently. too_quiet: the voice
    has stayed too quiet for several seconds.
    """

    rms_dbfs: float
    peak_dbfs: float
    clipping: bool = False
    too_quiet: bool = False


@dataclass(frozen=True)
class Live:
    """What is drawn with the view but changes every frame, and the booth's own texts."""

    preview: np.ndarray | None = None  # camera RGB frame (H, W, 3), not mirrored
    mic: MicLevel | None = None
    clip_frame: np.ndarray | None = None  # decoded clip or replay frame, RGB
    now: float = 0.0  # seconds, for gentle animation only
    help_text: str | None = None  # how to call staff, already in the candidate's language
    help_phone: str = ""  # a phone number for help ([help] phone)
    help_location: str = ""  # where staff are, in the candidate's language ([help] location)


@dataclass(frozen=True)
class Btn:
    """A button in the bottom row; `left` ones sit at the left edge (back, decline)."""

    label: str
    action: str
    kind: str = "secondary"
    enabled: bool = True
    left: bool = False
    value: str | None = None


METER_FLOOR_DBFS = -60.0
# Below this the meter's bar is (nearly) empty and no voice is heard: the level meter's own
# "too quiet" threshold (booth.devices.level_meter, quiet_dbfs).
SPEECH_FLOOR_DBFS = -45.0


def next_language(view: View) -> str | None:
    """The language the language button switches to, or None when there is no choice."""
    if len(view.languages) < 2:
        return None
    if view.language not in view.languages:
        return view.languages[0]
    return view.languages[(view.languages.index(view.language) + 1) % len(view.languages)]


def top_bar(c: Canvas, view: View, title: str) -> pygame.Rect:
    """Title at the left; language, "End interview" and help buttons at the right; returns
    the area below. When the buttons would crowd out the title they share 3/4 of the bar."""
    inner = c.inner()
    bar_h = round(11 * c.u)
    bar = pygame.Rect(inner.x, inner.y, inner.w, bar_h)
    buttons: list[tuple[str, str]] = []  # right to left
    if view.screen in HELP_BUTTON_SCREENS:
        buttons.append((c.tr("Help"), "help"))
    if view.screen in END_SCREENS and (view.interview is not None or view.practice_only):
        buttons.append(
            (c.tr("End practice") if view.practice_only else c.tr("End interview"), "end")
        )
    target = next_language(view)
    if view.screen in LANGUAGE_SCREENS and target is not None:
        # Each catalog names its own language here, so the label is readable by whoever needs it.
        buttons.append((translator(target)(N_("In English")), "language"))
    widths = [c.button_width(label, BODY) for label, _ in buttons]
    room = round(bar.w * 0.75) - c.gap * len(buttons)
    if sum(widths) > room:
        # Too many for 3/4 of the bar (a narrow portrait screen): the buttons take the whole
        # bar at full size, and the title its own row below.
        room = bar.w - c.gap * (len(buttons) - 1)
    if sum(widths) > room:
        widths = [max(round(14 * c.u), w * room // sum(widths)) for w in widths]
    right = bar.right
    for (label, action), w in zip(buttons, widths, strict=True):
        right -= w
        c.button(pygame.Rect(right, bar.y, w, bar_h), label, action, size_u=BODY)
        right -= c.gap
    title_rect = pygame.Rect(bar.x, bar.y, max(1, right - bar.x), bar_h)
    top = bar.bottom + c.gap
    beside = c.fit(title, title_rect, BODY, bold=True) if title else None
    if beside is not None and (beside.px < c.px(BODY) or len(beside.rows) > 1):
        # Beside the buttons the title would shrink below body size or break over lines (a
        # narrow portrait bar): it gets a row of its own under them instead.
        title_rect = pygame.Rect(inner.x, top, inner.w, c.text_height(title, inner.w, BODY, True))
        top = title_rect.bottom + c.gap
    c.text(title, title_rect, BODY, bold=True, color=palette.TEXT_MUTED, valign="middle")
    return pygame.Rect(inner.x, top, inner.w, inner.bottom - top)


def button_row(c: Canvas, area: pygame.Rect, buttons: list[Btn]) -> pygame.Rect:
    """Lay `buttons` along the bottom of `area`; returns what is left above them."""
    if not buttons:
        return area
    h = c.button_height
    row = pygame.Rect(area.x, area.bottom - h, area.w, h)
    gaps = c.gap * (len(buttons) - 1)
    wanted = [max(c.button_width(b.label), round(24 * c.u)) for b in buttons]
    if sum(wanted) + gaps > row.w:
        wanted = [(row.w - gaps) // len(buttons)] * len(buttons)
    lefts = [(b, w) for b, w in zip(buttons, wanted, strict=True) if b.left]
    rights = [(b, w) for b, w in zip(buttons, wanted, strict=True) if not b.left]
    x = row.x
    for b, w in lefts:
        c.button(
            pygame.Rect(x, row.y, w, h), b.label, b.action, b.value, kind=b.kind, enabled=b.enabled
        )
        x += w + c.gap
    x = row.right
    for b, w in reversed(rights):
        x -= w
        c.button(
            pygame.Rect(x, row.y, w, h), b.label, b.action, b.value, kind=b.kind, enabled=b.enabled
        )
        x -= c.gap
    return pygame.Rect(area.x, area.y, area.w, max(0, row.y - c.gap - area.y))


def frame(c: Canvas, view: View, title: str, buttons: list[Btn]) -> pygame.Rect:
    """The usual screen: top bar, bottom buttons; returns the content area between."""
    return button_row(c, top_bar(c, view, title), buttons)


def frame_aspect(frame_rgb: np.ndarray | None, default: float = 4 / 3) -> float:
    """Width / height of a picture, or `default` when there is none yet."""
    if frame_rgb is None or frame_rgb.ndim < 2 or frame_rgb.shape[0] == 0:
        return default
    return frame_rgb.shape[1] / frame_rgb.shape[0]


def fit_aspect(area: pygame.Rect, aspect: float) -> pygame.Rect:
    """The largest rect of width/height `aspect` centred in `area`."""
    w = min(area.w, round(area.h * aspect))
    h = min(area.h, round(w / aspect))
    w = round(h * aspect)
    r = pygame.Rect(0, 0, w, h)
    r.center = area.center
    return r


def image_surface(
    frame_rgb: np.ndarray, size: tuple[int, int], mirror: bool, smooth: bool = True
) -> pygame.Surface:
    """An RGB camera or clip frame (H, W, 3 uint8) scaled to `size`, mirrored if asked.

    smooth: filter when shrinking (a still picture); False scales by the nearest pixel, a
    quarter of the cost, for the live preview, whose next frame comes 33 ms later."""
    data = frame_rgb if frame_rgb.flags.c_contiguous else np.ascontiguousarray(frame_rgb)
    h, w = data.shape[:2]
    surface = pygame.image.frombuffer(data.data, (w, h), "RGB")
    if (w, h) != size:
        shrink = smooth and size[0] < w
        surface = (pygame.transform.smoothscale if shrink else pygame.transform.scale)(
            surface, size
        )
    if mirror:
        # A mirror image is what people expect to see of themselves.
        surface = pygame.transform.flip(surface, True, False)
    return surface


def preview(
    c: Canvas, area: pygame.Rect, frame_rgb: np.ndarray | None, guide: bool = False
) -> pygame.Rect:
    """The mirrored live preview, as large as fits in `area`; returns where it was drawn."""
    rect = fit_aspect(area, frame_aspect(frame_rgb))
    if frame_rgb is None:
        c.panel(rect)
        c.text(
            c.tr("Starting the camera…"),
            rect.inflate(-4 * c.u, -4 * c.u),
            BODY,
            color=palette.TEXT_MUTED,
            align="center",
            valign="middle",
        )
    else:
        c.surface.blit(image_surface(frame_rgb, rect.size, mirror=True, smooth=False), rect)
    if guide:
        framing_guide(c, rect)
    c.preview_rect = rect
    return rect


def framing_guide(c: Canvas, rect: pygame.Rect) -> None:
    """The face oval and a dashed eye line over the preview (booth.framing's geometry)."""
    x, y, w, h = FRAMING.oval(rect.w, rect.h).rounded()
    thick = max(2, round(0.5 * c.u))
    pygame.draw.ellipse(c.surface, palette.GUIDE, (rect.x + x, rect.y + y, w, h), thick)
    eye_y = rect.y + round(FRAMING.eye_y(rect.h))
    dash = max(6, round(2.4 * c.u))
    for x0 in range(rect.x, rect.right, 2 * dash):
        pygame.draw.line(
            c.surface, palette.GUIDE, (x0, eye_y), (min(x0 + dash, rect.right), eye_y), thick
        )


def mic_meter(c: Canvas, area: pygame.Rect, mic: MicLevel | None) -> pygame.Rect:
    """A level bar with its state in words (not colour alone); returns the area used."""
    if mic is None:
        status = c.tr("Microphone: listening…")
        color, fill = palette.TEXT_MUTED, palette.METER_QUIET
    elif mic.clipping:
        status = c.tr("Too loud: lean back")
        color, fill = palette.WARNING, palette.METER_LOUD
    elif mic.too_quiet:
        status, color, fill = (
            c.tr("Too quiet: speak louder"),
            palette.WARNING,
            palette.METER_QUIET,
        )
    elif mic.rms_dbfs < SPEECH_FLOOR_DBFS:
        # Nothing heard yet: the bar is empty, so the words must not say "good".
        status, color, fill = (
            c.tr("No sound yet: say something"),
            palette.TEXT_MUTED,
            palette.METER_QUIET,
        )
    else:
        status, color, fill = c.tr("Sound is good"), palette.TEXT, palette.METER_GOOD
    bar_h = max(8, round(4 * c.u))
    text_area = pygame.Rect(area.x, area.y, area.w, max(1, area.h - bar_h - c.gap // 2))
    used = c.text(status, text_area, BODY, color=color, valign="bottom")
    bar = pygame.Rect(area.x, area.bottom - bar_h, area.w, bar_h)
    radius = bar_h // 2
    pygame.draw.rect(c.surface, palette.PANEL, bar, border_radius=radius)
    if mic is not None:
        level = _fraction(mic.rms_dbfs)
        if level > 0:
            pygame.draw.rect(
                c.surface,
                fill,
                (bar.x, bar.y, max(bar_h, round(bar.w * level)), bar.h),
                border_radius=radius,
            )
        peak_x = bar.x + round(bar.w * _fraction(mic.peak_dbfs))
        pygame.draw.line(
            c.surface,
            palette.TEXT,
            (peak_x, bar.y),
            (peak_x, bar.bottom - 1),
            max(2, round(0.5 * c.u)),
        )
    pygame.draw.rect(
        c.surface, palette.OUTLINE, bar, width=max(1, round(0.3 * c.u)), border_radius=radius
    )
    return used.union(bar)


def _fraction(dbfs: float) -> float:
    return min(1.0, max(0.0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS))


def meter_height(c: Canvas) -> int:
    return round(13 * c.u)


def rec_indicator(c: Canvas, area: pygame.Rect) -> pygame.Rect:
    """A red dot and the word "Recording": shown in words, not by colour alone."""
    radius = round(2.6 * c.u)
    center = (area.x + radius, area.y + radius + round(0.6 * c.u))
    pygame.draw.circle(c.surface, palette.REC_RED, center, radius)
    label = pygame.Rect(
        area.x + 2 * radius + c.gap,
        area.y,
        max(1, area.w - 2 * radius - c.gap),
        2 * radius + round(1.2 * c.u),
    )
    used = c.text(c.tr("Recording"), label, HEADING_REC, bold=True, valign="middle")
    return used.union(pygame.Rect(area.x, area.y, 2 * radius, 2 * radius))


HEADING_REC = 5.2


def look_here(c: Canvas) -> int:
    """An arrow up to the lens (top centre, above the screen) and "Look here".

    Returns the y just below it."""
    cx = c.w // 2
    tip, base, half = round(0.6 * c.u), round(5 * c.u), round(3.6 * c.u)
    pygame.draw.polygon(
        c.surface, palette.LOOK_HERE, [(cx, tip), (cx - half, base), (cx + half, base)]
    )
    label = pygame.Rect(
        cx - round(30 * c.u), base + round(0.6 * c.u), round(60 * c.u), round(6 * c.u)
    )
    used = c.text(
        c.tr("Look here"),
        label,
        BODY,
        bold=True,
        color=palette.LOOK_HERE,
        align="center",
        min_u=2.6,
    )
    return max(used.bottom, base)


def clip_area(
    c: Canvas, area: pygame.Rect, caption: str, state: str, frame_rgb: np.ndarray | None
) -> pygame.Rect:
    """The area a clip plays in; until decoded frames arrive, a calm placeholder."""
    rect = fit_aspect(area, frame_aspect(frame_rgb, 16 / 9))
    c.clip_rect = rect
    if frame_rgb is not None:
        c.surface.blit(image_surface(frame_rgb, rect.size, mirror=False), rect)
        return rect
    c.panel(rect)
    inner = rect.inflate(-round(6 * c.u), -round(6 * c.u))
    # A play symbol, drawn (not a glyph) so it looks the same in every font.
    s = round(min(inner.h, inner.w) * 0.22)
    cx, cy = rect.centerx, rect.y + rect.h * 0.42
    pygame.draw.polygon(
        c.surface,
        palette.TEXT_MUTED,
        [(cx - s * 0.45, cy - s / 2), (cx - s * 0.45, cy + s / 2), (cx + s * 0.55, cy)],
    )
    lower = pygame.Rect(
        inner.x,
        round(cy + s / 2 + c.gap),
        inner.w,
        max(1, inner.bottom - round(cy + s / 2 + c.gap)),
    )
    c.text(
        f"{caption}\n{state}" if caption else state,
        lower,
        BODY,
        color=palette.TEXT_MUTED,
        align="center",
    )
    return rect


def paused_badge(c: Canvas, rect: pygame.Rect) -> None:
    """A pause sign (two bars on a disc) in the middle of a clip that is paused."""
    radius = round(min(rect.w, rect.h) * 0.16)
    pygame.draw.circle(c.surface, palette.BACKGROUND, rect.center, radius)
    pygame.draw.circle(c.surface, palette.OUTLINE, rect.center, radius, max(2, round(0.4 * c.u)))
    bar_w, bar_h = round(radius * 0.28), round(radius * 0.9)
    for dx in (-0.3, 0.3):
        bar = pygame.Rect(0, 0, bar_w, bar_h)
        bar.center = (round(rect.centerx + dx * radius), rect.centery)
        pygame.draw.rect(c.surface, palette.TEXT, bar, border_radius=max(1, bar_w // 4))
