"""Texts that depend on the view's ids and numbers: messages, reasons, times, dates.

Everything here returns text already translated with the `tr` it is given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime

from booth.ui.i18n import N_

Translate = Callable[[str], str]

NBSP = "\u00a0"
# Units a number is read with, in every catalog's words: "90 seconds", "1 min 30 s", "15 %".
_UNITS = (
    "s|sek|sekund|sekunder|second|seconds|min|minut|minuter|minute|minutes|h|tim|timme|"
    "timmar|hour|hours|dag|dagar|day|days|%"
)
_KEEP_TOGETHER = (
    re.compile(r"(?<=\d) (?=\d)"),  # digit groups: "031-123 45 67"
    re.compile(rf"(?<=\d) (?=(?:{_UNITS})(?:\W|$))"),  # a number and its unit: "30 s"
    re.compile(r"(?<=\b(?:min|kl\.)) (?=\d)"),  # "1 min 30 s", "kl. 13:00"
    re.compile(r"(?<=\bat) (?=\d{1,2}:\d\d)"),  # "at 23:59"
    re.compile(r"(?<=\d) (?=[^\W\d]+ \d{4}\b)"),  # a date's day and month: "31 March 2025"
    re.compile(r"(?<=[^\W\d]) (?=\d{4}\b)"),  # its month and year: "March 2025"
)


def keep_together(text: str) -> str:
    """`text` with the spaces inside a time, a number or a unit made non-breaking, so that
    a wrapped line never leaves "1 min 30" on one line and "s" on the next."""
    for pattern in _KEEP_TOGETHER:
        text = pattern.sub(NBSP, text)
    return text


# Code-screen message ids (View.message) → what the candidate reads.
CODE_MESSAGES = {
    "code.wrong": N_("We could not find that code. Check your invitation and try again."),
    "code.expired": N_("The deadline for this invitation has passed. Please contact the employer."),
    "code.not_yet_valid": N_(
        "This invitation is not open yet. Please come back on the date in your invitation."
    ),
    "code.locked": N_(
        "Too many wrong codes have been typed here. You can try again in {time}. "
        "Press Help if you need assistance."
    ),
    "code.empty": N_("Type the code from your invitation first."),
    "code.used": N_(
        "This invitation has already been used. If you think that is wrong, press Help."
    ),
}

# Out-of-order reason ids → a calm sentence for the candidate. Staff read the
# details in `booth status`, never here.
OUT_OF_ORDER_REASONS = {
    "camera": N_("The camera is not working right now."),
    "microphone": N_("The microphone is not working right now."),
    "disk": N_("The booth has no room for new recordings right now."),
    "clock": N_("The booth's clock needs to be set."),
    "light": N_("The light is not working right now."),
}
OUT_OF_ORDER_DEFAULT = N_("The booth cannot record right now.")

MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def code_message(tr: Translate, message: str | None, locked_seconds: float) -> str:
    """The code screen's message for a message id, or "" when there is none."""
    if not message:
        return ""
    msgid = CODE_MESSAGES.get(message)
    if msgid is None:
        return tr("Something went wrong. Please try again.")
    wait = seconds_up(locked_seconds)
    return tr(msgid).format(seconds=wait, time=duration(tr, wait))


def sentence(text: str) -> str:
    """`text` with a capital first letter: a sentence may begin with a name filled in, such as
    the default "arbetsgivaren" ("the employer")."""
    return text[:1].upper() + text[1:]


def seconds_up(seconds: float) -> int:
    """Whole seconds left, rounded up and at least 1: a wait never reads "0 seconds"."""
    return max(1, math.ceil(seconds - 1e-9))


def out_of_order_text(tr: Translate, reason: str | None) -> str:
    """What the candidate reads about why the booth cannot record."""
    return tr(OUT_OF_ORDER_REASONS.get(reason or "", OUT_OF_ORDER_DEFAULT))


