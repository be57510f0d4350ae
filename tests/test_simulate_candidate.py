"""Issue 12, end to end in the simulator: a candidate walks away on review, the booth crashes
on review, the one-take question, and the done screen's receipt that staff can look up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, read_events, simulate_booth

from booth.cli.main import main
from booth.config.settings import load_settings
from booth.sim.booth import build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script

# A whole simulated session costs seconds of CPU, more when the machine is shared.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

TO_Q1_REVIEW = """
press start
type 123456
press confirm
press next
press accept
press next
wait 10.4                   # both intro clips
press next
expect practice
press next                  # skip the practice
expect question
press next
expect think
press record                # start now
wait 3
expect recording
wait 2
press stop
expect review
"""


@pytest.fixture
def quick_booth(tmp_path: Path) -> Path:
    """Small frames, and an inactivity guard of 5 + 5 seconds."""
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\ndisk_margin_bytes = 0\n"
        "[timing]\ninactivity_seconds = 5\ninactive_grace_seconds = 5\n",
        encoding="utf-8",
    )
    return config


def the_session(out: Path) -> Path:
    (session,) = [p for p in (out / "spool").iterdir() if p.is_dir()]
    return session


def test_walking_away_on_review_sends_nothing_that_was_not_kept(tmp_path, quick_booth):
    out = tmp_path / "out"
    script = TO_Q1_REVIEW + "wait 5\nexpect inactive\nwait 5.2\nexpect idle\n"
    assert simulate_booth(quick_booth, script, out) == 0
    session = the_session(out)
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["status"] == "ended-early" and manifest["takes"] == []
    assert not list(session.glob("*.mp4")) and not list(session.glob(".take-*"))
    events = read_events(out)
    assert any(e["event"] == "take.not_kept" and e["question"] == "q1" for e in events)


def test_a_crash_on_review_discards_the_take_and_the_manifest_says_so(
    tmp_path, quick_booth, capsys
):
    out = tmp_path / "out"
    settings = load_settings(quick_booth)
    booth = build_sim_booth(settings, EXAMPLE_INTERVIEWS, out, headless_display((800, 480)))
    assert run_script(booth, parse_script(TO_Q1_REVIEW), "s").exit_code == 0
    # The power goes: nothing is stopped, finished or written after this.
    booth.reader.request_stop()
    booth.world.close()
    booth.kiosk.devices.close()
    booth.speaker.close()
    session = the_session(out)
    assert json.loads((session / "manifest.json").read_text())["status"] == "recording"
    assert list(session.glob(".take-q1-1"))

    # The next start recovers the spool.
    assert simulate_booth(quick_booth, "expect idle\n", out) == 0
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["status"] == "ended-early" and manifest["takes"] == []
    assert manifest["not_kept"] == [
        {"question_id": "q1", "take": 1, "reason": "not kept by the candidate"}
    ]
    assert not list(session.glob("*.mp4")) and not list(session.glob(".take-*"))
    # Staff see what went, and why nothing is sent.
    capsys.readouterr()
    assert main(["takes", "list", "--spool", str(out / "spool")]) == 0
    listed = capsys.readouterr().out
    assert (
        f"{session.name}  ended-early  example  deleted at recovery, not kept: q1 take 1" in listed
    )


TO_ONE_TAKE = (
    TO_Q1_REVIEW
    + """
press keep
expect question             # q2 plays its clip first
wait 5.2
press next
expect think
press record
wait 3
wait 2
press stop
expect review
press keep
expect question             # q3: one take, no review, no think time
"""
)
ONE_TAKE_ANSWER = """
press next                  # "I'm ready": straight to 3-2-1
expect countdown
wait 3
expect recording
wait 3
press stop
expect done                 # no review: the take is sent as it is
"""


def test_the_one_take_question_and_the_receipt_staff_can_look_up(tmp_path, quick_booth, capsys):
    out = tmp_path / "out"
    settings = load_settings(quick_booth)
    booth = build_sim_booth(settings, EXAMPLE_INTERVIEWS, out, headless_display((800, 480)))
    try:
        assert run_script(booth, parse_script(TO_ONE_TAKE), "s").exit_code == 0
        booth.kiosk.render()
        words = [b.text for b in booth.kiosk.renderer.text_boxes]
        assert "Du får ett försök. Det skickas som det är." in words
        assert "Jag är redo" in words
        assert run_script(booth, parse_script(ONE_TAKE_ANSWER), "s").exit_code == 0
        booth.kiosk.render()
        words = [b.text for b in booth.kiosk.renderer.text_boxes]
    finally:
        booth.close()
    receipt = next(w for w in words if w.startswith("Referens:"))
    ref = receipt.rsplit("Referens: ", 1)[1].strip()
    assert "Svar som du behöll: 3 av 3" in words and "Kommunen Exempelstad" in words
    manifest = json.loads((the_session(out) / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert sorted(t["question_id"] for t in manifest["takes"]) == ["q1", "q2", "q3"]
    capsys.readouterr()
    assert main(["takes", "list", "--spool", str(out / "spool")]) == 0
    assert ref in capsys.readouterr().out


def test_the_kiosk_states_the_booths_own_retention_help_and_hours(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\nlanguage = "en"\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
        '[help]\ntext = { sv = "Ring på klockan.", en = "Ring the bell at the desk." }\n'
        'phone = "031-123 45 67"\n'
        "[sync]\nretention_hours = 36\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    booth = build_sim_booth(
        settings, EXAMPLE_INTERVIEWS, tmp_path / "out", headless_display((800, 480))
    )
    script = "press start\ntype 123456\npress confirm\npress next\nexpect consent\n"
    try:
        assert run_script(booth, parse_script(script), "s").exit_code == 0
        booth.kiosk.render()
        words = [b.text for b in booth.kiosk.renderer.text_boxes]
        assert any(
            "deletes your answers 36 hours after Kommunen Exempelstad has them." in w for w in words
        )
        assert run_script(booth, parse_script("press help\nexpect help\n"), "s").exit_code == 0
        booth.kiosk.render()
        words = [b.text for b in booth.kiosk.renderer.text_boxes]
        assert "Ring the bell at the desk." in words and "Phone: 031-123 45 67" in words
    finally:
        booth.close()


def test_the_closed_screen_gets_todays_hours_from_the_settings():
    from datetime import datetime

    from booth.config.hours import OpeningHours, parse_day
    from booth.kiosk.build import hours_today

    hours = OpeningHours(tuple(parse_day(d) for d in ["08:00-12:00, 13:00-17:00"] + ["closed"] * 6))
    assert hours_today(hours, datetime(2026, 11, 30, 12, 30)) == "08:00–12:00, 13:00–17:00"
    assert hours_today(hours, datetime(2026, 12, 1, 12, 30)) == ""
    assert hours_today(OpeningHours(), datetime(2026, 12, 1)) == ""
