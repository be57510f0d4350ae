"""Screens around the recording: idle, code, welcome, consent, check, done, and the
screens that interrupt the path (help, inactive, closed, out-of-order)."""

from __future__ import annotations

import pygame

from booth.session.view import View
from booth.ui import palette, texts
from booth.ui.blocks import Line, stack
from booth.ui.canvas import BODY, HEADING, TITLE, Canvas
from booth.ui.i18n import N_
from booth.ui.receipt import receipt_panel
from booth.ui.screens_take import limit_notice
from booth.ui.widgets import (
    Btn,
    Live,
    button_row,
    fit_aspect,
    frame,
    frame_aspect,
    meter_height,
    mic_meter,
    preview,
    top_bar,
)

# Shown without [help] text: it names nothing the booth cannot know is there (no bell, no
# number); `booth config check` and `booth doctor` warn staff to set [help].
DEFAULT_HELP = N_("Ask the staff here for help.")
# The done screen counts down only at the end: before, it says it stays until Finish.
CLEARS_SOON_SECONDS = 15


def idle(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = frame(c, v, tr("Video interview booth"), [
        Btn(tr("Practise first"), "practice", left=True),
        Btn(tr("Start"), "start", kind="primary"),
    ])  # fmt: skip
    if v.message == "practice.done":
        stack(c, area, [
            Line(tr("That was the practice. Nothing was saved."), HEADING, bold=True,
                 space_after_u=4),
            Line(tr("Ready? Enter your invitation code"), TITLE + 1, bold=True, space_after_u=4),
            Line(tr("Press Start and type the code from your invitation."), BODY,
                 color=palette.TEXT_MUTED),
        ], align="center", valign="middle")  # fmt: skip
        return
    stack(c, area, [
        Line(tr("Record your video interview here"), TITLE + 1, bold=True, space_after_u=4),
        Line(tr("Have the code from your invitation ready, then press Start."), HEADING - 0.6,
             color=palette.TEXT_MUTED),
        Line(tr("Want to try first? Practise: nothing is saved."), BODY,
             color=palette.TEXT_MUTED),
    ], align="center", valign="middle")  # fmt: skip


def code(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = top_bar(c, v, tr("Enter your invitation code"))
    locked = v.locked_seconds > 0
    if c.portrait:
        entry = pygame.Rect(area.x, area.y, area.w, round(17 * c.u))
        msg = pygame.Rect(area.x, entry.bottom + c.gap, area.w, round(20 * c.u))
        back = pygame.Rect(area.x, area.bottom - c.button_height, round(30 * c.u), c.button_height)
        pad = pygame.Rect(area.x, msg.bottom + c.gap, area.w, back.y - c.gap - msg.bottom - c.gap)
    else:
        left_w = round(area.w * 0.44)
        entry = pygame.Rect(area.x, area.y, left_w, round(19 * c.u))
        back = pygame.Rect(area.x, area.bottom - c.button_height, round(30 * c.u), c.button_height)
        msg = pygame.Rect(
            area.x, entry.bottom + c.gap, left_w, back.y - c.gap - entry.bottom - c.gap
        )
        pad = pygame.Rect(area.x + left_w + 2 * c.gap, area.y, area.w - left_w - 2 * c.gap, area.h)
    c.panel(entry)
    shown = code_places(v.code_entry, v.code_places)
    color = palette.TEXT if v.code_entry else palette.TEXT_MUTED
    field = entry.inflate(-round(4 * c.u), -round(2 * c.u))
    # One size for the whole code, set by its widest form (every place a digit), so the
    # digits do not shrink under the candidate's finger as the dashes fill up.
    widest = code_places("0" * max(len(v.code_entry), v.code_places, 6), v.code_places)
    size_u = c.fit(widest, field, TITLE + 3, bold=True, one_line=True).px / c.u
    c.text(
        shown,
        field,
        size_u,
        bold=True,
        color=color,
        align="center",
        valign="middle",
        one_line=True,  # a code broken over two lines reads as two codes
    )
    message = texts.code_message(tr, v.message, v.locked_seconds)
    if message:
        c.text(message, msg, BODY, color=palette.WARNING)
    else:
        c.text(
            tr("The code is in your invitation email or letter."),
            msg,
            BODY,
            color=palette.TEXT_MUTED,
        )
    c.button(back, tr("Back"), "back")
    keypad(c, pad, enabled=not locked)


def code_places(entry: str, places: int) -> str:
    """The typed digits, then a dash for each place still to type (as many places as the
    installed codes have; none shown when that is not known). Up to 8 places stand two
    spaces apart; longer codes one, so 12 digits still fit one line at body size."""
    shown = list(entry) + ["–"] * max(0, places - len(entry))
    return ("  " if max(places, len(entry)) <= 8 else " ").join(shown)


def keypad(c: Canvas, area: pygame.Rect, enabled: bool) -> None:
    """Digits 0–9 with Delete and OK, three across, four down."""
    tr = c.tr
    keys: list[tuple[str, str, str | None, str]]
    keys = [(d, "digit", d, "secondary") for d in "123456789"]
    keys += [(tr("Delete"), "delete", None, "secondary"), ("0", "digit", "0", "secondary"),
             (tr("OK"), "confirm", None, "primary")]  # fmt: skip
    gap = round(c.gap * 0.8)
    kw = (area.w - 2 * gap) // 3
    kh = (area.h - 3 * gap) // 4
    for i, (label, action, value, kind) in enumerate(keys):
        row, col = divmod(i, 3)
        rect = pygame.Rect(area.x + col * (kw + gap), area.y + row * (kh + gap), kw, kh)
        size = TITLE - 1 if action == "digit" else BODY
        c.button(rect, label, action, value, kind=kind, enabled=enabled, size_u=size)


def _facts(c: Canvas, area: pygame.Rect, facts: list[tuple[str, str]], cols: int = 2) -> None:
    """Label-over-value pairs in a grid: `cols` across in landscape, one in portrait; the last
    fact takes the whole last row (the takes, whose rule for the interview may be long)."""
    cols = 1 if c.portrait else cols
    rows = -(-(len(facts) - 1) // cols) + 1
    cw = (area.w - (cols - 1) * c.gap) // cols
    ch = (area.h - (rows - 1) * c.gap) // rows if rows else 0
    for i, (label, value) in enumerate(facts):
        row, col = divmod(i, cols)
        cell = pygame.Rect(area.x + col * (cw + c.gap), area.y + row * (ch + c.gap), cw, ch)
        if i == len(facts) - 1:
            cell = pygame.Rect(area.x, area.bottom - ch, area.w, ch)
        c.panel(cell)
        stack(c, cell.inflate(-round(4 * c.u), -round(1.6 * c.u)), [
            Line(label, BODY, color=palette.TEXT_MUTED, space_after_u=0.4),
            Line(value, BODY + 0.4, bold=True),
        ], valign="middle")  # fmt: skip


def welcome(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    resume = v.extra.get("resume_question")  # a session that ended early goes on (code_screen)
    title = tr("Welcome back: question {n} is next").format(n=resume) if resume else None
    area = frame(c, v, title or tr("Welcome"), [
        Btn(tr("Back"), "back", left=True),
        Btn(tr("Continue"), "next", kind="primary"),
    ])  # fmt: skip
    iv = v.interview
    if iv is None:  # a practice-only session has no interview to describe
        stack(c, area, [Line(tr("Practice session"), TITLE, bold=True),
                        Line(tr("Nothing you record is saved or sent."), BODY)])  # fmt: skip
        return
    natural = (
        c.text_height(iv.employer, area.w, TITLE, bold=True) + round(c.u)
        + c.text_height(iv.title, area.w, HEADING)
    )  # fmt: skip
    head_h = min(natural, round(area.h * (0.45 if c.portrait else 0.36)))
    stack(c, pygame.Rect(area.x, area.y, area.w, head_h), [
        Line(iv.employer, TITLE, bold=True, space_after_u=1),
        Line(iv.title, HEADING, color=palette.TEXT_MUTED),
    ])  # fmt: skip
    takes = texts.takes_summary(tr, iv.takes, iv.reviews)
    if not takes:  # a summary without the questions' rules: the most takes any allows
        takes = (
            tr("as many as you need") if iv.max_takes == 0
            else tr("up to {n}").format(n=iv.max_takes)
        )  # fmt: skip
    facts = [
        (tr("Questions"), str(iv.question_count)),
        (tr("Time per answer"),
         tr("up to {time}").format(time=texts.duration(tr, iv.answer_seconds_max))),
        (tr("Record before"), texts.date_time(tr, iv.deadline)),
        (tr("Tries per question"), takes),
    ]  # fmt: skip
    grid = pygame.Rect(area.x, area.y + head_h + c.gap, area.w, area.h - head_h - c.gap)
    _facts(c, grid, facts, cols=3)


def consent(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = frame(c, v, tr("Before we start"), [
        Btn(tr("No, end here"), "decline", left=True),
        Btn(tr("Yes, I agree"), "accept", kind="primary"),
    ])  # fmt: skip
    employer = v.interview.employer if v.interview else tr("the employer")
    blocks = [
        (tr("What is recorded?"),
         tr("Video and sound of your answers. The practice answer is never saved.")),
        (tr("Who gets it?"), tr("{employer}, and no one else.").format(employer=employer)),
        (tr("How long is it kept?"),
         texts.consent_keeping(tr, employer, v.consent.retention_hours, v.consent.encrypted)),
    ]  # fmt: skip
    # A "No" is not silent: the booth closes a declined session, with its time and the
    # invitation's reference, for the employer (booth.media.spool, status "declined").
    if_no = tr("If you say no, nothing is recorded. {employer} is told that you said no, and "
               "when.").format(employer=employer)  # fmt: skip
    question = tr("Do you agree to be recorded?")
    question_h = (
        c.text_height(question, area.w, HEADING - 0.6, True)
        + round(c.u)
        + c.text_height(if_no, area.w, BODY)
    )
    body = pygame.Rect(area.x, area.y, area.w, area.h - question_h - c.gap)
    n = len(blocks)
    # Longer texts get more room, so no block has to shrink its text alone.
    weights = [min(2.2, max(1.0, len(text) / 80)) for _, text in blocks]
    free = (body.h if c.portrait else body.w) - (n - 1) * c.gap
    cells, at = [], body.y if c.portrait else body.x
    for weight in weights:
        share = round(free * weight / sum(weights))
        if c.portrait:
            cells.append(pygame.Rect(body.x, at, body.w, share))
        else:
            cells.append(pygame.Rect(at, body.y, share, body.h))
        at += share + c.gap
    for cell, (label, text) in zip(cells, blocks, strict=True):
        c.panel(cell)
        stack(c, cell.inflate(-round(3 * c.u), -round(3 * c.u)), [
            Line(label, BODY, bold=True, color=palette.TEXT_MUTED, space_after_u=0.8),
            Line(text, BODY),
        ])  # fmt: skip
    stack(c, pygame.Rect(area.x, area.bottom - question_h, area.w, question_h), [
        Line(question, HEADING - 0.6, bold=True, space_after_u=1),
        Line(if_no, BODY),
    ])  # fmt: skip


def check(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    title = tr("Check how you look and sound")
    go = Btn(tr("Looks good, continue"), "next", kind="primary")
    wrong = Btn(tr("Something is wrong"), "problem", left=True)
    tips = [
        Line(tr("Say your name and watch the bar move."), BODY, bold=True, space_after_u=0.8),
        Line("• " + tr("Eyes on the dashed line, face inside the oval."), BODY),
    ]  # fmt: skip
    # "Look into the camera" is said where it matters, on the 3-2-1 (screens_take.countdown):
    # here it would leave "Something is wrong" no room at body size.
    mh = meter_height(c)
    if c.portrait:
        area = frame(c, v, title, [wrong, go])
        pv = pygame.Rect(area.x, area.y, area.w, round(area.h * 0.5))
        shown = preview(c, pv, live.preview, guide=True)
        meter = pygame.Rect(area.x, shown.bottom + c.gap, area.w, mh)
        tips_area = pygame.Rect(
            area.x, meter.bottom + c.gap, area.w, area.bottom - meter.bottom - c.gap
        )
    else:
        # The preview takes the whole height; the button sits under the tips.
        area = top_bar(c, v, title)
        pv = fit_aspect(
            pygame.Rect(area.x, area.y, round(area.w * 0.52), area.h), frame_aspect(live.preview)
        )
        pv.x = area.x
        shown = preview(c, pv, live.preview, guide=True)
        side_x = shown.right + 2 * c.gap
        side = pygame.Rect(side_x, area.y, area.right - side_x, area.h)
        # The way out sits above the way on, each the column's width: both stay large.
        side = button_row(c, side, [go])
        side = button_row(c, side, [wrong])
        meter = pygame.Rect(side.x, side.y, side.w, mh)
        tips_area = pygame.Rect(
            side.x, meter.bottom + c.gap, side.w, side.bottom - meter.bottom - c.gap
        )
    mic_meter(c, meter, live.mic)
    stack(c, tips_area, tips)


def done(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = frame(c, v, "", [Btn(tr("Finish"), "next", kind="primary")])
    headline, body = done_words(c, v)
    lines = [
        Line(headline, TITLE + 2, bold=True, space_after_u=3),
        Line(body, HEADING - 0.8, space_after_u=2.4),
    ]
    if v.limit_reached:
        limit = limit_notice(c, v)
        lines.insert(0, Line(limit, BODY, bold=True, color=palette.WARNING, space_after_u=2.4))
    if v.extra.get("outcome") == "ended-early" and v.interview is not None:
        # True whether the booth resumes the invitation or starts it again (issue 12.4).
        lines.append(Line(tr("To answer the questions you have not answered, enter your code "
                             "again before {deadline}.").format(
                                 deadline=texts.date_time(tr, v.interview.deadline)),
                          BODY, space_after_u=2.4))  # fmt: skip
    if 0 < v.seconds_left <= CLEARS_SOON_SECONDS:
        hint = tr("This screen clears in {seconds} seconds.")
        hint = hint.format(seconds=texts.seconds_up(v.seconds_left))
    else:
        hint = tr("This screen stays until you press Finish, or {time} after your last touch.")
        hint = hint.format(time=texts.duration(tr, v.stays_seconds))
    if not v.practice_only and v.interview is not None and v.session_ref is not None:
        # The receipt and its QR code: beside the words in landscape, under them in portrait.
        if c.portrait:
            panel_h = round(area.h * 0.56)
            panel = pygame.Rect(area.x, area.bottom - panel_h, area.w, panel_h)
            area = pygame.Rect(area.x, area.y, area.w, panel.y - c.gap - area.y)
        else:
            panel_w = round(area.w * 0.44)
            panel = pygame.Rect(area.right - panel_w, area.y, panel_w, area.h)
            area = pygame.Rect(area.x, area.y, panel.x - 2 * c.gap - area.x, area.h)
        if receipt_panel(c, panel, v):
            photo = tr("Take a photo of the code to keep the reference.")
            lines.append(Line(photo, BODY, bold=True, space_after_u=1.6))
    lines.append(Line(hint, BODY, color=palette.TEXT))
    stack(c, area, lines, align="center", valign="middle")


def done_words(c: Canvas, v: View) -> tuple[str, str]:
    """The done screen's headline and what happens to the answers: from what happened (how
    the session ended, how many answers were kept) and the settings (whether the booth sends
    them by itself)."""
    tr = c.tr
    outcome = v.extra.get("outcome")
    employer = v.interview.employer if v.interview else tr("the employer")
    if v.practice_only:
        return tr("Practice done"), tr("That was a practice session. Nothing was saved or sent.")
    if outcome == "declined":
        return tr("Nothing was recorded"), texts.sentence(
            tr(
                "{employer} is told that you said no. You are welcome back before the deadline."
            ).format(employer=employer)
        )
    ended = outcome == "ended-early"
    if v.kept_count == 0:
        headline = tr("The interview has ended") if ended else tr("The interview is over")
        return headline, tr("No answer was kept, so nothing is sent.")
    headline = tr("The interview has ended") if ended else tr("Thank you! You are done.")
    if v.consent.sends_by_itself:
        sends = tr("The booth sends your answers ({n}) to {employer} by itself.")
    else:
        sends = tr("Your answers ({n}) are kept safe in the booth. The staff send them on to "
                   "{employer}.")  # fmt: skip
    body = sends.format(n=v.kept_count, employer=employer)
    if not ended:
        # Not after an interview ended early: the candidate may come back for the rest.
        body += " " + tr("You do not need to do anything more.")
        body += " " + texts.sentence(
            tr("{employer} will contact you about the next step.").format(employer=employer)
        )
    return headline, body


def help_screen(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = frame(c, v, tr("Help"), [Btn(tr("Back"), "back", kind="primary")])
    lines = [Line(tr("Need help?"), TITLE, bold=True, space_after_u=3), *contact(c, live)]
    back = (
        tr("Press Back to return to the start.")
        if v.return_screen in ("idle", "closed", "out-of-order")
        else tr("Press Back to carry on where you were.")
    )  # fmt: skip
    if v.wait_minutes and v.return_screen not in ("idle", "closed"):
        # The candidate may walk away to fetch staff: say how long the booth holds the session.
        wait = tr("Take your time. The booth waits {time} for you and keeps everything as it "
                  "is.").format(time=texts.duration(tr, 60 * v.wait_minutes))  # fmt: skip
        lines.append(Line(wait, BODY, bold=True, space_after_u=2))
    lines.append(Line(back, BODY, color=palette.TEXT_MUTED))
    stack(c, area, lines, align="center", valign="middle")


def contact(
    c: Canvas,
    live: Live,
    size_u: float = HEADING - 0.4,
    *,
    spaces_u: tuple[float, float, float] = (3, 2, 3),
    default: bool = True,
) -> list[Line]:
    """How to reach staff: the booth's [help] text (or, with `default`, one that promises
    nothing the booth cannot know), its phone number and where staff are, when they are set;
    each line followed by its space of `spaces_u`."""
    tr = c.tr
    text = live.help_text or (tr(DEFAULT_HELP) if default else "")
    lines = [Line(text, size_u, space_after_u=spaces_u[0])] if text else []
    if live.help_phone:
        lines.append(Line(tr("Phone: {number}").format(number=live.help_phone), size_u,
                          bold=True, space_after_u=spaces_u[1]))  # fmt: skip
    if live.help_location:
        lines.append(Line(tr("Staff: {where}").format(where=live.help_location), size_u,
                          bold=True, space_after_u=spaces_u[2]))  # fmt: skip
    return lines


def inactive(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    inner = c.inner()
    bw = max(round(inner.w * 0.5), round(40 * c.u))
    bh = round(20 * c.u)
    button = pygame.Rect(0, 0, min(bw, inner.w), bh)
    button.midbottom = (inner.centerx, inner.bottom - round(4 * c.u))
    c.button(button, tr("I'm here"), "back", kind="primary", size_u=HEADING)
    seconds = texts.seconds_up(v.seconds_left)
    stack(c, pygame.Rect(inner.x, inner.y, inner.w, button.y - c.gap - inner.y), [
        Line(tr("Are you still there?"), TITLE + 2, bold=True, space_after_u=3),
        Line(tr("Touch the button to carry on. Otherwise the session ends in {seconds} "
                "seconds.").format(seconds=seconds), HEADING - 0.6, space_after_u=2.4),
        Line(inactive_consequence(c, v), BODY),
    ], align="center", valign="middle")  # fmt: skip


def inactive_consequence(c: Canvas, v: View) -> str:
    """Exactly what happens to the answers if the candidate does not come back."""
    tr = c.tr
    if v.practice_only or v.interview is None:
        return tr("Nothing has been saved, and nothing will be.")
    employer = v.interview.employer
    # Said as what will happen if the session ends, never as if it had happened already.
    parts = []
    if v.pending_take and v.sent_without_keeping:
        parts.append(tr("The answer you just recorded will be sent as it is."))
    elif v.pending_take:
        parts.append(tr("The try you have not kept will be deleted."))
    if v.kept_count:
        parts.append(tr("The answers you kept ({n}) will be sent to {employer}.").format(
            n=v.kept_count, employer=employer))  # fmt: skip
    elif not (v.pending_take and v.sent_without_keeping):
        parts.append(tr("You have not kept any answer yet, so nothing will be sent."))
    return " ".join(parts)


def end_confirm(c: Canvas, v: View, live: Live) -> None:
    """ "End the interview?": what ending now means, before it happens."""
    tr = c.tr
    practice = v.practice_only
    area = frame(c, v, tr("End practice") if practice else tr("End interview"), [
        Btn(tr("No, carry on"), "back", kind="primary", left=True),
        Btn(tr("Yes, end now"), "confirm"),
    ])  # fmt: skip
    if practice:
        lines = [
            Line(tr("End the practice?"), TITLE, bold=True, space_after_u=3),
            Line(tr("Nothing has been saved, and nothing will be."), HEADING - 0.6),
        ]
    else:
        lines = [Line(tr("End the interview now?"), TITLE, bold=True, space_after_u=3),
                 Line(inactive_consequence(c, v), HEADING - 0.6)]  # fmt: skip
    stack(c, area, lines, align="center", valign="middle")


def closed(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = top_bar(c, v, tr("Video interview booth"))
    lines = [Line(tr("The booth is closed right now."), TITLE, bold=True, space_after_u=3)]
    if v.opens_at is not None:
        lines.append(
            Line(
                tr("It opens {when}.").format(when=texts.opening_time(tr, v.opens_at, v.now)),
                HEADING - 0.4,
                space_after_u=2.4,
            )
        )
    if v.hours_today:
        lines.append(
            Line(tr("Open today: {hours}").format(hours=v.hours_today), BODY,
                 color=palette.TEXT_MUTED, space_after_u=2.4)
        )  # fmt: skip
    elif v.opens_at is not None:
        lines.append(Line(tr("Closed all day today."), BODY, color=palette.TEXT_MUTED,
                          space_after_u=2.4))  # fmt: skip
    hours = v.extra.get("opening_hours")
    if hours:
        lines.append(
            Line(tr("Opening hours: {hours}").format(hours=hours), BODY, color=palette.TEXT_MUTED)
        )
    if live.help_text or live.help_phone or live.help_location:
        lines += contact(c, live, BODY)
    lines.append(Line(tr("Need help? Press Help at the top."), BODY, color=palette.TEXT_MUTED))
    stack(c, area, lines, align="center", valign="middle")


def out_of_order(c: Canvas, v: View, live: Live) -> None:
    tr = c.tr
    area = top_bar(c, v, tr("Video interview booth"))
    lines = [
        Line(tr("Sorry, you cannot record here right now."), TITLE, bold=True, space_after_u=3),
        Line(texts.out_of_order_text(tr, v.reason), HEADING - 0.4, space_after_u=3),
    ]
    if live.help_text or live.help_phone or live.help_location:
        lines += contact(c, live, BODY)
    else:
        lines.append(Line(tr("Please tell the staff, or come back later."), HEADING - 0.4,
                          color=palette.TEXT_MUTED))  # fmt: skip
    stack(c, area, lines, align="center", valign="middle")
