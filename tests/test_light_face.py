"""The same face in any room (issue 15): the exposure aims at the face, the light before gain.

End to end, takes recorded by `booth simulate` in a dark and a bright room; then the parts: the
face meter's ExposureValue steps, the simulated AGC's metering zones, the booth's exposure mode
in a Raspberry Pi tuning file, and the light the face is missing where the ring cannot cover.
"""

import json
import sys

import av
import numpy as np
import pytest
from conftest import simulate_booth

from bench.face import corner_noise
from booth.cli.main import main
from booth.config.settings import Recording
from booth.devices.face_exposure import (
    HOLDOFF_FRAMES,
    MAX_STEP_EV,
    FaceExposure,
    aim_controls,
    booth_exposure_profile,
    camera_aim,
    with_booth_exposure_mode,
)
from booth.devices.face_meter import face_brightness_yuv, face_luma, linear_light
from booth.doctor.checks import PASS, WARN, Check, with_curve
from booth.framing import FRAMING
from booth.light.controller import LightController
from booth.light.curve import CurvePoint, LightCurve
from booth.light.record import LightRecord, read_light_state
from booth.light.settings import LightSettings
from booth.sim.exposure import METERING_WEIGHTS, AutoExposure
from booth.sim.scene import Scene, zone_counts
from booth.sim.sensor import Sensor

CONFIG = (
    # A bit rate at which the encoder keeps the sensor's grain: at lower rates it smooths the
    # bright room's finer grain away more than the dark room's (1.5 Mbps here: 1.65x), and the
    # test would measure the encoder rather than the gain.
    "[recording]\nwidth = 320\nheight = 240\nbitrate_bps = 4_000_000\n"
    '[light]\nmetering = "{metering}"\n{extra}'
)
TODAY = "target_gain = 2.0\n"  # the whole frame metered, at main's target before issue 15


def take_in_a_room(tmp_path, lux: int, metering: str) -> tuple[float, float]:
    """Face luma (mean) and corner noise (mean) of a 4 s take recorded by `booth simulate` in a
    room of `lux` lux."""
    config = tmp_path / f"{metering}.toml"
    extra = TODAY if metering == "frame" else ""
    config.write_text(CONFIG.format(metering=metering, extra=extra))
    script = (
        f"ambient {lux}\npress start\ntype 123456\npress confirm\npress next\npress accept\n"
        "wait 3\npress next\nwait 10.4\npress next\npress next\npress next\npress record\n"
        "wait 3\nexpect recording\nwait 4\npress stop\npress keep\n"
    )
    out = tmp_path / f"{metering}-{lux}"
    assert simulate_booth(config, script, out) == 0
    (take,) = out.glob("spool/*/q1-take1.mp4")
    with av.open(str(take)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) >= 3.5 * 30
    return (
        float(np.mean([face_luma(f) for f in frames])),
        float(np.mean([corner_noise(f) for f in frames])),
    )


@pytest.mark.parametrize(
    "metering",
    [
        "face",
        pytest.param(
            "frame",
            marks=pytest.mark.xfail(
                strict=True,
                reason="today's whole-frame metering: 218 against 120 (82 %), noise 1.56x",
            ),
        ),
    ],
)
@pytest.mark.slow
def test_takes_in_a_15_and_a_1500_lux_room_show_the_same_face_with_noise_within_1_5x(
    tmp_path, metering
):
    dark_face, dark_noise = take_in_a_room(tmp_path, 15, metering)
    bright_face, bright_noise = take_in_a_room(tmp_path, 1500, metering)
    assert max(dark_face, bright_face) / min(dark_face, bright_face) <= 1.10
    assert dark_noise <= 1.5 * bright_noise
    # Measured with the face metered: 144.3 and 143.5 (target 145), noise 2.57 and 1.92.
    assert abs(dark_face / (255 * LightSettings().face_level) - 1.0) <= 0.05
    # The kiosk's light record: the 1400 lux ring covers even the dark room.
    for lux in (15, 1500):
        record = read_light_state(tmp_path / f"{metering}-{lux}" / "state")
        assert record is not None and record.missing_light_pct == 0.0


