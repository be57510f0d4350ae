"""The candidate flow, rule by rule (issue 2, section 3), in virtual time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from booth.session.booth_rules import BoothRules, Opening
from booth.session.effects import (
    DiscardTake,
    Event,
    FinishSession,
    KeepTake,
    OpenSession,
    ReplayTake,
    StartTake,
    StopTake,
)
from booth.session.flow import SCREEN_HANDLERS, Flow, Timing
from booth.session.interview import Interview as RealInterview
from booth.session.interview import Practice as Prac
from booth.session.interview import Question
from booth.session.invitation import CodeBook, Invitation
from booth.session.view import SCREENS
from booth.sim.clock import VirtualClock

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def codebook(invitations: dict[str, Invitation], lengths: frozenset[int] = frozenset()) -> CodeBook:
    """A real code book of `invitations` by code. Keyed by a plain SHA-256 (the flow only looks
    codes up) and, like a hashed codes.csv from before `code_digits`, without code lengths
    unless given."""

    def digest(code: str) -> bytes:
        return hashlib.sha256(code.encode()).digest()

    return CodeBook({digest(c): inv for c, inv in invitations.items()}, digest, lengths=lengths)


def Q(
    id: str,
    text: dict[str, str],
    clip: Path | None = None,
    think_seconds: int = 10,
    answer_seconds: int = 30,
    max_takes: int = 2,
    review: bool = True,
    audio: dict[str, Path] | None = None,
) -> Question:
    """A real question with the defaults these tests take."""
    return Question(
        id, text, clip, think_seconds, answer_seconds, max_takes, review, dict(audio or {})
    )


def Practice(text: dict[str, str], think_seconds: int = 5, answer_seconds: int = 20) -> Prac:
    return Prac(text, think_seconds, answer_seconds)


_DEFAULT = object()


def Interview(
    id: str = "job-1",
    employer: str = "Kommunen",
    title: dict[str, str] | None = None,
    languages: tuple[str, ...] = ("sv", "en"),
    valid_from: datetime = NOW - timedelta(days=1),
    deadline: datetime = NOW + timedelta(days=10),
    intro_clips: tuple[Path, ...] = (),
    replay_allowed: bool = True,
    practice: Any = _DEFAULT,
    questions: tuple[Question, ...] | None = None,
    codes: CodeBook | None = None,
    intro_titles: tuple[dict[str, str], ...] = (),
    unreviewed_takes: str = "discard",
    extra_think_seconds: int = 0,
) -> RealInterview:
    """A real interview (booth.session.interview) with the defaults these tests take: two
    languages, a practice question, three questions and two invitations."""
    return RealInterview(
        id=id,
        directory=Path("/nonexistent/interviews") / id,
        employer=employer,
        title=title if title is not None else {"sv": "Lärare", "en": "Teacher"},
        languages=languages,
        valid_from=valid_from,
        deadline=deadline,
        intro_clips=intro_clips,
        replay_allowed=replay_allowed,
        practice=Practice({"sv": "Öva", "en": "Try"}) if practice is _DEFAULT else practice,
        questions=questions
        if questions is not None
        else (
            Q("q1", {"sv": "Fråga ett", "en": "Question one"}),
            Q("q2", {"sv": "Fråga två", "en": "Question two"}, think_seconds=0, max_takes=1),
            Q("q3", {"sv": "Fråga tre", "en": "Question three"}, max_takes=0, review=True),
        ),
        codes=codes
        if codes is not None
        else codebook({"123456": Invitation("CAND-1"), "777777": Invitation("CAND-7", 50, 1)}),
        intro_titles=intro_titles,
        unreviewed_takes=unreviewed_takes,
        extra_think_seconds=extra_think_seconds,
    )


class Booth:
    """A flow plus the effects it produced, driven like a candidate would."""

    def __init__(self, interview=None, timing=None, is_open=None, languages=("sv", "en")):
        self.clock = VirtualClock(NOW)
        self.interview = interview or Interview()
        opening = Opening(is_open=is_open) if is_open is not None else Opening()
        rules = BoothRules(languages, timing=timing or Timing(), opening=opening)
        self.flow = Flow([self.interview], self.clock, rules)
        self.effects: list = []

    def press(self, action, value=None):
        self.effects += self.flow.handle(action, value)
        return self

    def retake(self):
        """Record again, and answer "yes" when the review asks first."""
        return self.press("retake").press("retake")

    def type(self, digits):
        for d in digits:
            self.press("digit", d)
        return self

    def wait(self, seconds, step=0.25):
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end - 1e-9:
            self.clock.advance(min(step, end - self.clock.monotonic()))
            self.effects += self.flow.tick()
        return self

    def clip_ends(self):
        self.effects += self.flow.clip_finished()
        return self

    @property
    def screen(self):
        return self.flow.screen

    def of(self, kind):
        return [e for e in self.effects if isinstance(e, kind)]

    def to_check(self, code="123456"):
        self.press("start").type(code).press("confirm").press("next").press("accept")
        assert self.screen == "check"
        return self

    def to_question_1(self, code="123456"):
        self.to_check(code).press("next")
        assert self.screen == "practice"
        self.press("next")
        assert self.screen == "question"
        return self


# ------------------------------------------------------------------ idle
def test_start_on_idle_opens_code_entry():
    assert Booth().press("start").screen == "code"


def test_practice_on_idle_checks_the_equipment_then_keeps_nothing_and_ends_at_idle():
    b = Booth().press("practice")
    assert b.screen == "check" and b.flow.view().practice_only
    b.press("next")
    assert b.screen == "practice"
    b.press("record")
    assert b.screen == "think"  # practice has its think time, like a real question
    v = b.flow.view()
    assert (v.think_seconds, v.answer_seconds) == (20, 60)
    b.press("record").wait(3)
    assert b.screen == "recording"
    b.press("stop")
    assert b.screen == "review"
    b.press("keep")
    assert b.screen == "idle" and b.flow.view().message == "practice.done"
    assert not b.of(KeepTake) and not b.of(OpenSession) and not b.of(FinishSession)
    assert b.of(StartTake)[0].practice
    assert b.of(DiscardTake) == [DiscardTake("practice", 1, True)]
    b.wait(15)
    assert b.flow.view().message is None


def test_language_cycles_on_idle_and_code():
    b = Booth()
    assert b.flow.view().language == "sv"
    b.press("language")
    assert b.flow.view().language == "en"
    b.press("start").press("language")
    assert b.flow.view().language == "sv"


def test_after_the_code_the_language_choice_is_the_interviews():
    b = Booth(interview=Interview(languages=("en",)), languages=("sv", "en"))
    b.press("start").type("123456").press("confirm")
    assert b.flow.view().language == "en"
    b.press("language")
    assert b.flow.view().languages == ("en",) and b.flow.view().language == "en"


# ------------------------------------------------------------------ code
def test_valid_code_opens_welcome_with_the_interview_facts():
    b = Booth().press("start").type("123456").press("confirm")
    assert b.screen == "welcome"
    s = b.flow.view().interview
    assert (s.employer, s.title, s.question_count) == ("Kommunen", "Lärare", 3)
    assert s.max_takes == 0  # q3 allows unlimited takes
    assert s.answer_seconds_max == 30


def test_wrong_code_stays_on_code_with_entry_cleared_and_a_message():
    b = Booth().press("start").type("999").press("confirm")
    v = b.flow.view()
    assert (b.screen, v.code_entry, v.message) == ("code", "", "code.wrong")


def test_expired_and_not_yet_valid_codes_say_so():
    b = Booth(interview=Interview(deadline=NOW - timedelta(hours=1)))
    b.press("start").type("123456").press("confirm")
    assert (b.screen, b.flow.view().message) == ("code", "code.expired")
    b = Booth(interview=Interview(valid_from=NOW + timedelta(days=1)))
    b.press("start").type("123456").press("confirm")
    assert (b.screen, b.flow.view().message) == ("code", "code.not_yet_valid")


def test_five_wrong_codes_pause_entry_for_a_minute():
    b = Booth().press("start")
    for _ in range(5):
        b.type("1").press("confirm")
    v = b.flow.view()
    assert v.message == "code.locked" and v.locked_seconds == pytest.approx(60)
    b.type("123456").press("confirm")
    assert b.screen == "code" and b.flow.view().code_entry == ""
    b.wait(60)  # meanwhile "are you still there?" ends the visit: the wait outlives it
    b.press("start").type("123456").press("confirm")
    assert b.screen == "welcome"


def test_empty_code_gets_a_message():
    b = Booth().press("start").press("confirm")
    assert b.flow.view().message == "code.empty"


def test_back_on_code_returns_to_idle():
    assert Booth().press("start").type("12").press("back").screen == "idle"


def test_no_digit_of_a_code_reaches_an_event():
    b = Booth().press("start").type("123456").press("confirm")
    for e in b.of(Event):
        assert "123456" not in repr(e) and "'value'" not in repr(e.fields)


def test_delete_removes_the_last_digit():
    b = Booth().press("start").type("123").press("delete")
    assert b.flow.view().code_entry == "12"


# ------------------------------------------------- welcome, consent, check
def test_welcome_next_opens_consent_and_back_returns_to_idle():
    b = Booth().press("start").type("123456").press("confirm").press("next")
    assert b.screen == "consent"
    b = Booth().press("start").type("123456").press("confirm").press("back")
    assert b.screen == "idle" and b.flow.view().interview is None


def test_declining_consent_records_nothing_and_ends_kindly():
    b = Booth().press("start").type("123456").press("confirm").press("next").press("decline")
    assert b.screen == "done"
    assert b.of(OpenSession) == [OpenSession("job-1", "CAND-1")]
    assert b.of(FinishSession) == [FinishSession("declined")]
    assert not b.of(StartTake)


def test_accepting_consent_opens_the_session_and_the_check():
    b = Booth().to_check()
    assert b.of(OpenSession) == [OpenSession("job-1", "CAND-1")]


def test_check_goes_to_practice_without_intro_clips():
    assert Booth().to_check().press("next").screen == "practice"


# ------------------------------------------------------------------ intro
def test_intro_clips_play_one_after_another_and_next_waits_for_the_last():
    b = Booth(interview=Interview(intro_clips=(Path("a.mp4"), Path("b.mp4"))))
    b.to_check().press("next")
    v = b.flow.view()
    assert (b.screen, v.intro_index, v.intro_count, v.clip_playing) == ("intro", 1, 2, True)
    b.press("next")
    assert b.screen == "intro"  # refused: the clip has not played yet
    b.clip_ends()
    assert b.flow.view().intro_index == 2 and b.flow.view().clip_path == "b.mp4"
    b.press("next")
    assert b.screen == "intro"
    b.clip_ends().press("next")
    assert b.screen == "practice"


# --------------------------------------------------------------- practice
def test_practice_record_goes_through_think_countdown_recording_and_review_to_question_1():
    b = Booth().to_check().press("next").press("record")
    assert b.screen == "think" and b.flow.view().seconds_left == pytest.approx(5)
    b.press("record")
    assert b.screen == "countdown"
    b.wait(3)
    assert b.screen == "recording" and b.of(StartTake) == [StartTake("practice", 1, True, 20.0)]
    b.press("stop")
    assert b.screen == "review" and b.flow.view().can_retake
    b.press("next")
    v = b.flow.view()
    assert (b.screen, v.question_index, v.question_count) == ("question", 1, 3)
    assert not b.of(KeepTake)


def test_next_on_practice_skips_it():
    b = Booth().to_check().press("next").press("next")
    assert b.screen == "question" and not b.of(StartTake)


# -------------------------------------------------------- question, think
def test_question_next_goes_to_think_and_think_counts_down_to_the_countdown():
    b = Booth().to_question_1().press("next")
    assert b.screen == "think" and b.flow.view().seconds_left == pytest.approx(10)
    b.wait(9.5)
    assert b.screen == "think"
    b.wait(0.5)
    assert b.screen == "countdown"
    b.wait(3)
    assert b.screen == "recording"


def test_start_now_on_think_goes_to_the_countdown():
    b = Booth().to_question_1().press("next").press("record")
    assert b.screen == "countdown"


def test_question_without_think_time_goes_straight_to_the_countdown():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.press("keep")
    assert b.flow.view().question_index == 2
    b.press("next")
    assert b.screen == "countdown"


def test_question_with_a_clip_waits_for_the_clip_before_next():
    iv = Interview(questions=(Q("q1", {"sv": "a", "en": "a"}, clip=Path("q1.mp4")),))
    b = Booth(interview=iv).to_question_1()
    assert b.flow.view().clip_path == "q1.mp4" and b.flow.view().clip_playing
    b.press("next")
    assert b.screen == "question"
    b.clip_ends().press("next")
    assert b.screen == "think"


# -------------------------------------------------------------- recording
def test_recording_stops_at_the_answer_limit():
    b = Booth().to_question_1().press("next").press("record").wait(3)
    assert b.flow.view().recording and b.flow.view().seconds_left == pytest.approx(30)
    b.wait(29.75)
    assert b.screen == "recording"
    b.wait(0.25)
    assert b.screen == "review"
    assert b.of(StopTake) == [StopTake("q1", 1, False)]


def test_a_question_without_review_keeps_the_take_and_moves_on():
    iv = Interview(
        practice=None,
        questions=(
            Q("q1", {"sv": "a"}, think_seconds=0, review=False),
            Q("q2", {"sv": "b"}, think_seconds=0, review=False),
        ),
    )
    b = Booth(interview=iv).to_check().press("next")
    assert b.screen == "question"
    b.press("next").wait(3).press("stop")
    assert b.screen == "question" and b.flow.view().question_index == 2
    assert b.of(KeepTake) == [KeepTake("q1", 1)]
    b.press("next").wait(3).wait(30)
    assert b.screen == "done" and b.of(FinishSession) == [FinishSession("complete")]


# ----------------------------------------------------------------- review
def test_review_keep_moves_to_the_next_question():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.press("keep")
    assert b.of(KeepTake) == [KeepTake("q1", 1)]
    assert (b.screen, b.flow.view().question_index) == ("question", 2)


def test_retake_is_allowed_while_takes_remain_and_discards_the_reviewed_take():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    v = b.flow.view()
    assert (v.take_number, v.max_takes, v.takes_left, v.can_retake) == (1, 2, 1, True)
    b.press("retake")
    # Asked first (issue 27.4): nothing is deleted until the candidate says yes.
    assert b.screen == "review" and b.flow.view().retake_asked and not b.of(DiscardTake)
    b.press("retake")
    assert b.screen == "countdown" and b.of(DiscardTake) == [DiscardTake("q1", 1, False)]
    b.wait(3).press("stop")
    v = b.flow.view()
    assert (v.take_number, v.takes_left, v.can_retake) == (2, 0, False)


def test_record_again_asks_first_and_back_keeps_the_take():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.press("retake").press("back")
    v = b.flow.view()
    assert b.screen == "review" and not v.retake_asked and not b.of(DiscardTake)
    b.press("keep")
    assert b.of(KeepTake) == [KeepTake("q1", 1)]


def test_watch_again_is_offered_only_after_the_take_was_watched():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    assert not b.flow.view().take_watched
    b.press("replay").clip_ends()
    assert b.flow.view().take_watched


def test_retake_is_refused_when_no_takes_remain():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.retake().wait(3).press("stop").press("retake")
    assert b.screen == "review"
    assert any(isinstance(e, Event) and e.name == "refused" for e in b.effects[-2:])
    b.press("keep")
    assert b.of(KeepTake) == [KeepTake("q1", 2)]


def test_unlimited_takes_show_take_k_without_a_limit():
    b = Booth().to_question_1()
    b.press("next").press("record").wait(3).press("stop").press("keep")  # q1
    b.press("next").wait(3).press("stop")  # q2: one take, review
    assert not b.flow.view().can_retake
    b.press("keep")
    b.press("next").press("record").wait(3).press("stop")  # q3: unlimited
    for k in range(2, 6):
        b.retake().wait(3).press("stop")
        v = b.flow.view()
        assert (v.take_number, v.max_takes, v.takes_left, v.can_retake) == (k, 0, None, True)


def test_a_full_session_completes_and_done_returns_to_idle_with_nothing_left():
    b = Booth().to_question_1()
    b.press("next").press("record").wait(3).press("stop").press("keep")
    b.press("next").wait(3).press("stop").press("keep")
    b.press("next").press("record").wait(3).press("stop").press("keep")
    assert b.screen == "done" and b.of(FinishSession) == [FinishSession("complete")]
    b.wait(60)  # the receipt stays a minute without a touch (issue 27.6)
    v = b.flow.view()
    assert b.screen == "idle"
    assert (v.interview, v.code_entry, v.question_text, v.take_number) == (None, "", "", 0)


def test_next_on_done_returns_to_idle():
    b = Booth().press("start").type("123456").press("confirm").press("next").press("decline")
    assert b.press("next").screen == "idle"


# -------------------------------------------------------- accommodations
def test_extra_time_and_extra_takes_from_the_invitation():
    b = Booth().to_question_1(code="777777").press("next")
    assert b.flow.view().seconds_left == pytest.approx(15)  # 10 s think + 50 %
    b.press("record").wait(3)
    v = b.flow.view()
    assert v.seconds_left == pytest.approx(45) and v.max_takes == 3


# ----------------------------------------------- inactivity, help, closed
def test_inactivity_asks_are_you_still_there_and_any_action_returns():
    b = Booth().to_check().wait(60)
    assert b.screen == "inactive" and b.flow.view().seconds_left == pytest.approx(20)
    b.press("next")
    assert b.screen == "check"


def test_inactivity_ends_the_session_early_keeping_what_was_kept():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop").press("keep")
    b.press("next").wait(3).press("stop")  # q2 under review, not yet kept
    b.wait(60 + 20)
    assert b.screen == "idle"
    assert b.of(KeepTake) == [KeepTake("q1", 1), KeepTake("q2", 1)]
    assert b.of(FinishSession) == [FinishSession("ended-early")]


def test_no_inactivity_guard_while_recording_or_playing_a_clip():
    b = Booth(timing=Timing(inactivity_seconds=5))
    b.to_question_1().press("next").press("record").wait(3).wait(20)
    assert b.screen == "recording"
    iv = Interview(intro_clips=(Path("a.mp4"),))
    b = Booth(interview=iv, timing=Timing(inactivity_seconds=5)).to_check().press("next").wait(30)
    assert b.screen == "intro"


def test_help_shows_and_returns_with_the_think_time_paused():
    b = Booth().to_question_1().press("next").wait(4).press("help")
    assert b.screen == "help"
    b.wait(30)
    assert b.screen == "help"
    b.press("back")
    assert b.screen == "think" and b.flow.view().seconds_left == pytest.approx(6)


def test_help_is_not_offered_while_recording():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("help")
    assert b.screen == "recording"


def test_closed_outside_opening_hours():
    hours = {"open": False}
    b = Booth(is_open=lambda now: hours["open"])
    assert b.screen == "closed"
    b.press("start")
    assert b.screen == "closed"
    hours["open"] = True
    b.wait(1)
    assert b.screen == "idle"


def test_a_fault_ends_the_session_and_shows_out_of_order_until_cleared():
    b = Booth().to_question_1().press("next").press("record").wait(3)
    b.effects += b.flow.fault("camera")
    assert b.screen == "out-of-order" and b.flow.view().reason == "camera"
    # Take 1 of 2 with review: the candidate never chose it, so it is not sent.
    assert not b.of(KeepTake) and b.of(DiscardTake) == [DiscardTake("q1", 1, False)]
    assert b.of(FinishSession) == [FinishSession("ended-early")]
    b.effects += b.flow.clear_fault()
    assert b.screen == "idle"


def test_out_of_order_offers_help_and_back_leads_to_the_start_once_the_fault_is_gone():
    b = Booth()
    b.effects += b.flow.fault("camera")
    b.press("help")
    assert b.screen == "help" and b.flow.view().return_screen == "out-of-order"
    b.press("back")
    assert b.screen == "out-of-order"
    b.press("help")
    b.effects += b.flow.clear_fault()
    b.press("back")
    assert b.screen == "idle"


def test_a_take_cut_short_is_kept():
    iv = Interview(practice=None, questions=(Q("q1", {"sv": "a"}, review=False),))
    b = Booth(interview=iv).to_check().press("next").press("next").press("record").wait(3)
    b.effects += b.flow.take_cut_short()
    assert b.of(KeepTake) == [KeepTake("q1", 1)] and b.screen == "done"


def test_presses_at_the_wrong_moment_are_refused_not_fatal():
    b = Booth()
    for action in ["keep", "retake", "stop", "record", "accept", "decline", "confirm", "next"]:
        b.press(action)
    assert b.screen == "idle"
    assert sum(1 for e in b.of(Event) if e.name == "refused") == 8


def test_shutdown_mid_take_ends_the_session_early_and_sends_only_a_take_sent_as_it_is():
    b = Booth().to_question_1().press("next").press("record").wait(3)
    b.effects += b.flow.shutdown()
    assert b.of(StopTake) == [StopTake("q1", 1, False)]
    assert not b.of(KeepTake) and b.of(DiscardTake) == [DiscardTake("q1", 1, False)]
    assert b.of(FinishSession) == [FinishSession("ended-early")]
    iv = Interview(practice=None, questions=(Q("q1", {"sv": "a"}, max_takes=1, review=False),))
    b = Booth(interview=iv).to_check().press("next").press("next").press("record").wait(3)
    b.effects += b.flow.shutdown()
    assert b.of(KeepTake) == [KeepTake("q1", 1)] and not b.of(DiscardTake)


def test_inactivity_counts_from_the_moment_review_opens_after_a_long_answer():
    b = Booth().to_question_1().press("next").press("record").wait(3).wait(30)
    assert b.screen == "review"
    b.wait(59)
    assert b.screen == "review"
    b.wait(1)
    assert b.screen == "inactive"


# ------------------------------------------- clips: pause, skip, spoken question
def intro_booth(replay_allowed=True, clips=("a.mp4",), timing=None):
    iv = Interview(intro_clips=tuple(Path(c) for c in clips), replay_allowed=replay_allowed)
    b = Booth(interview=iv, timing=timing).to_check().press("next")
    assert b.screen == "intro"
    return b


def test_pause_toggles_a_playing_intro_clip():
    b = intro_booth()
    assert b.flow.view().clip_pausable and not b.flow.view().clip_paused
    b.press("pause")
    v = b.flow.view()
    assert v.clip_paused and v.clip_playing and v.clip_pausable
    b.press("pause")
    assert not b.flow.view().clip_paused
    assert [e.name for e in b.of(Event) if e.name.startswith("clip.")][-2:] == [
        "clip.pause",
        "clip.resume",
    ]


def test_pause_is_refused_when_the_interview_does_not_allow_replay():
    b = intro_booth(replay_allowed=False).press("pause")
    v = b.flow.view()
    assert not v.clip_paused and not v.clip_pausable
    assert b.of(Event)[-1] == Event("refused", {"action": "pause", "screen": "intro"})
    b.clip_ends().press("replay")
    assert not b.flow.view().clip_playing  # no replay either


def test_pause_is_refused_when_no_clip_plays():
    b = intro_booth().clip_ends().press("pause")
    assert not b.flow.view().clip_paused and b.of(Event)[-1].name == "refused"


def test_inactivity_counts_while_a_clip_is_paused():
    b = intro_booth(timing=Timing(inactivity_seconds=5)).wait(30)
    assert b.screen == "intro"  # playing: the candidate is watching
    b.press("pause").wait(5)
    assert b.screen == "inactive"
    b.press("next")  # "I'm still here": back to the paused clip
    assert b.screen == "intro" and b.flow.view().clip_paused


def test_help_over_a_playing_clip_lets_the_help_wait_run():
    b = intro_booth(timing=Timing(inactivity_seconds=5, help_wait_seconds=30)).press("help")
    assert b.wait(29).screen == "help"
    assert b.wait(1).screen == "inactive"


def test_a_clip_ending_or_starting_clears_the_pause():
    b = intro_booth(clips=("a.mp4", "b.mp4")).press("pause").clip_ends()
    v = b.flow.view()
    assert (v.intro_index, v.clip_playing, v.clip_paused) == (2, True, False)
    b.clip_ends().press("replay").press("pause")
    assert b.flow.view().clip_paused
    b.press("next")  # skip the watched clip
    assert not b.flow.view().clip_paused and not b.flow.view().clip_playing


def test_only_a_watched_intro_clip_can_be_skipped():
    b = intro_booth()
    assert not b.flow.view().clip_skippable
    b.press("next")
    assert b.screen == "intro" and b.flow.view().clip_playing  # refused: not watched yet
    b.clip_ends()
    assert b.flow.view().clip_replayable
    b.press("replay")
    v = b.flow.view()
    assert v.clip_playing and v.clip_skippable and not v.clip_replayable
    b.press("next")  # Skip
    assert b.screen == "intro" and not b.flow.view().clip_playing
    assert any(e.name == "clip.skip" for e in b.of(Event))
    b.press("next")
    assert b.screen == "practice"


def test_replay_is_refused_while_the_clip_plays():
    b = intro_booth().press("replay")
    assert b.of(Event)[-1] == Event("refused", {"action": "replay", "screen": "intro"})


def spoken_interview(audio, clip=None, replay_allowed=True):
    q = Q("q1", {"sv": "Läst fråga", "en": "Read question"}, clip=clip, audio=audio)
    return Interview(practice=None, questions=(q,), replay_allowed=replay_allowed)


def test_a_spoken_question_plays_before_next_like_a_clip():
    audio = {"sv": Path("q1.sv.m4a"), "en": Path("q1.en.m4a")}
    b = Booth(interview=spoken_interview(audio)).to_check().press("next")
    v = b.flow.view()
    assert b.screen == "question"
    assert (v.question_audio, v.clip_path, v.clip_playing) == ("q1.sv.m4a", None, True)
    assert v.question_text == "Läst fråga" and v.clip_pausable
    b.press("next")
    assert b.screen == "question"  # refused while it is read aloud
    b.press("pause").press("pause").clip_ends()
    assert b.flow.view().clip_replayable
    b.press("replay")
    assert b.flow.view().clip_playing and b.of(Event)[-1].name == "clip.replay"
    b.clip_ends().press("next")
    assert b.screen == "think"


def test_the_spoken_question_is_in_the_candidates_language():
    audio = {"sv": Path("q1.sv.m4a"), "en": Path("q1.en.m4a")}
    b = Booth(interview=spoken_interview(audio)).press("language").press("start")
    b.type("123456").press("confirm").press("next").press("accept").press("next")
    assert b.flow.view().question_audio == "q1.en.m4a"


def test_a_language_without_spoken_audio_shows_the_text_only():
    b = Booth(interview=spoken_interview({"en": Path("q1.en.m4a")})).to_check().press("next")
    v = b.flow.view()
    assert v.question_audio is None and not v.clip_playing and v.clip_played
    b.press("next")
    assert b.screen == "think"


def test_a_question_clip_wins_over_spoken_audio():
    iv = spoken_interview({"sv": Path("q1.sv.m4a")}, clip=Path("q1.mp4"))
    v = Booth(interview=iv).to_check().press("next").flow.view()
    assert (v.clip_path, v.question_audio) == ("q1.mp4", None)


# ------------------------------------------------------ take replay on review
def to_review(b):
    b.to_question_1().press("next").press("record").wait(3).press("stop")
    assert b.screen == "review"
    return b


def test_replay_plays_the_take_under_review_until_it_ends():
    b = to_review(Booth())
    assert b.flow.view().clip_replayable and not b.flow.view().replaying
    b.press("replay")
    v = b.flow.view()
    assert b.of(ReplayTake) == [ReplayTake("q1", 1, False)] and b.screen == "review"
    assert v.replaying and v.clip_playing and v.clip_pausable and not v.clip_replayable
    assert v.clip_path is None  # the kiosk knows where the take is, not the flow
    b.press("replay")
    assert len(b.of(ReplayTake)) == 1  # refused while it plays
    b.clip_ends()
    v = b.flow.view()
    assert not v.replaying and not v.clip_playing and b.screen == "review"
    b.press("replay")
    assert len(b.of(ReplayTake)) == 2


def test_no_inactivity_while_the_take_plays_back_but_it_counts_when_paused():
    b = to_review(Booth(timing=Timing(inactivity_seconds=5))).press("replay").wait(30)
    assert b.screen == "review" and b.flow.view().replaying
    b.press("pause").wait(5)
    assert b.screen == "inactive"


def test_stop_ends_the_replay_and_stays_on_review():
    b = to_review(Booth()).press("stop")
    assert b.of(Event)[-1].name == "refused"  # nothing to stop
    b.press("replay").press("stop")
    v = b.flow.view()
    assert b.screen == "review" and not v.replaying and not v.clip_playing
    assert b.of(Event)[-1] == Event("take.replay_stopped", {"question": "q1"})


@pytest.mark.parametrize("action, screen", [("keep", "question"), ("retake", "countdown")])
def test_keep_or_retake_during_replay_stops_it(action, screen):
    b = to_review(Booth()).press("replay").press("pause").press(action)
    if action == "retake":
        b.press("retake")  # the review asks first
    v = b.flow.view()
    assert b.screen == screen
    assert not (v.replaying or v.clip_playing or v.clip_paused)
    assert any(e.name == "take.replay_stopped" for e in b.of(Event))


def test_a_refused_retake_leaves_the_replay_playing():
    iv = Interview(practice=None, questions=(Q("q1", {"sv": "a"}, think_seconds=0, max_takes=1),))
    b = Booth(interview=iv).to_check().press("next").press("next").wait(3).press("stop")
    b.press("replay").press("retake")
    assert b.screen == "review" and b.flow.view().replaying


# ---------------------------------------------------------- dispatch table
def _reach(screen):
    """A booth showing `screen` (every one of booth.session.view.SCREENS)."""
    intro = Interview(intro_clips=(Path("a.mp4"),))
    recipes = {
        "idle": lambda: Booth(),
        "code": lambda: Booth().press("start"),
        "welcome": lambda: Booth().press("start").type("123456").press("confirm"),
        "consent": lambda: _reach("welcome").press("next"),
        "check": lambda: Booth().to_check(),
        "intro": lambda: Booth(interview=intro).to_check().press("next"),
        "practice": lambda: Booth().to_check().press("next"),
        "question": lambda: Booth().to_question_1(),
        "think": lambda: Booth().to_question_1().press("next"),
        "countdown": lambda: _reach("think").press("record"),
        "recording": lambda: _reach("countdown").wait(3),
        "review": lambda: _reach("recording").press("stop"),
        "done": lambda: _reach("consent").press("decline"),
        "help": lambda: Booth().press("start").press("help"),
        "inactive": lambda: Booth(timing=Timing(inactivity_seconds=5)).press("start").wait(5),
        "closed": lambda: Booth(is_open=lambda _now: False),
        "out-of-order": lambda: _faulty(Booth().press("start")),
        "end-confirm": lambda: _reach("question").press("end"),
        "check-help": lambda: Booth().to_check().press("problem"),
    }
    b = recipes[screen]()
    assert b.screen == screen
    return b


def _faulty(b):
    b.effects += b.flow.fault("camera")
    return b


def test_every_screen_has_a_handler_and_nothing_else_does():
    assert sorted(SCREEN_HANDLERS) == sorted(SCREENS)
    assert all(callable(handler) for handler in SCREEN_HANDLERS.values())


@pytest.mark.parametrize("screen", SCREENS)
def test_an_unknown_action_is_refused_and_changes_nothing(screen):
    b = _reach(screen)
    before = b.flow.view()
    effects = b.flow.handle("no-such-action", "1")
    if screen == "inactive":  # any action at all means "I'm still here"
        assert b.screen == "code" and effects[-1] == Event("screen", {"screen": "code"})
        return
    assert effects == [
        Event("action", {"action": "no-such-action", "screen": screen}),
        Event("refused", {"action": "no-such-action", "screen": screen}),
    ]
    assert b.flow.view() == before


def test_the_system_and_the_virtual_clock_are_both_clocks():
    from booth.session.clock import Clock, SystemClock

    assert isinstance(SystemClock(), Clock) and isinstance(VirtualClock(NOW), Clock)
    clock = VirtualClock(NOW)
    clock.advance(1.5)
    clock.set_ns(2_000_000_001)
    assert (clock.monotonic_ns(), clock.monotonic()) == (2_000_000_001, 2.000000001)
    assert clock.now() == NOW + timedelta(seconds=2)
    with pytest.raises(ValueError):
        clock.set_ns(1)


# ------------------------------------------- issue 12: rules a candidate can trust
def one_take_interview(**kwargs):
    return Interview(
        practice=None,
        questions=(
            Q("q1", {"sv": "a", "en": "a"}, max_takes=2),
            Q("q2", {"sv": "b", "en": "b"}, think_seconds=0, max_takes=1, review=False),
        ),
        **kwargs,
    )


def test_take_numbers_count_the_take_to_come_before_recording_and_the_take_recorded_after():
    b = Booth().to_question_1()
    assert b.flow.view().take_number == 1  # question: take 1 of 2 is next
    b.press("next")
    assert b.flow.view().take_number == 1  # think
    b.press("record")
    assert b.flow.view().take_number == 1  # 3-2-1 before the first take: never "Take 0"
    b.wait(3).press("stop")
    assert (b.screen, b.flow.view().take_number) == ("review", 1)
    b.retake()
    assert (b.screen, b.flow.view().take_number) == ("countdown", 2)
    b.wait(3)
    assert b.flow.view().take_number == 2


def test_a_one_take_question_says_so_and_its_next_starts_the_countdown_at_once():
    b = Booth(interview=one_take_interview()).to_check().press("next")
    b.press("next").press("record").wait(3).press("stop").press("keep")
    v = b.flow.view()
    assert (b.screen, v.question_index, v.one_take, v.sent_without_keeping) == (
        "question",
        2,
        True,
        True,
    )
    b.press("next")
    assert b.screen == "countdown"


def test_the_welcome_summary_knows_every_questions_takes_and_review():
    b = Booth().press("start").type("123456").press("confirm")
    s = b.flow.view().interview
    assert (s.takes, s.reviews) == ((2, 1, 0), (True, True, True))


def test_the_last_seconds_of_an_answer_are_a_warning():
    b = Booth().to_question_1().press("next").press("record").wait(3)
    b.wait(19.75)
    assert not b.flow.view().time_warning
    b.wait(0.5)
    v = b.flow.view()
    assert v.time_warning and v.seconds_left == pytest.approx(9.75)


def test_the_warning_time_is_configurable():
    b = Booth(timing=Timing(warning_seconds=3)).to_question_1().press("next").press("record")
    b.wait(3).wait(26)
    assert not b.flow.view().time_warning
    b.wait(1.5)
    assert b.flow.view().time_warning


def test_an_automatic_stop_says_so_on_review_only_until_the_candidate_moves_on():
    b = Booth().to_question_1().press("next").press("record").wait(3).wait(30)
    assert b.screen == "review" and b.flow.view().limit_reached
    b.retake().wait(3).press("stop")
    assert b.screen == "review" and not b.flow.view().limit_reached


def test_an_automatic_stop_without_review_says_so_on_the_next_screen():
    b = Booth(interview=one_take_interview()).to_check().press("next")
    b.press("next").press("record").wait(3).press("stop").press("keep")
    b.press("next").wait(3).wait(30)
    assert b.screen == "done" and b.flow.view().limit_reached


def test_walking_away_on_review_deletes_the_take_nobody_kept():
    t = Timing(inactivity_seconds=5, inactive_grace_seconds=5)
    b = Booth(timing=t).to_question_1().press("next").press("record").wait(3).press("stop")
    assert b.screen == "review"
    b.wait(5)
    assert b.screen == "inactive" and b.flow.view().pending_take
    assert not b.flow.view().sent_without_keeping
    b.wait(5)
    assert b.screen == "idle"
    assert not b.of(KeepTake) and b.of(DiscardTake) == [DiscardTake("q1", 1, False)]
    assert any(e.name == "take.not_kept" for e in b.of(Event))


def test_an_interview_may_send_unkept_takes_and_the_screens_are_told():
    iv = Interview(unreviewed_takes="keep")
    t = Timing(inactivity_seconds=5, inactive_grace_seconds=5)
    b = Booth(interview=iv, timing=t).to_question_1()
    assert b.flow.view().keep_unreviewed
    b.press("next").press("record").wait(3)
    assert b.of(StartTake)[-1].sent_without_keeping
    b.press("stop").wait(10)
    assert b.screen == "idle" and b.of(KeepTake) == [KeepTake("q1", 1)]


def test_the_last_allowed_take_is_sent_even_if_the_candidate_walks_away():
    t = Timing(inactivity_seconds=5, inactive_grace_seconds=5)
    b = Booth(timing=t).to_question_1().press("next").press("record").wait(3).press("stop")
    b.retake().wait(3)
    assert b.of(StartTake)[-1] == StartTake("q1", 2, False, 30.0, True)
    b.press("stop").wait(10)
    assert b.of(KeepTake) == [KeepTake("q1", 2)]


def test_end_the_interview_asks_first_then_ends_early_with_a_receipt():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop").press("keep")
    b.flow.session_opened("20261125T100000Z-1a2b3c4d")
    b.press("end")
    assert b.screen == "end-confirm" and b.flow.view().kept_count == 1
    b.press("back")
    assert b.screen == "question"
    b.press("end").press("confirm")
    v = b.flow.view()
    assert (b.screen, v.extra["outcome"], v.kept_count) == ("done", "ended-early", 1)
    assert v.session_ref == "20261125T100000Z-1a2b3c4d" and v.finished_at == NOW + timedelta(
        seconds=3
    )
    assert b.of(FinishSession) == [FinishSession("ended-early")]


def test_end_is_refused_while_recording_and_before_consent():
    b = Booth().press("start").type("123456").press("confirm").press("end")
    assert b.screen == "welcome"
    b = Booth().to_question_1().press("next").press("record").wait(3).press("end")
    assert b.screen == "recording"


def test_end_on_review_deletes_the_take_not_kept():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.press("end").press("confirm")
    assert b.screen == "done" and b.of(DiscardTake) == [DiscardTake("q1", 1, False)]


def test_i_need_more_time_adds_the_interviews_extra_think_time_once_per_question():
    b = Booth(interview=Interview(extra_think_seconds=30)).to_question_1().press("next")
    assert b.flow.view().more_time_seconds == 30
    b.wait(5).press("more_time")
    v = b.flow.view()
    assert v.seconds_left == pytest.approx(35) and v.more_time_seconds == 0
    b.press("more_time")
    assert b.flow.view().seconds_left == pytest.approx(35)
    assert Booth().to_question_1().press("next").flow.view().more_time_seconds == 0


def test_i_need_more_time_is_confirmed_and_offered_on_the_practice_too():
    b = Booth(interview=Interview(extra_think_seconds=30)).to_check().press("next")
    assert b.screen == "practice"
    b.press("record")  # the practice's think time, as in a real question
    assert b.screen == "think" and b.flow.view().more_time_seconds == 30
    assert b.flow.view().more_time_added == 0
    b.press("more_time")
    assert b.flow.view().more_time_added == 30  # the screen says what was added


def test_the_time_limit_notice_knows_which_question_it_was():
    b = Booth().to_question_1().press("next").press("record").wait(3).wait(30)
    v = b.flow.view()
    assert b.screen == "review" and v.limit_reached and v.limit_question == 1


def test_watch_again_on_the_intro_plays_the_picked_clip_and_only_it():
    iv = Interview(
        intro_clips=(Path("a.mp4"), Path("b.mp4")),
        intro_titles=({"sv": "Om oss", "en": "About us"}, {}),
    )
    b = Booth(interview=iv).to_check().press("next")
    assert b.flow.view().clip_title == "Om oss" and b.flow.view().intro_titles == ()
    b.clip_ends().clip_ends()
    assert b.flow.view().intro_titles == ("Om oss", "")
    b.press("replay", "1")
    v = b.flow.view()
    assert (v.clip_path, v.clip_playing) == ("a.mp4", True)
    b.clip_ends()
    assert b.flow.view().clip_path == "a.mp4" and not b.flow.view().clip_playing
    b.press("next")
    assert b.screen == "practice"


def test_the_closed_screen_knows_todays_hours_and_the_next_opening():
    opens = NOW + timedelta(hours=3)
    b = Booth(is_open=lambda _now: False)
    b.flow.next_opening = lambda _now: opens
    b.flow.hours_today = lambda _now: "13:00–17:00"
    v = b.flow.view()
    assert (v.screen, v.opens_at, v.hours_today, v.now) == ("closed", opens, "13:00–17:00", NOW)
    b.press("help")
    assert b.screen == "help"


def test_the_code_field_has_as_many_places_as_the_installed_codes():
    iv = Interview(codes=codebook({"123456": Invitation("CAND-1")}, lengths=frozenset({6})))
    assert Booth(interview=iv).press("start").flow.view().code_places == 6
    assert Booth().press("start").flow.view().code_places == 0  # unknown: no places drawn


def test_after_a_walk_in_practice_start_opens_a_clean_code_entry():
    b = Booth().press("practice").press("next").press("record").press("record").wait(3)
    b.press("stop").press("keep")
    assert b.flow.view().message == "practice.done"
    b.press("start")
    assert (b.screen, b.flow.view().message) == ("code", None)


def test_end_practice_on_a_walk_in_practice_returns_to_idle_and_keeps_nothing():
    b = Booth().press("practice").press("next").press("record").press("record").wait(3)
    b.press("stop").press("end")
    assert b.screen == "end-confirm"
    b.press("confirm")
    assert b.screen == "idle" and b.of(DiscardTake) == [DiscardTake("practice", 1, True)]
    assert not b.of(OpenSession) and not b.of(FinishSession)


def test_ending_while_a_take_plays_back_stops_the_replay_before_the_take_is_deleted():
    b = Booth().to_question_1().press("next").press("record").wait(3).press("stop")
    b.press("replay").press("end").press("confirm")
    names = [e.name if isinstance(e, Event) else type(e).__name__ for e in b.effects]
    assert names.index("take.replay_stopped") < names.index("DiscardTake")
    assert not b.flow.replaying
