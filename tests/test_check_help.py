"""The equipment check with a way out (issue 27.8): "Something is wrong" leads to help for the
problem the booth measures (no sound, too dark) or the one the candidate picks (the face outside
the oval), and to staff; nothing there ends the session behind the candidate's back."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest
from conftest import EXAMPLE_INTERVIEWS
from test_flow import Booth

from booth.config.settings import load_settings
from booth.session.effects import FinishSession
from booth.sim.booth import build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script
from booth.ui.renderer import Renderer
from booth.ui.widgets import MicLevel
from tools.gallery import synthetic_face

SIZES = [(800, 480), (1920, 1080), (480, 800)]
FACE = synthetic_face(160, 120)
DARK_FACE = (FACE * 0.25).astype(np.uint8)  # what a camera out of exposure shows
VOICE = MicLevel(rms_dbfs=-21, peak_dbfs=-9)
SILENCE = MicLevel(rms_dbfs=-80, peak_dbfs=-75)


def words(booth: Booth, language="en", size=(800, 480), preview=FACE, mic=VOICE, **help_):
    """Every text on the booth's screen, and its touch targets' actions."""
    pygame.font.init()
    booth.flow.candidate.language = language
    renderer = Renderer(size, **help_)
    hits = renderer.draw(pygame.Surface(size), booth.flow.view(), preview, mic, 0.0)
    return [b.text for b in renderer.text_boxes], {(h.action, h.value) for h in hits}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("language", "label"), [("en", "Something is wrong"), ("sv", "Något är fel")]
)
def test_the_check_offers_something_is_wrong(size, language, label):
    texts, actions = words(Booth().to_check(), language, size)
    assert label in texts and ("problem", None) in actions
    assert "Looks good, continue" in texts or "Ser bra ut, fortsätt" in texts


def test_something_is_wrong_opens_its_help_and_back_returns_to_the_check():
    b = Booth().to_check().press("problem")
    assert b.screen == "check-help"
    b.press("back")
    assert b.screen == "check"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The booth hears no sound from you right now."),
        ("sv", "Båset hör inget ljud från dig just nu."),
    ],
)
def test_with_no_sound_it_opens_on_the_sound_help(language, said):
    texts, actions = words(Booth().to_check().press("problem"), language, mic=SILENCE)
    assert said in texts
    assert any(t.startswith("• ") for t in texts)
    assert {("problem", "sound"), ("problem", "light"), ("problem", "framing")} <= actions


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Your face looks dark to the camera."), ("sv", "Ditt ansikte ser mörkt ut i kameran.")],
)
def test_with_a_dark_face_it_opens_on_the_light_help(language, said):
    b = Booth().to_check().press("problem")
    texts, _ = words(b, language, preview=DARK_FACE)
    assert said in texts
    texts, _ = words(b, language, preview=FACE)
    assert said not in texts


def test_when_all_looks_well_the_candidate_picks_the_problem():
    b = Booth().to_check().press("problem")
    texts, _ = words(b)
    assert "The booth hears you and sees you well. Choose what is wrong." in texts
    b.press("problem", "framing")
    texts, _ = words(b)
    assert "• Move the chair until your eyes are on the dashed line." in texts
    b.press("problem", "nonsense")
    assert b.flow.view().check_problem == "framing"


@pytest.mark.parametrize("language", ["en", "sv"])
def test_it_names_staff_from_the_help_settings(language):
    b = Booth().to_check().press("problem")
    texts, _ = words(
        b,
        language,
        help_text={"en": "Ring the bell at the desk.", "sv": "Ring på klockan i receptionen."},
        help_phone="031-123 45 67",
        help_location="Reception",
    )
    assert "Ring the bell at the desk." in texts or "Ring på klockan i receptionen." in texts
    assert any("031-123 45 67" in t for t in texts) and any("Reception" in t for t in texts)


def test_nothing_ends_the_session_while_the_candidate_fixes_things():
    b = Booth().to_check().press("problem").wait(9 * 60 + 59, step=1.0)
    assert b.screen == "check-help" and not b.of(FinishSession)
    b.wait(1)
    assert b.screen == "inactive"  # after the help wait it asks first
    b.press("back")
    assert b.screen == "check" and b.flow.session_open


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_simulated_booth_hears_nothing_and_says_so(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "t"\n[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n'
        "disk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    booth = build_sim_booth(
        load_settings(config), EXAMPLE_INTERVIEWS, tmp_path / "out", headless_display((800, 480))
    )
    script = "press start\ntype 123456\npress confirm\npress next\npress accept\nexpect check\n"
    script += "wait 3\npress problem\nexpect check-help\n"
    try:
        assert run_script(booth, parse_script(script), "s").exit_code == 0
        booth.kiosk.render()
        texts = [b.text for b in booth.kiosk.renderer.text_boxes]
    finally:
        booth.close()
    assert "Båset hör inget ljud från dig just nu." in texts  # the simulated candidate is silent
    assert "Ditt ansikte ser mörkt ut i kameran." not in texts  # the ring light lights the face