# ------------------------------------------------------------------ the face meter's EV
def test_the_face_meter_steps_the_ev_only_once_auto_exposure_has_converged():
    ev = FaceExposure(level=0.57)
    dim = ev.target / 2.0  # a face one stop too dark
    assert ev.update(dim, converged=False) == 0.0
    assert ev.update(dim, converged=True) == 0.0
    assert ev.update(dim, converged=True) == 0.0
    assert ev.update(dim, converged=True) == pytest.approx(1.0)  # the whole stop at once
    # Then it waits for the camera to follow before it looks again.
    for _ in range(HOLDOFF_FRAMES - 1):
        assert ev.update(dim, converged=True) == pytest.approx(1.0)


def test_a_face_near_its_level_or_one_white_frame_leave_the_ev_alone_and_black_moves_two_stops():
    ev = FaceExposure(level=0.57)
    for _ in range(20):
        ev.update(ev.target * 1.02, converged=True)
    assert ev.exposure_value == 0.0
    ev.update(1.0, converged=True)  # a clap's white frame moves nothing
    assert ev.exposure_value == 0.0
    for _ in range(HOLDOFF_FRAMES):  # black frames: one step, then the hold-off
        ev.update(0.0, converged=True)
    assert ev.exposure_value == pytest.approx(MAX_STEP_EV)


def test_the_face_level_is_luma_and_the_meter_works_in_linear_light():
    assert FaceExposure(0.57).target == pytest.approx(linear_light(0.57))
    with pytest.raises(ValueError):
        FaceExposure(1.2)


# -------------------------------------------------------------- the AGC's metering zones
def test_spot_metering_weighs_the_face_and_matrix_the_whole_frame():
    scene = Scene(ambient_lux=100.0, ring_lux_at_full=1400.0)
    view = scene.render(320, 240, 0, ring_level=0.7)  # the ring lights the face far more
    sensor = Sensor()
    whole = sensor.meter(view, 20_000, 1.0)
    matrix = sensor.meter(view, 20_000, 1.0, zone_counts(320, 240, METERING_WEIGHTS["matrix"]))
    spot = sensor.meter(view, 20_000, 1.0, zone_counts(320, 240, METERING_WEIGHTS["spot"]))
    assert matrix == pytest.approx(whole)
    assert spot > 1.5 * whole  # the face, lit by the ring, against a dim backdrop


def test_exposure_value_multiplies_the_agc_target_by_two_to_the_ev():
    ae = AutoExposure(33_333)
    base = ae.y_target
    ae.exposure_value = 1.0
    assert ae.y_target == pytest.approx(2 * base)
    ae.exposure_value = 8.0
    assert ae.y_target == 0.9  # libcamera's cap


# --------------------------------------------------------- the booth's exposure profile
def test_the_booth_exposure_mode_is_added_to_every_agc_channel_of_a_tuning_file():
    profile = {"shutter": [100, 10000, 30000], "gain": [1.0, 2.0, 4.0]}
    v2 = {
        "version": 2.0,
        "algorithms": [
            {"rpi.lux": {}},
            {"rpi.agc": {"channels": [{"exposure_modes": {"normal": profile}}, {}]}},
        ],
    }
    tuned = with_booth_exposure_mode(v2, booth_exposure_profile(30_000))
    channels = tuned["algorithms"][1]["rpi.agc"]["channels"]
    shutter, gain = booth_exposure_profile(30_000)
    for channel in channels:
        assert channel["exposure_modes"]["custom"] == {"shutter": list(shutter), "gain": list(gain)}
    assert channels[0]["exposure_modes"]["normal"] == profile
    assert "custom" not in v2["algorithms"][1]["rpi.agc"]["channels"][0]["exposure_modes"]
    v1_tuning = {"rpi.agc": {"exposure_modes": {"normal": profile}}}
    v1 = with_booth_exposure_mode(v1_tuning, booth_exposure_profile(30_000))
    assert v1["rpi.agc"]["exposure_modes"]["custom"]["shutter"] == [100.0, 30_000.0, 30_000.0]


def test_the_booth_profile_takes_exposure_time_before_any_gain():
    shutter, gain = booth_exposure_profile(30_000)
    ae = AutoExposure(33_333)
    ae.tuning = type(ae.tuning)(exposure_stages_us=shutter, gain_stages=gain)
    ae._filtered = 25_000.0
    ae._divide_up(25_000.0)
    assert (ae.exposure_us, ae.analogue_gain) == (25_000.0, 1.0)
    ae._filtered = 45_000.0
    ae._divide_up(45_000.0)
    assert (ae.exposure_us, ae.analogue_gain) == (30_000.0, 1.5)


