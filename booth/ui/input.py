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

from booth.session.screens import CLIP_SCREENS, Action, Screen
from booth.ui.canvas import HitBox

Press = tuple[str, str | None]
"""An action and its value (a digit), as the flow takes them."""

# What Enter (and an arcade "next" button) means on each screen.
PRIMARY_ACTIONS: dict[str, Action] = {
    Screen.IDLE: Action.START,
    Screen.CODE: Action.CONFIRM,
    Screen.WELCOME: Action.NEXT,
    Screen.CONSENT: Action.ACCEPT,
    Screen.CHECK: Action.NEXT,
    Screen.INTRO: Action.NEXT,
    Screen.PRACTICE: Action.RECORD,
    Screen.QUESTION: Action.NEXT,
    Screen.THINK: Action.RECORD,
    Screen.RECORDING: Action.STOP,
    Screen.REVIEW: Action.KEEP,
    Screen.DONE: Action.NEXT,
    Screen.HELP: Action.BACK,
    Screen.INACTIVE: Action.BACK,
    Screen.END_CONFIRM: Action.BACK,  # the safe choice: carry on
    Screen.CHECK_HELP: Action.BACK,  # back to the check
}
# What Space (and an arcade record/stop button) means on each screen.
RECORD_STOP_ACTIONS: dict[str, Action] = {
    Screen.PRACTICE: Action.RECORD,
    Screen.THINK: Action.RECORD,
    Screen.RECORDING: Action.STOP,
}
# Space pauses and plays on what is playing on the clip screens (the arcade buttons do not).
PAUSE_SCREENS = CLIP_SCREENS

_LETTER_KEYS: dict[int, Action] = {
    pygame.K_ESCAPE: Action.BACK,
    pygame.K_BACKSPACE: Action.DELETE,
    pygame.K_F1: Action.HELP,
    pygame.K_h: Action.HELP,
    pygame.K_l: Action.LANGUAGE,
    pygame.K_r: Action.RETAKE,
    pygame.K_p: Action.REPLAY,
    pygame.K_k: Action.PAUSE,
    pygame.K_PAUSE: Action.PAUSE,
    pygame.K_e: Action.END,
    pygame.K_m: Action.MORE_TIME,
    pygame.K_y: Action.CONFIRM,
}
_DIGIT_KEYS = {getattr(pygame, f"K_{d}"): str(d) for d in range(10)} | {
    getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)
}


def primary_action(screen: str) -> Action | None:
    """The action that moves the candidate on from `screen`, or None where there is none."""
    return PRIMARY_ACTIONS.get(screen)


def record_stop_action(screen: str) -> Action | None:
    """Record or stop, whichever `screen` offers, or None."""
    return RECORD_STOP_ACTIONS.get(screen)


def key_action(key: int, screen: str) -> Press | None:
    """The action for a pressed key on `screen`, or None for keys that mean nothing."""
    if key in _DIGIT_KEYS:
        return ("digit", _DIGIT_KEYS[key])
    if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
        action = primary_action(screen)
    elif key == pygame.K_SPACE:
        action = record_stop_action(screen) or (Action.PAUSE if screen in PAUSE_SCREENS else None)
    else:
        action = _LETTER_KEYS.get(key)
    return (action, None) if action else None


def hit_action(pos: tuple[float, float], hitboxes: Sequence[HitBox]) -> Press | None:
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
    ) -> Press | None:
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
