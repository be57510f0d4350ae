"""The ring light controller against a plain proportional controller, in every room.

Both run through the same scenarios (booth/sim/scenarios.py) on the same simulated booth (AE
like libcamera's, two frames of sensor delay, the scenarios' 1400 lux ring) in the same run,
on the timeline of bench/light_trial.py: a session from 2 s, the lamp at 20 s in `lamp-on`,
a 60 s take from 40 s. The booth's camera locks its exposure during the take, with the small
face-holding gain trim of booth.devices.exposure_hold, and meters the face (issue 15); the
baseline gets the camera as it comes, metering the whole frame, with auto-exposure running
through the take (the lock and the trim are part of the
design being measured, and a proportional loop on exposure × gain would fight the trim).
Figures:

- settle_frames, overshoot_pct, oscillations: the step response to the lamp (4× the room's
  light), see `trial.step_response`;
- steady_error_pct: exposure × gain against the target over 35–38 s (the room steady);
- take_change_pct: the largest change of face brightness inside the take (1 s means);
- reversals: how often the light changed direction over the whole run.

The step responses (light output and face brightness) are drawn into bench/light_step.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bench.light_trial import (
    FLICKER_PERIOD_US,
    FPS,
    TAKE_AT_S,
    TAKE_S,
    Trial,
    calibrate_sim,
    reversals,
    run_trial,
    steady_error_pct,
    step_response,
    take_change_pct,
    take_face,
)
from booth.light.controller import LightController, exposure_gain
from booth.light.settings import LightSettings
from booth.sim.scenarios import DOOR_OPEN_S, SCENARIOS, STEP_AT_S

PNG = Path(__file__).resolve().parent / "light_step.png"
AS_IT_COMES = LightSettings(metering="frame")
TAKE_RESOLUTION_PCT = 0.05
"""take_change_pct of a take with the light and the exposure frozen is 0.04 % (sensor noise and
the head's sway in the face patch's one-second means): differences under this are noise, and
count as a tie when the booth is compared with the baseline."""
TARGETS = {
    "settle_frames": 45,
    "overshoot_pct": 5.0,
    "steady_error_pct": 3.0,
    "take_change_pct": 2.0,
}


class ProportionalController:
    """The baseline: output = bias + gain × (exposure × gain / target − 1), every frame.

    No feed-forward, no deadband, no slew limit, no notion of a take: what one writes first.
    gain 1.0 moves the light fully for a 100 % exposure error; higher gains ring and oscillate
    against the camera's own AE (tried: 2.0 oscillates), lower ones leave more error.
    """

    def __init__(self, target_exposure_gain: float, bias: float = 0.5, gain: float = 1.0):
        self.target = target_exposure_gain
        self.bias, self.gain = bias, gain

    def update(self, metadata, now_s: float, mode: str) -> float:
        error = exposure_gain(metadata) / self.target - 1.0
        return min(1.0, max(0.0, self.bias + self.gain * error))


def run() -> dict:
    settings = LightSettings()
    target = settings.target_exposure_gain
    curve = calibrate_sim()
    rows: list[list] = [["scenario", "controller", *FIGURES]]
    results: dict = {"target_exposure_gain_us": target, "scenarios": {}}
    steps: dict[str, Trial] = {}
    doors: dict[str, Trial] = {}
    for name, scenario in SCENARIOS.items():
        per: dict = {}
        for label, controller, booth in (
            ("booth", LightController(settings, curve, flicker_period_us=FLICKER_PERIOD_US), True),
            ("proportional", ProportionalController(target), False),
        ):
            # The baseline gets the camera as it comes: auto-exposure on the whole frame.
            aim = settings if booth else AS_IT_COMES
            trial = run_trial(scenario, controller, target, lock_exposure=booth, aim=aim)
            figures = _figures(trial, step=name == "lamp-on")
            per[label] = figures
            rows.append([name, label, *(_cell(figures.get(f)) for f in FIGURES)])
            if name == "lamp-on":
                steps[label] = trial
            if name == "door":
                doors[label] = trial
        results["scenarios"][name] = per
    step = results["scenarios"]["lamp-on"]
    ours, base = step["booth"], step["proportional"]
    results["targets_met"] = {
        "settle_frames": ours["settle_frames"] is not None
        and ours["settle_frames"] <= TARGETS["settle_frames"],
        "overshoot_pct": ours["overshoot_pct"] <= TARGETS["overshoot_pct"],
        "steady_error_pct": all(
            s["booth"]["steady_error_pct"] <= TARGETS["steady_error_pct"]
            for s in results["scenarios"].values()
        ),
        "take_change_pct": {
            n: bool(s["booth"]["take_change_pct"] <= TARGETS["take_change_pct"])
            for n, s in results["scenarios"].items()
        },
        "no_sustained_oscillation": ours["oscillations"] <= 1,
    }
    results["better_than_proportional"] = {
        f: _better(ours[f], base[f]) for f in ("settle_frames", "overshoot_pct", "oscillations")
    } | {
        f: all(
            _better(
                s["booth"][f], s["proportional"][f], TAKE_RESOLUTION_PCT * (f == "take_change_pct")
            )
            for s in results["scenarios"].values()
        )
        for f in ("steady_error_pct", "take_change_pct", "reversals")
    }
    draw_steps(steps, doors, PNG)
    results["png"] = str(PNG)
    results["table"] = rows
    return results


FIGURES = (
    "settle_frames",
    "overshoot_pct",
    "oscillations",
    "steady_error_pct",
    "take_change_pct",
    "reversals",
)


def _figures(trial: Trial, step: bool) -> dict:
    figures: dict = {
        "steady_error_pct": steady_error_pct(trial, 35.0, 38.0),
        "take_change_pct": take_change_pct(take_face(trial)),
        "reversals": reversals(trial.output),
    }
    if step:
        response = step_response(trial)
        figures |= {k: response[k] for k in ("settle_frames", "overshoot_pct", "oscillations")}
        if not response["settled"]:
            figures["settle_frames"] = None
    return figures


def _better(ours, base, tie: float = 0.0) -> bool:
    """At least as good as the baseline (lower), within `tie`."""
    if base is None:
        return ours is not None
    return bool(ours is not None and ours <= base + tie)


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------- drawing
def draw_steps(steps: dict[str, Trial], doors: dict[str, Trial], path: Path) -> None:
    """Three panels: light output and face brightness over the lamp step, and the face's
    brightness through the take in the door scenario (one-second means, % of the first)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    width, height = 1000, 1060
    surface = pygame.Surface((width, height))
    surface.fill((255, 255, 255))
    font = pygame.font.Font(None, 22)
    title = pygame.font.Font(None, 28)
    colours = {"booth": (20, 90, 200), "proportional": (220, 80, 30)}
    t0, t1 = STEP_AT_S - 2.0, min(TAKE_AT_S, STEP_AT_S + 8.0)
    lines = (
        "Lamp switched on at 20 s (room light 60 -> 240 lux): booth controller vs proportional",
        f"Door opened {DOOR_OPEN_S[0]:g}-{DOOR_OPEN_S[1]:g} s (180 -> 240 lux) inside the take "
        f"{TAKE_AT_S:g}-{TAKE_AT_S + TAKE_S:g} s",
    )
    for i, line in enumerate(lines):
        surface.blit(title.render(line, True, (0, 0, 0)), (20, 12 + 24 * i))
    step_window = {n: tr.window(t0, t1) for n, tr in steps.items()}
    panels = [
        (
            "lamp: light output (share of full light)",
            {n: (tr.t[step_window[n]], tr.output[step_window[n]]) for n, tr in steps.items()},
            (t0, t1, 1.0),
            (0.0, 1.0),
        ),
        (
            "lamp: face brightness (luma, 0-255)",
            {n: (tr.t[step_window[n]], tr.face[step_window[n]]) for n, tr in steps.items()},
            (t0, t1, 1.0),
            None,
        ),
        (
            "door: face brightness in the take (1 s means, % of the take's first second)",
            {n: _take_seconds(tr) for n, tr in doors.items()},
            (TAKE_AT_S, TAKE_AT_S + TAKE_S, 5.0),
            _round_limits([_take_seconds(tr)[1] for tr in doors.values()]),
        ),
    ]
    for k, (label, series, xs, limits) in enumerate(panels):
        box = pygame.Rect(80, 90 + k * 320, width - 110, 250)
        if limits is None:
            lo = min(float(v.min()) for _, v in series.values())
            hi = max(float(v.max()) for _, v in series.values())
            pad = 0.05 * (hi - lo or 1.0)
            limits = (lo - pad, hi + pad)
        _axes(surface, font, box, xs, limits, label)
        for name, (t, v) in series.items():
            points = [
                (
                    box.left + (x - xs[0]) / (xs[1] - xs[0]) * box.width,
                    box.bottom - (y - limits[0]) / (limits[1] - limits[0]) * box.height,
                )
                for x, y in zip(t, v, strict=True)
            ]
            pygame.draw.lines(surface, colours[name], False, points, 2)
    for i, (name, colour) in enumerate(colours.items()):
        x = 100 + i * 220
        pygame.draw.line(surface, colour, (x, height - 22), (x + 30, height - 22), 3)
        surface.blit(font.render(name, True, (0, 0, 0)), (x + 38, height - 30))
    pygame.image.save(surface, str(path))


