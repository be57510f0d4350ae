"""The Pi camera backend's parts that run anywhere; picamera2 itself only exists on a Pi."""

import importlib
import importlib.util
import sys
import threading

import av
import numpy as np
import pytest

from booth.config.settings import Recording
from booth.devices.pi_camera import (
    AF_MODE_CONTINUOUS,
    AF_MODE_MANUAL,
    HARDWARE,
    SOFTWARE,
    PiCamera,
    PiCameraUnavailable,
    camera_controls,
    choose_encoder,
    encoder_options,
    focus_controls,
    frame_metadata,
    import_picamera2,
    lens_state,
    read_pi_model,
    yuv420_to_rgb,
)
from booth.devices.ports.camera import METADATA_KEYS, CameraError

# The dev venv has picamera2 from PyPI (for tests/test_picamera2_virtual.py, which runs it in
# processes of its own), but no libcamera: importing picamera2 fails here as off any Pi.
ON_A_PI = importlib.util.find_spec("libcamera") is not None
off_a_pi = pytest.mark.skipif(ON_A_PI, reason="libcamera is importable here")
MANUAL = "AeFlickerModeEnum.Manual"  # stands in for libcamera's enum value, passed through


@pytest.mark.parametrize(
    ("model", "hardware_found", "expected"),
    [
        ("Raspberry Pi 4 Model B Rev 1.5", True, HARDWARE),
        ("Raspberry Pi 400 Rev 1.0", True, HARDWARE),
        ("Raspberry Pi Compute Module 4 Rev 1.1", True, HARDWARE),
        ("Raspberry Pi 3 Model B Plus Rev 1.3", True, HARDWARE),
        ("Raspberry Pi 4 Model B Rev 1.5", False, SOFTWARE),  # bcm2835-codec not loaded
        ("Raspberry Pi 5 Model B Rev 1.0", False, SOFTWARE),
        ("Raspberry Pi 5 Model B Rev 1.0", True, SOFTWARE),
        ("Raspberry Pi 500 Rev 1.0", False, SOFTWARE),
        ("Raspberry Pi Compute Module 5 Rev 1.0", False, SOFTWARE),
    ],
)
def test_a_pi_5_encodes_in_software_and_a_pi_4_in_hardware(model, hardware_found, expected):
    assert choose_encoder(model, hardware_found) == expected