# --------------------------------------------------------------------- missing light
def face_frame(t: float, light: float, exposure_gain: float) -> dict:
    """A frame metered on the face: the face at its level, exposure × gain as the light on the
    face requires (face brightness = light × exposure × gain)."""
    return {
        "ExposureTime": round(exposure_gain),
        "AnalogueGain": 1.0,
        "DigitalGain": 1.0,
        "Lux": 100.0,
        "SensorTimestamp": round(t * 1e9),
        "FaceBrightness": light * exposure_gain,
    }


def test_where_the_ring_cannot_cover_the_room_the_controller_says_how_much_light_is_missing():
    settings = LightSettings()
    need = linear_light(settings.face_level) / settings.target_exposure_gain
    room, ring_full = 0.3 * need, 0.5 * need
    # Calibrated in a room giving `room`; the ring adds up to `ring_full` (linear in output).
    curve = LightCurve.from_points(
        [
            CurvePoint(o, 50_000.0, 100.0 + 300 * o, (room + ring_full * o) * 50_000.0)
            for o in (0.0, 0.5, 1.0)
        ]
    )
    controller = LightController(settings, curve, output=0.0)
    output = 0.0
    for i in range(120):
        t = i / 30
        light = room + ring_full * output
        output = controller.update(face_frame(t, light, 0.2 / light), t, "session")
    assert output == pytest.approx(1.0)
    assert controller.missing_light == pytest.approx(1 / 0.8 - 1.0, rel=0.01)  # 25 % more


