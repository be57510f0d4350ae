"""The simulated camera: frames, picamera2 metadata, preview, encoder hand-off, faults."""

import av
import numpy as np
import pytest

from booth.devices.light import RingLight
from booth.devices.ports.camera import METADATA_KEYS, CameraError, preview_size
from booth.media.takefiles import TakeFiles, read_pts
from booth.sim.camera import SimCamera
from booth.sim.pins import sim_pin_factory
from booth.sim.scene import Scene
from tests.sim_support import reset_sim_pins

FRAME_NS = 33_333_333


@pytest.fixture
def files(tmp_path):
    return TakeFiles(tmp_path / ".take-q1-1").create(width=160, height=120, fps=30)


def decoded_frames(files):
    """The frames of a take's video.h264, decoded."""
    with av.open(str(files.video), format="h264") as container:
        return [f.to_ndarray(format="rgb24").shape for f in container.decode(video=0)]


@pytest.fixture
def camera():
    cam = SimCamera(160, 120, 30, Scene(), None)
    cam.start()
    yield cam
    cam.stop()


def test_frames_carry_picamera2_metadata_with_its_types(camera):
    frame = camera.capture(5 * FRAME_NS)
    m = frame.metadata
    assert set(METADATA_KEYS) <= set(m)
    assert isinstance(m["ExposureTime"], int)
    assert isinstance(m["FrameDuration"], int) and m["FrameDuration"] == 33_333
    assert isinstance(m["SensorTimestamp"], int) and m["SensorTimestamp"] == 5 * FRAME_NS
    for key in ("AnalogueGain", "DigitalGain", "Lux"):
        assert isinstance(m[key], float)
    assert frame.timestamp_ns == 5 * FRAME_NS


def test_image_is_rgb_at_recording_size_and_preview_is_at_most_640_wide():
    cam = SimCamera(1280, 720, 30, Scene(), None)
    cam.start()
    frame = cam.capture(0)
    assert frame.image.shape == (720, 1280, 3) and frame.image.dtype == np.uint8
    assert frame.preview.shape == (360, 640, 3) and frame.preview.dtype == np.uint8
    assert preview_size(320, 240) == (320, 240)
    assert preview_size(1920, 1080) == (640, 360)


def test_preview_shows_the_same_brightness_as_the_recording():
    cam = SimCamera(1280, 720, 30, Scene(), None)
    cam.start()
    frame = cam.capture(0)
    assert abs(frame.image.mean() - frame.preview.mean()) < 2


def test_encoder_gets_every_full_size_frame_with_its_sensor_timestamp_until_stopped(camera, files):
    camera.capture(0)
    take = camera.take_writer(files)
    camera.start_encoder(take)
    for k in range(1, 6):
        camera.capture(k * FRAME_NS)
    camera.stop_encoder()
    camera.capture(6 * FRAME_NS)  # preview goes on, nothing more is recorded
    assert take.close().frames == 5
    # Each frame's SensorTimestamp, to the µs picamera2's encoders keep.
    assert read_pts(files.pts) == [k * FRAME_NS // 1000 * 1000 for k in range(1, 6)]
    assert decoded_frames(files) == [(120, 160, 3)] * 5


def test_repeated_sensor_times_are_written_strictly_increasing_as_on_the_pi(camera, files):
    take = camera.take_writer(files)
    camera.start_encoder(take)
    for now in (0, 500, 900, FRAME_NS):  # three frames within one µs of each other
        camera.capture(now)
    camera.stop_encoder()
    assert read_pts(files.pts) == [0, 1, 2, FRAME_NS // 1000 * 1000]


def test_a_second_encoder_is_refused_while_one_records(camera, files, tmp_path):
    camera.start_encoder(camera.take_writer(files))
    other = TakeFiles(tmp_path / ".take-q1-2").create()
    with pytest.raises(RuntimeError):
        camera.start_encoder(camera.take_writer(other))


def test_stopping_the_camera_closes_a_running_take(camera, files):
    take = camera.take_writer(files)
    camera.start_encoder(take)
    camera.capture(0)
    camera.stop()
    assert not camera.running
    take.outputframe(b"late", True, 0)  # a closed writer takes nothing more
    assert files.video.read_bytes() and not files.video.read_bytes().endswith(b"late")


def test_ring_light_duty_set_through_gpiozero_reaches_the_scene():
    sim_pin_factory()
    try:
        light = RingLight(18)
        cam = SimCamera(160, 120, 30, Scene(ambient_lux=40.0), light)
        cam.start()

        def settled_exposure():
            for k in range(40):
                m = cam.capture(k * FRAME_NS).metadata
            return m["ExposureTime"] * m["AnalogueGain"] * m["DigitalGain"], m["Lux"]

        dark, dark_lux = settled_exposure()
        light.set(1.0)
        lit, lit_lux = settled_exposure()
        light.close()
    finally:
        reset_sim_pins()
    assert lit < dark / 3
    assert lit_lux > 3 * dark_lux


def test_a_failed_camera_says_why(camera):
    camera.fail("camera cable unplugged")
    assert camera.fault == "camera cable unplugged"
    with pytest.raises(CameraError, match="cable"):
        camera.capture(0)


def test_capture_before_start_is_a_programming_error():
    with pytest.raises(RuntimeError, match="start"):
        SimCamera(160, 120, 30, Scene(), None).capture(0)
