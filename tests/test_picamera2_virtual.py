"""The booth's `PiCamera` on the real picamera2 (PyPI, the version a Bookworm booth runs) and
libcamera's virtual camera (tools/libcamera/build.sh; `make test` builds it, cached outside the
source tree), as the kiosk drives it: main and lores streams, preview frames, a take through
`TakeVideoOutput` and picamera2's own `LibavH264Encoder`, stop and close.

Each scenario runs in a process of its own (tests/picamera2_offpi/scenarios.py): libcamera has
one CameraManager per process and picamera2 registers `atexit` work.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles, read_pts

ROOT = Path(__file__).resolve().parents[1]
OFFPI = ROOT / "tests" / "picamera2_offpi"
PREFIX_FILE = ROOT / ".venv" / "libcamera-prefix"
FRAME_NS = 1e9 / 30

pytestmark = [pytest.mark.external, pytest.mark.slow, pytest.mark.timeout(60)]


def libcamera_prefix() -> Path:
    """Where tools/libcamera/build.sh installed libcamera (make test writes it to PREFIX_FILE)."""
    named = os.environ.get("BOOTH_LIBCAMERA_PREFIX") or (
        PREFIX_FILE.read_text().strip() if PREFIX_FILE.exists() else ""
    )
    if not named or not (Path(named) / ".built").exists():
        pytest.fail(
            "libcamera with the virtual camera is not built: run `make libcamera` "
            "(make test does), or set BOOTH_LIBCAMERA_PREFIX to tools/libcamera/build.sh's prefix"
        )
    return Path(named)


def run_scenario(name: str, out: Path, **env: str) -> dict:
    prefix = libcamera_prefix()
    site = [str(p) for p in sorted(prefix.glob("lib/python3*/*-packages"))]
    child_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*site, str(OFFPI)]),
        "LIBCAMERA_LOG_LEVELS": "*:WARN",
        **env,
    }
    done = subprocess.run(
        [sys.executable, str(OFFPI / "scenarios.py"), name, str(out)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_take_on_the_real_picamera2_has_the_sensors_frames_and_times(tmp_path):
    found = run_scenario("take", tmp_path, SCENARIO_SECONDS="2")

    assert found["preview_shape"] == [360, 640, 3]
    assert {"ExposureTime", "SensorTimestamp", "FaceBrightness"} <= set(found["metadata_keys"])
    assert 45 <= found["frames"] <= 75, found
    assert found["dropped"] == 0 and found["error"] is None
    assert found["lens"] is None  # the virtual camera has no lens to report

    files = TakeFiles(tmp_path / ".take-q1-1")
    stamps = read_pts(files.pts)
    assert len(stamps) == found["frames"]
    # video.pts holds each frame's own SensorTimestamp, to the µs picamera2 keeps: the same
    # times the kiosk saw in the frames' metadata (it may miss a frame on a loaded machine).
    captured_us = {s // 1000 for s in found["captured_stamps"]}
    written_us = {s // 1000 for s in stamps}
    assert len(written_us & captured_us) >= 0.8 * len(written_us), (written_us, captured_us)
    assert all(s % 1000 == 0 for s in stamps)
    assert stamps == sorted(set(stamps))
    # Every frame went to the encoder: paced at 30 fps by FrameDurationLimits, never faster,
    # each stamped when it was made (a loaded machine may make some late, never early).
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) > FRAME_NS - 2_000, gaps
    assert abs(statistics.median(gaps) - FRAME_NS) < 0.01 * FRAME_NS, gaps

    result = mux_take(files, tmp_path / "take.mp4")
    with av.open(str(result.path)) as container:
        video = container.streams.video[0]
        decoded = [f for f in container.decode(video)]
    assert (video.codec_context.width, video.codec_context.height) == (640, 360)
    assert len(decoded) == found["frames"] == result.frames
    expected = (stamps[-1] - stamps[0]) / 1e9 + FRAME_NS / 1e9
    assert abs(result.duration_s - expected) < 0.05, (result.duration_s, expected)
    times = [f.time for f in decoded]
    assert times == sorted(times)
    assert abs(times[-1] - (stamps[-1] - stamps[0]) / 1e9) < 0.002


def test_controls_the_camera_does_not_advertise_are_logged_and_the_frames_go_on(tmp_path):
    found = run_scenario("refused_controls", tmp_path)

    assert found["frames"] == 10 and found["fault"] is None
    refused = " ".join(found["warnings"])
    for name in ("ExposureValue", "AnalogueGain", "AfMode"):
        assert f"no control {name}" in refused
    assert refused.count("no control ExposureValue") == 1  # once, not every frame


def test_a_camera_that_stops_delivering_is_a_fault_and_still_closes(tmp_path):
    found = run_scenario("frames_stop", tmp_path)

    assert "delivered no frame within 2 s" in found["second"]
    assert found["fault"] == found["second"]
    assert 1.5 < found["waited_s"] < 3.5
    assert found["close_s"] < 10


def test_a_camera_that_is_not_there_says_so(tmp_path):
    found = run_scenario("no_such_camera", tmp_path)

    assert found["error"].startswith("no camera found")
    assert "ribbon cable" in found["error"]


def test_the_booths_tuning_is_in_force_when_the_recording_camera_registers(tmp_path):
    # picamera2 looks for the sensor's tuning file under ~/libcamera/src/ipa/rpi/<platform>/data
    # first: a Camera Module 3's (imx708, the virtual camera's model) with an AGC.
    tuning = {"version": 2.0, "algorithms": [{"rpi.agc": {"exposure_modes": {}}}]}
    for platform in ("vc4", "pisp"):
        data = tmp_path / "home" / "libcamera" / "src" / "ipa" / "rpi" / platform / "data"
        data.mkdir(parents=True)
        (data / "imx708.json").write_text(json.dumps(tuning))

    found = run_scenario("tuning", tmp_path, HOME=str(tmp_path / "home"))

    # The manager the recording Picamera2 uses is the only one alive when it was made, and was
    # started with the booth's exposure mode in the tuning libcamera reads.
    used = [m for m in found["managers"] if m["id"] == found["used"]]
    assert used, found
    in_force = json.loads(used[-1]["tuning"] or "null")
    assert in_force is not None, "the manager was started before the tuning was set"
    agc = in_force["algorithms"][0]["rpi.agc"]
    assert agc["exposure_modes"]["custom"] == {"shutter": [100.0, 30000.0], "gain": [1.0, 8.0]}
    assert not [w for w in found["warnings"] if "exposure profile is not used" in w]


def test_the_build_is_cached_by_version_and_patch():
    prefix = libcamera_prefix()
    name = prefix.name
    assert name.startswith("libcamera-") and len(name.rsplit("-", 1)[1]) == 12
    started = time.monotonic()
    again = subprocess.run(
        [str(ROOT / "tools" / "libcamera" / "build.sh")],
        capture_output=True,
        text=True,
        timeout=50,
        env={**os.environ, "BOOTH_LIBCAMERA_CACHE": str(prefix.parent)},
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == str(prefix)
    assert "cached" in again.stderr
    assert time.monotonic() - started < 40