def test_the_board_model_is_read_from_the_device_tree(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert read_pi_model(model) == "Raspberry Pi 5 Model B Rev 1.0"
    assert read_pi_model(tmp_path / "missing") == ""


def test_frame_rate_is_pinned_and_exposure_locked_to_the_mains_flicker():
    available = {"FrameDurationLimits": 0, "AeFlickerMode": 0, "AeFlickerPeriod": 0}
    assert camera_controls(30, 10_000, available, MANUAL) == {
        "FrameDurationLimits": (33_333, 33_333),
        "AeFlickerMode": MANUAL,
        "AeFlickerPeriod": 10_000,
    }
    assert camera_controls(25, 8_333, available, MANUAL)["AeFlickerPeriod"] == 8_333


def test_no_flicker_control_when_none_is_configured_or_libcamera_lacks_it(caplog):
    assert camera_controls(30, 0, {"AeFlickerMode", "AeFlickerPeriod"}, MANUAL) == {
        "FrameDurationLimits": (33_333, 33_333)
    }
    assert "AeFlickerMode" not in camera_controls(30, 10_000, {"ExposureTime"}, MANUAL)
    assert "mains flicker is not avoided" in caplog.text


def test_request_metadata_is_shaped_for_the_light_controller():
    raw = {
        "ExposureTime": 29_999,
        "AnalogueGain": 5,
        "DigitalGain": 1.0123,
        "Lux": 87.5,
        "FrameDuration": 33_334,
        "SensorTimestamp": 9_876_543_210_123,
        "ColourTemperature": 4000,
        "FocusFoM": 812,
    }
    metadata = frame_metadata(raw, 33_333)
    assert tuple(metadata) == METADATA_KEYS
    assert metadata["ExposureTime"] == 29_999 and isinstance(metadata["AnalogueGain"], float)
    assert metadata["SensorTimestamp"] == 9_876_543_210_123
    assert metadata["FrameDuration"] == 33_334


def test_missing_metadata_gets_neutral_values():
    metadata = frame_metadata({"ExposureTime": 10_000, "AnalogueGain": 2.0}, 33_333)
    assert metadata["DigitalGain"] == 1.0 and np.isnan(metadata["Lux"])
    assert metadata["FrameDuration"] == 33_333
    assert metadata["SensorTimestamp"] > 0


def picamera2_yuv420(rgb: np.ndarray, stride: int) -> np.ndarray:
    """An I420 frame laid out as picamera2 hands YUV420 out, (h * 3/2, stride), with padding
    bytes at each row's end; made by swscale (PyAV) in BT.709 limited range."""
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    yuv = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
    planes = []
    for plane, plane_stride in zip(yuv.planes, (stride, stride // 2, stride // 2), strict=True):
        rows = np.frombuffer(bytes(plane), np.uint8).reshape(plane.height, plane.line_size)
        padded = np.full((plane.height, plane_stride), 77, dtype=np.uint8)
        padded[:, : plane.width] = rows[:, : plane.width]
        planes.append(padded.ravel())
    height = rgb.shape[0]
    return np.concatenate(planes).reshape(height * 3 // 2, stride)


def test_the_lores_preview_converts_to_the_colours_the_camera_saw():
    width, height = 160, 120
    colours = np.random.default_rng(3).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    rgb = colours.repeat(30, axis=0).repeat(40, axis=1)  # 16 patches of one colour each
    preview = yuv420_to_rgb(picamera2_yuv420(rgb, stride=192), width, height)
    assert preview.shape == (height, width, 3) and preview.dtype == np.uint8
    centres = preview[15::30, 20::40].astype(int)
    assert np.abs(centres - colours).max() <= 2  # padding bytes never leak in


def test_picamera2_is_not_imported_by_the_pi_modules():
    for name in ("booth.devices.pi_camera", "booth.media.take_video", "booth.devices.pi_world"):
        importlib.import_module(name)
    assert "picamera2" not in sys.modules


AF_CONTROLS = {"AfMode": (0, 2, 0), "LensPosition": (0.0, 15.0, 1.0)}


def test_an_autofocus_module_focuses_continuously_by_default():
    assert focus_controls("continuous", 0.8, AF_CONTROLS) == {"AfMode": AF_MODE_CONTINUOUS}


def test_a_fixed_distance_sets_the_lens_in_dioptres_within_its_range():
    assert focus_controls("distance", 0.8, AF_CONTROLS) == {
        "AfMode": AF_MODE_MANUAL,
        "LensPosition": pytest.approx(1.25),
    }
    assert focus_controls("distance", 0.05, AF_CONTROLS)["LensPosition"] == 15.0


def test_a_fixed_focus_module_gets_no_focus_controls():
    assert focus_controls("continuous", 0.8, {"ExposureTime": (1, 2, 1)}) == {}
    assert focus_controls("distance", 0.8, {}) == {}


def test_the_lens_state_is_read_from_the_frame_metadata():
    assert lens_state({"AfState": 2, "LensPosition": 1.25}) == (
        "focused, lens at 1.25 dioptres (0.80 m)"
    )
    assert lens_state({"LensPosition": 0.0}) == "lens at 0.00 dioptres (infinity)"
    assert lens_state({"ExposureTime": 10_000}) is None


@off_a_pi
def test_without_picamera2_the_error_says_how_to_install_it():
    with pytest.raises(PiCameraUnavailable) as caught:
        import_picamera2()
    message = str(caught.value)
    assert "sudo apt install python3-picamera2" in message
    assert "--system-site-packages" in message
    assert isinstance(caught.value, CameraError)


@off_a_pi
def test_making_a_pi_camera_off_a_pi_fails_with_that_message():
    with pytest.raises(PiCameraUnavailable, match="python3-picamera2"):
        PiCamera(Recording(160, 120, 30))


# --------------------------------------------- with picamera2's behaviour stood in for
@pytest.fixture
def standin(monkeypatch):
    """`PiCamera` on tests/picamera2_standin.py instead of picamera2 (see there)."""
    from booth.devices import pi_camera
    from tests import picamera2_standin

    monkeypatch.setattr(pi_camera, "import_picamera2", picamera2_standin.picamera2_module)
    monkeypatch.setitem(sys.modules, "libcamera", picamera2_standin.libcamera_module())
    return picamera2_standin


@pytest.fixture
def take_files(tmp_path):
    from booth.media.takefiles import TakeFiles

    return TakeFiles(tmp_path / ".take-q1-1").create(
        question_id="q1", take=1, width=160, height=120, fps=30, sample_rate=48_000, channels=1
    )


@pytest.mark.parametrize("fps", [30, 30.0, 25.0, 29.97])
def test_the_pi_5_encoder_gets_a_frame_rate_that_pyav_accepts(fps):
    # picamera2's LibavH264Encoder hands `framerate` to PyAV's add_stream(rate=...): since
    # PyAV 13.1 a float raises AttributeError there ('float' object has no attribute
    # 'numerator'). This is that call, with the PyAV the booth installs.
    options = encoder_options(SOFTWARE, fps, 8_000_000)
    stream = av.open("/dev/null", "w", format="null").add_stream("h264", rate=options["framerate"])
    assert float(stream.codec_context.framerate) == pytest.approx(fps, abs=1e-9)
    assert options["iperiod"] == round(fps)
    assert "framerate" not in encoder_options(HARDWARE, fps, 8_000_000)


def test_a_take_on_a_pi_5_starts_its_encoder(standin, take_files):
    camera = PiCamera(Recording(160, 120, 30), encoder=SOFTWARE)
    camera.start()
    writer = camera.take_writer(take_files)
    camera.start_encoder(writer)
    assert camera._encoder.stream_rate == 30
    camera.stop_encoder()
    assert writer.close().error is None


def test_a_take_that_cannot_start_leaves_no_open_files_or_threads(standin, take_files):
    class BrokenEncoder(standin.LibavH264Encoder):
        def _start(self):
            raise RuntimeError("libx264 is missing")

    camera = PiCamera(Recording(160, 120, 30), encoder=SOFTWARE)
    camera._lib.encoders = type(camera._lib.encoders)(
        H264Encoder=standin.H264Encoder, LibavH264Encoder=BrokenEncoder
    )
    camera.start()
    before = set(threading.enumerate())
    writer = camera.take_writer(take_files)
    with pytest.raises(RuntimeError, match="libx264"):
        camera.start_encoder(writer)
    assert set(threading.enumerate()) <= before  # the writer's sync thread has ended
    assert writer._video.fd == -1 and writer._pts.fd == -1  # and its files are closed
    camera.close()


@pytest.mark.timeout(10)
def test_a_dead_camera_says_what_timed_out_and_still_closes(standin, monkeypatch, caplog):
    from booth.devices import pi_camera

    monkeypatch.setattr(pi_camera, "FRAME_TIMEOUT_S", 0.05)
    camera = PiCamera(Recording(160, 120, 30), encoder=SOFTWARE)
    camera.start()
    with pytest.raises(CameraError, match=r"no frame within 0.05 s \(picamera2 capture_request"):
        camera.capture(0)
    camera.close()  # picamera2's stop() would wait behind the timed-out request for ever
    assert camera._picam2.closed and not camera._picam2.stopped_before_cancel


@pytest.mark.timeout(10)
def test_a_camera_that_never_stops_does_not_hang_the_booth(standin, monkeypatch, caplog):
    from booth.devices import pi_camera

    stuck = threading.Event()

    class StuckPicamera2(standin.Picamera2):
        def stop(self):
            stuck.wait()  # libcamera waits for a sensor that is gone

    monkeypatch.setattr(pi_camera, "STOP_TIMEOUT_S", 0.1)
    camera = PiCamera(Recording(160, 120, 30), encoder=SOFTWARE)
    camera._picam2 = StuckPicamera2()
    camera.start()
    try:
        camera.close()
        assert "picamera2 stop() did not return within 0.1 s" in caplog.text
        # picamera2's close() is still called (it takes back its atexit close first, which
        # would otherwise hang the process's exit), within its bound: it waits for stop() too.
        assert camera._picam2.close_called
        assert "picamera2 close() did not return within 0.1 s" in caplog.text
        with pytest.raises(CameraError, match="picamera2 stop"):
            pi_camera.within(0.1, "picamera2 stop()", stuck.wait)
    finally:
        stuck.set()
