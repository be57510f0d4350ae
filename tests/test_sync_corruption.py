"""What the booth's own disk does to uploads (issue 11, points 6 and 7), against a real
@tus/server: a take whose bytes changed is kept, marked damaged and never deleted; a corrupt
manifest is rebuilt from the take files, or reported; a corrupt upload store is moved aside and
rebuilt, without a traceback."""

from __future__ import annotations

import json
import logging
import re
import threading
import time

import pytest
from privacy_support import make_org_key
from sync_support import (
    assert_server_holds_exactly,
    booth_config,
    expected_files,
    finished_session,
    make_agent,
    start_server,
    sync_parser,
)

from booth.cli.main import main
from booth.cli.status_cmd import gather, render
from booth.config.settings import load_settings
from booth.media.spool import MANIFEST
from booth.privacy.age import parse_recipients
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing
from booth.sync.manifests import CORRUPT_SUFFIX
from booth.sync.sender import SHA256_THREAD
from booth.sync.status import sync_status
from booth.sync.store import DAMAGED, STORE_FILE, UploadStore

pytestmark = pytest.mark.external


def flip_a_byte(path, at=1000):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_take_with_one_flipped_byte_is_kept_marked_damaged_and_never_confirmed(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(150_000, 90_000))
        flip_a_byte(session.dir / "q1-take1.mp4")
        kept = (session.dir / "q1-take1.mp4").read_bytes()
        agent = make_agent(config)
        result = agent.run_once()
        assert not result.ok and "q1-take1.mp4 damaged" in result.reason
        assert "sha256" in result.reason
        # Its bytes went out while they were checked, but it is not confirmed, the session's
        # manifest was held back, and the receiver can tell by the sha256 in the metadata.
        names = sorted(u["metadata"]["filename"] for u in server.uploads().values())
        assert names == ["q1-take1.mp4", "q2-take1.mp4"]
        records = agent.store.records()
        assert not records[(session.session_id, "q1-take1.mp4")].confirmed
        assert records[(session.session_id, "q2-take1.mp4")].confirmed
        assert (session.dir / "q1-take1.mp4").read_bytes() == kept
        assert not any(t.name == SHA256_THREAD for t in threading.enumerate())
        # Never deleted automatically, however long it waits.
        agent.hooks.clock = lambda: 4e9
        assert agent.delete_confirmed() == []
        assert session.dir.exists()
        status = sync_status(load_settings(config))
        assert [(h["session"], h["file"]) for h in status["damaged"]] == [
            (session.session_id, "q1-take1.mp4")
        ]
        text = render(gather(load_settings(config)))
        assert f"DAMAGED session {session.session_id}: q1-take1.mp4" in text


def test_a_take_that_changes_after_upload_is_not_deleted(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, retention_hours=1)
        session = finished_session(tmp_path / "spool")
        now = [1_000_000.0]
        agent = make_agent(config, clock=lambda: now[0])
        assert agent.run_once().ok
        flip_a_byte(session.dir / "q2-take1.mp4", at=10)
        now[0] += 7200
        assert agent.delete_confirmed() == []
        assert session.dir.exists()
        holds = agent.store.holds()
        assert holds[(session.session_id, "q2-take1.mp4")].kind == DAMAGED
        assert "before deletion" in holds[(session.session_id, "q2-take1.mp4")].reason
        assert not agent.run_once().ok  # and --once says so


