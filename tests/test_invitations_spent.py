"""Spent stays spent (issue 24, point 3): a damaged invitations record never makes a spent code
work again. The record is written twice; a torn or damaged copy is moved aside and the other
read; when neither reads, every session on the booth that the record does not list keeps its
invitation spent (fail closed). The kiosk builds its store with the spool, as here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import EXAMPLE_INTERVIEWS, read_events, simulate_booth

from booth.media.spool import Spool
from booth.privacy.refs import RefIndex
from booth.session.codes_entry import COMPLETE, DECLINED, ENDED_EARLY
from booth.state import COPY_SUFFIX, INVITATIONS_FILE, SPENT_ANYWHERE, InvitationStore

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
INTERVIEW = "sales-2026"
REF = "cand-42"

DAMAGE = {
    "garbage": b"\x00\xff garbage \x1b[2J",
    "torn in half": None,  # the first half of the good record
    "deep nesting": b'{"version": 1, "interviews": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "wrong types": b'{"version": 1, "interviews": {"sales-2026": []}}',
    "missing keys": b'{"version": 1}',
    "huge number": b'{"version": 1, "interviews": {}, "n": ' + b"9" * 5000 + b"}",
    "empty": b"",
}


def finished(spool: Spool, status: str, ref: str = REF, interview: str = INTERVIEW) -> str:
    session = spool.open_session("booth-7", interview, ref, started=NOW)
    session.finish(status, NOW)
    return session.session_id


def spend(state, spool: Spool) -> str:
    """A candidate completes the interview: the kiosk's record of it, and its session."""
    store = InvitationStore(state, spool)
    session_id = finished(spool, COMPLETE)
    store.opened(INTERVIEW, REF, session_id)
    store.finished(INTERVIEW, REF, COMPLETE)
    return session_id


def damage(path, how: str) -> None:
    data = DAMAGE[how]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2] if data is None else data)


@pytest.mark.parametrize("how", DAMAGE, ids=DAMAGE.keys())
def test_a_damaged_record_is_read_from_its_copy_and_the_code_stays_spent(tmp_path, how, caplog):
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    spend(state, spool)
    damage(state / INVITATIONS_FILE, how)
    store = InvitationStore(state, spool)
    assert store.get(INTERVIEW, REF).spent
    # The damaged one is kept for staff with the time, and the good one written back.
    aside = [p.name for p in state.iterdir() if p.name.startswith(INVITATIONS_FILE + ".corrupt-")]
    assert len(aside) == 1
    assert InvitationStore(state).get(INTERVIEW, REF).spent
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("how", DAMAGE, ids=DAMAGE.keys())
def test_a_damaged_copy_is_replaced_from_the_record(tmp_path, how):
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    spend(state, spool)
    damage(state / (INVITATIONS_FILE + COPY_SUFFIX), how)
    assert InvitationStore(state, spool).get(INTERVIEW, REF).spent
    (state / INVITATIONS_FILE).write_bytes(b"garbage")  # now the other one goes
    assert InvitationStore(state, spool).get(INTERVIEW, REF).spent


@pytest.mark.parametrize("how", DAMAGE, ids=DAMAGE.keys())
def test_with_both_copies_damaged_a_finished_session_in_the_spool_keeps_it_spent(tmp_path, how):
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    spend(state, spool)
    for name in (INVITATIONS_FILE, INVITATIONS_FILE + COPY_SUFFIX):
        damage(state / name, how)
    assert InvitationStore(state, spool).get(INTERVIEW, REF).spent
    assert InvitationStore(state, spool).counts(INTERVIEW, [REF, "cand-7"]) == {
        "complete": 1,
        "resumable": 0,
        "unused": 1,
    }


def test_with_both_copies_deleted_the_spool_keeps_it_spent(tmp_path):
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    spend(state, spool)
    for name in (INVITATIONS_FILE, INVITATIONS_FILE + COPY_SUFFIX):
        (state / name).unlink()
    assert InvitationStore(state, spool).get(INTERVIEW, REF).spent


def test_a_session_only_the_reference_index_knows_keeps_the_reference_spent_anywhere(tmp_path):
    """An uploaded, deleted session leaves its keyed hash in the index (booth.privacy.refs),
    but not its interview: the reference stays spent in every interview."""
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    RefIndex(state).add("20261125T090000Z-0badc0de", REF)
    (state / INVITATIONS_FILE).write_bytes(b"garbage")
    store = InvitationStore(state, spool)
    assert store.get(INTERVIEW, REF).spent and store.get("another-interview", REF).spent
    assert store.get(INTERVIEW, "cand-7") is None
    assert SPENT_ANYWHERE in store._data


def test_a_consent_declined_before_any_take_stays_as_good_as_new(tmp_path):
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    finished(spool, DECLINED)
    (state).mkdir()
    (state / INVITATIONS_FILE).write_bytes(b"garbage")
    use = InvitationStore(state, spool).get(INTERVIEW, REF)
    assert use is None or not use.spent


def test_a_session_the_record_lists_keeps_what_the_record_says(tmp_path):
    """Failing closed applies only to sessions the record does not list: an ended-early
    session stays resumable when the record is fine."""
    state, spool = tmp_path / "state", Spool(tmp_path / "spool")
    store = InvitationStore(state, spool)
    session_id = finished(spool, ENDED_EARLY)
    store.opened(INTERVIEW, REF, session_id)
    store.finished(INTERVIEW, REF, ENDED_EARLY)
    use = InvitationStore(state, spool).get(INTERVIEW, REF)
    assert use.resumable and not use.spent


COMPLETE_SESSION = """
press start
type 123456
press confirm
press next
press accept
expect check
press next
expect intro
wait 10.4
press next
expect practice
press next
press next
expect think
press record
wait 3
expect recording
wait 2
press stop
press keep
expect question
wait 8
press next
expect think
press record
wait 3
wait 2
press stop
expect review
press keep
expect question
press next
wait 3
expect recording
wait 2
press stop
expect done
press next
expect idle
"""
USED = "press start\ntype 123456\npress confirm\nexpect code\n"


@pytest.mark.timeout(240)
@pytest.mark.slow
def test_a_spent_code_is_refused_at_the_booth_after_garbage_in_the_record_and_its_copy(
    small_booth, tmp_path
):
    """Issue 24's reproduction, in the simulated booth: a completed invitation, garbage written
    to the record (then to its copy too), and the same code entered again after a restart."""
    out = tmp_path / "out"
    start = ["--start", "2026-11-25T10:00+01:00"]
    assert simulate_booth(small_booth, COMPLETE_SESSION, out, EXAMPLE_INTERVIEWS, *start) == 0
    state = out / "state"
    sessions = sorted((out / "spool").glob("*/manifest.json"))
    assert len(sessions) == 1
    for damaged in (INVITATIONS_FILE, INVITATIONS_FILE + COPY_SUFFIX):
        (state / damaged).write_bytes(b"garbage \x00\xff")
        assert simulate_booth(small_booth, USED, out, EXAMPLE_INTERVIEWS, *start) == 0
        events = [e["event"] for e in read_events(out)]
        assert events.count("code.used") == 1 + (damaged != INVITATIONS_FILE)
        assert len(sorted((out / "spool").glob("*/manifest.json"))) == 1  # no new session
