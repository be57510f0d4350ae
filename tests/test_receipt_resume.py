"""Issue 12.10 with 12.4: the done screen's receipt counts the whole interview's answers."""

from __future__ import annotations

from test_codes_entry import Uses, booth

from booth.session.codes_entry import ENDED_EARLY, InvitationUse


def test_the_receipt_of_a_resumed_session_counts_the_answers_kept_before():
    use = InvitationUse(ENDED_EARLY, ("s1",), {"q1": 1, "q2": 1, "q3": 1}, ("q1", "q2"))
    b = booth(uses=Uses(CAND_1=use))
    b.to_check()
    b.press("next").press("next").press("record").wait(3.1).press("stop").press("keep")
    assert b.screen == "done" and b.flow.view().kept_count == 3
