"""An MP4 take recorded while the room's light changes keeps the candidate's face steady.

The simulated world, camera, ring light (gpiozero mock pins), the light controller and the
media writers, wired by hand the way the kiosk does it; the face is measured in the decoded MP4.
"""

import av
import numpy as np
import pytest
from conftest import read_events, simulate_booth

from bench.light_trial import take_change_pct
from booth.devices.face_meter import face_brightness, face_luma
from booth.devices.light import RingLight
from booth.light.calibrate import FACE_KEY, calibrate
from booth.light.controller import LightController
from booth.light.settings import LightSettings
from booth.media.audio import AudioWriter
from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles
from booth.sim.camera import SimCamera, SimCameraSetup
from booth.sim.pins import sim_pin_factory
from booth.sim.scenarios import DOOR_OPEN_S, RING_LUX_AT_FULL, SCENARIOS, parse_ambient
from booth.sim.world import SimWorld, WorldSetup
from tests.sim_support import reset_sim_pins

pytestmark = pytest.mark.slow

W, H, FPS, RATE = 320, 240, 30, 48_000
# The script a staff member would write for `booth simulate`: the room brightens in steps
# while the candidate answers (seconds into the take → `ambient LUX`).
AMBIENT_SCRIPT = {0.0: "200", 3.0: "210", 5.0: "220", 7.0: "232", 9.0: "244"}
TAKE_S = 12.0


@pytest.fixture
def booth():
    pins = sim_pin_factory()
    world = SimWorld(W, H, FPS, WorldSetup(seed=3, ambient_lux=200.0))
    world.scene.ring_lux_at_full = RING_LUX_AT_FULL
    light = RingLight(18, pin_factory=pins)
    camera = SimCamera(W, H, FPS, world.scene, light, SimCameraSetup(flicker_period_us=10_000))
    camera.start()
    yield world, light, camera
    camera.stop()
    light.close()
    world.close()
    reset_sim_pins()


def test_a_take_recorded_while_the_room_brightens_keeps_the_face_within_2_percent(booth, tmp_path):
    world, light, camera = booth

    def next_metadata():
        frame = camera.capture(world.tick())
        return {**frame.metadata, FACE_KEY: face_brightness(frame.preview)}

    curve = calibrate(light.set, next_metadata)
    controller = LightController(LightSettings(), curve, output=0.0)

    def step(mode: str):
        frame = camera.capture(world.tick())
        light.set(controller.update(frame.metadata, world.now_ns / 1e9, mode))

    for _ in range(3 * FPS):  # the equipment check: the light settles
        step("session")

    files = TakeFiles(tmp_path / ".take-q1-1").create(
        question_id="q1", take=1, width=W, height=H, fps=FPS, sample_rate=RATE, channels=1
    )
    video = camera.take_writer(files)
    audio = AudioWriter(files, RATE, 1)
    camera.start_encoder(video)
    take_start_ns = world.now_ns + world.frame_period_ns
    for i in range(round(TAKE_S * FPS)):
        t = i / FPS
        for at, lux in AMBIENT_SCRIPT.items():
            if abs(t - at) < 0.5 / FPS:
                world.scene.ambient_lux = parse_ambient(lux)
        step("recording")
        audio.write(np.zeros(RATE // FPS, dtype=np.int16), world.now_ns)
    camera.stop_encoder()
    audio.close()
    result = mux_take(files, tmp_path / "q1-take1.mp4")
    assert world.now_ns > take_start_ns

    with av.open(str(result.path)) as container:
        faces = np.array(
            [face_luma(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
        )
    assert len(faces) >= TAKE_S * FPS - 1
    assert world.scene.ambient_lux == 244.0  # the room did change by 22 %
    assert take_change_pct(faces) <= 2.0


def test_booth_simulate_with_ambient_changes_keeps_the_face_in_the_kept_take(tmp_path):
    """The same check end to end: the kiosk's own light wiring, `ambient` in a script."""

    config = tmp_path / "booth.toml"
    config.write_text("[recording]\nwidth = 320\nheight = 240\nbitrate_bps = 1_500_000\n")
    script = tmp_path / "s.txt"
    script.write_text(
        "ambient 200\npress start\ntype 123456\npress confirm\npress next\npress accept\n"
        "wait 3\npress next\nwait 10.4\npress next\npress next\npress next\npress record\n"
        "wait 3\nexpect recording\nwait 3\nambient 210\nwait 2\nambient 220\nwait 2\n"
        "ambient 232\nwait 2\nambient 244\nwait 3\npress stop\npress keep\n"
    )
    out = tmp_path / "out"
    assert simulate_booth(config, script, out) == 0
    events = read_events(out)
    assert [e["lux"] for e in events if e["event"] == "ambient"] == [200, 210, 220, 232, 244]
    (take,) = out.glob("spool/*/q1-take1.mp4")
    with av.open(str(take)) as container:
        faces = np.array(
            [face_luma(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
        )
    assert len(faces) >= 11 * FPS
    assert take_change_pct(faces) <= 2.0


def door_script() -> str:
    """`booth simulate` script: a take in which a door to a lit corridor swings open and,
    4 s later, shut, following the `door` scenario's light (`ambient` every 0.1 s while it
    swings), with the time it stands open shortened to keep the test quick."""
    door = SCENARIOS["door"]
    opened, shut = DOOR_OPEN_S

    def swing(start: float) -> str:
        steps = [door.lux(start + k / 10) for k in range(-1, 18)]
        return "".join(f"ambient {lux:.1f}\nwait 0.1\n" for lux in steps)

    return (
        f"ambient {door.lux(0.0):.1f}\npress start\ntype 123456\npress confirm\npress next\n"
        "press accept\nwait 3\npress next\nwait 10.4\npress next\npress next\npress next\n"
        "press record\nwait 3\nexpect recording\nwait 2\n"
        + swing(opened)
        + "wait 2\n"
        + swing(shut)
        + "wait 1.5\npress stop\npress keep\n"
    )


def test_booth_simulate_keeps_the_face_within_2_percent_while_a_door_opens_and_shuts(tmp_path):
    """The door of the benchmark, end to end: a 33 % brighter room within 1.5 s, and back.

    Measured: 0.6 %; 2.5 % with auto-exposure running through the take, 2.3 % with the
    exposure locked but no gain trim (the ring alone, at 2 %/s, is too slow for the swing).
    """

    config = tmp_path / "booth.toml"
    config.write_text("[recording]\nwidth = 320\nheight = 240\nbitrate_bps = 1_500_000\n")
    script = tmp_path / "door.txt"
    script.write_text(door_script())
    out = tmp_path / "out"
    assert simulate_booth(config, script, out) == 0

    events = read_events(out)
    lux = [e["lux"] for e in events if e["event"] == "ambient"]
    assert min(lux) == 180.0 and max(lux) == 240.0
    (take,) = out.glob("spool/*/q1-take1.mp4")
    with av.open(str(take)) as container:
        faces = np.array(
            [face_luma(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
        )
    assert len(faces) >= 9 * FPS  # 2 s, the door, 2 s open, the door, 1.5 s
    assert take_change_pct(faces) <= 2.0
