"""The occupied light outside the door: on in a session, blinking while recording, off when the
booth is free or the kiosk is gone (also after a kill -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLE_INTERVIEWS, ROOT, simulate_booth
from conftest import read_events as events
from gpiozero import Device

from booth.cli.main import main
from booth.config.errors import ConfigError
from booth.config.settings import load_settings
from booth.devices.occupied import BLINK, OFF, ON, OccupiedLight
from booth.devices.pi_world import PiWorld
from booth.occupied.watch import OccupiedWatch, light_mode
from booth.sim.devices import SimulatedWorld
from booth.sim.pins import sim_pin_factory
from booth.state import KioskState, Occupancy, occupancy

pytestmark = pytest.mark.timeout(90)

PIN = 26
SETTINGS = (
    'booth_id = "test-booth"\n'
    f"[devices]\noccupied_pin = {PIN}\noccupied_blink_while_recording = true\n"
    "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\ndisk_margin_bytes = 0\n"
)

# A candidate practises once: the first action (practice), the check, a take, review, idle again.
PRACTICE_SESSION = """
expect idle
wait 1
press practice
expect check
press next
expect practice
wait 1
press record
expect think
press record                # start now
expect countdown
wait 3
expect recording
wait 3
press stop
expect review
press next                  # a practice-only session ends here
expect idle
wait 1
"""


@pytest.fixture
def pins():
    factory = sim_pin_factory()
    yield factory
    Device.pin_factory.reset()


# ------------------------------------------------------------------------- the light itself
def test_the_light_is_off_until_shown_and_on_when_told(pins):
    light = OccupiedLight(PIN)
    assert pins.pin(PIN).state == 0
    light.show(ON, 0.0)
    assert pins.pin(PIN).state == 1 and light.lit
    light.show(OFF, 0.1)
    assert pins.pin(PIN).state == 0
    light.close()


def test_blinking_is_lit_the_first_half_of_each_second_from_when_it_began(pins):
    light = OccupiedLight(PIN)
    lit = []
    for tenth in range(20):
        light.show(BLINK, 100.0 + tenth / 10)
        lit.append(light.lit)
    assert lit == ([True] * 5 + [False] * 5) * 2
    light.close()
    assert pins.pin(PIN).state == 0  # closing leaves it off


def test_a_mode_the_light_has_not_is_refused(pins):
    light = OccupiedLight(PIN)
    with pytest.raises(ValueError, match="not one of"):
        light.show("dim", 0.0)
    light.close()


def test_light_mode_follows_occupancy_and_the_blink_setting():
    assert light_mode(Occupancy(False, None), True) == OFF
    assert light_mode(Occupancy(True, "x"), True) == ON
    assert light_mode(Occupancy(True, "x", recording=True), True) == BLINK
    assert light_mode(Occupancy(True, "x", recording=True), False) == ON


def _record(activity: str, screen: str, **fields) -> KioskState:
    return KioskState(
        activity, screen, None, "2026-12-01T10:00:00+01:00", None, os.getpid(), **fields
    )


def test_occupancy_is_free_when_the_kiosk_stopped_or_its_heartbeat_is_stale():
    now = time.time()
    session = _record("session", "recording", occupancy_since="2026-12-01T09:58:00+01:00")
    assert occupancy(session, now) == Occupancy(True, "2026-12-01T09:58:00+01:00", True)
    stale = _record("session", "question", heartbeat=now - 60)
    assert occupancy(stale, now) == Occupancy(False, stale.updated)
    assert occupancy(_record("stopped", "done"), now).occupied is False
    assert occupancy(None, now) == Occupancy(False, None)


# ------------------------------------------------------------------------------ settings
def test_settings_default_to_no_occupied_light():
    devices = load_settings(None).devices
    assert devices.occupied_pin is None and devices.occupied_blink_while_recording is False


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("occupied_pin = 18\n", "devices.occupied_pin: GPIO18 is also devices.light_pin"),
        ("occupied_pin = 17\n", "devices.occupied_pin: GPIO17 is also devices.buttons.record"),
        ("occupied_pin = 40\n", "devices.occupied_pin: 40 is out of range"),
        ('occupied_pin = "26"\n', "devices.occupied_pin: is a str"),
        ("occupied_blink_while_recording = 1\n", "devices.occupied_blink_while_recording"),
    ],
)
def test_bad_occupied_settings_name_the_file_and_line(tmp_path, lines, message):
    path = tmp_path / "booth.toml"
    path.write_text(f'booth_id = "b"\n[devices]\n{lines}')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert f"{path}:3: {message}" in text, text


def test_a_button_led_on_the_occupied_pin_is_a_clash(tmp_path):
    path = tmp_path / "booth.toml"
    path.write_text(
        'booth_id = "b"\n[devices]\noccupied_pin = 24\n[devices.buttons]\nnext_led = 24\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "is also devices.buttons.next_led" in str(caught.value.problems[0])


def test_config_check_reports_the_clash_with_file_and_line(tmp_path, capsys):
    path = tmp_path / "booth.toml"
    path.write_text('booth_id = "b"\n[devices]\nlight_pin = 18\noccupied_pin = 18\n')
    code = main(["config", "check", "--config", str(path), "--interviews", str(EXAMPLE_INTERVIEWS)])
    captured = capsys.readouterr()
    assert code != 0
    assert f"{path}:4: devices.occupied_pin: GPIO18 is also devices.light_pin" in (
        captured.out + captured.err
    )


# --------------------------------------------------------------------------- simulation
def _pin_edges(states) -> list[bool]:
    """The pin's levels in order, each change once (gpiozero's MockPin keeps every write)."""
    edges: list[bool] = []
    for s in states:
        if not edges or edges[-1] != bool(s.state):
            edges.append(bool(s.state))
    return edges


@pytest.mark.slow
def test_a_whole_session_lights_blinks_and_clears_the_door_light(tmp_path, pins):
    config = tmp_path / "booth.toml"
    config.write_text(SETTINGS)
    out = tmp_path / "out"
    assert simulate_booth(config, PRACTICE_SESSION, out) == 0
    log = events(out)
    light = [(e["t"], e["light"]) for e in log if e["event"] == "occupied.light"]
    screens = {e["screen"]: e["t"] for e in log if e["event"] == "screen"}
    take = next(e for e in log if e["event"] == "take.start")
    stop = next(e for e in log if e["event"] == "take.stop")
    # On at the candidate's first action, blinking exactly while the take records, on again for
    # the review, off when the booth is idle again: nothing before, nothing after.
    assert light == [
        (screens["check"], ON),
        (take["t"], BLINK),
        (stop["t"], ON),
        (screens["idle"], OFF),
    ]
    assert all(e["pin"] == PIN for e in log if e["event"] == "occupied.light")
    # The mock pin itself: lit from the first action, dark in the second half of each second of
    # the 3 s take (three times), lit again after it, then off.
    assert _pin_edges(pins.pin(PIN).states) == [False] + [True, False] * 4
    # `booth status` from the record the run left behind.
    state = json.loads((out / "state" / "kiosk.json").read_text())
    assert state["occupancy_since"] is not None


def test_without_occupied_pin_the_simulator_has_no_door_light(tmp_path, small_booth):
    out = tmp_path / "out"
    assert simulate_booth(small_booth, "press practice\nwait 1\n", out) == 0
    assert not [e for e in events(out) if e["event"] == "occupied.light"]


@pytest.mark.slow
def test_a_kiosk_killed_mid_session_does_not_leave_the_light_on(tmp_path, pins):
    """The kiosk (`booth simulate`, a process of its own) sits in a session; the light's owner
    (here, in the test's process, as booth-occupied is on a booth) lights the lamp; kill -9 of
    the kiosk, and the next poll puts it out."""
    config = tmp_path / "booth.toml"
    config.write_text(SETTINGS + "[timing]\ninactivity_seconds = 3600\n")
    script = tmp_path / "long.txt"
    script.write_text("press practice\nwait 3600\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "booth", "simulate", "--config", str(config)]
    args += ["--interviews", str(EXAMPLE_INTERVIEWS), "--headless", "--script", str(script)]
    kiosk = subprocess.Popen([*args, "--out", str(out)], env=env, stderr=subprocess.PIPE)
    watch = OccupiedWatch(OccupiedLight(PIN), out / "state", blink_while_recording=True)
    try:
        deadline = time.monotonic() + 60
        while watch.poll(time.time(), time.monotonic()) != ON:
            assert kiosk.poll() is None, kiosk.stderr.read() if kiosk.stderr else ""
            assert time.monotonic() < deadline, "the kiosk never opened a session"
            time.sleep(0.05)
        assert pins.pin(PIN).state == 1
        state = json.loads((out / "state" / "kiosk.json").read_text())
        assert state["activity"] == "session" and state["pid"] == kiosk.pid
        kiosk.send_signal(signal.SIGKILL)
        kiosk.wait()  # reaped, as systemd reaps a service's process
        assert watch.poll(time.time(), time.monotonic()) == OFF
        assert pins.pin(PIN).state == 0
        # The record still says "session": only the owner's check of the kiosk puts it out.
        assert json.loads((out / "state" / "kiosk.json").read_text())["activity"] == "session"
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
        watch.close()


# ------------------------------------------------------------------------------- staff
def test_status_says_occupied_or_free_and_since_when(tmp_path, capsys):
    out = tmp_path / "out"
    config = tmp_path / "booth.toml"
    config.write_text(
        SETTINGS + f'[paths]\ninterviews = "{EXAMPLE_INTERVIEWS}"\nspool = "{out}/spool"\n'
        f'state = "{out}/state"\n'
    )
    state = out / "state"
    _record("session", "recording", occupancy_since="2026-12-01T09:58:00+01:00").write(state)
    assert main(["status", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert (
        "booth: OCCUPIED, recording a take since 2026-12-01T09:58:00+01:00 "
        f"(occupied light on GPIO{PIN}: on)"
    ) in text
    _record("idle", "idle", occupancy_since="2026-12-01T10:05:00+01:00").write(state)
    assert main(["status", "--config", str(config), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["occupancy"] == {
        "occupied": False,
        "since": "2026-12-01T10:05:00+01:00",
        "recording": False,
        "light_pin": PIN,
    }


def test_booth_occupied_without_a_pin_exits_at_once(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text('booth_id = "b"\n')
    assert main(["occupied", "--config", str(config)]) == 0
    assert "no [devices] occupied_pin set" in capsys.readouterr().out
    assert main(["occupied", "--config", str(config), "--fitted"]) == 1  # the unit is skipped
    config.write_text(f'booth_id = "b"\n[devices]\noccupied_pin = {PIN}\n')
    assert main(["occupied", "--config", str(config), "--fitted"]) == 0


def test_booth_occupied_off_switches_the_light_off(tmp_path, pins):
    config = tmp_path / "booth.toml"
    config.write_text(f'booth_id = "b"\n[devices]\nbackend = "sim"\noccupied_pin = {PIN}\n')
    assert main(["occupied", "--config", str(config), "--off"]) == 0
    assert pins.pin(PIN).state == 0


def test_the_unit_switches_the_light_off_after_any_stop():
    unit = (ROOT / "deploy" / "systemd" / "booth-occupied.service").read_text()
    assert "ExecStart=/opt/booth/current/bin/booth occupied\n" in unit
    assert "ExecStopPost=/opt/booth/current/bin/booth occupied --off\n" in unit
    assert "ExecCondition=/opt/booth/current/bin/booth occupied --fitted\n" in unit
    assert "DeviceAllow=char-gpiochip rw" in unit and "IPAddressDeny=any" in unit
    # lgpio's notification pipe has a fixed name: not in the kiosk's working directory.
    kiosk = (ROOT / "deploy" / "systemd" / "booth-kiosk.service").read_text()
    assert "WorkingDirectory=/var/lib/booth/state" in kiosk
    assert "WorkingDirectory=/run/booth-occupied" in unit


def test_doctor_names_the_light_and_what_it_should_show(tmp_path, pins):
    from booth.config.settings import Devices
    from booth.doctor.occupied_check import occupied_light_check

    assert occupied_light_check(Devices(), tmp_path, pins, SimulatedWorld.checks).result == "skip"
    devices = Devices(occupied_pin=PIN, occupied_blink_while_recording=True)
    _record("session", "recording", occupancy_since="2026-12-01T09:58:00+01:00").write(tmp_path)
    check = occupied_light_check(devices, tmp_path, pins, SimulatedWorld.checks)
    assert check.result == "pass"
    assert check.detail == (
        f"simulated on mock GPIO{PIN}; it should show blinking: "
        "the booth is occupied since 2026-12-01T09:58:00+01:00"
    )
    # On a booth, a pin that opens means booth-occupied is not driving it.
    check = occupied_light_check(devices, tmp_path, pins, PiWorld.checks)
    assert check.result == "warn" and "systemctl enable --now booth-occupied" in (check.fix or "")
    # Held by its owner: what it should show, and no complaint.
    owner = OccupiedLight(PIN)
    check = occupied_light_check(devices, tmp_path, pins, PiWorld.checks)
    assert check.result == "pass" and check.detail.startswith(f"GPIO{PIN} in use")
    owner.close()


def test_the_service_loop_follows_the_record_until_stopped(tmp_path, pins):
    import threading

    from booth.occupied.watch import run_watch

    watch = OccupiedWatch(OccupiedLight(PIN), tmp_path)
    stop = threading.Event()
    beats: list[float] = []
    loop = threading.Thread(target=run_watch, args=(watch, stop, lambda: beats.append(1)))
    loop.start()
    try:

        def shows(level: int) -> None:
            deadline = time.monotonic() + 10
            while pins.pin(PIN).state != level:
                assert time.monotonic() < deadline, f"the light never showed {level}"
                time.sleep(0.02)

        _record("session", "check").write(tmp_path)
        shows(1)
        _record("stopped", "check").write(tmp_path)  # the kiosk shut down mid-session
        shows(0)
    finally:
        stop.set()
        loop.join()
        watch.close()
    assert beats  # the watchdog is fed on every poll


def test_the_metrics_say_occupied_or_free_and_since_when(tmp_path):
    from datetime import datetime

    from prometheus_client.parser import text_string_to_metric_families

    from booth.config.settings import Paths, Settings
    from booth.metrics.exposition import render
    from booth.metrics.ledger import load_ledger
    from booth.metrics.reading import Board, read_booth
    from booth.timesync import ClockState

    state = tmp_path / "state"
    settings = Settings(
        booth_id="lund-1",
        paths=Paths(interviews=tmp_path / "iv", spool=tmp_path / "spool", state=state),
    )
    board = Board(clock=lambda: ClockState(True, "systemd-timesyncd"))

    def metrics() -> dict[str, float]:
        reading = read_booth(settings, load_ledger(state), time.time(), board)
        families = text_string_to_metric_families(render(reading))
        found = {s.name: s.value for f in families for s in f.samples}
        return {name: v for name, v in found.items() if name.startswith("booth_occ")}

    since = "2026-12-01T09:58:00+01:00"
    _record("session", "recording", occupancy_since=since).write(state)
    assert metrics() == {
        "booth_occupied": 1,
        "booth_occupancy_since_timestamp_seconds": datetime.fromisoformat(since).timestamp(),
    }
    _record("idle", "idle", occupancy_since="2026-12-01T10:05:00+01:00").write(state)
    assert metrics()["booth_occupied"] == 0
    # A kiosk killed mid-session is a free booth, since its last record.
    _record("session", "question", heartbeat=time.time() - 60).write(state)
    assert metrics() == {
        "booth_occupied": 0,
        "booth_occupancy_since_timestamp_seconds": datetime.fromisoformat(
            "2026-12-01T10:00:00+01:00"
        ).timestamp(),
    }
