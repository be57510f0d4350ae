"""The sync agent on a real spool and a real tus server: it uploads only while the booth is
idle, stops within a second of a candidate arriving, never touches open sessions, deletes only
what the server confirmed once retention has passed, and reports through `booth sync --once`
and the status summary."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time

import pytest
from sync_support import (
    assert_server_holds_exactly,
    booth_config,
    expected_files,
    finished_session,
    make_agent,
    publish_kiosk,
    start_server,
    sync_parser,
    write_token,
)

from booth.cli.main import UserError
from booth.config.errors import ConfigError
from booth.config.settings import load_settings
from booth.state import STALE_SECONDS, read_state
from booth.sync.status import status_lines, sync_status

pytestmark = pytest.mark.external


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_nothing_is_uploaded_while_a_candidate_is_in_the_booth(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, idle_seconds=60)
        session = finished_session(tmp_path / "spool")
        agent = make_agent(config)
        publish_kiosk(tmp_path / "state", "session")
        result = agent.run_once()
        assert not result.ok and "candidate session is in progress" in result.reason
        publish_kiosk(tmp_path / "state", "idle", idle_for=10)
        result = agent.run_once()
        assert not result.ok and "the booth has been idle for 1" in result.reason
        assert result.reason.endswith(" s of 60 s")
        assert server.requests() == []
        publish_kiosk(tmp_path / "state", "idle", idle_for=61)
        assert agent.run_once().ok
        assert not session.dir.exists()


def test_a_stopped_kiosk_counts_as_idle_whatever_its_last_record_says(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, idle_seconds=600)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        publish_kiosk(tmp_path / "state", "session", pid=dead_pid())
        assert make_agent(config).run_once().ok
        assert_server_holds_exactly(server, expected)


def test_a_crashed_kiosk_whose_pid_lives_on_holds_uploads_back_only_until_its_heartbeat_is_stale(
    tmp_path,
):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, idle_seconds=600)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        # The kiosk died in a session; its pid now belongs to another process (this one).
        publish_kiosk(tmp_path / "state", "session")
        agent = make_agent(config)
        result = agent.run_once()
        assert not result.ok and "candidate session is in progress" in result.reason
        last = read_state(tmp_path / "state")
        stale = dataclasses.replace(last, heartbeat=time.time() - STALE_SECONDS - 1)
        stale.write(tmp_path / "state")
        assert agent.run_once().ok
        assert_server_holds_exactly(server, expected)


def test_uploading_waits_for_the_upload_windows(tmp_path):
    with start_server(tmp_path / "server") as server:
        hour = time.localtime().tm_hour
        window = f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"
        config = booth_config(tmp_path, server.url, windows=[window])
        finished_session(tmp_path / "spool")
        result = make_agent(config).run_once()
        assert not result.ok and f"outside the upload windows ({window})" in result.reason
        assert server.requests() == []


def test_the_agent_stops_within_a_piece_of_a_session_starting(tmp_path):
    """It looks between the 64 KiB pieces of a chunk, each a third of a second at this rate:
    at most two more go out, well within the second it has (measured against the clock by
    `python -m bench sync_upload`)."""
    with start_server(tmp_path / "server") as server:
        config = booth_config(
            tmp_path, server.url, max_bytes_per_second=200_000, chunk_bytes=1_000_000
        )
        session = finished_session(tmp_path / "spool", take_sizes=(2_000_000,))
        publish_kiosk(tmp_path / "state", "idle")
        agent = make_agent(config)
        pieces: list[int] = []  # one per piece about to be sent, in the order they go out
        uploading = threading.Event()
        take = agent.rate.take

        def counted(n: int) -> None:
            take(n)
            pieces.append(n)
            if len(pieces) == 3:  # in the middle of the first chunk
                uploading.set()

        agent.rate.take = counted  # type: ignore[method-assign]
        results = []
        runner = threading.Thread(target=lambda: results.append(agent.run_once()))
        runner.start()
        assert uploading.wait(timeout=10)
        before = len(pieces)
        publish_kiosk(tmp_path / "state", "session")
        runner.join(timeout=10)
        assert not runner.is_alive()
        assert len(pieces) - before <= 2, pieces
        assert not results[0].ok and "candidate session started" in results[0].reason
        time.sleep(0.3)
        # Nothing goes out behind its back: the server got only pieces it sent before it stopped.
        assert sum(r["bytes"] for r in server.requests()) <= sum(pieces)
        assert session.dir.exists()


def test_sessions_still_being_recorded_are_never_touched(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        open_one = finished_session(tmp_path / "spool", status="recording")
        before = {p.name: p.read_bytes() for p in open_one.dir.iterdir()}
        done = finished_session(tmp_path / "spool", minutes=10)
        expected = expected_files(done)
        assert make_agent(config).run_once().ok
        assert_server_holds_exactly(server, expected)
        assert {p.name: p.read_bytes() for p in open_one.dir.iterdir()} == before


def test_confirmed_sessions_are_deleted_only_after_the_retention_time(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, retention_hours=2)
        session = finished_session(tmp_path / "spool")
        now = [time.time()]
        agent = make_agent(config, clock=lambda: now[0])
        assert agent.run_once().ok
        assert session.dir.exists()
        now[0] += 3600
        assert agent.delete_confirmed() == []
        now[0] += 3601
        assert agent.delete_confirmed() == [session.session_id]
        assert not session.dir.exists()
        assert sync_status(load_settings(config))["sessions"]["confirmed"] == 0


def test_an_unconfirmed_file_is_never_deleted_however_old(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, max_bytes_per_second=300_000)
        session = finished_session(tmp_path / "spool", take_sizes=(50_000, 400_000))
        now = [time.time()]

        def candidate_arrives(file, offset):
            if file.name == "q2-take1.mp4":
                publish_kiosk(tmp_path / "state", "session")

        agent = make_agent(config, clock=lambda: now[0], progress=candidate_arrives)
        assert not agent.run_once().ok  # the first take is confirmed, the second is not
        now[0] += 10 * 365 * 86400
        assert agent.delete_confirmed() == []
        assert sorted(p.name for p in session.dir.iterdir()) == [
            "manifest.json",
            "q1-take1.mp4",
            "q2-take1.mp4",
        ]
        status = sync_status(load_settings(config))
        assert status["sessions"] == {"pending": 0, "uploading": 1, "confirmed": 0}
        assert status["files"] == {"pending": 1, "uploading": 1, "confirmed": 1}
        assert status["bytes"]["confirmed"] == 50_000
        assert 0 < status["sent_bytes"] < 400_000
        assert "candidate session started" in status["last_error"]["message"]
        assert status["last_success"]["message"].endswith("q1-take1.mp4")
        assert any(line.startswith("  uploading") for line in status_lines(status))


def test_a_token_file_readable_by_others_is_refused_with_the_fix(tmp_path):
    config = booth_config(tmp_path, "http://127.0.0.1:9/files/")
    write_token(tmp_path / "token", mode=0o644)
    finished_session(tmp_path / "spool")
    with pytest.raises(ConfigError) as caught:
        make_agent(config).run_once()
    problem = caught.value.problems[0]
    assert problem.file == config and problem.key == "sync.token_file"
    assert "readable or writable by others" in problem.message and "chmod" in problem.expected
    args = sync_parser().parse_args(["sync", "--once", "--config", str(config)])
    with pytest.raises(UserError, match="token_file"):
        args.func(args)


def test_sync_once_exits_0_when_everything_is_confirmed_and_1_with_the_reason(tmp_path, capsys):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, retention_hours=1)
        finished_session(tmp_path / "spool")
        args = sync_parser().parse_args(["sync", "--once", "--config", str(config)])
        assert args.func(args) == 0
        assert "confirmed" in capsys.readouterr().out
        port = server.port
    finished_session(tmp_path / "spool", minutes=10)
    assert f":{port}/" in server.url
    assert args.func(args) == 1  # the server is gone
    out = capsys.readouterr().out
    assert "still pending" in out and "gave up after" in out


def test_sync_without_a_url_tells_staff_what_to_set(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text("[sync]\nretention_hours = 1\n", encoding="utf-8")
    args = sync_parser().parse_args(["sync", "--once", "--config", str(config)])
    with pytest.raises(UserError, match=r"sync.url: not set"):
        args.func(args)


def test_a_ca_file_that_is_no_certificate_bundle_is_reported_with_the_setting(tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate\n", encoding="utf-8")
    config = booth_config(tmp_path, "https://127.0.0.1:9/files/", ca_file=str(tmp_path / "ca.pem"))
    session = finished_session(tmp_path / "spool")
    result = make_agent(config).run_once()
    assert not result.ok
    assert "sync.ca_file" in result.reason and "not a usable CA bundle" in result.reason
    assert session.dir.exists()
