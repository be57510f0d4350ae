"""The booth's screens and the candidate's actions, as types, and what each screen allows.

Screen ids are named after what the candidate sees; their values are the ids that scripts,
events.jsonl, the state record and screenshots use. Actions are what touch, keys and GPIO
buttons are all turned into (booth.ui.input).

`RULES` is the one table of what a screen allows: the flow enforces it, and the ui draws the
buttons it allows. Both read it, so a screen cannot offer a button the flow refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, unique


@unique
class Screen(StrEnum):
    IDLE = "idle"
    CODE = "code"
    WELCOME = "welcome"
    CONSENT = "consent"
    CHECK = "check"
    INTRO = "intro"
    PRACTICE = "practice"
    QUESTION = "question"
    THINK = "think"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    REVIEW = "review"
    DONE = "done"
    HELP = "help"
    INACTIVE = "inactive"
    CLOSED = "closed"
    OUT_OF_ORDER = "out-of-order"
    END_CONFIRM = "end-confirm"
    CHECK_HELP = "check-help"  # "Something is wrong" on the check: help for what the booth measures


@unique
class Action(StrEnum):
    START = "start"
    PRACTICE = "practice"
    LANGUAGE = "language"
    DIGIT = "digit"  # with a value "0".."9"
    DELETE = "delete"  # remove the last typed digit
    CONFIRM = "confirm"
    BACK = "back"
    NEXT = "next"
    ACCEPT = "accept"
    DECLINE = "decline"
    RECORD = "record"
    STOP = "stop"
    KEEP = "keep"
    RETAKE = "retake"
    REPLAY = "replay"
    PAUSE = "pause"  # pause a playing clip, or play on from where it was paused
    HELP = "help"
    MORE_TIME = "more_time"  # think: "I need more time", once per question where allowed
    END = "end"  # "End the interview": asks for confirmation first (screen end-confirm)
    # check: "Something is wrong" (no value); check-help: the problem to help with, "sound",
    # "light" or "framing"
    PROBLEM = "problem"
    STAY = "stay"  # done: a touch on the receipt, which keeps it on screen a while longer


@dataclass(frozen=True)
class ScreenRules:
    """What one screen allows.

    help: the help action opens help over it (not while the camera is rolling, nor over an
        overlay).
    help_button: its top bar shows Help. The done screen takes the help key but shows no
        button: its one button is Finish.
    language: the language can be switched there.
    inactivity: the "are you still there?" guard runs after `inactivity_seconds` (not where
        the candidate is busy, a timer of the screen moves things on, or there is no session
        to guard).
    waits: the guard runs only after `help_wait_seconds` ([help] wait_minutes): the
        candidate may have gone to fetch staff, or be thinking over whether to end (issue 27).
    end: it offers "End the interview" during a session. Not the 3-2-1 or the recording: a
        stray touch there must not end a take; Stop first, then End on the review.
    preview: it shows the live camera preview (the others never look at it).
    clip: a clip, the spoken question or a take's replay plays on it.
    overlay: it is drawn over another screen, which it returns to.
    """

    help: bool = False
    help_button: bool = False
    language: bool = False
    inactivity: bool = False
    waits: bool = False
    end: bool = False
    preview: bool = False
    clip: bool = False
    overlay: bool = False


_HELP = {"help": True, "help_button": True}
S = Screen
RULES: dict[Screen, ScreenRules] = {
    S.IDLE: ScreenRules(**_HELP, language=True),
    S.CODE: ScreenRules(**_HELP, language=True, inactivity=True),
    S.WELCOME: ScreenRules(**_HELP, language=True, inactivity=True),
    S.CONSENT: ScreenRules(**_HELP, language=True, inactivity=True),
    S.CHECK: ScreenRules(**_HELP, language=True, inactivity=True, end=True, preview=True),
    S.INTRO: ScreenRules(**_HELP, inactivity=True, end=True, clip=True),
    S.PRACTICE: ScreenRules(**_HELP, inactivity=True, end=True),
    S.QUESTION: ScreenRules(**_HELP, inactivity=True, end=True, clip=True),
    S.THINK: ScreenRules(**_HELP, end=True),
    S.COUNTDOWN: ScreenRules(preview=True),
    S.RECORDING: ScreenRules(preview=True),
    S.REVIEW: ScreenRules(**_HELP, inactivity=True, end=True, clip=True),
    S.DONE: ScreenRules(help=True),
    S.HELP: ScreenRules(language=True, waits=True, overlay=True),
    S.INACTIVE: ScreenRules(overlay=True),
    S.CLOSED: ScreenRules(**_HELP, language=True),
    # Help too: the candidate is told to reach staff, and Help says how ([help]).
    S.OUT_OF_ORDER: ScreenRules(**_HELP, language=True),
    S.END_CONFIRM: ScreenRules(waits=True, overlay=True),
    # Shows the live preview and meter, so the candidate sees a fix work; names staff itself.
    S.CHECK_HELP: ScreenRules(language=True, waits=True, preview=True, overlay=True),
}
del S
if set(RULES) != set(Screen):
    raise AssertionError(f"screens without rules: {sorted(set(Screen) - set(RULES))}")


def screens_where(rule: str) -> frozenset[Screen]:
    """The screens where `rule` (a field of `ScreenRules`) holds."""
    return frozenset(screen for screen, rules in RULES.items() if getattr(rules, rule))


HELP_SCREENS = screens_where("help")
HELP_BUTTON_SCREENS = screens_where("help_button")
LANGUAGE_SCREENS = screens_where("language")
INACTIVITY_SCREENS = screens_where("inactivity")
WAITING_SCREENS = screens_where("waits")
END_SCREENS = screens_where("end")
PREVIEW_SCREENS = screens_where("preview")
CLIP_SCREENS = screens_where("clip")
OVERLAYS = screens_where("overlay")