def test_a_truncated_manifest_is_rebuilt_from_the_take_files_and_the_session_uploaded(tmp_path):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        takes = {n: d for n, d in expected_files(session).items() if n[1] != MANIFEST}
        manifest = session.dir / MANIFEST
        damaged = manifest.read_bytes()[: len(manifest.read_bytes()) // 2]
        manifest.write_bytes(damaged)
        assert sync_status(load_settings(config))["unreadable"] == [str(session.dir)]
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        # Every take arrived, and a manifest that names the interview and the candidate.
        uploads = {u["metadata"]["filename"]: u for u in server.uploads().values()}
        for (_, name), data in takes.items():
            assert uploads[name]["bytes"] == data
        rebuilt = json.loads(uploads[MANIFEST]["bytes"])
        assert (rebuilt["interview_id"], rebuilt["candidate_ref"]) == ("sales-2026", "cand-42")
        assert [t["file"] for t in rebuilt["takes"]] == ["q1-take1.mp4", "q2-take1.mp4"]
        assert rebuilt["status"] == "complete" and "rebuilt" in rebuilt
        # The takes went; the damaged original stays for staff, beside the rebuilt manifest.
        names = sorted(p.name for p in session.dir.iterdir())
        assert len(names) == 2 and names[0] == MANIFEST
        # Moved aside with the time, as every damaged file the booth owns.
        assert re.fullmatch(re.escape(MANIFEST + CORRUPT_SUFFIX) + r"\d{8}T\d{6}Z", names[1])
        assert (session.dir / names[1]).read_bytes() == damaged


def test_a_sealed_sessions_damaged_clear_manifest_is_rebuilt_and_the_session_still_opens(
    tmp_path, capsys
):
    org = make_org_key(tmp_path)
    sealing = Sealing(tuple(parse_recipients([org.recipient])), None, RefIndex(tmp_path / "st"))
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", sealing=sealing)
        sent = {n: d for (_, n), d in expected_files(session).items() if n != MANIFEST}
        assert sorted(sent) == ["manifest.json.age", "q1-take1.mp4.age", "q2-take1.mp4.age"]
        manifest = session.dir / MANIFEST
        manifest.write_bytes(manifest.read_bytes()[:60])  # booth and session ids legible
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        uploads = {u["metadata"]["filename"]: u for u in server.uploads().values()}
        assert {n: uploads[n]["bytes"] for n in sent} == sent
        rebuilt = json.loads(uploads[MANIFEST]["bytes"])
        assert rebuilt["sealed"] == "age" and "rebuilt" in rebuilt
        assert rebuilt["booth_id"] == "booth-7" and rebuilt["status"] == "ended-early"
        assert [f["file"] for f in rebuilt["files"]][-1] == "manifest.json.age"
    # The organisation opens what the server holds, as from any sealed session.
    received = tmp_path / "received"
    received.mkdir()
    for name, upload in uploads.items():
        (received / name).write_bytes(upload["bytes"])
    out = tmp_path / "opened"
    args = ["takes", "open", str(received), "-i", str(org.identity), "--out", str(out), "--json"]
    capsys.readouterr()
    assert main(args) == 0
    opened = json.loads(capsys.readouterr().out)
    assert (opened["candidate_ref"], opened["status"]) == ("cand-42", "complete")
    assert len(opened["takes"]) == 2


def test_a_manifest_beyond_rebuilding_is_reported_and_sync_once_exits_1(tmp_path, capsys):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        lost = finished_session(tmp_path / "spool")
        good = finished_session(tmp_path / "spool", minutes=10)
        expected = expected_files(good)
        (lost.dir / MANIFEST).write_bytes(b"\x00" * 300)
        args = sync_parser().parse_args(["sync", "--once", "--config", str(config)])
        assert args.func(args) == 1
        out = capsys.readouterr().out
        assert str(lost.dir) in out and "cannot be read" in out
        assert_server_holds_exactly(server, expected)  # the other session went on
        assert lost.dir.exists() and (lost.dir / "q1-take1.mp4").exists()
        text = render(gather(load_settings(config)))
        assert f"UNREADABLE manifest, not uploaded: {lost.dir}" in text


def test_a_corrupt_upload_store_is_moved_aside_and_rebuilt_without_a_traceback(tmp_path, caplog):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool")
        expected = expected_files(session)
        state = tmp_path / "state"
        state.mkdir()
        (state / STORE_FILE).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
        caplog.set_level(logging.WARNING)
        args = sync_parser().parse_args(["sync", "--once", "--config", str(config)])
        assert args.func(args) == 0
        aside = [p.name for p in state.iterdir() if ".corrupt-" in p.name]
        assert len(aside) == 1 and aside[0].startswith(STORE_FILE)
        assert_server_holds_exactly(server, expected)
        assert any("moved aside" in r.getMessage() for r in caplog.records)
        assert not any(r.exc_info for r in caplog.records)
        store = UploadStore(state, read_only=True)
        assert "moved aside" in store.last("error").message
        store.close()


def test_a_store_from_another_program_counts_as_corrupt(tmp_path):
    import sqlite3

    state = tmp_path / "state"
    state.mkdir()
    db = sqlite3.connect(state / STORE_FILE)
    db.execute("CREATE TABLE uploads (x)")
    db.commit()
    db.close()
    store = UploadStore(state)
    assert store.moved_aside is not None and store.records() == {}
    store.close()


def test_a_store_that_goes_bad_under_the_running_agent_is_moved_aside_and_uploading_goes_on(
    tmp_path, caplog
):
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url)
        first = finished_session(tmp_path / "spool")
        agent = make_agent(config)
        assert agent.run_once().ok and not first.dir.exists()
        state = tmp_path / "state"
        for part in state.glob(STORE_FILE + "*"):
            part.write_bytes(b"\xff" * 8192)  # the SD card returns garbage from now on
        second = finished_session(tmp_path / "spool", minutes=10)
        expected = expected_files(second)
        caplog.set_level(logging.WARNING)
        stop = threading.Event()
        runner = threading.Thread(target=agent.run, args=(stop,))
        runner.start()
        try:
            deadline = time.monotonic() + 20
            while second.dir.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            runner.join(timeout=20)
        assert not runner.is_alive() and not second.dir.exists()
        uploads = {(u["metadata"]["session"], u["metadata"]["filename"]): u["bytes"]
                   for u in server.uploads().values()}  # fmt: skip
        assert {k: v for k, v in uploads.items() if k[0] == second.session_id} == expected
        assert any(".corrupt-" in p.name for p in state.iterdir())
        assert any("opening it again" in r.getMessage() for r in caplog.records)
        assert not any(r.exc_info for r in caplog.records)
        agent.close()
