"""Keys, clicks and touches become the session's actions; nothing a candidate can press quits."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytest

from booth.session.view import ACTIONS, SCREENS
from booth.ui.canvas import HitBox
from booth.ui.input import PRIMARY_ACTIONS, InputMapper

SIZE = (800, 480)
BOXES = [
    HitBox(pygame.Rect(0, 0, 100, 100), "digit", "7"),
    HitBox(pygame.Rect(600, 380, 200, 100), "next"),
]


def key(k: int, mod: int = 0) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0)


def mapped(event, screen="code", allow_close=False):
    return InputMapper(allow_window_close=allow_close).map_event(event, screen, BOXES, SIZE)


def test_digit_keys_and_keypad_digits_type_digits():
    assert mapped(key(pygame.K_4)) == ("digit", "4")
    assert mapped(key(pygame.K_KP0)) == ("digit", "0")


@pytest.mark.parametrize(
    ("screen", "action"),
    [("code", "confirm"), ("welcome", "next"), ("question", "next"), ("intro", "next"),
     ("done", "next"), ("consent", "accept"), ("review", "keep"), ("practice", "record"),
     ("think", "record"), ("recording", "stop")],
)  # fmt: skip
def test_enter_takes_the_screens_main_step(screen, action):
    assert mapped(key(pygame.K_RETURN), screen) == (action, None)
    assert mapped(key(pygame.K_KP_ENTER), screen) == (action, None)


def test_every_main_step_is_a_real_action_on_a_real_screen():
    assert set(PRIMARY_ACTIONS) <= set(SCREENS)
    assert set(PRIMARY_ACTIONS.values()) <= set(ACTIONS)


def test_enter_does_nothing_while_counting_down():
    assert mapped(key(pygame.K_RETURN), "countdown") is None


def test_space_records_or_stops():
    assert mapped(key(pygame.K_SPACE), "think") == ("record", None)
    assert mapped(key(pygame.K_SPACE), "recording") == ("stop", None)
    assert mapped(key(pygame.K_SPACE), "welcome") is None


@pytest.mark.parametrize(
    ("k", "action"),
    [(pygame.K_ESCAPE, "back"), (pygame.K_BACKSPACE, "delete"), (pygame.K_F1, "help"),
     (pygame.K_h, "help"), (pygame.K_l, "language"), (pygame.K_r, "retake"),
     (pygame.K_p, "replay"), (pygame.K_k, "pause"), (pygame.K_PAUSE, "pause")],
)  # fmt: skip
def test_named_keys(k, action):
    assert mapped(key(k), "review") == (action, None)


@pytest.mark.parametrize("screen", ["intro", "question", "review"])
def test_space_pauses_and_plays_on_the_clip_screens(screen):
    assert mapped(key(pygame.K_SPACE), screen) == ("pause", None)


@pytest.mark.parametrize(
    ("k", "mod"),
    [(pygame.K_F4, pygame.KMOD_ALT), (pygame.K_q, pygame.KMOD_CTRL), (pygame.K_c, pygame.KMOD_CTRL),
     (pygame.K_w, pygame.KMOD_CTRL), (pygame.K_ESCAPE, pygame.KMOD_SHIFT)],
)  # fmt: skip
def test_no_key_combination_quits(k, mod):
    assert mapped(key(k, mod)) != ("quit", None)


def test_window_close_quits_only_in_windowed_demo_mode():
    assert mapped(pygame.event.Event(pygame.QUIT)) is None
    assert mapped(pygame.event.Event(pygame.WINDOWCLOSE)) is None
    assert mapped(pygame.event.Event(pygame.QUIT), allow_close=True) == ("quit", None)


def test_click_hits_the_button_under_the_pointer():
    click = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(50, 50), button=1, touch=False)
    assert mapped(click) == ("digit", "7")
    miss = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(400, 200), button=1, touch=False)
    assert mapped(miss) is None


def test_finger_touch_uses_fractions_of_the_screen():
    touch = pygame.event.Event(pygame.FINGERDOWN, x=0.9, y=0.9, touch_id=1, finger_id=0)
    assert mapped(touch) == ("next", None)


def test_mouse_events_made_from_a_touch_are_not_counted_twice():
    echo = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(50, 50), button=1, touch=True)
    assert mapped(echo) is None


def test_right_clicks_are_ignored():
    right = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(50, 50), button=3, touch=False)
    assert mapped(right) is None
