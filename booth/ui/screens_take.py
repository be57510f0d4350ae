"""Screens of the questions: intro clips, practice, question, think, 3-2-1, recording, review."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from booth.session.view import View
from booth.ui import palette, texts
from booth.ui.blocks import Line, stack
from booth.ui.canvas import BODY, HEADING, TITLE, Canvas
from booth.ui.widgets import (
    Btn,
    Live,
    clip_area,
    fit_aspect,
    frame,
    frame_aspect,
    look_here,
    meter_height,
    mic_meter,
    paused_badge,
    preview,
    rec_indicator,
)


def question_label(c: Canvas, v: View) -> str:
    if v.is_practice:
        return c.tr("Practice question")
    return c.tr("Question {k} of {n}").format(k=v.question_index, n=v.question_count)


def take_label(c: Canvas, v: View) -> str:
    if v.one_take:
        return c.tr("One try")
    if v.max_takes == 0:
        return c.tr("Try {k}").format(k=v.take_number)
    return c.tr("Try {k} of {n}").format(k=v.take_number, n=v.max_takes)


def rules(c: Canvas, v: View) -> list[str]:
    """The rules of the answer to come, before the camera rolls: think time, answer time,
    takes allowed and left, and whether the answer can be watched and redone."""
    tr = c.tr
    lines = []
    if v.think_seconds:
        lines.append(tr("Time to think: {time}").format(time=texts.duration(tr, v.think_seconds)))
    else:
        lines.append(tr("No time to think: recording starts after 3-2-1."))
    lines.append(tr("Time to answer: {time}").format(time=texts.duration(tr, v.answer_seconds)))
    if v.one_take:
        lines.append(tr("You get one try. It is sent as it is."))
        return lines
    if v.max_takes == 0:
        lines.append(tr("Tries: as many as you need."))
    else:
        left = v.takes_left if v.takes_left is not None else v.max_takes
        lines.append(tr("Tries: {n} in all, {left} left.").format(n=v.max_takes, left=left))
    if v.is_practice:
        lines.append(tr("You can watch your answer and try again."))
    elif v.max_takes == 1 or v.takes_left == 1:
        lines.append(tr("You can watch this try afterwards. It is your last, so it is sent."))
    else:
        lines.append(tr("After each try you can watch it. Then keep it, or record again."))
        if v.keep_unreviewed:
            lines.append(tr("If you leave without choosing, your latest try is sent."))
    return lines


def limit_notice(c: Canvas, v: View) -> str:
    """ "Your answer reached the time limit", naming the question it was the answer to."""
    if v.limit_question == 0:
        return c.tr("Your practice answer reached the time limit.")
    return c.tr("Your answer to question {k} reached the time limit. It was sent as it is.").format(
        k=v.limit_question
    )


def _status_line(c: Canvas, area: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect]:
    """Split `area` into a clip area and a one-line status below it."""
    line_h = round(11 * c.u)
    return (
        pygame.Rect(area.x, area.y, area.w, area.h - line_h - c.gap // 2),
        pygame.Rect(area.x, area.bottom - line_h, area.w, line_h),
    )


def _clip_buttons(c: Canvas, v: View, again: str) -> list[Btn]:
    """Pause/Play while a clip plays (where the interview allows it), else `again` to replay."""
    if v.clip_pausable:
        return [Btn(c.tr("Play") if v.clip_paused else c.tr("Pause"), "pause", left=True)]
    if v.clip_replayable:
        return [Btn(again, "replay", left=True)]
    return []


def _clip_state(c: Canvas, v: View) -> str:
    if v.clip_paused:
        return c.tr("Paused")
    return c.tr("Playing…") if v.clip_playing else c.tr("Played")


def _clip(c: Canvas, area: pygame.Rect, v: View, caption: str, live: Live) -> pygame.Rect:
    """The clip area, with a pause sign over the frame that holds while paused."""
    shown = clip_area(c, area, caption, _clip_state(c, v), live.clip_frame)
    if v.clip_paused and live.clip_frame is not None:
        paused_badge(c, shown)
    return shown


def clip_title(c: Canvas, v: View, index: int, title: str) -> str:
    """A clip as the candidate knows it: its title, else its number. Never its file name."""
    return title or c.tr("Clip {k} of {n}").format(k=index, n=v.intro_count)


def intro(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    title = tr("About the job: clip {k} of {n}").format(k=v.intro_index, n=v.intro_count)
    if v.intro_titles and v.intro_count > 1:
        _intro_picker(c, v, title)
        return
    buttons = _clip_buttons(c, v, tr("Watch again"))
    # Skip is offered only for a clip the candidate has already watched to its end.
    label = tr("Skip") if v.clip_skippable else tr("Next")
    can_go_on = v.clip_skippable or (v.clip_played and not v.clip_playing)
    buttons.append(Btn(label, "next", kind="primary", enabled=can_go_on))
    area = frame(c, v, title, buttons)
    clip, status = _status_line(c, area)
    _clip(c, clip, v, clip_title(c, v, v.intro_index, v.clip_title), live)
    if v.clip_paused:
        hint = tr("Paused. Press Play to go on watching.")
    elif v.clip_skippable:
        hint = tr("You have seen this clip before. Press “Skip” to go on.")
    elif v.clip_played:
        hint = tr("Press “Next” when you are ready.")
    else:
        hint = tr("Watch the whole clip. Then you can press “Next”.")
    c.text(hint, status, BODY, color=palette.TEXT_MUTED, align="center", valign="middle")


def _intro_picker(c: Canvas, v: View, title: str) -> None:
    """Every intro clip watched: pick one to watch again, or go on."""
    tr = c.tr
    area = frame(c, v, tr("About the job"), [Btn(tr("Next"), "next", kind="primary")])
    head = pygame.Rect(area.x, area.y, area.w, round(12 * c.u))
    c.text(tr("Watch a clip again, or press “Next”."), head, BODY, color=palette.TEXT_MUTED,
           valign="middle")  # fmt: skip
    rows = pygame.Rect(area.x, head.bottom + c.gap, area.w, area.bottom - head.bottom - c.gap)
    n = len(v.intro_titles)
    h = min(c.button_height, (rows.h - (n - 1) * c.gap) // max(1, n))
    for i, name in enumerate(v.intro_titles, start=1):
        rect = pygame.Rect(rows.x, rows.y + (i - 1) * (h + c.gap), rows.w, h)
        label = tr("Watch again: {clip}").format(clip=clip_title(c, v, i, name))
        c.button(rect, label, "replay", str(i))


def practice(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    buttons = [Btn(tr("Record a practice answer"), "record", kind="primary")]
    if not v.practice_only:  # a walk-in practice has only this question: End is in the bar
        buttons.insert(0, Btn(tr("Skip practice"), "next", left=True))
    area = frame(c, v, tr("Practice question"), buttons)
    if v.practice_only:
        intro_text = tr("Try how it works: think, 3-2-1, answer, then watch yourself. "
                        "Nothing is saved or sent.")  # fmt: skip
    else:
        intro_text = tr("Try it once before the real questions. A practice answer is never "
                        "saved or sent.")  # fmt: skip
    lines = [
        Line(intro_text, BODY, color=palette.TEXT_MUTED, space_after_u=4),
        Line(v.question_text, TITLE - 0.6, bold=True, space_after_u=4),
        Line("\n".join(rules(c, v)), BODY, color=palette.TEXT_MUTED),
    ]
    stack(c, area, lines, valign="middle")


def question(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    again = tr("Listen again") if v.question_audio else tr("Watch again")
    buttons = _clip_buttons(c, v, again)
    # The clip (or the question read aloud) plays to its end before the candidate goes on.
    # A single take with no review: the same Next, named for what it starts.
    go = tr("I'm ready") if v.one_take else tr("Next")
    buttons.append(Btn(go, "next", kind="primary", enabled=not v.clip_playing))
    area = frame(c, v, question_label(c, v), buttons)
    rule_lines = rules(c, v)
    lines = []
    if v.limit_reached:
        lines.append(Line(limit_notice(c, v), BODY, bold=True, color=palette.WARNING,
                          space_after_u=3))  # fmt: skip
    lines.append(Line(v.question_text, TITLE - 0.6, bold=True, space_after_u=4))
    if v.one_take:
        # The one rule that matters most, on a line of its own.
        lines.append(Line("\n".join(rule_lines[:-1]), BODY, color=palette.TEXT_MUTED,
                          space_after_u=1.5))  # fmt: skip
        lines.append(Line(rule_lines[-1], BODY, bold=True))
    else:
        lines.append(Line("\n".join(rule_lines), BODY, color=palette.TEXT_MUTED,
                          space_after_u=1.5))  # fmt: skip
    lines.append(Line(next_step(c, v, go), BODY, bold=True))
    if not v.clip_path:
        if v.question_audio and v.clip_playing:
            listen = tr("Paused") if v.clip_paused else tr("The question is read aloud.")
            lines.append(Line(listen, BODY, bold=True, color=palette.TEXT_MUTED))
        stack(c, area, lines, valign="middle")
        return
    if c.portrait:
        clip = pygame.Rect(area.x, area.y, area.w, round(area.h * 0.45))
        rest = pygame.Rect(area.x, clip.bottom + c.gap, area.w, area.bottom - clip.bottom - c.gap)
    else:
        clip = pygame.Rect(area.x, area.y, round(area.w * 0.48), area.h)
        rest = pygame.Rect(clip.right + 2 * c.gap, area.y, area.w - clip.w - 2 * c.gap, area.h)
    shown = _clip(c, clip, v, "", live)
    if not c.portrait:
        rest = pygame.Rect(
            shown.right + 2 * c.gap, area.y, area.right - shown.right - 2 * c.gap, area.h
        )
    lines = [
        Line(ln.text, HEADING, bold=True, space_after_u=4) if ln.text == v.question_text else ln
        for ln in lines
    ]
    stack(c, rest, lines, valign="middle")


def next_step(c: Canvas, v: View, go: str) -> str:
    """What the question's button starts, or why it is not ready yet."""
    tr = c.tr
    if v.clip_playing and v.clip_path:
        return tr("You can press “{button}” when the clip has ended.").format(button=go)
    if v.clip_playing:
        return tr("You can press “{button}” when the question has been read.").format(button=go)
    if v.think_seconds:
        return tr("Press “{button}” to start your time to think.").format(button=go)
    return tr("Press “{button}” to start the 3-2-1. Then recording starts.").format(button=go)


