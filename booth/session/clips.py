"""Playing what the candidate watches or hears: intro clips, question clips, the spoken
question and a take played back on review (pause, play on, play again, and the end)."""

from __future__ import annotations

from typing import Any

from booth.session.candidate import Candidate
from booth.session.control import FlowControl
from booth.session.effects import Effect, Event
from booth.session.screens import Screen


def start_clip(c: Candidate) -> None:
    c.clip_playing = True
    c.clip_played = False
    c.clip_paused = False


def toggle_pause(flow: FlowControl, out: list[Effect]) -> bool:
    c = flow.candidate
    if not c.can_pause():
        return False
    c.clip_paused = not c.clip_paused
    out.append(Event("clip.pause" if c.clip_paused else "clip.resume", {"screen": c.screen}))
    return True


def replay_clip(flow: FlowControl, out: list[Effect], **fields: Any) -> bool:
    c = flow.candidate
    if not c.can_replay():
        return False
    c.clip_playing = True
    c.clip_paused = False
    out.append(Event("clip.replay", fields))
    return True


def clip_finished(flow: FlowControl) -> list[Effect]:
    """The clip on the intro or question screen (or the take replayed on review) has played to
    its end, or could not be played at all."""
    c = flow.candidate
    out: list[Effect] = []
    if not c.clip_playing:
        return out
    c.clip_playing = False
    c.clip_paused = False
    c.last_input = flow.now()
    out.append(Event("clip.finished", {"screen": c.screen}))
    if c.replaying:
        c.replaying = False
        return out
    c.clip_played = True
    if c.screen == Screen.INTRO:
        c.intros_watched.add(c.intro_index)
    if c.intro_picked:
        c.intro_picked = False  # a clip picked to watch again: stay on it
    elif c.screen == Screen.INTRO and c.intro_index + 1 < len(c.opened[0].intro_clips):
        c.intro_index += 1
        start_clip(c)
        out.append(Event("clip.start", {"intro": c.intro_index + 1}))
    return out
