"""The interview a candidate records: its questions, practice question and rules.

The domain's own types (issue 28), in the bottom layer so that the flow names them:
booth.config.interview reads an interview directory into them and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from booth.session.invitation import CodeBook


@dataclass(frozen=True)
class Practice:
    """The practice question: recorded and reviewed, never kept or uploaded."""

    text: dict[str, str]
    think_seconds: int
    answer_seconds: int


@dataclass(frozen=True)
class Question:
    """One question; `think_seconds` 0 = no think time, `max_takes` 0 = unlimited takes.

    audio: the question read aloud, per language (a language without a file has none); played
    on the question screen of a question without a clip.
    """

    id: str
    text: dict[str, str]
    clip: Path | None
    think_seconds: int
    answer_seconds: int
    max_takes: int
    review: bool
    audio: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Interview:
    """One installed interview. Times are aware datetimes; media paths are absolute."""

    id: str
    directory: Path
    employer: str
    title: dict[str, str]
    languages: tuple[str, ...]
    valid_from: datetime
    deadline: datetime
    intro_clips: tuple[Path, ...]
    replay_allowed: bool
    practice: Practice | None
    questions: tuple[Question, ...]
    codes: CodeBook = field(repr=False, compare=False)
    # Candidate-facing rules (issue 12): a title per intro clip ({} where none; the screen
    # then numbers it), what happens to a take left unkept ("discard" or "keep"), and the
    # seconds "I need more time" adds to a think time, once per question (0: not offered).
    intro_titles: tuple[dict[str, str], ...] = ()
    unreviewed_takes: str = "discard"
    extra_think_seconds: int = 0

    def text_for(self, mapping: dict[str, str], language: str) -> str:
        """The text in `language`, else in the interview's first language."""
        return mapping.get(language) or mapping.get(self.languages[0], "")

    def is_valid_at(self, now: datetime) -> bool:
        """Whether invitations may be used at `now` (an aware datetime)."""
        return self.valid_from <= now < self.deadline
