"""Opening hours: when candidates may use the booth. Pure functions of the hours and a clock.

Written in booth.toml as one line per weekday in the booth's local wall-clock time:

    [hours]
    mon = "08:00-17:00"
    tue = "08:00-12:00, 13:00-17:00"
    sat = "closed"

No `[hours]` table (or an empty one) means always open; once any weekday is given, a weekday
that is not given is closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Minutes since midnight, start inclusive, end exclusive; end may be 1440 (24:00).
Span = tuple[int, int]

_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class OpeningHours:
    """Open spans per weekday, Monday first; `days` None means always open."""

    days: tuple[tuple[Span, ...], ...] | None = None


def parse_day(text: str) -> tuple[Span, ...]:
    """`"08:00-12:00, 13:00-17:00"` → ((480, 720), (780, 1020)); `"closed"` or `""` → ().

    Raises ValueError with a staff-readable reason.
    """
    text = text.strip()
    if text.lower() in ("", "closed"):
        return ()
    spans: list[Span] = []
    for part in text.split(","):
        m = _SPAN.fullmatch(part.strip())
        if not m:
            raise ValueError(f"{part.strip()!r} is not a span like 08:00-17:00")
        sh, sm, eh, em = (int(g) for g in m.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
            raise ValueError(f"{part.strip()!r} is not a time of day")
        start, end = sh * 60 + sm, eh * 60 + em
        if end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ValueError("spans overlap")
    return tuple(spans)


def is_open(hours: OpeningHours, now: datetime) -> bool:
    """Whether the booth is open at `now`, read as wall-clock time where the booth stands."""
    if hours.days is None:
        return True
    minute = now.hour * 60 + now.minute
    return any(start <= minute < end for start, end in hours.days[now.weekday()])


def next_opening(hours: OpeningHours, now: datetime) -> datetime | None:
    """The first moment at or after `now` when the booth is open (`now` itself if open).

    None when no weekday has any opening hours. The result has `now`'s tzinfo.
    """
    if is_open(hours, now):
        return now
    assert hours.days is not None
    for ahead in range(8):
        day = now.date() + timedelta(days=ahead)
        for start, _ in hours.days[day.weekday()]:
            moment = datetime.combine(day, time(start // 60, start % 60), tzinfo=now.tzinfo)
            if moment > now:
                return moment
    return None
