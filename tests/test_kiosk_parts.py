"""The kiosk's parts: its inputs are made before the devices that post to them, the devices
before the kiosk, the state record keeps its times between writes, and the booth's own error
holds until staff change the interviews."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLE_INTERVIEWS, read_events
from sim_support import reset_sim_pins

from booth.config.settings import load_settings
from booth.devices.microphone import AudioChunk
from booth.kiosk.health import Fault
from booth.kiosk.inputs import BUTTON, Inputs
from booth.kiosk.state_record import StateRecord
from booth.sim.booth import build_sim_booth
from booth.sim.clock import VirtualClock
from booth.sim.pins import sim_pin_factory
from booth.sim.simulate import headless_display
from booth.state import read_state


def test_actions_come_out_in_the_order_they_were_posted_from_any_thread() -> None:
    inputs = Inputs()
    inputs.post("start")
    thread = threading.Thread(target=inputs.post_button, args=("next",))
    thread.start()
    thread.join()
    inputs.post("digit", "1")
    assert list(inputs.actions()) == [("start", None), (BUTTON, "next"), ("digit", "1")]
    assert list(inputs.actions()) == []


def test_the_microphone_chunks_are_handed_over_once_oldest_first() -> None:
    inputs = Inputs()
    chunks = [AudioChunk(np.zeros((4, 1), dtype=np.int16), n, 48_000) for n in (10, 20)]
    for chunk in chunks:
        inputs.on_audio(chunk)
    assert [c.timestamp_ns for c in inputs.audio()] == [10, 20]
    assert inputs.audio() == []


def test_the_state_record_keeps_since_when_the_booth_is_idle_until_a_session(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    record = StateRecord(tmp_path, clock)
    record.write("idle", None)
    clock.advance(60)
    record.write("idle", None)
    first = read_state(tmp_path)
    assert first is not None and first.idle_since == "2026-12-07T09:00:00+00:00"
    assert first.occupancy_since == "2026-12-07T09:00:00+00:00"
    clock.advance(60)
    record.write("welcome", Fault("disk", "full"))
    busy = read_state(tmp_path)
    assert busy is not None and busy.activity == "session" and busy.idle_since is None
    assert busy.occupancy_since == "2026-12-07T09:02:00+00:00" and busy.fault_id == "disk"


@pytest.mark.slow
def test_the_kiosk_is_built_with_its_buttons_and_reader_posting_to_its_inputs(
    small_booth: Path, tmp_path: Path
) -> None:
    reset_sim_pins()
    settings = load_settings(small_booth)
    booth = build_sim_booth(
        settings, EXAMPLE_INTERVIEWS, tmp_path / "out", headless_display((320, 240))
    )
    kiosk = booth.kiosk
    try:
        assert kiosk.devices.mic is booth.reader and kiosk.health.mic is booth.reader
        with pytest.raises(dataclasses.FrozenInstanceError):
            kiosk.devices.buttons = None  # type: ignore[misc]
        assert kiosk.flow.screen == "idle"
        sim_pin_factory().pin(settings.devices.buttons.next).drive_low()  # "next" on idle
        booth.run_for(0.5)
        assert kiosk.flow.screen != "idle"
        assert booth.reader.chunks > 0  # the reader ran, feeding the kiosk's inputs
    finally:
        booth.close()
        reset_sim_pins()


@pytest.mark.slow
def test_a_software_fault_holds_until_staff_change_the_interviews(
    small_booth: Path, tmp_path: Path
) -> None:
    interviews = tmp_path / "interviews"
    shutil.copytree(EXAMPLE_INTERVIEWS, interviews)
    settings = load_settings(small_booth)
    booth = build_sim_booth(settings, interviews, tmp_path / "out", headless_display((320, 240)))
    kiosk = booth.kiosk
    try:
        kiosk.software_failed(ValueError("a clip the booth cannot show"), "frame")
        booth.run_for(2)  # the devices are fine, but the booth's own error holds
        assert kiosk.flow.screen == "out-of-order" and kiosk.fault is not None
        assert kiosk.fault.id == "software"
        toml = next(interviews.glob("*/interview.toml"))
        os.utime(toml, ns=(toml.stat().st_atime_ns, toml.stat().st_mtime_ns + 10**9))
        booth.run_for(2)  # staff changed the content: tried again
        assert kiosk.fault is None and kiosk.flow.screen == "idle"
    finally:
        booth.close()
    loaded = [e for e in read_events(tmp_path / "out") if e["event"] == "interviews.loaded"]
    assert len(loaded) == 1
