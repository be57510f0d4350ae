"""The light controller on its own (modes, ramps, slews, deadband), the curve, the override."""

import argparse
import json
from datetime import UTC, datetime

import pytest

from booth.cli import light_cmd
from booth.cli.main import UserError
from booth.devices.ports.light import output_for_lightness
from booth.light.controller import LightController, light_mode
from booth.light.curve import CURVE_FILE, CurveError, CurvePoint, LightCurve, load_curve
from booth.light.override import OverrideWatch, read_override, write_override
from booth.light.settings import LightSettings
from booth.sim.scenarios import parse_ambient

FPS = 30
SETTINGS = LightSettings()
C = 23_000_000.0  # exposure × gain × lux of the curve's room
CURVE = LightCurve.from_points(
    [CurvePoint(o, C / (100.0 + 300.0 * o), 100.0 + 300.0 * o) for o in (0.0, 0.25, 0.5, 1.0)]
)


def frame(t: float, room: float, output: float) -> dict:
    """Metadata of a settled camera in a room of `room` lux with the ring at `output`."""
    lux = room + 300.0 * output
    return {
        "ExposureTime": 30_000,
        "AnalogueGain": C / lux / 30_000,
        "DigitalGain": 1.0,
        "Lux": lux,
        "SensorTimestamp": round(t * 1e9),
    }


def run(controller, seconds, mode, room=100.0, start=0.0, override=None):
    outputs = []
    for i in range(round(seconds * FPS)):
        t = start + i / FPS
        outputs.append(controller.update(frame(t, room, controller.output), t, mode, override))
    return outputs


def test_closed_is_off_and_idle_ramps_softly_to_the_dim_idle_level():
    c = LightController(SETTINGS, CURVE, output=0.0)
    assert run(c, 1, "closed")[-1] == 0.0
    outputs = run(c, 3, "idle", start=1)
    assert outputs[0] < 0.05  # no jump
    assert outputs[-1] == pytest.approx(output_for_lightness(SETTINGS.idle_lightness))


def test_a_session_brings_the_camera_to_the_target_exposure_in_one_soft_ramp():
    c = LightController(SETTINGS, CURVE, output=output_for_lightness(SETTINGS.idle_lightness))
    outputs = run(c, 4, "session", room=100.0)
    wanted = CURVE.output_for(C / SETTINGS.target_exposure_gain - 100.0)
    assert outputs[-1] == pytest.approx(wanted, abs=0.01)
    steps = [b - a for a, b in zip(outputs, outputs[1:], strict=False)]
    assert max(abs(s) for s in steps) <= 1.0 / SETTINGS.ramp_s / FPS + 1e-9
    assert all(s >= 0 for s in steps)  # one ramp, no hunting


def test_while_recording_the_light_moves_at_most_2_percent_per_second():
    c = LightController(SETTINGS, CURVE, output=0.5)
    run(c, 2, "session", room=100.0)
    outputs = run(c, 5, "recording", room=300.0, start=2)
    per_second = [abs(b - a) * FPS for a, b in zip(outputs, outputs[1:], strict=False)]
    assert max(per_second) <= 0.02 + 1e-9


def locked_frame(t: float, room: float, output: float) -> dict:
    """Metadata of a frame with the exposure locked for a take (libcamera's AeState idle)."""
    lux = room + 300.0 * output
    return {**frame(0.0, 200.0, 0.5), "Lux": lux, "SensorTimestamp": round(t * 1e9), "AeState": 0}


def test_with_the_exposure_locked_the_ring_gives_back_what_the_room_adds():
    c = LightController(SETTINGS, CURVE, output=0.5)
    run(c, 3, "session", room=100.0)
    start = c.output
    outputs = []
    for i in range(round(8 * FPS)):
        t = 3 + i / FPS
        room = 100.0 if i < FPS else 130.0
        outputs.append(c.update(locked_frame(t, room, c.output), t, "recording"))
    # Without face points the frame's lux is what is held: 30 lux more room, 30 lux less ring
    # (to within the recording deadband's 0.3 %).
    wanted = CURVE.output_for(CURVE.ring_lux(start) - 30.0)
    assert outputs[-1] == pytest.approx(wanted, abs=0.005)
    per_second = [abs(b - a) * FPS for a, b in zip(outputs, outputs[1:], strict=False)]
    assert max(per_second) <= SETTINGS.recording_slew_per_s + 1e-9


