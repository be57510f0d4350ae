"""Turns pygame events (keys, mouse clicks, finger touches) into the session's actions.

One input stream: a USB keyboard, the touchscreen and arcade buttons wired as key
presses all end up as `(action, value)` pairs from `booth.session.view.ACTIONS`.
Keys:
    0–9 (and the keypad's)  digit            Backspace  delete
    Enter                   the screen's main step (confirm, next, accept, keep, record, stop)
    Space                   record, or stop while recording; pause/play a clip (intro, question)
                            or a take played back (review)
    Esc                     back              F1 or H   help
    L                       language          R         retake        P   replay
    K or Pause              pause/play a clip, as on most video players
    E                       End the interview (asks first; Y confirms, Esc or Enter carries on)
    M                       "I need more time" on the think screen, where offered
No key or key combination quits: the kiosk is for candidates. Closing the window
quits only in windowed demo mode (`allow_window_close=True`), as ("quit", None).
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from booth.session.screens import CLIP_SCREENS
from booth.ui.canvas import HitBox

Action = tuple[str, str | None]

# What Enter (and an arcade "next" button) means on each screen.
PRIMARY_ACTIONS = {
    "idle": "start",
    "code": "confirm",
    "welcome": "next",
    "consent": "accept",
    "check": "next",
    "intro": "next",
    "practice": "record",
    "question": "next",
    "think": "record",
    "recording": "stop",
    "review": "keep",
    "done": "next",
    "help": "back",
    "inactive": "back",
    "end-confirm": "back",  # the safe choice: carry on
}
# What Space (and an arcade record/stop button) means on each screen.
RECORD_STOP_ACTIONS = {"practice": "record", "think": "record", "recording": "stop"}
# Space pauses and plays on what is playing on the clip screens (the arcade buttons do not).
PAUSE_SCREENS = CLIP_SCREENS

_LETTER_KEYS = {
    pygame.K_ESCAPE: "back",
    pygame.K_BACKSPACE: "delete",
    pygame.K_F1: "help",
    pygame.K_h: "help",
    pygame.K_l: "language",
    pygame.K_r: "retake",
    pygame.K_p: "replay",
    pygame.K_k: "pause",
    pygame.K_PAUSE: "pause",
    pygame.K_e: "end",
    pygame.K_m: "more_time",
    pygame.K_y: "confirm",
}
_DIGIT_KEYS = {getattr(pygame, f"K_{d}"): str(d) for d in range(10)} | {
    getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)
}


def primary_action(screen: str) -> str | None:
    """The action that moves the candidate on from `screen`, or None where there is none."""
    return PRIMARY_ACTIONS.get(screen)


def record_stop_action(screen: str) -> str | None:
    """Record or stop, whichever `screen` offers, or None."""
    return RECORD_STOP_ACTIONS.get(screen)


def key_action(key: int, screen: str) -> Action | None:
    """The action for a pressed key on `screen`, or None for keys that mean nothing."""
    if key in _DIGIT_KEYS:
        return ("digit", _DIGIT_KEYS[key])
    if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
        action = primary_action(screen)
    elif key == pygame.K_SPACE:
        action = record_stop_action(screen) or ("pause" if screen in PAUSE_SCREENS else None)
    else:
        action = _LETTER_KEYS.get(key)
    return (action, None) if action else None


def hit_action(pos: tuple[float, float], hitboxes: Sequence[HitBox]) -> Action | None:
    """The action of the topmost hit box under `pos` (surface pixels), or None."""
    for box in reversed(hitboxes):
        if box.rect.collidepoint(pos):
            return (box.action, box.value)
    return None


class InputMapper:
    """Maps one pygame event at a time to an action for the current screen.

    allow_window_close: honour the window's close button (windowed demo only).
    """

    def __init__(self, allow_window_close: bool = False) -> None:
        self.allow_window_close = allow_window_close

    def map_event(
        self,
        event: pygame.event.Event,
        screen: str,
        hitboxes: Sequence[HitBox],
        surface_size: tuple[int, int],
    ) -> Action | None:
        """The action `event` stands for on `screen`, or None to ignore it.

        hitboxes: what the last `Renderer.draw` returned; surface_size: the drawn
        surface's size in pixels, to place finger touches (given as 0..1 fractions).
        """
        if event.type in (pygame.QUIT, pygame.WINDOWCLOSE):
            return ("quit", None) if self.allow_window_close else None
        if event.type == pygame.KEYDOWN:
            return key_action(event.key, screen)
        if event.type == pygame.FINGERDOWN:
            w, h = surface_size
            return hit_action((event.x * w, event.y * h), hitboxes)
        if event.type == pygame.MOUSEBUTTONDOWN:
            # SDL also sends a mouse event for every touch; the FINGERDOWN counts.
            if getattr(event, "touch", False) or event.button != 1:
                return None
            return hit_action(event.pos, hitboxes)
        return None