def _round_limits(series: list[np.ndarray]) -> tuple[float, float]:
    """Whole-number axis limits around `series` whose five grid steps are whole numbers."""
    lo = float(np.floor(min(float(v.min()) for v in series))) - 1.0
    hi = max(float(v.max()) for v in series) + 0.5
    return lo, lo + 5.0 * np.ceil((hi - lo) / 5.0)


def _take_seconds(trial: Trial) -> tuple[np.ndarray, np.ndarray]:
    """The take's one-second means of face brightness, in % of the first, at each second's
    middle (what take_change_pct measures)."""
    face = take_face(trial)
    seconds = len(face) // FPS
    means = face[: seconds * FPS].reshape(seconds, FPS).mean(axis=1)
    return TAKE_AT_S + 0.5 + np.arange(seconds), 100.0 * means / means[0]


def _axes(surface, font, box, xs, ys, label) -> None:
    """Grid, tick labels and frame; xs = (first, last, tick step) in seconds."""
    import pygame

    grey, black = (215, 215, 215), (0, 0, 0)
    for i in range(6):
        y = box.bottom - i * box.height / 5
        value = ys[0] + i * (ys[1] - ys[0]) / 5
        pygame.draw.line(surface, grey, (box.left, y), (box.right, y))
        text = font.render(f"{value:.2f}" if ys[1] - ys[0] < 5 else f"{value:.0f}", True, black)
        surface.blit(text, (box.left - text.get_width() - 6, y - 7))
    for s in np.arange(np.ceil(xs[0]), xs[1] + 1e-9, xs[2]):
        x = box.left + (s - xs[0]) / (xs[1] - xs[0]) * box.width
        pygame.draw.line(surface, grey, (x, box.top), (x, box.bottom))
        text = font.render(f"{s:g}", True, black)
        surface.blit(text, (x - text.get_width() / 2, box.bottom + 4))
    pygame.draw.rect(surface, black, box, 1)
    surface.blit(font.render(label, True, black), (box.left, box.top - 18))
    axis = font.render("time (s)", True, black)
    surface.blit(axis, (box.right - axis.get_width(), box.bottom + 20))
