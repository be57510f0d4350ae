"""A receipt that stays and can leave the room (issue 27.6): on the done screen the receipt is in
body size and full contrast, it stays until Finish (or a minute after the last touch), and a QR
code holds the reference and the date, and nothing about the candidate."""

from __future__ import annotations

import os
import re

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest
import zxingcpp
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from test_flow import Booth

from booth.ui import palette
from booth.ui.canvas import BODY, Canvas
from booth.ui.i18n import translator
from booth.ui.renderer import Renderer
from tools.gallery import sample_views

SIZES = [(800, 480), (1920, 1080), (480, 800)]


def done_booth() -> Booth:
    """A candidate who answered every question, on the done screen; the kiosk named the
    session's spool directory."""
    b = Booth().to_question_1()
    b.flow.session_opened("20261125T090000Z-5be0c2d4")
    b.press("next").press("record").wait(3).press("stop").press("keep")
    b.press("next").wait(3).press("stop").press("keep")
    b.press("next").press("record").wait(3).press("stop").press("keep")
    assert b.screen == "done"
    return b


def draw(view, size=(800, 480)):
    pygame.font.init()
    renderer = Renderer(size)
    surface = pygame.Surface(size)
    hits = renderer.draw(surface, view, None, None, 0.0)
    return surface, renderer.text_boxes, hits


def decode_qr(surface: pygame.Surface) -> list[str]:
    """What a phone reads from the screen: every QR code in the picture."""
    pixels = np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))
    return [
        r.text for r in zxingcpp.read_barcodes(pixels) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


# ------------------------------------------------------------------ it stays
def test_the_receipt_stays_a_minute_without_a_touch_not_15_seconds():
    b = done_booth().wait(59)
    assert b.screen == "done"
    b.wait(1)
    assert b.screen == "idle"


def test_a_touch_on_the_receipt_keeps_it_up_another_minute():
    b = done_booth().wait(50).press("stay").wait(50)
    assert b.screen == "done"
    b.press("help").wait(120).press("back")  # help holds it too
    assert b.screen == "done" and b.wait(59).screen == "done"
    assert b.wait(1).screen == "idle"


def test_finish_ends_it_at_once():
    assert done_booth().press("next").screen == "idle"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_receipt_is_a_touch_target_that_keeps_the_screen(size):
    _, _, hits = draw(sample_views("en")["done-receipt"], size)
    assert "stay" in {h.action for h in hits}


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This screen stays until you press Finish, or 1 minute after your last touch."),
        ("sv", "Skärmen finns kvar tills du trycker på Avsluta, eller 1 minut efter att du rörde "
               "den sist."),
    ],
)  # fmt: skip
def test_the_done_screen_says_how_long_it_stays(language, said):
    b = done_booth()
    b.flow.candidate.language = language
    _, boxes, _ = draw(b.flow.view())
    assert said in [box.text.replace("\u00a0", " ") for box in boxes]


# ------------------------------------------------------------------ readable
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_receipt_is_in_body_size_and_full_contrast(size, language):
    view = sample_views(language)["done-receipt"]
    surface, boxes, _ = draw(view, size)
    tr = translator(language)
    reference = tr("Reference: {ref}").format(ref="3f9a1c7e")
    (box,) = [b for b in boxes if b.text == reference]
    canvas = Canvas(surface, Renderer(size).fonts, tr, {})
    body_px = canvas.fonts.get(canvas.px(BODY), True).get_height()
    assert box.rect.h >= body_px - 1, f"{reference!r} is set smaller than body text"
    pixels = pygame.surfarray.array3d(surface.subsurface(box.rect))
    brightest = tuple(int(v) for v in pixels.reshape(-1, 3).max(axis=0))
    assert brightest == palette.TEXT, "the reference is drawn muted, not in full contrast"


# ------------------------------------------------------------------ the QR code
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("language", "head"), [("en", "Video interview receipt"), ("sv", "Kvitto från videointervjun")]
)
def test_the_qr_code_holds_the_reference_and_the_date(size, language, head):
    surface, _, _ = draw(sample_views(language)["done-receipt"], size)
    tr = translator(language)
    assert decode_qr(surface) == [
        f"{head}\n{tr('Reference: {ref}').format(ref='3f9a1c7e')}\n2025-03-17 10:15"
    ]


def test_no_qr_code_without_a_session():
    for name in ("done", "done-declined"):
        surface, _, hits = draw(sample_views("en")[name])
        assert decode_qr(surface) == [] and "stay" not in {h.action for h in hits}


SIMULATED_VISIT = """
press language
expect idle
press start
type 123456
press confirm
expect welcome
press next
press accept
expect check
press end
expect end-confirm
press confirm
expect done
screenshot done
wait 59
expect done
press next
expect idle
"""


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_phone_reads_the_simulated_booths_receipt_and_finds_no_personal_data(
    small_booth, tmp_path
):
    out = tmp_path / "out"
    assert simulate_booth(small_booth, SIMULATED_VISIT, out, EXAMPLE_INTERVIEWS) == 0
    (session,) = [p for p in (out / "spool").iterdir() if p.is_dir()]
    shot = pygame.image.load(str(out / "screens" / "done.png"))
    (text,) = decode_qr(shot)
    reference = session.name.rsplit("-", 1)[-1]
    assert re.fullmatch(
        rf"Video interview receipt\nReference: {reference}\n\d{{4}}-\d\d-\d\d \d\d:\d\d", text
    )
    # The example's first invitation: code 123456, candidate reference CAND-0001.
    for personal in ("123456", "CAND-0001", "cand-0001"):
        assert personal not in text
