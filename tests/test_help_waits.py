"""Help waits (issue 27.1): a candidate who went to fetch staff finds the session as they left
it. No "are you still there?" for `[help] wait_minutes` on Help or on "End the interview?", the
help screen says how long the booth waits, and only after that does the booth ask first."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytest
from test_flow import Booth

from booth.config.errors import ConfigError
from booth.config.settings import load_settings
from booth.session.effects import DiscardTake, FinishSession, KeepTake
from booth.session.flow import Timing
from booth.ui.renderer import Renderer


def screen_text(booth: Booth, language: str = "en", size: tuple[int, int] = (800, 480)) -> str:
    """Every text drawn on the booth's current screen, as a candidate reads it."""
    pygame.font.init()
    booth.flow.candidate.language = language
    renderer = Renderer(size)
    renderer.draw(pygame.Surface(size), booth.flow.view(), None, None, 0.0)
    # A no-break space keeps "10 minutes" on one line; the candidate reads a space.
    return "\n".join(box.text.replace("\u00a0", " ") for box in renderer.text_boxes)


def q2_waiting_on_review() -> Booth:
    """Question 1 kept; question 2's first take recorded and not kept yet."""
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop").press("keep")
    b.press("next").press("next").wait(3).press("stop")
    assert b.screen == "review"
    return b


def test_help_waits_ten_minutes_without_asking_and_deletes_nothing():
    b = q2_waiting_on_review().press("help")
    b.wait(9 * 60 + 59, step=1.0)
    assert b.screen == "help"
    assert not b.of(DiscardTake) and not b.of(FinishSession)
    b.press("back")
    assert b.screen == "review"
    b.press("keep")
    assert b.of(KeepTake)[-1] == KeepTake("q2", 1)


def test_after_the_help_wait_the_booth_asks_before_anything_ends():
    b = q2_waiting_on_review().press("help").wait(10 * 60, step=1.0)
    assert b.screen == "inactive"
    assert not b.of(FinishSession)
    b.press("back")  # "I'm here": back where they were, take still waiting
    assert b.screen == "review" and b.flow.view().pending_take


def test_a_candidate_who_never_comes_back_ends_after_the_wait_and_the_grace():
    b = q2_waiting_on_review().press("help").wait(10 * 60 + 20, step=1.0)
    assert b.screen == "idle"
    assert b.of(FinishSession) == [FinishSession("ended-early")]


def test_end_interview_confirmation_waits_like_help():
    b = q2_waiting_on_review().press("end").wait(5 * 60, step=1.0)
    assert b.screen == "end-confirm" and not b.of(FinishSession)
    b.press("back")
    assert b.screen == "review" and b.flow.view().pending_take


def test_the_help_wait_is_the_booths_setting():
    b = Booth(timing=Timing(help_wait_seconds=120)).to_check().press("help").wait(119)
    assert b.screen == "help"
    b.wait(1)
    assert b.screen == "inactive"


def test_other_screens_still_ask_after_a_minute():
    assert Booth().to_check().wait(60).screen == "inactive"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The booth waits 10 minutes for you and keeps everything as it is."),
        ("sv", "Båset väntar 10 minuter på dig och behåller allt som det är."),
    ],
)
def test_help_says_how_long_the_booth_waits(language, said):
    b = q2_waiting_on_review().press("help")
    assert said in screen_text(b, language)
    b = Booth(timing=Timing(help_wait_seconds=5 * 60)).to_check().press("help")
    assert said.replace("10", "5") in screen_text(b, language, (1920, 1080))


def test_help_on_the_idle_screen_promises_no_wait():
    b = Booth().press("help")
    assert "waits" not in screen_text(b, "en")


def write(tmp_path, text):
    path = tmp_path / "booth.toml"
    path.write_text(text)
    return path


def test_wait_minutes_is_read_from_help_and_defaults_to_ten(tmp_path):
    assert load_settings(write(tmp_path, "")).timing.help_wait_seconds == 600
    settings = load_settings(write(tmp_path, "[help]\nwait_minutes = 15\n"))
    assert settings.help.wait_minutes == 15
    assert settings.timing.help_wait_seconds == 15 * 60


@pytest.mark.parametrize("value", ["0", "61", '"10"', "2.5"])
def test_a_bad_wait_minutes_names_the_file_the_field_and_the_fix(tmp_path, value):
    path = write(tmp_path, f"[help]\nwait_minutes = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert "booth.toml" in message and "help.wait_minutes" in message
    assert "from 1 to 60" in message