def clock(seconds: float) -> str:
    """A countdown as m:ss, rounded up so that 0:00 only shows at the very end."""
    whole = max(0, int(-(-seconds // 1)))
    return f"{whole // 60}:{whole % 60:02d}"


def duration(tr: Translate, seconds: float) -> str:
    """A length of time in words: "90 seconds", "2 minutes", "2 min 30 s"."""
    whole = max(0, round(seconds))
    if whole == 1:
        return tr("1 second")
    if whole < 60:
        return tr("{n} seconds").format(n=whole)
    minutes, rest = divmod(whole, 60)
    if rest == 0:
        return tr("{n} minutes").format(n=minutes) if minutes != 1 else tr("1 minute")
    return tr("{m} min {s} s").format(m=minutes, s=rest)


def date_time(tr: Translate, when: datetime) -> str:
    """A date and time in the candidate's language, in the time's own zone."""
    return tr("{day} {month} {year} at {time}").format(
        day=when.day,
        month=tr(MONTHS[when.month - 1]),
        year=when.year,
        time=when.strftime("%H:%M"),
    )


def opening_time(tr: Translate, opens: datetime, now: datetime | None = None) -> str:
    """When the booth opens: "today at 08:00", "tomorrow at 08:00" or "Monday 3 March at 08:00"."""
    hhmm = opens.strftime("%H:%M")
    if now is not None:
        days = (opens.date() - now.date()).days
        if days == 0:
            return tr("today at {time}").format(time=hhmm)
        if days == 1:
            return tr("tomorrow at {time}").format(time=hhmm)
    return tr("{weekday} {day} {month} at {time}").format(
        weekday=tr(WEEKDAYS[opens.weekday()]),
        day=opens.day,
        month=tr(MONTHS[opens.month - 1]),
        time=hhmm,
    )


def takes_phrase(tr: Translate, max_takes: int, review: bool) -> str:
    """A question's tries in words: "2 tries", "one try, sent as it is"…"""
    if not review:
        # Without review the first take is the answer, whatever max_takes says.
        return tr("one try, sent as it is")
    if max_takes == 0:
        return tr("as many tries as you need")
    if max_takes == 1:
        return tr("one try")
    return tr("{n} tries").format(n=max_takes)


def takes_summary(tr: Translate, takes: tuple[int, ...], reviews: tuple[bool, ...]) -> str:
    """The tries of the whole interview, true for every question: one rule when all
    questions share it ("2 tries"), else a line per rule naming its questions ("Questions 1
    and 2: 2 tries" / "Question 3: one try, sent as it is")."""
    phrases = [takes_phrase(tr, n, r) for n, r in zip(takes, reviews, strict=True)]
    if len(set(phrases)) <= 1:
        return phrases[0] if phrases else ""
    groups: dict[str, list[int]] = {}
    for k, phrase in enumerate(phrases, start=1):
        groups.setdefault(phrase, []).append(k)
    lines = []
    for phrase, numbers in groups.items():
        if len(numbers) == 1:
            lines.append(tr("Question {k}: {takes}").format(k=numbers[0], takes=phrase))
            continue
        listed = tr("{list} and {last}").format(
            list=", ".join(map(str, numbers[:-1])), last=numbers[-1]
        )
        lines.append(tr("Questions {list}: {takes}").format(list=listed, takes=phrase))
    return "\n".join(lines)


def retention(tr: Translate, hours: float) -> str:
    """How long the booth keeps answers once the employer has them, in words: "3 days",
    "36 hours" ("" for no time at all)."""
    whole = round(hours)
    if whole <= 0:
        return ""
    if whole % 24 == 0 and whole >= 48:
        return tr("{n} days").format(n=whole // 24)
    if whole == 1:
        return tr("1 hour")
    return tr("{n} hours").format(n=whole)


def consent_keeping(
    tr: Translate, employer: str, retention_hours: float, encrypted: bool | None
) -> str:
    """The consent screen's "how long it is kept", from the booth's real settings."""
    after = retention(tr, retention_hours)
    if after:
        text = tr("The booth deletes your answers {time} after {employer} has them.").format(
            time=after, employer=employer
        )
    else:
        text = tr("The booth deletes your answers as soon as {employer} has them.").format(
            employer=employer
        )
    if encrypted is True:
        text += " " + tr("Until then they are stored encrypted on the booth.")
    elif encrypted is False:
        text += " " + tr("Until then they are stored on the booth.")
    return (
        text
        + " "
        + tr("Your invitation says how long {employer} keeps them.").format(employer=employer)
    )
