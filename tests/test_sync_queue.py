"""The [sync] settings, upload windows, backoff and the pure upload queue."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from booth.config.errors import ConfigError
from booth.config.settings import load_settings
from booth.state import KioskState
from booth.sync.agent import backoff_seconds
from booth.sync.config import (
    SyncSettings,
    check_sync,
    in_window,
    next_window_start,
    parse_window,
    sync_settings,
)
from booth.sync.gate import upload_gate
from booth.sync.queue import (
    CONFIRMED,
    PENDING,
    UPLOADING,
    due_for_deletion,
    file_state,
    finished_session,
    session_state,
    summarize,
    upload_order,
)
from booth.sync.store import UploadRecord

MANIFEST = {
    "booth_id": "booth-7",
    "interview_id": "sales-2026",
    "candidate_ref": "cand-42",
    "session_id": "S1",
    "status": "complete",
    "takes": [
        {"question_id": "q2", "take": 2, "file": "q2-take2.mp4", "bytes": 300, "sha256": "b"},
        {"question_id": "q1", "take": 1, "file": "q1-take1.mp4", "bytes": 200, "sha256": "a"},
    ],
}


def record(name: str, length: int, sha256: str, status: str = "uploading", at=None, offset=0):
    return UploadRecord("S1", name, f"http://x/files/{name}", length, sha256, offset, status, at)


def session():
    return finished_session(Path("/spool/S1"), MANIFEST, 120, "m")


def test_takes_go_first_in_answer_order_and_the_manifest_last():
    files = session().files
    assert [f.name for f in files] == ["q2-take2.mp4", "q1-take1.mp4", "manifest.json"]
    assert files[0].metadata == {
        "filename": "q2-take2.mp4",
        "filetype": "video/mp4",
        "booth": "booth-7",
        "interview": "sales-2026",
        "candidate_ref": "cand-42",
        "session": "S1",
        "question": "q2",
        "take": "2",
        "sha256": "b",
    }
    assert files[-1].metadata["sha256"] == "m" and "question" not in files[-1].metadata


def test_a_record_of_other_bytes_counts_as_nothing_uploaded():
    take = session().files[0]
    assert file_state(take, None) == PENDING
    assert file_state(take, record(take.name, 300, "b")) == UPLOADING
    assert file_state(take, record(take.name, 300, "changed", CONFIRMED)) == PENDING
    assert file_state(take, record(take.name, 300, "b", CONFIRMED, 1.0)) == CONFIRMED


def test_only_unconfirmed_files_are_queued_and_a_session_is_confirmed_only_with_its_manifest():
    s = session()
    records = {"q2-take2.mp4": record("q2-take2.mp4", 300, "b", CONFIRMED, 10.0)}
    assert session_state(s, {}) == PENDING
    assert session_state(s, records) == UPLOADING
    queued = upload_order([s], {("S1", k): v for k, v in records.items()})
    assert [f.name for f in queued] == ["q1-take1.mp4", "manifest.json"]
    records["q1-take1.mp4"] = record("q1-take1.mp4", 200, "a", CONFIRMED, 20.0)
    assert session_state(s, records) == UPLOADING
    records["manifest.json"] = record("manifest.json", 120, "m", CONFIRMED, 30.0)
    assert session_state(s, records) == CONFIRMED
    summary = summarize([s], {("S1", k): v for k, v in records.items()})
    assert summary.sessions[CONFIRMED] == 1 and summary.bytes[CONFIRMED] == 620


def test_deletion_waits_for_every_confirmation_and_the_retention_time():
    s = session()
    records = {
        "q2-take2.mp4": record("q2-take2.mp4", 300, "b", CONFIRMED, 10.0),
        "q1-take1.mp4": record("q1-take1.mp4", 200, "a", CONFIRMED, 20.0),
        "manifest.json": record("manifest.json", 120, "m", offset=120),
    }
    assert not due_for_deletion(s, records, 1e12, retention_hours=1)
    records["manifest.json"] = record("manifest.json", 120, "m", CONFIRMED, 30.0)
    assert not due_for_deletion(s, records, 30.0 + 3599, retention_hours=1)
    assert due_for_deletion(s, records, 30.0 + 3600, retention_hours=1)


def test_windows_may_cross_midnight():
    night = (parse_window("22:00-06:00"),)
    assert in_window(night, datetime(2026, 3, 2, 23, 30))
    assert in_window(night, datetime(2026, 3, 2, 5, 59))
    assert not in_window(night, datetime(2026, 3, 2, 6, 0))
    assert in_window((), datetime(2026, 3, 2, 12, 0))
    with pytest.raises(ValueError):
        parse_window("25:00-06:00")


def test_backoff_doubles_up_to_the_ceiling_with_jitter_and_is_never_zero():
    sync = SyncSettings(backoff_seconds=1.0, backoff_max_seconds=60.0)
    rng = random.Random(7).random
    waits = [backoff_seconds(n, sync, rng) for n in range(1, 10)]
    assert 0.5 <= waits[0] <= 1.0 and 4.0 <= waits[3] <= 8.0
    assert all(30.0 <= w <= 60.0 for w in waits[6:])
    assert backoff_seconds(1, sync, lambda: 0.0) == 0.5


def test_a_closed_or_out_of_order_booth_has_no_candidate_to_disturb():
    sync = SyncSettings(idle_seconds=60)
    now = datetime.fromisoformat("2026-03-02T12:00:00+01:00")
    state = KioskState("closed", "closed", None, "2026-03-02T11:59:59+01:00", None, 1)
    assert upload_gate(state, True, sync, now) is None
    busy = KioskState("session", "recording", None, "2026-03-02T11:00:00+01:00", None, 1)
    assert upload_gate(busy, True, sync, now) == "a candidate session is in progress"
    assert upload_gate(busy, False, sync, now) is None


def test_bad_sync_settings_name_the_file_line_key_and_fix(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        '[sync]\nurl = "ftp://x/"\nchunk_bytes = 10\nwindows = ["8-9"]\n'
        'ca_file = "missing.pem"\nspeed = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        sync_settings(load_settings(config))
    problems = {p.key: p for p in caught.value.problems}
    assert set(problems) == {
        "sync.url",
        "sync.chunk_bytes",
        "sync.windows",
        "sync.ca_file",
        "sync.speed",
    }
    assert problems["sync.url"].line == 2 and problems["sync.speed"].line == 6
    assert str(problems["sync.chunk_bytes"]).startswith(f"{config}:3: sync.chunk_bytes")


def test_sync_settings_default_to_always_and_resolve_paths_beside_the_file(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text('[sync]\nurl = "https://example.org/files/"\ntoken_file = "t"\n')
    sync = sync_settings(load_settings(config))
    assert sync.url == "https://example.org/files/" and sync.windows == ()
    assert sync.token_file == tmp_path / "t" and sync.max_bytes_per_second == 0


def test_check_sync_reports_every_problem_booth_sync_would_meet_with_file_and_line(tmp_path):
    config = tmp_path / "booth.toml"
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    token.chmod(0o644)
    config.write_text(
        'booth_id = "b"\n[sync]\nurl = "https://example.org/files/"\n'
        f'token_file = "{token}"\nchunk_bytes = 8388608\nmax_bytes_per_second = 100000\n',
        encoding="utf-8",
    )
    problems = check_sync(load_settings(config))
    assert [(p.key, p.line) for p in problems] == [("sync.chunk_bytes", 5)]
    assert "watchdog" in problems[0].message and "at most 2000000 bytes" in problems[0].expected
    config.write_text(config.read_text().replace("100000", "0"), encoding="utf-8")
    problems = check_sync(load_settings(config))
    assert [(p.key, p.line) for p in problems] == [("sync.token_file", 4)]
    assert "chmod" in problems[0].expected
    token.chmod(0o600)
    assert check_sync(load_settings(config)) == []
    token.write_text("two tokens\n")
    assert [p.key for p in check_sync(load_settings(config))] == ["sync.token_file"]
    # Settings are checked before the token is installed (deploy/ansible): not a problem yet.
    token.unlink()
    assert check_sync(load_settings(config)) == []


def test_config_check_includes_the_sync_table(tmp_path, capsys):
    from booth.cli.main import main

    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\ninterviews = "{tmp_path}"\n[sync]\nurl = "ftp://x"\n'
        'windows = ["25:00-26:00"]\nca_file = "missing.pem"\n',
        encoding="utf-8",
    )
    assert main(["config", "check", "--config", str(config)]) == 2
    lines = capsys.readouterr().out.splitlines()
    lines = [line for line in lines if not line.startswith("warning: ")]  # no [help]
    assert lines == [
        f"{config}:4: sync.url: 'ftp://x' is not an http(s) URL (like https://example.org/files/)",
        f"{config}:5: sync.windows: item 1: '25:00-26:00' is not a time of day "
        '(a span like "22:00-06:00")',
        f"{config}:6: sync.ca_file: {tmp_path / 'missing.pem'} does not exist "
        "(the path of an existing file)",
    ]


def test_a_file_set_aside_waits_for_the_start_of_the_next_window():
    windows = (parse_window("22:00-06:00"), parse_window("12:00-13:00"))
    now = datetime.fromisoformat("2026-03-02T23:10:00+01:00")
    assert next_window_start(windows, now) == datetime.fromisoformat("2026-03-03T12:00:00+01:00")
    now = datetime.fromisoformat("2026-03-02T12:30:00+01:00")
    assert next_window_start(windows, now) == datetime.fromisoformat("2026-03-02T22:00:00+01:00")


def test_an_origin_is_scheme_host_and_port_with_the_default_port_filled_in():
    from booth.sync.tus import origin

    assert origin("https://Example.org/files/") == origin("https://example.org:443/x")
    assert origin("http://example.org/files/") == ("http", "example.org", 80)
    assert origin("http://[::1]:1080/files/") == ("http", "::1", 1080)
    assert origin("https://example.org/") != origin("http://example.org/")
    assert origin("https://example.org/") != origin("https://example.org:8443/")
    assert origin("https://example.org/") != origin("https://example.org.evil/")
    assert origin("https://example.org:x/")[2] == -1  # not a port: matches nothing real
