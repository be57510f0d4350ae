"""Rooms around the booth: the ambient light on the candidate as a function of time.

Each scenario is a pure function of seconds since the session started → lux, for
`Scene.ambient_lux`. They are what the light controller is tested and benchmarked against:

- dark room: a windowless room with the ceiling lights off, only the booth's own light.
- daylight: a bright room by a window; the ring light only fills in.
- lamp switched on: a dim room, then at `STEP_AT_S` someone switches a lamp on (4× the light).
- passing clouds: daylight that swells and fades slowly as clouds pass the window.
- door opened: a door to a lit corridor swings open for half a minute, then shuts.

`RING_LUX_AT_FULL` is the ring light these rooms are meant with: about 1400 lux on the face,
what a 12–18 inch LED ring gives at arm's length (the simulated scene's default is a weaker
400 lux, which cannot make up for a 4× change of the room). That is about what it takes to
bring the dark room to the target exposure on its own with a well-framed face in a 16:9
picture (at 1200 lux the ring at full leaves it 5 % short in 4:3 and 15 % in 16:9: the face,
which the ring lights, is a small part of what auto-exposure meters).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

RING_LUX_AT_FULL = 1400.0
STEP_AT_S = 20.0
"""When the lamp is switched on in `lamp switched on`, seconds after the session starts."""
STEP_FROM_LUX, STEP_TO_LUX = 60.0, 240.0
DOOR_OPEN_S = (55.0, 85.0)
"""When the door in `door opened` swings open and shut again, seconds after the start."""


@dataclass(frozen=True)
class Scenario:
    """One room: `lux(t)` is the ambient light on the face at `t` seconds, in lux."""

    name: str
    title: str
    lux: Callable[[float], float]


def _door(t: float) -> float:
    # The door takes about 1.5 s to swing open or shut: a smooth ramp, not a switch.
    def opened(t0: float) -> float:
        x = min(1.0, max(0.0, (t - t0) / 1.5))
        return x * x * (3 - 2 * x)

    return 180.0 + 60.0 * (opened(DOOR_OPEN_S[0]) - opened(DOOR_OPEN_S[1]))


def _clouds(t: float) -> float:
    return 220.0 * (1.0 + 0.15 * math.sin(2 * math.pi * t / 45.0) + 0.05 * math.sin(t / 7.0))


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("dark-room", "dark room (40 lux)", lambda t: 40.0),
        Scenario("daylight", "daylight (300 lux)", lambda t: 300.0),
        Scenario(
            "lamp-on",
            f"lamp switched on at {STEP_AT_S:g} s ({STEP_FROM_LUX:g} → {STEP_TO_LUX:g} lux)",
            lambda t: STEP_TO_LUX if t >= STEP_AT_S else STEP_FROM_LUX,
        ),
        Scenario("clouds", "passing clouds (220 lux ± 20 %)", _clouds),
        Scenario(
            "door", f"door opened {DOOR_OPEN_S[0]:g}–{DOOR_OPEN_S[1]:g} s (180 → 240 lux)", _door
        ),
    )
}


def parse_ambient(text: str) -> float:
    """The argument of the script command `ambient LUX`: the room's light from now on, in lux.

    Raises ValueError with a sentence for the script's author.
    """
    try:
        lux = float(text)
    except ValueError:
        raise ValueError(f"ambient: {text!r} is not a number of lux, e.g. `ambient 300`") from None
    if not 0.0 <= lux <= 100_000.0:
        raise ValueError(f"ambient: {text} is out of range (0 to 100000 lux)")
    return lux
