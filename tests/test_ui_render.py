"""The kiosk's screens: every screen at every size, in every language, readable and touchable."""

from __future__ import annotations

import os
from dataclasses import replace
from itertools import combinations

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest

from booth.session.view import SCREENS, View
from booth.ui import palette
from booth.ui.fonts import FontBook, FontMissingError
from booth.ui.i18n import translator
from booth.ui.renderer import Renderer
from booth.ui.widgets import MicLevel
from tools.gallery import sample_mic, sample_views, synthetic_face
from tools.msgids import marked_msgids

SIZES = [(800, 480), (1920, 1080), (480, 800)]
FACE = synthetic_face(160, 120)


@pytest.fixture(scope="module")
def renderers():
    pygame.font.init()
    return {size: Renderer(size) for size in SIZES + [(1080, 1920)]}


def draw(renderer, size, view, preview=FACE, mic=None, **kw):
    surface = pygame.Surface(size)
    hits = renderer.draw(surface, view, preview, mic, 0.0, **kw)
    return surface, hits


def test_samples_cover_every_screen():
    assert {v.screen for v in sample_views("sv").values()} == set(SCREENS)


def _check_layout(renderer, size, name, view):
    surface, hits = draw(renderer, size, view, mic=sample_mic(name))
    bounds = surface.get_rect()
    short = min(size)
    for hit in hits:
        assert bounds.contains(hit.rect), f"{name}: {hit.action} button leaves the screen"
        assert min(hit.rect.size) >= 0.1 * short, f"{name}: {hit.action} button is too small"
    for a, b in combinations(hits, 2):
        assert not a.rect.colliderect(b.rect), f"{name}: {a.action} overlaps {b.action}"
    boxes = renderer.text_boxes
    assert boxes, f"{name}: nothing written"
    for box in boxes:
        assert bounds.contains(box.rect), f"{name}: {box.text!r} leaves the screen"
    for a, b in combinations(boxes, 2):
        assert not a.rect.colliderect(b.rect), f"{name}: {a.text!r} overlaps {b.text!r}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_screen_fits_and_every_button_is_big_enough(renderers, size, language):
    for name, view in sample_views(language).items():
        _check_layout(renderers[size], size, name, view)


@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1080, 1920)], ids=str)
def test_long_swedish_texts_wrap_inside_the_screen(renderers, size):
    for name, view in sample_views("sv", long_texts=True).items():
        _check_layout(renderers[size], size, name, view)


def test_swedish_screens_show_no_untranslated_english(renderers):
    sv = translator("sv")
    # "In English" is meant to be read in English: it switches to English.
    english_only = {m for m in marked_msgids() if sv(m) != m} - {"In English"}
    for name, view in sample_views("sv").items():
        draw(renderers[(800, 480)], (800, 480), view)
        shown = {box.text for box in renderers[(800, 480)].text_boxes}
        assert not shown & english_only, f"{name} shows English: {shown & english_only}"


def test_language_button_names_the_other_language_in_that_language(renderers):
    view = View("idle", "en", ("sv", "en"))
    _, hits = draw(renderers[(800, 480)], (800, 480), view)
    texts = {b.text for b in renderers[(800, 480)].text_boxes}
    assert "På svenska" in texts
    assert "language" in {h.action for h in hits}
    draw(renderers[(800, 480)], (800, 480), View("idle", "sv", ("sv", "en")))
    assert "In English" in {b.text for b in renderers[(800, 480)].text_boxes}


def test_no_language_button_when_there_is_one_language(renderers):
    _, hits = draw(renderers[(800, 480)], (800, 480), View("idle", "sv", ("sv",)))
    assert "language" not in {h.action for h in hits}


