"""Codes end to end in the simulated booth (issues 11.1 and 12.4): a session that ended early
resumes where it stopped and links to the first one; a completed invitation is spent, also
after the kiosk restarts; a lockout outlives a restart."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, read_events, simulate_booth

from booth.cli.main import main

pytestmark = pytest.mark.slow

START = ["--start", "2026-11-25T10:00+01:00"]

# Question 1 kept, then the candidate walks away on question 2: the session ends early.
WALK_AWAY = """
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
wait 100
expect idle
"""

# The same code again: no intro, no practice, straight to question 2; then to the end.
RESUME = """
press start
type 123456
press confirm
expect welcome
press next
press accept
expect check
press next
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

USED = """
press start
type 123456
press confirm
expect code
screenshot used
"""


def manifests(out: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in (out / "spool").glob("*/manifest.json")]
    # Every run starts at the same virtual time: the resumed session is the one that says so.
    return sorted(found, key=lambda m: "resumes" in m)


def test_a_session_that_ended_early_resumes_and_then_the_code_is_spent(small_booth, tmp_path):
    out = tmp_path / "out"
    assert simulate_booth(small_booth, WALK_AWAY, out, EXAMPLE_INTERVIEWS, *START) == 0
    assert (
        simulate_booth(small_booth, RESUME, out, EXAMPLE_INTERVIEWS, *START) == 0
    )  # the kiosk restarted
    first, second = manifests(out)
    assert first["status"] == "ended-early" and [t["question_id"] for t in first["takes"]] == ["q1"]
    assert second["status"] == "complete" and second["resumes"] == first["session_id"]
    assert [t["question_id"] for t in second["takes"]] == ["q2", "q3"]
    assert simulate_booth(small_booth, USED, out, EXAMPLE_INTERVIEWS, *START) == 0
    assert "code.used" in [e["event"] for e in read_events(out)]
    assert len(manifests(out)) == 2  # no new session


def test_interviews_list_counts_used_and_unused_invitations(small_booth, tmp_path, capsys):
    out = tmp_path / "out"
    assert simulate_booth(small_booth, WALK_AWAY, out, EXAMPLE_INTERVIEWS, *START) == 0
    config = tmp_path / "booth.toml"
    interviews = Path(__file__).resolve().parents[1] / "config" / "interviews"
    config.write_text(
        small_booth.read_text()
        + f'[paths]\ninterviews = "{interviews}"\nstate = "{out}/state"\nspool = "{out}/spool"\n'
    )
    capsys.readouterr()
    assert main(["interviews", "list", "--json", "--config", str(config)]) == 0
    (item,) = json.loads(capsys.readouterr().out)["interviews"]
    assert (item["used"], item["resumable"], item["unused"]) == (0, 1, 3)


LOCK = "press start\n" + "type 000000\npress confirm\n" * 5 + "expect code\n"
AFTER_RESTART = "press start\ntype 123456\npress confirm\nexpect code\n"


def test_a_lockout_outlives_a_restart_of_the_kiosk(small_booth, tmp_path, capsys):
    out = tmp_path / "out"
    assert simulate_booth(small_booth, LOCK, out, EXAMPLE_INTERVIEWS, *START) == 0
    assert simulate_booth(small_booth, AFTER_RESTART, out, EXAMPLE_INTERVIEWS, *START) == 0
    events = [e["event"] for e in read_events(out)]
    assert "session.begin" not in events
    lockout = json.loads((out / "state" / "lockout.json").read_text())
    assert lockout["wrong"] == 5 and lockout["until"] - lockout["last_wrong"] == 60


def test_booth_status_shows_the_lockout(tmp_path, capsys):
    from booth.session.codes_entry import Lockout
    from booth.state import write_lockout

    state = tmp_path / "state"
    now = time.time()
    write_lockout(state, Lockout(6, now, now + 120))
    config = tmp_path / "booth.toml"
    config.write_text(f'[paths]\nstate = "{state}"\nspool = "{tmp_path}/spool"\n')
    assert main(["status", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert re.search(
        r"codes: code entry LOCKED for (2 min 00|1 min [45]\d) s more \(6 wrong", shown
    )
