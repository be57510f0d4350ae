"""What the flow is told about the booth it runs in: its languages, its timing, what its
consent screen may promise and its opening hours. The kiosk makes them from booth.toml
(booth.kiosk.build); the session layer cannot read settings itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from booth.session.timing import Timing
from booth.session.view import ConsentFacts


def _always_open(_now: datetime) -> bool:
    return True


def _no_opening(_now: datetime) -> datetime | None:
    return None


def _no_hours(_now: datetime) -> str:
    return ""


@dataclass(frozen=True)
class Opening:
    """The booth's opening hours as the flow asks about them (booth.config.hours answers).

    is_open: whether a candidate may start now. next_opening: when it opens next (None: not
    known, or always open). today: today's hours as the closed screen shows them ("" none)."""

    is_open: Callable[[datetime], bool] = _always_open
    next_opening: Callable[[datetime], datetime | None] = _no_opening
    today: Callable[[datetime], str] = _no_hours


@dataclass(frozen=True)
class BoothRules:
    """languages: the booth's, the first the default unless `language` names another one."""

    languages: Sequence[str] = ("sv", "en")
    language: str | None = None
    timing: Timing = field(default_factory=Timing)
    consent: ConsentFacts = field(default_factory=ConsentFacts)
    opening: Opening = field(default_factory=Opening)
