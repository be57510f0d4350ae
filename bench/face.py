"""The same face in any room: the booth's exposure and light against today's, in the same run.

Two booths go through the same rooms on the same simulated camera (libcamera-like AGC with its
metering zones, two frames of sensor delay, the scenarios' 1400 lux ring), on the timeline of
bench/light_trial.py (a session from 2 s, a 60 s take from 40 s, the exposure locked with its
face-holding trim during the take):

- booth: the exposure aims at the face (`[light] metering = "face"`: spot metering, the face
  meter's ExposureValue, the booth's exposure profile) and the light brings exposure × gain to
  30 ms × 1.1 (booth.light.controller's face path);
- today: the whole frame metered, the tuning's own exposure profile, and the same controller
  keeping exposure × gain at today's 30 ms × 2 through the lux reading (`metering = "frame"`,
  `target_gain = 2`), as main had it before issue 15.

Rooms: steady rooms of 15, 50, 150, 500 and 1500 lux, and the lamp-on, clouds and door
scenarios (booth/sim/scenarios.py). Per room and booth, over the take:

- face_luma: the face patch's mean luma (0..255, booth.devices.face_meter) and deviation_pct
  from the target (`[light] face_level` × 255);
- take_change_pct: the largest change of the face inside the take (1 s means);
- gain: mean analogue gain; light: mean ring output (0..1); missing_pct: how much more light
  the face needs than room + ring at full give (booth controller only);
- corner_noise: standard deviation of luma (0..255) in the picture's four corners (the
  backdrop), averaged over the frames; face_noise the same in the face patch (the face sits at
  one level in every room with the booth, so this compares the gain's noise like with like).

Frames are measured as the camera delivers them (no H.264). bench/face_rooms.png draws face
luma against room light for both booths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.light_trial import (
    FLICKER_PERIOD_US,
    FPS,
    TAKE_AT_S,
    TAKE_S,
    ScratchTakes,
    booth_mode,
    calibrate_sim,
    sim_rig,
    take_change_pct,
)
from booth.devices.face_meter import LUMA, face_luma, face_patch
from booth.light.controller import RECORDING, LightController
from booth.light.settings import LightSettings
from booth.sim.scenarios import SCENARIOS, Scenario

PNG = Path(__file__).resolve().parent / "face_rooms.png"
WIDTH, HEIGHT = 320, 240
END_S = TAKE_AT_S + TAKE_S
ROOMS_LUX = (15.0, 50.0, 150.0, 500.0, 1500.0)
BOOTH = LightSettings()
TODAY = LightSettings(metering="frame", target_gain=2.0)
TARGETS = {
    "face_within_pct": 5.0,
    "dark_to_bright_noise": 1.5,
    "take_change_pct": 2.0,
}


def rooms() -> dict[str, Scenario]:
    """The steady rooms and the scenarios, by name."""
    steady = {
        f"{lux:g}-lux": Scenario(f"{lux:g}-lux", f"{lux:g} lux", lambda t, lux=lux: lux)
        for lux in ROOMS_LUX
    }
    return steady | {n: SCENARIOS[n] for n in ("lamp-on", "clouds", "door")}


def corner_noise(image: np.ndarray) -> float:
    """Standard deviation of luma (0..255) in the four corners of a frame, averaged: patches
    1/16 of the width by 1/12 of the height, inside the backdrop's top and bottom bands."""
    h, w = image.shape[:2]
    ph, pw = max(4, h // 12), max(4, w // 16)
    y = image.astype(np.float64) @ LUMA
    top, bottom = slice(2, 2 + ph), slice(h - 2 - ph, h - 2)
    left, right = slice(2, 2 + pw), slice(w - 2 - pw, w - 2)
    return float(np.mean([y[r, c].std() for r in (top, bottom) for c in (left, right)]))


def face_noise(image: np.ndarray) -> float:
    """Standard deviation of luma (0..255) in the face patch of a frame."""
    return float((face_patch(image).astype(np.float64) @ LUMA).std())


@dataclass
class Take:
    """Per frame of the take: face luma, analogue gain, ring output, noise, missing light."""

    face: np.ndarray
    gain: np.ndarray
    light: np.ndarray
    corner_noise: np.ndarray
    face_noise: np.ndarray
    missing: np.ndarray
    room_lux: float


def run_room(scenario: Scenario, aim: LightSettings, seed: int = 0) -> Take:
    """One booth (its `[light]` settings) through one room; what the take shows."""
    curve = calibrate_sim(aim=aim)
    controller = LightController(aim, curve, flicker_period_us=FLICKER_PERIOD_US)
    scene, ring, camera = sim_rig(scenario.lux(0.0), WIDTH, HEIGHT, seed, aim=aim)
    rows, lux, recording = [], [], False
    takes = ScratchTakes()
    for i in range(round(END_S * FPS)):
        t_ns = round(i * 1e9 / FPS)
        t = t_ns / 1e9
        scene.ambient_lux = scenario.lux(t)
        mode = booth_mode(t)
        if (mode == RECORDING) != recording:
            recording = not recording
            camera.start_encoder(takes.writer(camera)) if recording else camera.stop_encoder()
        frame = camera.capture(t_ns)
        ring.level = controller.update(frame.metadata, t, mode)
        if recording:
            image = frame.image
            missing = controller.missing_light
            rows.append(
                (
                    face_luma(image),
                    frame.metadata["AnalogueGain"],
                    ring.level,
                    corner_noise(image),
                    face_noise(image),
                    np.nan if missing is None else missing,
                )
            )
            lux.append(scene.ambient_lux)
    camera.stop()
    takes.close()
    columns = np.array(rows).T
    return Take(*columns, room_lux=float(np.mean(lux)))


def figures(take: Take, target_luma: float) -> dict:
    face = float(take.face.mean())
    missing = float(np.nanmean(take.missing)) if not np.all(np.isnan(take.missing)) else None
    return {
        "room_lux": round(take.room_lux, 1),
        "face_luma": round(face, 1),
        "deviation_pct": round(100.0 * (face / target_luma - 1.0), 2),
        "take_change_pct": take_change_pct(take.face),
        "gain": round(float(take.gain.mean()), 3),
        "light": round(float(take.light.mean()), 3),
        "corner_noise": round(float(take.corner_noise.mean()), 3),
        "face_noise": round(float(take.face_noise.mean()), 3),
        "missing_pct": None if missing is None else round(100.0 * missing, 1),
    }


FIGURES = (
    "room_lux",
    "face_luma",
    "deviation_pct",
    "take_change_pct",
    "gain",
    "light",
    "corner_noise",
    "face_noise",
    "missing_pct",
)


def run() -> dict:
    target_luma = 255.0 * BOOTH.face_level
    results: dict = {
        "target_face_luma": round(target_luma, 1),
        "booth_target": f"{BOOTH.target_exposure_us:g} us x gain {BOOTH.target_gain:g}",
        "today_target": f"{TODAY.target_exposure_us:g} us x gain {TODAY.target_gain:g}",
        "rooms": {},
    }
    rows: list[list] = [["room", "booth", *FIGURES]]
    for name, scenario in rooms().items():
        per = {}
        for label, aim in (("booth", BOOTH), ("today", TODAY)):
            per[label] = figures(run_room(scenario, aim), target_luma)
            rows.append([name, label, *(_cell(per[label][f]) for f in FIGURES)])
        results["rooms"][name] = per
    results["table"] = rows
    results["summary"] = summary(results["rooms"])
    results["targets_met"] = targets_met(results["rooms"], results["summary"])
    draw(results["rooms"], target_luma, PNG)
    results["png"] = str(PNG)
    return results


def summary(per_room: dict) -> dict:
    """Per booth: the faces' spread over the rooms and the dark room's noise against the
    bright room's."""
    out = {}
    dark, bright = f"{ROOMS_LUX[0]:g}-lux", f"{ROOMS_LUX[-1]:g}-lux"
    for label in ("booth", "today"):
        faces = [r[label]["face_luma"] for r in per_room.values()]
        out[label] = {
            "worst_deviation_pct": max(abs(r[label]["deviation_pct"]) for r in per_room.values()),
            "dark_to_bright_face": round(
                per_room[dark][label]["face_luma"] / per_room[bright][label]["face_luma"], 3
            ),
            "face_spread_pct": round(100.0 * (max(faces) / min(faces) - 1.0), 1),
            "dark_to_bright_corner_noise": round(
                per_room[dark][label]["corner_noise"] / per_room[bright][label]["corner_noise"], 3
            ),
            "dark_to_bright_face_noise": round(
                per_room[dark][label]["face_noise"] / per_room[bright][label]["face_noise"], 3
            ),
            "worst_take_change_pct": max(r[label]["take_change_pct"] for r in per_room.values()),
            "top_gain": max(r[label]["gain"] for r in per_room.values()),
        }
    return out


def targets_met(per_room: dict, summary: dict) -> dict:
    ours = summary["booth"]
    return {
        "face_within_5_pct_everywhere": ours["worst_deviation_pct"] <= TARGETS["face_within_pct"],
        "corner_noise_dark_within_1_5x": ours["dark_to_bright_corner_noise"]
        <= TARGETS["dark_to_bright_noise"],
        "face_noise_dark_within_1_5x": ours["dark_to_bright_face_noise"]
        <= TARGETS["dark_to_bright_noise"],
        "take_change_within_2_pct": ours["worst_take_change_pct"] <= TARGETS["take_change_pct"],
        # The gain stays at the target or below wherever the light covers the room (1 % for
        # the trim and the AGC's own 2 % stable region).
        "gain_at_or_below_target": all(
            r["booth"]["gain"] <= BOOTH.target_gain * 1.02
            for r in per_room.values()
            if not r["booth"]["missing_pct"]
        ),
    }


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------- drawing
def draw(per_room: dict, target_luma: float, path: Path) -> None:
    """Face luma against the room's light (log scale) for both booths: the steady rooms as
    lines, the scenarios as open marks at their mean light, the target's ±5 % as a band."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    width, height = 1000, 560
    surface = pygame.Surface((width, height))
    surface.fill((255, 255, 255))
    font = pygame.font.Font(None, 22)
    title = pygame.font.Font(None, 28)
    black, grey = (0, 0, 0), (215, 215, 215)
    colours = {"booth": (20, 90, 200), "today": (220, 80, 30)}
    box = pygame.Rect(80, 60, width - 120, height - 150)
    lux_lo, lux_hi, luma_lo, luma_hi = 10.0, 2000.0, 60.0, 240.0

    def at(lux: float, luma: float) -> tuple[float, float]:
        x = (np.log10(lux) - np.log10(lux_lo)) / (np.log10(lux_hi) - np.log10(lux_lo))
        y = (luma - luma_lo) / (luma_hi - luma_lo)
        return box.left + x * box.width, box.bottom - y * box.height

    surface.blit(
        title.render("Face luma in the take against the room's light", True, black), (20, 14)
    )
    band_top, band_bottom = at(lux_lo, target_luma * 1.05)[1], at(lux_lo, target_luma * 0.95)[1]
    pygame.draw.rect(
        surface, (225, 240, 225), (box.left, band_top, box.width, band_bottom - band_top)
    )
    for luma in range(int(luma_lo), int(luma_hi) + 1, 30):
        y = at(lux_lo, luma)[1]
        pygame.draw.line(surface, grey, (box.left, y), (box.right, y))
        text = font.render(str(luma), True, black)
        surface.blit(text, (box.left - text.get_width() - 6, y - 7))
    for lux in (15, 50, 150, 500, 1500):
        x = at(lux, luma_lo)[0]
        pygame.draw.line(surface, grey, (x, box.top), (x, box.bottom))
        text = font.render(f"{lux}", True, black)
        surface.blit(text, (x - text.get_width() / 2, box.bottom + 4))
    pygame.draw.rect(surface, black, box, 1)
    surface.blit(font.render("face luma (0-255)", True, black), (box.left, box.top - 18))
    axis = font.render("room light at the face (lux, log scale)", True, black)
    surface.blit(axis, (box.right - axis.get_width(), box.bottom + 22))
    for label, colour in colours.items():
        steady = [r[label] for n, r in per_room.items() if n.endswith("-lux")]
        points = [at(f["room_lux"], f["face_luma"]) for f in steady]
        pygame.draw.lines(surface, colour, False, points, 3)
        for p in points:
            pygame.draw.circle(surface, colour, p, 5)
        scenarios = [n for n in per_room if not n.endswith("-lux")]
        marks = [
            at(per_room[n][label]["room_lux"], per_room[n][label]["face_luma"]) for n in scenarios
        ]
        base = max(p[1] for p in marks) if label == "booth" else min(p[1] for p in marks)
        for k, (n, p) in enumerate(zip(scenarios, marks, strict=True)):
            pygame.draw.circle(surface, colour, p, 7, 2)
            # Labels fanned out beside the marks (the scenarios' rooms are close together).
            side = 1 if label == "booth" else -1
            y = base + side * (24 + 18 * k) - 8
            pygame.draw.line(surface, colour, (p[0] + 4, p[1] + side * 5), (p[0] + 40, y + 8))
            surface.blit(font.render(n, True, colour), (p[0] + 44, y))
    legend = (
        ("booth: the face metered, light before gain", colours["booth"]),
        ("today: the whole frame metered", colours["today"]),
        (f"target {target_luma:.0f} ± 5 %", (120, 180, 120)),
    )
    for i, (text, colour) in enumerate(legend):
        x = 30 + i * 360
        pygame.draw.line(surface, colour, (x, height - 26), (x + 30, height - 26), 4)
        surface.blit(font.render(text, True, black), (x + 38, height - 34))
    pygame.image.save(surface, str(path))
