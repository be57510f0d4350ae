"""The kiosk's state record: a kiosk counts as running while its process lives and its
heartbeat (real wall-clock time, also in a simulated run) is fresh."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

from booth.state import STALE_SECONDS, STATE_FILE, KioskState, read_state


def record(**fields) -> KioskState:
    values = dict(
        activity="session",
        screen="recording",
        fault=None,
        updated="2030-01-01T09:00:00+00:00",  # virtual time, as a simulated run writes it
        idle_since=None,
        pid=os.getpid(),
    )
    return KioskState(**{**values, **fields})


def test_a_fresh_record_of_a_live_process_is_a_running_kiosk(tmp_path):
    record().write(tmp_path)
    state = read_state(tmp_path)
    assert state is not None and state.running
    assert abs(state.heartbeat - time.time()) < 5


def test_a_live_pid_with_an_old_heartbeat_is_a_stopped_kiosk():
    """A kiosk that crashed leaves its record; its pid may belong to another process now."""
    now = time.time()
    assert record(heartbeat=now - 1).running_at(now)
    assert record(heartbeat=now - STALE_SECONDS + 0.5).running_at(now)
    assert not record(heartbeat=now - STALE_SECONDS - 0.5).running_at(now)
    assert not record(heartbeat=now - 86_400).running
    # The clock was set back after the record was written: a running kiosk would rewrite it.
    assert not record(heartbeat=now + 3600).running_at(now)


def test_a_dead_pid_or_a_stopped_record_is_a_stopped_kiosk():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not record(pid=child.pid).running
    assert not record(activity="stopped").running


def test_a_record_from_before_heartbeats_is_judged_by_when_its_file_was_written(tmp_path):
    old = dataclasses.asdict(record())
    del old["heartbeat"]
    path = tmp_path / STATE_FILE
    path.write_text(json.dumps(old), encoding="utf-8")
    state = read_state(tmp_path)
    assert state is not None and state.running
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    state = read_state(tmp_path)
    assert state is not None and not state.running
    assert abs(state.heartbeat - an_hour_ago) < 1


def test_an_unreadable_record_is_no_record(tmp_path):
    path = tmp_path / STATE_FILE
    for text in ("[1, 2]", '{"activity": "idle"}', "not json"):
        path.write_text(text, encoding="utf-8")
        assert read_state(tmp_path) is None
    fields = {**dataclasses.asdict(record()), "heartbeat": "yesterday"}
    path.write_text(json.dumps(fields), encoding="utf-8")
    assert read_state(tmp_path) is None