def think(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    buttons = [Btn(tr("Start now"), "record", kind="primary")]
    if v.more_time_seconds:
        more = tr("I need more time (+{time})").format(time=texts.duration(tr, v.more_time_seconds))
        buttons.insert(0, Btn(more, "more_time", left=True))
    area = frame(c, v, question_label(c, v), buttons)
    notes = []
    if v.more_time_added:
        added = tr("You got {time} more to think.").format(
            time=texts.duration(tr, v.more_time_added)
        )
        notes.append(Line(added, BODY, bold=True, space_after_u=2))
    # Said before it happens: nobody is filmed now, and the camera starts without a press.
    notes += [
        Line(tr("Nothing is recorded now."), BODY, bold=True, space_after_u=1),
        Line(tr("When the time runs out, recording starts by itself. Ready sooner? Press "
                "“Start now”."), BODY, color=palette.TEXT_MUTED),
    ]  # fmt: skip
    timer_h = round((26 if c.portrait else 30) * c.u)
    text_area = pygame.Rect(area.x, area.y, area.w, area.h - timer_h - c.gap)
    timer = pygame.Rect(area.x, area.bottom - timer_h, area.w, timer_h)
    question = [Line(v.question_text, TITLE - 0.6, bold=True, space_after_u=3)]
    if c.portrait:
        stack(c, text_area, question + notes, valign="middle")
    else:
        # The notes stand beside the clock they are about, leaving the question its size.
        stack(c, text_area, question, valign="middle")
        clock_w = round(timer.w * 0.4)
        beside = pygame.Rect(
            timer.x + clock_w + 2 * c.gap, timer.y, timer.w - clock_w - 2 * c.gap, timer.h
        )
        stack(c, beside, notes, valign="middle")
        timer.w = clock_w
    stack(c, timer, [
        Line(tr("Time to think"), BODY, color=palette.TEXT_MUTED, space_after_u=0.5),
        Line(texts.clock(v.seconds_left), TITLE * 2, bold=True),
    ], align="center", valign="middle")  # fmt: skip


@dataclass(frozen=True)
class TakeLayout:
    """Where things go while the camera is the point: the lens end of the screen for the
    question, the preview in the middle, status beside (landscape) or below it (portrait)."""

    question: pygame.Rect
    preview: pygame.Rect
    status: pygame.Rect  # "Recording", time left, question and take numbers
    meter: pygame.Rect
    button: pygame.Rect


QUESTION_NEAR_LENS = HEADING - 0.6


def take_layout(c: Canvas, aspect: float, question_text: str) -> TakeLayout:
    inner = c.inner()
    top = look_here(c)
    # The question sits just under the lens; a long one takes room from the preview
    # rather than becoming too small to read.
    q_w = inner.w - round(12 * c.u)
    wanted = c.text_height(question_text, q_w, QUESTION_NEAR_LENS, bold=True)
    q_h = max(round(10 * c.u), min(wanted, round((46 if c.portrait else 26) * c.u)))
    q = pygame.Rect(inner.x + round(6 * c.u), top + c.gap // 2, q_w, q_h)
    body = pygame.Rect(inner.x, q.bottom + c.gap, inner.w, inner.bottom - q.bottom - c.gap)
    bh, mh = c.button_height, meter_height(c)
    if c.portrait:
        button = pygame.Rect(body.x, body.bottom - bh, body.w, bh)
        meter = pygame.Rect(body.x, button.y - c.gap - mh, body.w, mh)
        status_h = round(26 * c.u)
        status = pygame.Rect(body.x, meter.y - c.gap - status_h, body.w, status_h)
        pv = pygame.Rect(body.x, body.y, body.w, status.y - c.gap - body.y)
        return TakeLayout(q, fit_aspect(pv, aspect), status, meter, button)
    side = round(body.w * 0.25)
    status = pygame.Rect(body.x, body.y, side, body.h)
    right = pygame.Rect(body.right - side, body.y, side, body.h)
    button = pygame.Rect(right.x, right.bottom - bh, right.w, bh)
    meter = pygame.Rect(right.x, right.y, right.w, mh)
    pv = pygame.Rect(status.right + c.gap, body.y, body.w - 2 * side - 2 * c.gap, body.h)
    return TakeLayout(q, fit_aspect(pv, aspect), status, meter, button)


def _question_and_preview(c: Canvas, v: View, live: Live) -> TakeLayout:
    """The question by the lens and the live picture, as 3-2-1 and recording show them."""
    lay = take_layout(c, frame_aspect(live.preview), v.question_text)
    c.text(
        v.question_text, lay.question, QUESTION_NEAR_LENS, bold=True, align="center",
        valign="middle",
    )  # fmt: skip
    preview(c, lay.preview, live.preview)
    return lay


def countdown(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    lay = _question_and_preview(c, v, live)
    # The number stands beside the picture, never over the face the candidate is checking.
    side = lay.status.union(lay.meter) if c.portrait else lay.status
    number_w = side.w // 2 if c.portrait else side.w
    number_h = side.h if c.portrait else round(side.h * 0.45)
    number = pygame.Rect(side.x, side.y, number_w, number_h)
    c.text(
        str(max(1, int(-(-v.seconds_left // 1)))),
        number,
        number_h * 0.8 / c.u,
        bold=True,
        align="center",
        valign="middle",
    )
    words = (
        pygame.Rect(side.x + number_w + c.gap, side.y, side.w - number_w - c.gap, side.h)
        if c.portrait
        else pygame.Rect(side.x, number.bottom + c.gap, side.w, side.bottom - number.bottom - c.gap)
    )
    stack(c, words, [
        Line(tr("Recording starts in a moment."), BODY, bold=True, space_after_u=3),
        Line(tr("Smile, and look into the camera."), BODY, color=palette.TEXT_MUTED),
    ], valign="middle" if c.portrait else "top")  # fmt: skip
    if not c.portrait:
        stack(c, pygame.Rect(lay.meter.x, lay.meter.y, lay.meter.w, lay.status.h), [
            Line(question_label(c, v), BODY, bold=True, space_after_u=1),
            Line(take_label(c, v), BODY, color=palette.TEXT_MUTED),
        ])  # fmt: skip


def recording(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    lay = _question_and_preview(c, v, live)
    s = lay.status
    rec_h = round(7 * c.u)
    rec_indicator(c, pygame.Rect(s.x, s.y, s.w, rec_h))
    rest = pygame.Rect(s.x, s.y + rec_h + c.gap, s.w, s.h - rec_h - c.gap)
    if v.time_warning:
        # The last seconds: in words as well as in colour.
        left = tr("Only {n} seconds left").format(n=texts.seconds_up(v.seconds_left))
        time_lines = [
            Line(texts.clock(v.seconds_left), TITLE * 1.6, bold=True, color=palette.WARNING,
                 space_after_u=0.2),
            Line(left, BODY, bold=True, color=palette.WARNING, space_after_u=3),
        ]  # fmt: skip
    else:
        time_lines = [
            Line(texts.clock(v.seconds_left), TITLE * 1.6, bold=True, space_after_u=0.2),
            Line(tr("left to answer"), BODY, color=palette.TEXT_MUTED, space_after_u=3),
        ]
    numbers = [
        Line(question_label(c, v), BODY, bold=True, space_after_u=1),
        Line(take_label(c, v), BODY, color=palette.TEXT_MUTED),
    ]
    if c.portrait:
        half = rest.w // 2
        stack(c, pygame.Rect(rest.x, rest.y, half, rest.h), time_lines)
        stack(c, pygame.Rect(rest.x + half + c.gap, rest.y, rest.w - half - c.gap, rest.h), numbers)
    else:
        stack(c, rest, time_lines + numbers)
    mic_meter(c, lay.meter, live.mic)
    c.button(lay.button, tr("Stop"), "stop", kind="primary")


def watch_label(c: Canvas, v: View) -> str:
    """ "Watch" until the take has been played back once, then "Watch again"."""
    return c.tr("Watch again") if v.take_watched else c.tr("Watch")


def review(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    if v.retake_asked:
        retake_confirm(c, v, live)
        return
    if v.replaying:
        buttons = [Btn(tr("Play") if v.clip_paused else tr("Pause"), "pause", left=True)]
    else:
        buttons = [Btn(watch_label(c, v), "replay", left=True)]
    if v.can_retake:
        buttons.append(Btn(tr("Record again"), "retake"))
    keep = tr("Continue") if v.is_practice else tr("Keep this answer")
    buttons.append(Btn(keep, "keep", kind="primary"))
    area = frame(c, v, question_label(c, v), buttons)
    if v.is_practice:
        takes = tr("This was practice: it is not saved.")
    elif v.takes_left is None:
        takes = tr("You may record again as often as you like.")
    elif v.can_retake:
        takes = tr("Tries left: {n}").format(n=v.takes_left)
    else:
        takes = tr("That was your last try. It will be sent.")
    lines = []
    if v.limit_reached:
        lines.append(Line(tr("Your answer reached the time limit."), BODY, bold=True,
                          color=palette.WARNING, space_after_u=2))  # fmt: skip
    lines += [
        Line(tr("How did it go?"), HEADING, bold=True, space_after_u=2),
        Line(take_label(c, v), BODY, space_after_u=1.5),
        Line(takes, BODY, color=palette.TEXT_MUTED, space_after_u=1.5),
    ]
    if not v.is_practice and v.can_retake:
        if v.keep_unreviewed:
            sent = tr("Only the try you keep is sent. If you leave without choosing, this try "
                      "is sent.")  # fmt: skip
        else:
            sent = tr("Only the try you keep is sent.")
        lines.append(Line(sent, BODY, color=palette.TEXT_MUTED))
    if c.portrait:
        clip = pygame.Rect(area.x, area.y, area.w, round(area.h * 0.55))
        shown = _replay_area(c, clip, v, live)
        stack(
            c,
            pygame.Rect(area.x, shown.bottom + c.gap, area.w, area.bottom - shown.bottom - c.gap),
            lines,
        )
    else:
        clip = pygame.Rect(area.x, area.y, round(area.w * 0.58), area.h)
        shown = _replay_area(c, clip, v, live)
        stack(
            c,
            pygame.Rect(
                shown.right + 2 * c.gap, area.y, area.right - shown.right - 2 * c.gap, area.h
            ),
            lines,
            valign="middle",
        )


def retake_confirm(c: Canvas, v: View, live: Live) -> None:
    """ "Record again?": before the take is deleted, what goes, which try comes, what is sent."""
    tr = c.tr
    area = frame(c, v, question_label(c, v), [
        Btn(tr("No, go back"), "back", left=True),
        Btn(tr("Yes, record again"), "retake", kind="primary"),
    ])  # fmt: skip
    gone = (
        tr("Your practice answer will be deleted.") if v.is_practice
        else tr("Try {k} will be deleted. You cannot get it back.").format(k=v.take_number)
    )  # fmt: skip
    after = v.take_number + 1
    if v.is_practice:
        then = tr("Then you record the practice answer again. Nothing is saved or sent.")
    elif v.max_takes and after >= v.max_takes:
        then = tr("Try {k} is your last. It will be sent, whatever it is like.").format(k=after)
    else:
        then = tr("Then you record try {k}. After it, you choose again which try to keep.").format(
            k=after
        )
    stack(c, area, [
        Line(tr("Record again?"), TITLE, bold=True, space_after_u=3),
        Line(gone, HEADING - 0.6, bold=True, space_after_u=2.4),
        Line(then, HEADING - 0.6),
    ], align="center", valign="middle")  # fmt: skip


def _replay_area(c: Canvas, area: pygame.Rect, v: View, live: Live) -> pygame.Rect:
    """Where the take plays back: its frames while replaying, else how to see it."""
    if not v.replaying:
        hint = (
            c.tr("Press Watch again to see your answer once more.") if v.take_watched
            else c.tr("Press Watch to see your answer.")
        )  # fmt: skip
        return clip_area(c, area, "", hint, None)
    return _clip(c, area, v, "", live)
