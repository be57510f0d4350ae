"""A light controller on trial: the simulated booth, one scenario, frame by frame.

Used by bench/light.py and the light tests. The booth follows one timeline: idle at first, a
session starts at `SESSION_AT_S`, the room changes as the scenario says (the lamp at 20 s),
a 60 s take is recorded from `TAKE_AT_S`, then the session goes on. Every frame records the
room's light, the ring's output, the camera's exposure × gain against the target, and the
brightness of the candidate's face in the picture (mean luma of the middle of the face).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from booth.devices.face_exposure import camera_aim
from booth.devices.face_meter import face_luma
from booth.light.controller import IDLE, RECORDING, SESSION, exposure_gain
from booth.light.curve import LightCurve
from booth.light.settings import LightSettings
from booth.media.take_video import TakeVideoOutput
from booth.media.takefiles import TakeFiles
from booth.sim.calibration import calibrate_simulated
from booth.sim.camera import SimCamera, SimCameraSetup
from booth.sim.scenarios import RING_LUX_AT_FULL, STEP_AT_S, Scenario
from booth.sim.scene import Scene

FPS = 30
SESSION_AT_S = 2.0
TAKE_AT_S, TAKE_S = 40.0, 60.0
END_S = TAKE_AT_S + TAKE_S + 5.0
SETTLE_BAND = 0.05
"""Settled: within ±5 % of the final value (the usual step-response band)."""
FLICKER_PERIOD_US = 10_000
AIM = LightSettings()
"""The booth's `[light]` settings: the camera meters the face."""


class Controller(Protocol):
    def update(self, metadata: Mapping[str, Any], now_s: float, mode: str) -> float: ...


class RingOutput:
    """The ring light as the simulated camera sees it: its output is the duty (no min duty)."""

    level = 0.0

    def set(self, output: float) -> None:
        self.level = min(1.0, max(0.0, output))


class ScratchTakes:
    """The takes' video, written as the kiosk writes it (the camera's own `take_writer`) into a
    scratch directory that `close` removes: the trial measures the frames itself."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="booth-trial-"))
        self._count = 0

    def writer(self, camera: SimCamera) -> TakeVideoOutput:
        self._count += 1
        return camera.take_writer(TakeFiles(self._dir / f".take-{self._count}").create())

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def booth_mode(t: float) -> str:
    """What the booth does at `t` seconds on the trial's timeline."""
    if t < SESSION_AT_S:
        return IDLE
    if TAKE_AT_S <= t < TAKE_AT_S + TAKE_S:
        return RECORDING
    return SESSION


def sim_rig(
    ambient_lux: float,
    width: int = 160,
    height: int = 120,
    seed: int = 0,
    lock_exposure: bool = True,
    aim: LightSettings = AIM,
):
    """(scene, ring, camera) of a simulated booth with the scenarios' ring light.

    lock_exposure: the camera locks its exposure during takes (False: auto-exposure runs
    through them, as a camera does out of the box).
    aim: the `[light]` settings whose `metering` the camera meters by (the face by default)."""
    scene = Scene(ambient_lux=ambient_lux, ring_lux_at_full=RING_LUX_AT_FULL, seed=seed)
    ring = RingOutput()
    camera = SimCamera(
        width,
        height,
        FPS,
        scene,
        ring,
        SimCameraSetup(
            flicker_period_us=FLICKER_PERIOD_US, lock_exposure=lock_exposure, aim=camera_aim(aim)
        ),
    )
    camera.start()
    return scene, ring, camera


def calibrate_sim(ambient_lux: float = 150.0, aim: LightSettings = AIM) -> LightCurve:
    """Calibrate the simulated booth, as `booth light calibrate` does on a real one, with the
    camera metering as `aim` says."""
    scene = Scene(ambient_lux=ambient_lux, ring_lux_at_full=RING_LUX_AT_FULL)
    return calibrate_simulated(scene, RingOutput(), FPS, FLICKER_PERIOD_US, aim=camera_aim(aim))


@dataclass
class Trial:
    """What happened, one entry per frame."""

    t: np.ndarray  # seconds
    room_lux: np.ndarray
    output: np.ndarray  # ring light output, 0..1
    exposure_ratio: np.ndarray  # exposure × gain / target
    face: np.ndarray  # face luma, 0..255

    def window(self, start_s: float, end_s: float) -> slice:
        i0, i1 = np.searchsorted(self.t, [start_s, end_s])
        return slice(int(i0), int(i1))


