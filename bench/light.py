"""The ring light controller against a plain proportional controller, in every room.

Both run through the same scenarios (booth/sim/scenarios.py) on the same simulated booth (AE
like libcamera's, two frames of sensor delay, the scenarios' 1200 lux ring) in the same run,
on the timeline of booth/light/trial.py: a session from 2 s, the lamp at 20 s in `lamp-on`,
a 60 s take from 40 s. Figures:

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

from booth.light.controller import LightController, exposure_gain
from booth.light.settings import LightSettings
from booth.light.trial import (
    TAKE_AT_S,
    Trial,
    calibrate_sim,
    reversals,
    run_trial,
    steady_error_pct,
    step_response,
    take_change_pct,
    take_face,
)
from booth.sim.scenarios import SCENARIOS, STEP_AT_S

PNG = Path(__file__).resolve().parent / "light_step.png"
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
    for name, scenario in SCENARIOS.items():
        per: dict = {}
        for label, controller in (
            ("booth", LightController(settings, curve)),
            ("proportional", ProportionalController(target)),
        ):
            trial = run_trial(scenario, controller, target)
            figures = _figures(trial, step=name == "lamp-on")
            per[label] = figures
            rows.append([name, label, *(_cell(figures.get(f)) for f in FIGURES)])
            if name == "lamp-on":
                steps[label] = trial
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
        f: all(_better(s["booth"][f], s["proportional"][f]) for s in results["scenarios"].values())
        for f in ("steady_error_pct", "take_change_pct", "reversals")
    }
    draw_steps(steps, PNG)
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


def _better(ours, base) -> bool:
    if base is None:
        return ours is not None
    return bool(ours is not None and ours <= base)


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------- drawing
def draw_steps(steps: dict[str, Trial], path: Path) -> None:
    """Two panels over the lamp step: light output, and face brightness (luma)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    width, height = 1000, 720
    surface = pygame.Surface((width, height))
    surface.fill((255, 255, 255))
    font = pygame.font.Font(None, 22)
    title = pygame.font.Font(None, 28)
    colours = {"booth": (20, 90, 200), "proportional": (220, 80, 30)}
    t0, t1 = STEP_AT_S - 2.0, min(TAKE_AT_S, STEP_AT_S + 8.0)
    surface.blit(
        title.render(
            "Lamp switched on at 20 s (room light 60 -> 240 lux): booth controller vs proportional",
            True,
            (0, 0, 0),
        ),
        (20, 12),
    )
    panels = [
        ("light output (share of full light)", lambda tr: tr.output, (0.0, 1.0)),
        ("face brightness (luma, 0-255)", lambda tr: tr.face, None),
    ]
    for k, (label, pick, limits) in enumerate(panels):
        box = pygame.Rect(80, 60 + k * 330, width - 110, 260)
        series = {}
        for name, trial in steps.items():
            w = trial.window(t0, t1)
            series[name] = (trial.t[w], pick(trial)[w])
        if limits is None:
            lo = min(float(v.min()) for _, v in series.values())
            hi = max(float(v.max()) for _, v in series.values())
            pad = 0.05 * (hi - lo or 1.0)
            limits = (lo - pad, hi + pad)
        _axes(surface, font, box, (t0, t1), limits, label)
        for name, (t, v) in series.items():
            points = [
                (
                    box.left + (x - t0) / (t1 - t0) * box.width,
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


def _axes(surface, font, box, xs, ys, label) -> None:
    import pygame

    grey, black = (215, 215, 215), (0, 0, 0)
    for i in range(6):
        y = box.bottom - i * box.height / 5
        value = ys[0] + i * (ys[1] - ys[0]) / 5
        pygame.draw.line(surface, grey, (box.left, y), (box.right, y))
        text = font.render(f"{value:.2f}" if ys[1] - ys[0] < 5 else f"{value:.0f}", True, black)
        surface.blit(text, (box.left - text.get_width() - 6, y - 7))
    for s in np.arange(np.ceil(xs[0]), xs[1] + 1e-9, 1.0):
        x = box.left + (s - xs[0]) / (xs[1] - xs[0]) * box.width
        pygame.draw.line(surface, grey, (x, box.top), (x, box.bottom))
        text = font.render(f"{s:g}", True, black)
        surface.blit(text, (x - text.get_width() / 2, box.bottom + 4))
    pygame.draw.rect(surface, black, box, 1)
    surface.blit(font.render(label, True, black), (box.left, box.top - 18))
    axis = font.render("time (s)", True, black)
    surface.blit(axis, (box.right - axis.get_width(), box.bottom + 20))