def test_a_session_screen_over_a_locked_take_keeps_the_recording_slew():
    # "Are you still there?" shown while the take runs: the camera stays locked.
    c = LightController(SETTINGS, CURVE, output=0.5)
    run(c, 3, "session", room=100.0)
    outputs = []
    for i in range(round(2 * FPS)):
        t = 3 + i / FPS
        outputs.append(c.update(locked_frame(t, 400.0, c.output), t, "session"))
    per_second = [abs(b - a) * FPS for a, b in zip(outputs, outputs[1:], strict=False)]
    assert max(per_second) <= SETTINGS.recording_slew_per_s + 1e-9


def test_a_change_inside_the_deadband_moves_nothing():
    c = LightController(SETTINGS, CURVE, output=0.0)
    run(c, 4, "session", room=100.0)
    settled = c.output
    # 1 % more room light: the predicted exposure error stays under the 2 % deadband.
    outputs = run(c, 2, "session", room=101.0, start=4)
    assert outputs[-1] == settled


def test_staff_override_holds_the_light_at_a_lightness_even_when_closed():
    c = LightController(SETTINGS, CURVE, output=0.0)
    outputs = run(c, 3, "override", override=0.5)
    assert outputs[-1] == pytest.approx(output_for_lightness(0.5))


def test_the_kiosks_screen_and_the_override_choose_the_mode():
    assert light_mode("recording") == "recording"
    assert light_mode("check") == "session"
    assert light_mode("out-of-order") == "idle"
    assert light_mode("closed") == "closed"
    assert light_mode("closed", override=0.3) == "override"


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown light mode"):
        LightController(SETTINGS, CURVE).update(None, 0.0, "party")


# ------------------------------------------------------------------ curve
def test_the_curve_round_trips_through_the_state_directory(tmp_path):
    CURVE.save(tmp_path)
    loaded = load_curve(tmp_path)
    assert loaded is not None
    assert loaded.scene_constant == pytest.approx(CURVE.scene_constant)
    assert loaded.output_for(150.0) == pytest.approx(0.5)
    assert load_curve(tmp_path / "never-calibrated") is None


def test_a_broken_curve_file_names_the_file_and_the_fix(tmp_path):
    (tmp_path / CURVE_FILE).write_text('{"version": 1, "points": [{"output": 0}]}')
    with pytest.raises(CurveError, match="booth light calibrate"):
        load_curve(tmp_path)


# --------------------------------------------------------------- override
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_override_is_read_back_and_auto_clears_it(tmp_path):
    watch = OverrideWatch(tmp_path)
    assert watch.poll() is None
    write_override(tmp_path, 0.4, NOW)
    assert read_override(tmp_path) == 0.4 and watch.poll() == 0.4
    write_override(tmp_path, None, NOW)
    assert read_override(tmp_path) is None


def test_a_garbled_override_file_leaves_the_light_automatic(tmp_path):
    (tmp_path / "light.json").write_text("{not json")
    assert read_override(tmp_path) is None


def cli(args: list[str]) -> int:
    parser = argparse.ArgumentParser()
    light_cmd.register(parser.add_subparsers())
    parsed = parser.parse_args(args)
    return parsed.func(parsed)


def test_booth_light_set_and_auto_write_the_override_the_kiosk_reads(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(f'[paths]\nstate = "{tmp_path / "state"}"\n')
    assert cli(["light", "set", "40%", "--config", str(config)]) == 0
    data = json.loads((tmp_path / "state/light.json").read_text())
    assert data["mode"] == "set" and data["lightness"] == 0.4
    assert cli(["light", "auto", "--config", str(config)]) == 0
    assert read_override(tmp_path / "state") is None


def test_a_level_out_of_range_is_a_calm_error():
    with pytest.raises(UserError, match="0 \\(off\\) to 1"):
        light_cmd.parse_level("1.4")
    with pytest.raises(UserError, match="not a number"):
        light_cmd.parse_level("bright")


def test_booth_light_calibrate_stores_a_rising_curve_in_simulation(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\nstate = "{tmp_path / "state"}"\n[devices]\nbackend = "sim"\n'
        "[recording]\nwidth = 320\nheight = 240\n"
    )
    assert cli(["light", "calibrate", "--json", "--config", str(config)]) == 0
    curve = load_curve(tmp_path / "state")
    assert curve is not None and curve.has_face
    ring = [curve.ring_lux(p.output) for p in curve.points]
    assert ring == sorted(ring) and ring[-1] > 50
    assert json.loads(capsys.readouterr().out)["points"][0]["output"] == 0.0


def test_the_ambient_script_argument_is_lux():
    assert parse_ambient("300") == 300.0
    with pytest.raises(ValueError, match="not a number of lux"):
        parse_ambient("bright")
    with pytest.raises(ValueError, match="out of range"):
        parse_ambient("-5")