def run_trial(  # noqa: PLR0913 (a trial's options, each with the default the bench runs)
    scenario: Scenario,
    controller: Controller,
    target_exposure_gain: float,
    end_s: float = END_S,
    mode: Callable[[float], str] = booth_mode,
    lock_exposure: bool = True,
    aim: LightSettings = AIM,
    width: int = 160,
    height: int = 120,
) -> Trial:
    """Run `controller` in the simulated booth through `scenario`.

    mode: what the booth does at each time (idle, session, recording); while recording, a
    take's encoder is attached to the camera, which locks its exposure unless `lock_exposure`
    is False. aim: the `[light]` settings the camera meters by (see `sim_rig`).
    """
    scene, ring, camera = sim_rig(
        scenario.lux(0.0), width, height, lock_exposure=lock_exposure, aim=aim
    )
    n = round(end_s * FPS)
    rows = np.zeros((n, 5))
    recording = False
    takes = ScratchTakes()
    try:
        for i in range(n):
            t_ns = round(i * 1e9 / FPS)
            t = t_ns / 1e9
            scene.ambient_lux = scenario.lux(t)
            # As the kiosk does: the take's encoder is attached while the booth records (which
            # locks the camera's exposure).
            if (mode(t) == RECORDING) != recording:
                recording = not recording
                if recording:
                    camera.start_encoder(takes.writer(camera))
                else:
                    camera.stop_encoder()
            frame = camera.capture(t_ns)
            ring.level = controller.update(frame.metadata, t, mode(t))
            ratio = exposure_gain(frame.metadata) / target_exposure_gain
            rows[i] = (t, scene.ambient_lux, ring.level, ratio, face_luma(frame.image))
    finally:
        camera.stop()
        takes.close()
    return Trial(*rows.T.copy())


# ----------------------------------------------------------------- figures
def step_response(trial: Trial, step_at_s: float = STEP_AT_S, end_s: float = TAKE_AT_S) -> dict:
    """Settling (frames), overshoot (%), steady-state error (%) and oscillations after a step.

    Settling: frames from the step until exposure × gain stays within ±5 % of its final value.
    Overshoot: how far the light output went past its final value, in % of the move it made.
    Steady-state error: |exposure × gain / target − 1| over the last second before `end_s`.
    Oscillations: reversals of the light output's direction after the step (moves over 0.5 %).
    """
    w = trial.window(step_at_s, end_s)
    ratio, output = trial.exposure_ratio[w], trial.output[w]
    final_ratio = float(np.mean(ratio[-FPS:]))
    outside = np.nonzero(np.abs(ratio / final_ratio - 1.0) > SETTLE_BAND)[0]
    settle = 0 if len(outside) == 0 else int(outside[-1]) + 1
    before = float(trial.output[trial.window(step_at_s - 1.0, step_at_s)].mean())
    final = float(np.mean(output[-FPS:]))
    move = final - before
    past = float((final - output.min()) if move < 0 else (output.max() - final))
    overshoot = 100.0 * max(0.0, past) / abs(move) if abs(move) > 1e-3 else 0.0
    return {
        "settle_frames": settle,
        "settled": bool(settle < len(ratio) - FPS),
        "overshoot_pct": round(overshoot, 1),
        "steady_error_pct": round(100.0 * abs(final_ratio - 1.0), 2),
        "oscillations": reversals(output),
    }


def steady_error_pct(trial: Trial, start_s: float, end_s: float) -> float:
    """|mean exposure × gain / target − 1| in %, over a stretch where the room is steady."""
    return round(
        100.0 * abs(float(np.mean(trial.exposure_ratio[trial.window(start_s, end_s)])) - 1), 2
    )


def reversals(output: np.ndarray, threshold: float = 0.005) -> int:
    """How often the output changed direction by more than `threshold` (hysteresis)."""
    count, direction, anchor = 0, 0, float(output[0])
    for v in output[1:]:
        d = float(v) - anchor
        if direction >= 0 and d < -threshold:
            count += direction == 1
            direction, anchor = -1, float(v)
        elif direction <= 0 and d > threshold:
            count += direction == -1
            direction, anchor = 1, float(v)
        elif (direction == 1 and v > anchor) or (direction == -1 and v < anchor):
            anchor = float(v)
    return count


def take_change_pct(face: np.ndarray, fps: int = FPS) -> float:
    """Largest change of face brightness inside a take, in %: the spread of its one-second
    means (max − min) over their median. One-second means, because a viewer sees a pulse or
    a drift, not the sensor noise of a single frame."""
    seconds = len(face) // fps
    means = face[: seconds * fps].reshape(seconds, fps).mean(axis=1)
    return round(100.0 * float(means.max() - means.min()) / float(np.median(means)), 2)


def take_face(trial: Trial) -> np.ndarray:
    return trial.face[trial.window(TAKE_AT_S, TAKE_AT_S + TAKE_S)]