def test_preview_is_shown_mirrored(renderers):
    # A red block at the camera's left must appear at the preview's right.
    frame = np.full((120, 160, 3), 90, np.uint8)
    frame[40:80, 0:30] = (255, 0, 0)
    renderer = renderers[(800, 480)]
    surface, _ = draw(renderer, (800, 480), sample_views("en")["check"], preview=frame)
    rect = renderer.preview_rect
    y = rect.y + rect.h // 2
    right = surface.get_at((rect.right - 1 - rect.w // 20, y))[:3]
    left = surface.get_at((rect.x + rect.w // 20, y))[:3]
    assert right == (255, 0, 0)
    assert left != (255, 0, 0)


def test_non_contiguous_preview_frames_are_accepted(renderers):
    frame = np.ascontiguousarray(np.broadcast_to(FACE, FACE.shape))[:, ::2]  # a strided view
    assert not frame.flags.c_contiguous
    draw(renderers[(800, 480)], (800, 480), sample_views("en")["recording"], preview=frame)


def _red_pixels(surface: pygame.Surface, area: pygame.Rect) -> int:
    pixels = pygame.surfarray.pixels3d(surface)[area.x : area.right, area.y : area.bottom]
    return int(np.all(pixels == palette.REC_RED, axis=-1).sum())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_recording_shows_rec_in_red_and_in_words(renderers, size):
    renderer = renderers[size]
    surface, hits = draw(renderer, size, sample_views("sv")["recording"])
    # In the candidate's language: no English "REC" on a Swedish screen (issue 27.7).
    rec = [b for b in renderer.text_boxes if b.text == "Spelar in"]
    assert rec, "the words 'Spelar in' are on screen"
    near = rec[0].rect.inflate(rec[0].rect.w * 2, rec[0].rect.h)
    assert _red_pixels(surface, near.clip(surface.get_rect())) > 50
    assert "stop" in {h.action for h in hits}
    texts = {b.text for b in renderer.text_boxes}
    assert {"Fråga 2 av 3", "Försök 2 av 3", "1:24", "Titta hit"} <= texts


def test_no_rec_indicator_when_not_recording(renderers):
    renderer = renderers[(800, 480)]
    surface, _ = draw(renderer, (800, 480), sample_views("sv")["review"])
    assert "Spelar in" not in {b.text for b in renderer.text_boxes}
    assert _red_pixels(surface, surface.get_rect()) == 0


def test_unlimited_takes_read_try_k_without_a_total(renderers):
    draw(renderers[(800, 480)], (800, 480), sample_views("en")["recording-unlimited"])
    assert "Try 2" in {b.text for b in renderers[(800, 480)].text_boxes}


def test_retake_is_offered_only_while_takes_remain(renderers):
    views = sample_views("en")
    _, hits = draw(renderers[(800, 480)], (800, 480), views["review"])
    assert {"replay", "retake", "keep"} <= {h.action for h in hits}
    _, hits = draw(renderers[(800, 480)], (800, 480), views["review-last"])
    assert "retake" not in {h.action for h in hits}
    assert "That was your last try. It will be sent." in {
        b.text for b in renderers[(800, 480)].text_boxes
    }


def test_intro_next_waits_until_the_clip_has_played(renderers):
    views = sample_views("en")
    _, hits = draw(renderers[(800, 480)], (800, 480), views["intro"])
    assert "next" not in {h.action for h in hits}
    _, hits = draw(renderers[(800, 480)], (800, 480), views["intro-played"])
    assert "next" in {h.action for h in hits}


def test_code_keypad_has_every_digit_and_locks_while_paused(renderers):
    views = sample_views("en")
    _, hits = draw(renderers[(800, 480)], (800, 480), views["code"])
    assert {h.value for h in hits if h.action == "digit"} == set("0123456789")
    assert {"delete", "confirm", "back"} <= {h.action for h in hits}
    _, hits = draw(renderers[(800, 480)], (800, 480), views["code-locked"])
    assert {h.action for h in hits} & {"digit", "confirm"} == set()
    assert any("27 seconds" in b.text for b in renderers[(800, 480)].text_boxes)


def test_clip_frames_are_drawn_in_the_clip_area(renderers):
    renderer = renderers[(800, 480)]
    clip = np.zeros((90, 160, 3), np.uint8)
    clip[:, :] = (0, 200, 0)
    surface, _ = draw(renderer, (800, 480), sample_views("en")["intro"], clip_frame=clip)
    assert surface.get_at(renderer.clip_rect.center)[:3] == (0, 200, 0)


def test_meter_says_too_quiet_in_words(renderers):
    quiet = MicLevel(rms_dbfs=-55, peak_dbfs=-50, clipping=False, too_quiet=True)
    draw(renderers[(800, 480)], (800, 480), sample_views("en")["check"], mic=quiet)
    assert "Too quiet: speak louder" in {b.text for b in renderers[(800, 480)].text_boxes}


def test_configured_help_text_is_shown():
    renderer = Renderer((800, 480), help_text={"sv": "Ring 010-123 45 67", "en": "Call 010"})
    draw(renderer, (800, 480), sample_views("sv")["help"])
    assert "Ring 010-123 45 67" in {b.text for b in renderer.text_boxes}


# The WCAG 2.1 contrast arithmetic that keeps the kiosk's colours readable (booth.ui.palette).
# (text colour, background colour) for every place text is drawn.
TEXT_PAIRS: dict[str, tuple[palette.Color, palette.Color]] = {
    "body on background": (palette.TEXT, palette.BACKGROUND),
    "body on panel": (palette.TEXT, palette.PANEL),
    "muted on background": (palette.TEXT_MUTED, palette.BACKGROUND),
    "muted on panel": (palette.TEXT_MUTED, palette.PANEL),
    "warning on background": (palette.WARNING, palette.BACKGROUND),
    "warning on panel": (palette.WARNING, palette.PANEL),
    "label on primary button": (palette.TEXT, palette.PRIMARY),
    "label on secondary button": (palette.TEXT, palette.SECONDARY),
    "label on disabled button": (palette.DISABLED_TEXT, palette.DISABLED),
    "look-here label on background": (palette.LOOK_HERE, palette.BACKGROUND),
}


def relative_luminance(color: palette.Color) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: palette.Color, b: palette.Color) -> float:
    """WCAG contrast ratio between two colours, 1:1 (same) to 21:1 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("pair", sorted(TEXT_PAIRS))
def test_every_text_colour_has_at_least_4_5_to_1_contrast(pair):
    fg, bg = TEXT_PAIRS[pair]
    assert contrast_ratio(fg, bg) >= 4.5


def test_contrast_ratio_matches_wcag_extremes():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, 0.01)


def test_swedish_letters_have_glyphs():
    pygame.font.init()
    fonts = FontBook()
    for bold in (False, True):
        font = fonts.get(40, bold)
        for metrics in font.metrics("åäöÅÄÖ"):
            assert metrics is not None and metrics[4] > 0
        assert font.size("å")[0] > 0
    assert fonts.get(40) is fonts.get(40)  # one font object per size


def test_missing_font_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FontMissingError) as err:
        FontBook(tmp_path / "nope.ttf")
    assert "nope.ttf" in str(err.value) and "fonts-dejavu-core" in str(err.value)


CLIP_SIZES = [(800, 480), (1920, 1080)]


def _labelled(renderer, hits, action):
    """The texts written inside the hit boxes of `action`."""
    rects = [h.rect for h in hits if h.action == action]
    return {b.text for b in renderer.text_boxes if any(r.contains(b.rect) for r in rects)}


@pytest.mark.parametrize("size", CLIP_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize(
    ("name", "label"),
    [("intro", "Pause"), ("intro-paused", "Play"), ("question-audio", "Pause"),
     ("review-replay", "Play")],
)  # fmt: skip
def test_playing_clips_have_a_pause_and_play_button(renderers, size, language, name, label):
    renderer = renderers[size]
    _, hits = draw(renderer, size, sample_views(language)[name])
    assert _labelled(renderer, hits, "pause") == {translator(language)(label)}
    assert "replay" not in {h.action for h in hits}


@pytest.mark.parametrize("size", CLIP_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_watched_intro_clip_offers_skip_where_next_was(renderers, size, language):
    tr, renderer, views = translator(language), renderers[size], sample_views(language)
    _, hits = draw(renderer, size, views["intro-skip"])
    assert _labelled(renderer, hits, "next") == {tr("Skip")}
    _, hits = draw(renderer, size, views["intro-played"])
    assert _labelled(renderer, hits, "next") == {tr("Next")}
    assert _labelled(renderer, hits, "replay") == {tr("Watch again")}
    _, hits = draw(renderer, size, views["intro"])
    assert "next" not in {h.action for h in hits}  # first viewing: neither Next nor Skip yet
    assert tr("Skip") not in {b.text for b in renderer.text_boxes}


def test_no_pause_button_where_the_interview_does_not_allow_it(renderers):
    view = replace(sample_views("en")["intro"], clip_pausable=False)
    _, hits = draw(renderers[(800, 480)], (800, 480), view)
    assert "pause" not in {h.action for h in hits}


def test_a_paused_clip_shows_a_pause_sign_over_its_frame(renderers):
    renderer = renderers[(800, 480)]
    clip = np.full((90, 160, 3), (0, 200, 0), np.uint8)
    surface, _ = draw(renderer, (800, 480), sample_views("en")["intro-paused"], clip_frame=clip)
    rect = renderer.clip_rect
    assert surface.get_at(rect.center)[:3] != (0, 200, 0)
    assert surface.get_at((rect.x + 4, rect.y + 4))[:3] == (0, 200, 0)


def test_a_question_read_aloud_shows_its_text_large_and_waits_for_the_end(renderers):
    renderer = renderers[(800, 480)]
    view = sample_views("en")["question-audio"]
    _, hits = draw(renderer, (800, 480), view)
    assert "next" not in {h.action for h in hits}
    assert "The question is read aloud." in {b.text for b in renderer.text_boxes}
    assert renderer.clip_rect is None  # no video area: the text is the question
    done = replace(view, clip_playing=False, clip_pausable=False, clip_played=True,
                   clip_replayable=True)  # fmt: skip
    _, hits = draw(renderer, (800, 480), done)
    assert "next" in {h.action for h in hits}
    assert _labelled(renderer, hits, "replay") == {"Listen again"}
