"""The code screen (issue 11.1, 12.4): a lockout that holds, spent codes, resumed sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booth.session.booth_rules import BoothRules
from booth.session.codes_entry import COMPLETE, ENDED_EARLY, InvitationUse, Lockout
from booth.session.effects import Event, FinishSession, KeepTake, OpenSession, RecordLockout
from booth.session.flow import Flow, Timing
from tests.test_flow import NOW, Booth, Interview

TIMING = Timing()


class Uses:
    """What a booth remembers of invitations: a dict, as the kiosk's store answers."""

    def __init__(self, **records: InvitationUse) -> None:
        self.records = records

    def get(self, interview_id: str, candidate_ref: str) -> InvitationUse | None:
        return self.records.get(candidate_ref.replace("-", "_"))


def booth(lockout=None, uses=None) -> Booth:
    b = Booth()
    b.flow = Flow([b.interview], b.clock, BoothRules(("sv", "en")), lockout=lockout, uses=uses)
    return b


def wrong(b: Booth, times: int) -> Booth:
    """Type a wrong code `times` times, from the code screen (or from where the inactivity
    guard took the booth meanwhile)."""
    if b.screen == "inactive":
        b.press("next")
    if b.screen == "idle":
        b.press("start")
    for _ in range(times):
        b.type("000000").press("confirm")
    return b


def test_waits_double_after_five_wrong_codes_up_to_fifteen_minutes():
    b = wrong(booth().press("start"), 5)
    waits = []
    for _ in range(6):
        left = b.flow.view().locked_seconds
        waits.append(round(left))
        b.wait(left)
        wrong(b, 1)
    assert waits == [60, 120, 240, 480, 900, 900]


def test_back_idle_and_start_do_not_lift_the_wait():
    b = wrong(booth().press("start"), 5)
    b.press("back").press("start")
    assert b.flow.view().locked_seconds == pytest.approx(60)
    b.type("123456").press("confirm")
    assert b.screen == "code" and b.flow.view().message == "code.locked"
    b.press("back").wait(200)  # idle: the inactivity guard and the done timer do not run here
    assert b.press("start").flow.view().locked_seconds == 0
    wrong(b, 1)
    assert b.flow.view().locked_seconds == pytest.approx(120)


def test_the_lockout_survives_a_new_flow_from_what_was_recorded():
    """A restart of the kiosk: the new flow starts from the RecordLockout last written."""
    b = wrong(booth().press("start"), 5)
    saved = b.of(RecordLockout)[-1]
    again = booth(lockout=Lockout(saved.wrong, saved.last_wrong, saved.until))
    again.clock = b.clock
    again.flow.clock = b.clock
    again.press("start").type("123456").press("confirm")
    assert again.screen == "code" and again.flow.view().locked_seconds == pytest.approx(60)


def test_a_right_code_does_not_reset_the_count_but_wrong_codes_leak_away():
    b = wrong(booth().press("start"), 4)
    b.type("123456").press("confirm").press("back").press("start")
    wrong(b, 1)
    assert b.flow.view().locked_seconds == pytest.approx(60)
    b.wait(3600)  # four of the five leaked away: one every 15 minutes
    wrong(b.press("back").press("start"), 1)
    assert b.flow.lockout.wrong == pytest.approx(2, abs=0.01)
    assert b.flow.view().locked_seconds == 0


def test_a_clock_set_back_never_makes_the_wait_longer_than_the_longest():
    lock = Lockout(9, NOW.timestamp() + 86400, NOW.timestamp() + 86400 + 900)
    b = booth(lockout=lock).press("start")
    assert b.flow.view().locked_seconds == pytest.approx(900)


def test_no_wrong_code_event_carries_the_code():
    b = wrong(booth().press("start"), 6)
    for e in b.of(Event):
        assert "000000" not in repr(e)


# ------------------------------------------------------------------ spent, resumed
def test_a_completed_invitation_is_spent():
    b = booth(uses=Uses(CAND_1=InvitationUse(COMPLETE, ("s1",), {"q1": 1}, ("q1", "q2", "q3"))))
    b.press("start").type("123456").press("confirm")
    assert (b.screen, b.flow.view().message) == ("code", "code.used")
    assert b.flow.lockout.wrong == 0  # a used code is not a guess


def test_a_session_that_ended_early_resumes_at_the_first_question_without_a_kept_answer():
    use = InvitationUse(ENDED_EARLY, ("s1",), {"q1": 2}, ("q1",))
    b = booth(uses=Uses(CAND_1=use))
    b.press("start").type("123456").press("confirm")
    assert b.flow.view().extra["resume_question"] == 2  # the welcome screen says so
    b.press("next").press("accept")
    assert b.of(OpenSession) == [OpenSession("job-1", "CAND-1", resumes="s1")]
    b.press("next")  # no practice again: the candidate has answered before
    v = b.flow.view()
    assert (b.screen, v.question_index) == ("question", 2)


def test_takes_already_used_count_against_the_limits():
    interview = Interview()
    use = InvitationUse(ENDED_EARLY, ("s1",), {"q1": 1}, ())
    b = booth(uses=Uses(CAND_1=use))
    b.interview = interview
    b.to_check()
    b.press("next")  # practice first: nothing was kept before
    assert b.screen == "practice"
    b.press("next")
    assert b.screen == "question" and b.flow.view().question_index == 1
    b.press("next").press("record").wait(3.1).press("stop")
    v = b.flow.view()
    assert (v.take_number, v.takes_left, v.can_retake) == (2, 0, False)
    b.press("keep")
    assert KeepTake("q1", 2) in b.of(KeepTake)


def test_a_question_whose_takes_are_all_used_is_not_asked_again():
    use = InvitationUse(ENDED_EARLY, ("s1", "s2"), {"q1": 1, "q2": 1}, ("q1",))
    b = booth(uses=Uses(CAND_1=use))
    b.to_check()
    assert b.of(OpenSession)[-1].resumes == "s2"
    b.press("next")
    assert b.flow.view().question_index == 3


def test_a_resumed_session_that_ends_is_complete():
    use = InvitationUse(ENDED_EARLY, ("s1",), {"q1": 1, "q2": 1, "q3": 1}, ("q1", "q2"))
    b = booth(uses=Uses(CAND_1=use))
    b.to_check()
    b.press("next").press("next").press("record").wait(3.1).press("stop").press("keep")
    assert b.screen == "done" and b.of(FinishSession) == [FinishSession("complete")]


def test_an_invitation_past_its_deadline_does_not_resume():
    use = InvitationUse(ENDED_EARLY, ("s1",), {"q1": 1}, ("q1",))
    b = booth(uses=Uses(CAND_1=use))
    b.clock.advance(timedelta(days=11).total_seconds())
    b.press("start").type("123456").press("confirm")
    assert b.flow.view().message == "code.expired"
