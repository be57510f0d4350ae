"""What a screen shows: a plain snapshot of the session, with no pygame in it.

The session flow (`booth.session.flow`) produces a `View` after every step; the
ui draws it. Everything a candidate must always know is here: which screen,
whether it is recording, how long is left, which question of how many, and how
many takes remain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from booth.session.screens import END_SCREENS, Action, Screen

__all__ = ["ACTIONS", "END_SCREENS", "SCREENS", "ConsentFacts", "InterviewSummary", "View"]

# Screen ids and named actions (touch, keys and GPIO buttons are all turned into actions), in
# their order: booth.session.screens has them as types and what each screen allows.
SCREENS = tuple(Screen)
ACTIONS = tuple(Action)


@dataclass(frozen=True)
class InterviewSummary:
    """The welcome screen's facts about one interview, in the candidate's language."""

    employer: str
    title: str
    question_count: int
    answer_seconds_max: int  # the longest answer time of any question
    max_takes: int  # the most takes any question allows; 0 = unlimited
    deadline: datetime
    # Per question, in order: takes allowed (0 = unlimited) and whether it can be reviewed.
    takes: tuple[int, ...] = ()
    reviews: tuple[bool, ...] = ()


@dataclass(frozen=True)
class ConsentFacts:
    """What the consent screen promises, taken from the booth's real settings.

    retention_hours: how long the booth keeps a session after the server confirmed it whole
    (the sync agent's `retention_hours`). encrypted: whether takes are stored encrypted on the
    booth (None: the booth has no such setting, and the screen says nothing about it).
    sends_by_itself: whether the booth uploads finished sessions itself (`[sync] url` is set);
    the done screen says "sends by itself" only then.
    """

    retention_hours: float = 72.0
    encrypted: bool | None = None
    sends_by_itself: bool = False


@dataclass(frozen=True)
class View:
    """Everything one frame of the kiosk needs to draw, and nothing more.

    Time values are seconds of the session clock (virtual in simulation).
    """

    screen: Screen
    language: str  # the candidate's current language, e.g. "sv"
    languages: tuple[str, ...]  # the languages the `language` action cycles through

    # code screen
    code_entry: str = ""  # digits typed so far (drawn as digits, large)
    # A message id: code.wrong, .expired, .not_yet_valid, .locked, .empty, .used (the ui's
    # texts.CODE_MESSAGES), or practice.done (idle after a walk-in practice).
    message: str | None = None
    code_places: int = 0  # how many digits the installed invitation codes have; 0: unknown
    locked_seconds: float = 0.0  # >0 while code entry is paused after 5 wrong codes

    # after a valid code (None on idle/code, and in practice-only sessions)
    interview: InterviewSummary | None = None
    practice_only: bool = False

    # intro clips
    intro_index: int = 0  # 1-based
    intro_count: int = 0
    # The clip to play: the intro or question clip; on review, the take being replayed (the
    # kiosk fills that in: only it knows where the take's MP4 is).
    clip_path: str | None = None
    clip_played: bool = False  # the current clip (or spoken question) has played to its end once
    clip_playing: bool = False  # the clip is playing now, paused or not (the kiosk plays it)
    clip_paused: bool = False  # the candidate paused it: picture and sound hold where they are
    clip_pausable: bool = False  # the pause action works now (a clip plays and may be paused)
    clip_replayable: bool = False  # the replay action works now (play it again from the start)
    clip_skippable: bool = False  # an intro clip already watched: Next skips the rest of it
    clip_title: str = ""  # the clip's title from interview.toml, "" if it has none
    # intro: every clip's title ("" where none), for "Watch again" to pick one
    intro_titles: tuple[str, ...] = ()

    # questions: practice is question 0
    is_practice: bool = False
    question_index: int = 0  # 1-based; 0 for the practice question
    question_count: int = 0
    question_text: str = ""
    # The question read aloud (a sound file), played on the question screen when it has no clip.
    question_audio: str | None = None
    think_seconds: float = 0.0  # full think time of this question
    answer_seconds: float = 0.0  # full answer time of this question

    # takes
    take_number: int = 0  # 1-based, the take being recorded or reviewed
    max_takes: int = 0  # 0 = unlimited
    takes_left: int | None = None  # None = unlimited
    can_retake: bool = False
    review_allowed: bool = False
    one_take: bool = False  # one take, no review: "You get one take. It is sent as it is."
    # The take (being recorded, reviewed, or next) is sent even if never kept.
    sent_without_keeping: bool = False
    keep_unreviewed: bool = False  # the interview sends takes the candidate did not keep
    limit_reached: bool = False  # the last take stopped at the time limit (shown once)
    limit_question: int = 0  # which question that take answered (1-based; 0: the practice)
    time_warning: bool = False  # recording: the last seconds of the answer time
    more_time_seconds: float = 0.0  # think: "I need more time" adds this now (0: not offered)
    more_time_added: float = 0.0  # think: "I need more time" added this to this question
    replaying: bool = False  # review: the take is being played back (clip_playing too)
    take_watched: bool = False  # review: the take has been played back at least once
    retake_asked: bool = False  # review: "Record again" pressed; the take goes only on a yes

    # countdowns: think, countdown (3-2-1), recording (time left), done, inactive
    seconds_left: float = 0.0
    recording: bool = False  # REC indicator on

    # the session so far: answers kept, a take waiting for Keep, and the done screen's receipt
    # done: the screen stays until Finish, or this long after the last touch
    stays_seconds: float = 0.0
    kept_count: int = 0
    pending_take: bool = False  # a recorded take waits on review (or was just cut off)
    session_ref: str | None = None  # what staff find in `booth takes list`
    finished_at: datetime | None = None
    consent: ConsentFacts = field(default_factory=ConsentFacts)

    # help and end-confirm: the whole minutes the booth waits there before it asks "are you
    # still there?" ([help] wait_minutes; 0 on the other screens)
    wait_minutes: int = 0
    check_problem: str | None = None  # check-help: the problem picked (None: what is measured)
    # help and inactive screens come back to this screen
    return_screen: Screen | None = None
    # out-of-order and closed: a reason id for the candidate (details go to `booth status`)
    reason: str | None = None
    opens_at: datetime | None = None  # closed: when the booth opens next, if known
    hours_today: str = ""  # closed: today's opening hours, e.g. "08:00–12:00, 13:00–17:00"
    now: datetime | None = None  # the wall-clock time of the view (closed: "today", "tomorrow")
    extra: dict = field(default_factory=dict)
