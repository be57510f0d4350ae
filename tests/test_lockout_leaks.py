"""An honest lockout (issue 27.9): wrong codes leak away, so honest typos on a busy booth never
lock it, while guessing stays bounded as README "What that bound means" says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_codes_entry import booth

from booth.session.codes_entry import LEAK_SECONDS, LOCKOUT_MAX_SECONDS, Lockout
from booth.session.effects import Event, RecordLockout
from booth.session.flow import Timing
from booth.state import describe_lockout, read_lockout, write_lockout
from tools.lockout_bound import figures, most_guesses

README = Path(__file__).resolve().parent.parent / "README.md"


def mistype(b, times: int = 1) -> list[str]:
    """A candidate at idle presses Start, types `times` wrong codes, then gives up (Back).
    Returns what the code screen said after each one."""
    b.press("start")
    said = []
    for _ in range(times):
        b.type("000000").press("confirm")
        said.append(b.flow.view().message)
    b.press("back")
    return said


def a_day(b, every_minutes: float, typos: int) -> list[str]:
    said = []
    for _ in range(round(24 * 60 / every_minutes)):
        said += mistype(b, typos)
        b.wait(every_minutes * 60, step=60)
    return said


def test_a_typo_every_30_minutes_for_a_day_never_locks():
    said = a_day(booth(), 30, 1)
    assert len(said) == 48 and set(said) == {"code.wrong"}


def test_a_busy_day_of_two_typos_every_30_minutes_never_locks():
    """The busiest honest booth we plan for: a candidate every half hour (the shortest visit of
    the example interview), each of whom types two wrong codes before the right one."""
    said = a_day(booth(), 30, 2)
    assert len(said) == 96 and set(said) == {"code.wrong"}


def test_four_wrong_codes_in_a_row_every_hour_never_lock():
    said = a_day(booth(), 60, 4)
    assert set(said) == {"code.wrong"}


def test_the_old_lockout_would_have_locked_a_typo_every_45_minutes():
    """Issue 27.13's booth: a typo every 45 minutes used to lock from the fifth on."""
    said = a_day(booth(), 45, 1)
    assert set(said) == {"code.wrong"}


def guess_for(b, seconds: float) -> int:
    """An attacker at the code screen guessing as fast as code entry lets them for `seconds`;
    the wrong codes the booth took."""
    b.press("start")
    end = b.clock.monotonic() + seconds
    while b.clock.monotonic() <= end:
        left = b.flow.view().locked_seconds
        if left > 0:
            b.wait(min(left, end - b.clock.monotonic() + 1), step=5)
            if b.screen != "code":  # the inactivity guard sent them to idle meanwhile
                b.press("next") if b.screen == "inactive" else None
                b.press("start") if b.screen == "idle" else None
            continue
        b.type("000000").press("confirm")
    return len([e for e in b.effects if isinstance(e, Event) and e.name == "code.wrong"])


def test_an_hour_of_guessing_gets_at_most_12_codes_and_then_4_an_hour():
    b = booth()
    assert guess_for(b, 3600) <= 12
    b2 = booth()
    assert guess_for(b2, 3 * 3600) <= 12 + 2 * 4


@pytest.mark.timeout(300)  # 30 days of the best strategy, minute by minute: about 20 s
def test_the_readme_states_the_computed_bound():
    f = figures()
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"At most {f['hour']} guesses fit in any hour" in text
    assert f"{f['day']} guesses a day and {f['month']:,} in 30 days" in text
    assert f"succeeds with about {100 * f['day_any_of_100']:.1f} %" in text
    assert f"a month with about {100 * f['month_any_of_100']:.0f} %" in text
    assert f"in a day with about {100 * f['day_one']:.2f} %" in text
    assert f"(8 digits: {100 * f['month_any_of_100_8_digits']:.1f} % a month)" in text
    # At least as tight as the README stated before the leak: 12 an hour, about 170 a day.
    assert f["hour"] <= 12 and f["day"] <= 170


def test_the_best_strategy_is_no_better_than_guessing_without_pause():
    """Pausing to let the bucket empty gains nothing: it empties at the pace of the longest
    wait (4 an hour), so the best day is the first hour's burst plus 4 an hour after it."""
    assert most_guesses(60) == 12
    assert most_guesses(4 * 60) <= 12 + 3 * 4


def test_the_settings_can_only_make_it_stricter():
    strict = Timing(code_attempts=2, code_lockout_seconds=300)
    assert most_guesses(60, strict) < most_guesses(60)


def test_a_clock_set_back_neither_fills_nor_empties_the_bucket():
    lock = Lockout(3.0, 2_000_000_000.0, 0.0)
    assert lock.level(2_000_000_000.0 - 86_400) == 3.0
    assert lock.level(2_000_000_000.0 + LEAK_SECONDS) == pytest.approx(2.0)


def test_a_damaged_record_counts_as_the_fullest_bucket(tmp_path):
    (tmp_path / "lockout.json").write_text('{"wrong": "x"}')
    lock = read_lockout(tmp_path, repair=True)
    now = lock.last_wrong
    assert lock.seconds_left(now, Timing()) == LOCKOUT_MAX_SECONDS
    after = lock.after_wrong(now + LOCKOUT_MAX_SECONDS, Timing())
    assert after.seconds_left(after.last_wrong, Timing()) == LOCKOUT_MAX_SECONDS
    assert json.loads((tmp_path / "lockout.json").read_text())["wrong"] == lock.wrong


def test_a_record_from_before_the_leak_still_reads(tmp_path):
    (tmp_path / "lockout.json").write_text('{"wrong": 6, "last_wrong": 100.0, "until": 220.0}')
    lock = read_lockout(tmp_path)
    assert (lock.wrong, lock.waits) == (6.0, 0)


def test_status_says_how_many_wrong_codes_still_count(tmp_path):
    now = 2_000_000_000.0
    lock = Lockout(3.0, now - LEAK_SECONDS, 0.0)
    write_lockout(tmp_path, lock)
    line = describe_lockout(read_lockout(tmp_path), now)
    assert line is not None
    assert re.match(r"2 wrong codes still counted, the last at .* every 15 minutes\)", line)
    assert describe_lockout(lock, now + 3 * LEAK_SECONDS) is None


def test_every_wrong_code_is_recorded_with_its_waits():
    b = booth()
    mistype(b, 6)
    records = [e for e in b.effects if isinstance(e, RecordLockout)]
    assert [r.waits for r in records] == [0, 0, 0, 0, 1]  # the sixth waited: entry was locked
