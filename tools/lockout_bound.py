"""The most invitation-code guesses an attacker at the touchscreen gets past the lockout: the
figures of README "What that bound means", computed from the booth's own `Lockout`, not guessed.

The attacker may guess at any whole minute, as many times as code entry lets them, or pause;
every wait (1, 2, 4, 8, 15 minutes) and the leak (one code every 15 minutes) are whole minutes,
so deciding once a minute loses nothing. A dynamic programme over the lockout's states finds
the best strategy for each horizon: the most guesses in any hour (from the state that allows
most: an empty bucket) and in a day and 30 days of trying. A state is dropped only when another
has at least as many guesses and no fuller a bucket, no more waits and no longer a wait left.

    python -m tools.lockout_bound            # the README's figures
"""

from __future__ import annotations

import sys

from booth.session.codes_entry import Lockout
from booth.session.timing import Timing

MINUTE = 60.0
START = 1_800_000_000.0  # any wall-clock time: only differences matter


def _key(lock: Lockout, now: float) -> tuple[int, int, int]:
    """The lockout's state at `now`, to the minute: bucket level (in 1/1000 codes), waits in
    the run, minutes still locked."""
    lock = lock.current(now, Timing())
    left = max(0, round((lock.until - now) / MINUTE))
    # Past 4 waits every wait is the longest (60 s doubled 4 times passes 900 s): more waits in
    # the run change nothing but the metric.
    return round(lock.level(now) * 1000), min(lock.waits, 5), left


def most_guesses(minutes: int, timing: Timing | None = None) -> int:
    """The most wrong codes an attacker can enter within `minutes` (both ends included),
    starting from an empty bucket, under the best strategy."""
    timing = timing or Timing()
    # state key -> (most guesses so far, a Lockout in that state, re-based to `now`)
    states: dict[tuple[int, int, int], tuple[int, Lockout]] = {}
    now = START
    states[_key(Lockout(), now)] = (0, Lockout())
    for minute in range(minutes + 1):
        now = START + minute * MINUTE
        grown: dict[tuple[int, int, int], tuple[int, Lockout]] = {}
        for count, lock in states.values():
            # Guess 0, 1, 2, ... times this minute, while code entry lets them.
            while True:
                key = _key(lock, now)
                if key not in grown or grown[key][0] < count:
                    grown[key] = (count, lock)
                if lock.seconds_left(now, timing) > 0:
                    break
                lock = lock.after_wrong(now, timing)
                count += 1
        states = _frontier(grown)
    return max(count for count, _ in states.values())


def _frontier(states: dict[tuple[int, int, int], tuple[int, Lockout]]) -> dict:
    """Drop the states another one beats: as many guesses or more, with no fuller a bucket,
    no more waits in the run and no longer a wait left (from there it can do all they can)."""
    kept: dict[tuple[int, int, int], tuple[int, Lockout]] = {}
    for key, (count, lock) in sorted(states.items(), key=lambda kv: (kv[0], -kv[1][0])):
        level, waits, left = key
        beaten = any(
            k[0] <= level and k[1] <= waits and k[2] <= left and c >= count
            for k, (c, _) in kept.items()
        )
        if not beaten:
            kept[key] = (count, lock)
    return kept


def figures() -> dict[str, float]:
    """The README's figures: guesses in the best hour, day and 30 days; what a day and a month
    of guessing find among 100 unused 6-digit invitations, and one particular invitation."""
    hour = most_guesses(60)
    day = most_guesses(24 * 60)
    p = 100 / 1_000_000
    month = most_guesses(30 * 24 * 60)
    return {
        "hour": hour,
        "day": day,
        "month": month,
        "day_any_of_100": 1 - (1 - p) ** day,
        "month_any_of_100": 1 - (1 - p) ** month,
        "day_one": 1 - (1 - 1 / 1_000_000) ** day,
        "month_any_of_100_8_digits": 1 - (1 - 100 / 100_000_000) ** month,
    }


def main() -> int:
    f = figures()
    print(f"most guesses in any hour:        {f['hour']}")
    print(f"most guesses in a day:           {f['day']}")
    print(f"most guesses in 30 days:         {f['month']}")
    print(f"a day finds one of 100 unused:   {100 * f['day_any_of_100']:.2f} %")
    print(f"30 days find one of 100 unused:  {100 * f['month_any_of_100']:.1f} %")
    print(f"a day finds one invitation:      {100 * f['day_one']:.3f} %")
    print(f"30 days, 8-digit codes:          {100 * f['month_any_of_100_8_digits']:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