def test_booth_light_calibrate_says_how_much_light_the_room_is_missing_at_the_face(
    tmp_path, capsys
):
    # A target of 10 ms at gain 1 asks for about three times the light of the default's.
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\nstate = "{tmp_path / "state"}"\n[devices]\nbackend = "sim"\n'
        "[recording]\nwidth = 320\nheight = 240\n"
        "[light]\ntarget_exposure_us = 10000\ntarget_gain = 1.0\n"
    )
    assert main(["light", "calibrate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "warning: this room needs about" in out and "% more light at the face" in out
    assert main(["light", "calibrate", "--json", "--config", str(config)]) == 0
    missing = json.loads(capsys.readouterr().out)["missing_light_pct"]
    assert 90 < missing < 140  # 3350 lux wanted at the face, 150 + 1400 there: 116 %
    assert f"needs about {missing:.0f} % more light" in out


def test_booth_doctor_tells_the_light_missing_at_the_face_from_the_kiosks_light_record(tmp_path):
    settings = LightSettings()
    need = linear_light(settings.face_level) / settings.target_exposure_gain
    curve = LightCurve.from_points(
        [CurvePoint(o, 50_000.0, 100.0 + 300 * o, need * (0.5 + o) * 50_000.0) for o in (0, 1)]
    )
    curve.save(tmp_path)
    ok = Check("light", PASS, "driver opens: GPIO18")
    covered = with_curve(ok, tmp_path, settings)
    assert covered.result == PASS and "the ring covers the room when it was calibrated" in (
        covered.detail
    )
    controller = LightController(settings, curve)
    controller.missing_light = 0.4  # the kiosk's controller, in a dark room now
    LightRecord(tmp_path).update(controller, 0.0)
    assert read_light_state(tmp_path).missing_light_pct == 40.0
    check = with_curve(ok, tmp_path, settings)
    assert check.result == WARN
    assert "this room needs about 40 % more light at the face" in check.detail
    assert "as the kiosk measures it" in check.detail


# ------------------------------------------------------------------------ the Pi path
def test_the_pi_camera_asks_for_spot_metering_the_booth_exposure_mode_and_the_face_ev():
    everything = {"AeMeteringMode", "AeExposureMode", "ExposureValue", "AeFlickerMode"}
    face = camera_aim(LightSettings())
    assert aim_controls(face, everything, tuned=True) == {
        "AeMeteringMode": 1,  # libcamera's MeteringSpot
        "AeExposureMode": 3,  # ExposureCustom: the booth's profile in the tuning
        "ExposureValue": 0.0,
    }
    assert "AeExposureMode" not in aim_controls(face, everything, tuned=False)
    assert aim_controls(face, {"ExposureValue"}, tuned=True) == {"ExposureValue": 0.0}
    frame = camera_aim(LightSettings(metering="frame"))
    assert aim_controls(frame, everything, tuned=False) == {"AeMeteringMode": 2}  # matrix


def test_the_pi_face_meter_reads_the_lores_y_plane_without_converting_it():
    width, height, stride = 640, 360, 640
    yuv = np.full((height * 3 // 2, stride), 128, dtype=np.uint8)
    yuv[:height] = 40
    rows, cols = FRAMING.meter_patch(width, height)
    yuv[rows, cols] = round(16 + 219 * 0.57)  # limited-range Y of a face at 57 %
    assert face_brightness_yuv(yuv, width, height) == pytest.approx(linear_light(0.57), rel=0.01)


def test_in_a_bright_room_the_ring_adds_what_brings_the_exposure_to_whole_flicker_periods():
    # The room alone would put the face at its level with 22.3 ms × gain 1; the camera would
    # round that down to 20 ms and make up 11.5 % with gain. The ring adds that light instead.
    settings = LightSettings()
    level = linear_light(settings.face_level)
    room, ring_full = level / 22_300, level / 10_000
    curve = LightCurve.from_points(
        [
            CurvePoint(o, 50_000.0, 100.0 + 300 * o, (room + ring_full * o) * 50_000.0)
            for o in (0, 1)
        ]
    )
    controller = LightController(settings, curve, output=0.0, flicker_period_us=10_000)
    output = 0.0
    for i in range(90):
        t = i / 30
        light = room + ring_full * output
        output = controller.update(face_frame(t, light, level / light), t, "session")
    exposure_gain = level / (room + ring_full * output)
    assert exposure_gain == pytest.approx(2 * 10_000 * 1.05, rel=0.02)  # 20 ms at gain 1.05
    assert controller.missing_light == 0.0


def test_the_pi_camera_opens_with_the_booths_exposure_mode_and_asks_for_the_face_metering(
    monkeypatch,
):
    """On picamera2 as tests/picamera2_standin.py stands it in, with the tuning-file calls of
    picamera2 0.3 (`global_camera_info`, `load_tuning_file`, `Picamera2(tuning=dict)`)."""
    from booth.devices import pi_camera
    from tests import picamera2_standin

    opened: dict = {}

    class Picamera2(picamera2_standin.Picamera2):
        def __init__(self, camera_num: int = 0, tuning: dict | None = None) -> None:
            super().__init__(camera_num)
            opened["tuning"] = tuning
            self.camera_controls = {"AeMeteringMode": (0, 3, 0), "AeExposureMode": (0, 3, 0)}
            self.camera_controls |= {"ExposureValue": (-8.0, 8.0, 0.0)}

        @staticmethod
        def global_camera_info() -> list[dict]:
            return [{"Model": "imx708", "Num": 0}]

        @staticmethod
        def load_tuning_file(name: str) -> dict:
            opened["file"] = name
            return {"version": 2.0, "algorithms": [{"rpi.agc": {"channels": [{}]}}]}

    module = picamera2_standin.picamera2_module()
    module.Picamera2 = Picamera2
    monkeypatch.setattr(pi_camera, "import_picamera2", lambda: module)
    monkeypatch.setitem(sys.modules, "libcamera", picamera2_standin.libcamera_module())

    camera = pi_camera.PiCamera(Recording(640, 360, 30), aim=camera_aim(LightSettings()))
    camera.start()
    assert opened["file"] == "imx708.json"
    agc = opened["tuning"]["algorithms"][0]["rpi.agc"]["channels"][0]
    assert agc["exposure_modes"]["custom"]["gain"] == [1.0, 1.0, 16.0]
    controls = camera._picam2.config["controls"]
    assert (controls["AeMeteringMode"], controls["AeExposureMode"]) == (1, 3)
    assert controls["ExposureValue"] == 0.0
    assert controls["FrameDurationLimits"] == (33_333, 33_333)
    camera.close()

    # Metering the whole frame leaves the tuning alone.
    opened.clear()
    pi_camera.PiCamera(
        Recording(640, 360, 30), aim=camera_aim(LightSettings(metering="frame"))
    ).close()
    assert opened == {"tuning": None}
