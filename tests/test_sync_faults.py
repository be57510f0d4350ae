"""Uploads against a real @tus/server on loopback, through every fault a booth's network has:
after each, every file on the server is byte-identical, none is there twice, and nothing was
deleted from the booth before the server confirmed it."""

from __future__ import annotations

import threading
import time

import pytest
from sync_support import (
    CHUNK,
    TOKEN,
    assert_server_holds_exactly,
    booth_config,
    expected_files,
    finished_session,
    make_agent,
    publish_kiosk,
    start_server,
    write_token,
)

from booth.sync.store import UploadStore

pytestmark = pytest.mark.external


def test_a_finished_session_arrives_whole_with_its_metadata_and_the_manifest_last(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        agent = make_agent(config)
        result = agent.run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        by_name = {u["metadata"]["filename"]: u for u in server.uploads().values()}
        take = by_name["q1-take1.mp4"]["metadata"]
        assert take["booth"] == "booth-7"
        assert (take["interview"], take["candidate_ref"]) == ("sales-2026", "cand-42")
        assert (take["session"], take["question"], take["take"]) == (session.session_id, "q1", "1")
        assert take["filetype"] == "video/mp4"
        assert by_name["manifest.json"]["metadata"]["filetype"] == "application/json"
        # The manifest is created only after every take has arrived whole.
        patches = [r for r in server.requests() if r["method"] in ("POST", "PATCH")]
        manifest_id = by_name["manifest.json"]["id"]
        first_manifest = next(i for i, r in enumerate(patches) if r["path"].endswith(manifest_id))
        last_take = max(
            i for i, r in enumerate(patches) if not r["path"].endswith((manifest_id, "/files/"))
        )
        assert last_take < first_manifest - 1  # the manifest's POST comes between them
        # retention_hours = 0: confirmed, so deleted from the booth.
        assert result.deleted == (session.session_id,)
        assert not session.dir.exists()


def test_the_server_killed_mid_file_and_restarted_is_resumed_from_its_offset(tmp_path):
    server = start_server(tmp_path / "server")
    try:
        config = booth_config(tmp_path, server.url, backoff_seconds=0.2, backoff_max_seconds=1)
        session = finished_session(tmp_path / "spool", take_sizes=(5 * CHUNK + 123,))
        expected = expected_files(session)
        killed_at = []

        def progress(file, offset):
            if not killed_at and offset >= 2 * CHUNK:
                server.kill()  # as a power cut would, in the middle of the take
                killed_at.append(offset)
                assert session.dir.exists()
                threading.Timer(0.3, server.start).start()

        result = make_agent(config, progress=progress).run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        # The restarted server saw only the bytes it did not have: nothing was sent twice.
        take = next(u for u in server.uploads().values() if u["metadata"].get("take") == "1")
        patched = sum(r["bytes"] for r in server.requests() if r["path"].endswith(take["id"]))
        assert patched == take["size"] - killed_at[0]
        assert not session.dir.exists()
    finally:
        server.stop()


def test_connection_resets_in_the_middle_of_a_chunk_are_resumed(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        server.inject({"kind": "reset", "method": "PATCH", "after_bytes": 10_000, "count": 3})
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        assert sum(r["status"] == 0 for r in server.requests()) == 3  # the reset requests


def test_server_errors_are_retried_after_a_pause(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        server.inject(
            {"kind": "status", "code": 500, "method": "POST"},
            {"kind": "status", "code": 500, "method": "PATCH", "count": 2},
        )
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        assert sum(r["status"] == 500 for r in server.requests()) == 3


def test_a_server_slower_than_the_timeout_is_given_up_on_and_tried_again(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, timeout_seconds=1)
        session = finished_session(tmp_path / "spool", take_sizes=(100_000,))
        expected = expected_files(session)
        server.inject({"kind": "slow", "method": "PATCH", "delay_ms": 20_000})
        agent = make_agent(config)
        result = agent.run_once()
        assert result.ok, result.reason
        assert "no answer within 1 s" in agent.store.last("error").message
        # It did not wait for the slow answer: the server has not given it yet.
        patches = [r["status"] for r in server.requests() if r["method"] == "PATCH"]
        assert patches[0] == 0 and 204 in patches[1:], patches
        # Whatever the slow server does with that chunk later, the client went on from the
        # offset HEAD reported, so nothing is doubled.
        assert_server_holds_exactly(server, expected)


def test_an_upload_the_server_forgot_is_sent_again_from_the_start(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, max_bytes_per_second=300_000)
        session = finished_session(tmp_path / "spool", take_sizes=(400_000, 50_000))
        expected = expected_files(session)
        state_dir = tmp_path / "state"

        def candidate_arrives(file, offset):
            publish_kiosk(state_dir, "session")

        agent = make_agent(config, progress=candidate_arrives)
        assert not agent.run_once().ok
        assert [u["offset"] for u in server.uploads().values()] != []
        for path in server.store_dir.iterdir():  # the server loses everything it had
            path.unlink()
        publish_kiosk(state_dir, "idle")
        agent.hooks.progress = None
        agent.rate.bytes_per_second = 0
        result = agent.run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        assert any(r["method"] == "HEAD" and r["status"] == 404 for r in server.requests())


def test_a_410_gone_on_resume_also_starts_the_file_again(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, max_bytes_per_second=300_000)
        session = finished_session(tmp_path / "spool", take_sizes=(400_000,))
        state_dir = tmp_path / "state"
        agent = make_agent(config, progress=lambda f, o: publish_kiosk(state_dir, "session"))
        assert not agent.run_once().ok
        publish_kiosk(state_dir, "idle")
        agent.hooks.progress = None
        agent.rate.bytes_per_second = 0
        server.inject({"kind": "status", "code": 410, "method": "HEAD"})
        assert agent.run_once().ok
        whole = [u for u in server.uploads().values() if len(u["bytes"]) == u["size"]]
        assert sorted(u["metadata"]["filename"] for u in whole) == [
            "manifest.json",
            "q1-take1.mp4",
        ]
        assert not session.dir.exists()


def test_a_chunk_that_fails_its_checksum_is_sent_again(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        server.inject({"kind": "corrupt", "method": "PATCH", "count": 4})
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        assert sum(r["status"] == 460 for r in server.requests()) == 4


def test_a_server_without_the_checksum_extension_still_receives_everything(tmp_path):
    with start_server(tmp_path / "server", checksum=False) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        server.inject({"kind": "reset", "method": "PATCH", "after_bytes": 20_000})
        assert make_agent(config).run_once().ok
        assert_server_holds_exactly(server, expected)


def test_a_wrong_token_stops_uploading_at_once_and_is_reported(tmp_path):
    write_token(tmp_path / "server-token", TOKEN)
    with start_server(tmp_path / "server", token_file=tmp_path / "server-token") as server:
        write_token(tmp_path / "token", "not-the-token")
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        agent = make_agent(config)
        result = agent.run_once()
        assert not result.ok
        assert "401" in result.reason and "token" in result.reason
        assert [r["status"] for r in server.requests() if r["status"] == 401] == [401]
        assert session.dir.exists()

        # The long-running agent does not hammer either: it waits for a new token.
        def refusals() -> int:
            return sum(r["status"] == 401 for r in server.requests())

        stop = threading.Event()
        runner = threading.Thread(target=agent.run, args=(stop,))
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while refusals() < 2 and time.monotonic() < deadline:  # its first try: refused
                time.sleep(0.05)
            time.sleep(0.5)  # ten times its poll interval
            assert refusals() == 2
            write_token(tmp_path / "token", TOKEN)
            deadline = time.monotonic() + 10
            while session.dir.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            runner.join()
        assert_server_holds_exactly(server, expected)
        assert not session.dir.exists()
        store = UploadStore(tmp_path / "state")
        assert "token" in store.last("error").message
        assert store.last("success") is not None
