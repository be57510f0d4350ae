"""`booth takes forget REF`: one candidate's sessions leave the booth entirely, and staff learn
which ones the server already has (issue 13.5)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from privacy_support import make_org_key
from sync_support import booth_config, publish_kiosk, start_server
from test_spool import FINISHED, STARTED, new_take

from booth.cli.main import main
from booth.config.settings import load_settings
from booth.media.spool import Spool
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing
from booth.state import InvitationStore
from booth.sync.agent import SyncAgent
from booth.sync.config import sync_settings


def add_privacy(config: Path, recipient: str | None) -> None:
    if recipient:
        text = config.read_text().replace(
            "[sync]", f'[privacy]\nrecipients = ["{recipient}"]\n[sync]'
        )
        config.write_text(text)


def record(config: Path, ref: str, status: str = "complete", minutes: int = 0):
    settings = load_settings(config)
    spool = Spool(settings.paths.spool, Sealing.for_settings(settings))
    session = spool.open_session(
        "booth-7", "sales-2026", ref, started=STARTED + timedelta(minutes=minutes)
    )
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    if status != "recording":
        session.finish(status, FINISHED)
    return session


def upload(config: Path) -> None:
    settings = load_settings(config)
    agent = SyncAgent(sync_settings(settings), settings.paths.spool, settings.paths.state)
    try:
        assert agent.run_once().ok
    finally:
        agent.close()


def forget(config: Path, ref: str, capsys) -> list[dict]:
    assert main(["takes", "forget", ref, "--config", str(config), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["sessions"]


def every_byte(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "in clear"])
@pytest.mark.external
@pytest.mark.slow
def test_forget_removes_a_candidates_sessions_and_names_those_already_uploaded(
    tmp_path, capsys, sealed
):
    recipient = make_org_key(tmp_path).recipient if sealed else None
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, retention_hours=72)
        add_privacy(config, recipient)
        uploaded = record(config, "cand-42")
        upload(config)
        waiting = record(config, "cand-42", "ended-early", minutes=30)
        other = record(config, "cand-7", minutes=60)
        result = forget(config, "cand-42", capsys)
    by_id = {r["session"]: r for r in result}
    assert sorted(by_id) == sorted([uploaded.session_id, waiting.session_id])
    assert by_id[uploaded.session_id]["uploaded"] == "yes"
    files = uploaded.manifest.get("files") or uploaded.manifest["takes"]
    assert len(by_id[uploaded.session_id]["upload_urls"]) == len(files) + 1
    assert by_id[waiting.session_id]["uploaded"] == "no"
    assert not uploaded.dir.exists() and not waiting.dir.exists()
    assert other.dir.exists()
    # No trace left: no folder, no upload record, no index entry.
    state = tmp_path / "state"
    rows = sqlite3.connect(state / "uploads.sqlite3").execute("SELECT session_id FROM uploads")
    assert {r[0] for r in rows} <= {other.session_id}
    assert sorted(p.name for p in (state / "refs").iterdir()) == [other.session_id]
    for sid in (uploaded.session_id, waiting.session_id):
        assert sid.encode() not in every_byte(tmp_path / "spool")
    # The other candidate is still found; a second forget finds nothing.
    assert RefIndex(state).sessions_of("cand-7") == [other.session_id]
    assert forget(config, "cand-42", capsys) == []


@pytest.mark.external
@pytest.mark.slow
def test_forget_names_a_session_the_agent_already_deleted_after_upload(tmp_path, capsys):
    recipient = make_org_key(tmp_path).recipient
    with start_server(tmp_path / "server") as server:
        config = booth_config(tmp_path, server.url, retention_hours=0)
        add_privacy(config, recipient)
        session = record(config, "cand-42")
        upload(config)
        assert not session.dir.exists()
    (item,) = forget(config, "cand-42", capsys)
    assert item["session"] == session.session_id
    assert item["uploaded"] == "yes, deleted from the booth after upload"
    assert item["removed"] == [f"index entry of {session.session_id}"]
    assert main(["takes", "forget", "cand-42", "--config", str(config)]) == 0
    assert "no session of this candidate" in capsys.readouterr().out


def test_forget_prints_what_it_removed_for_staff(tmp_path, capsys):
    config = booth_config(tmp_path, "http://127.0.0.1:9/files/")
    add_privacy(config, make_org_key(tmp_path).recipient)
    session = record(config, "cand-42")
    assert main(["takes", "forget", "cand-42", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"{session.session_id} (complete): removed {session.dir}" in out
    assert f"index entry of {session.session_id}" in out
    assert "cand-42" not in out


def test_forget_waits_for_the_kiosk_to_stop(tmp_path, capsys):
    config = booth_config(tmp_path, "http://127.0.0.1:9/files/")
    add_privacy(config, make_org_key(tmp_path).recipient)
    session = record(config, "cand-42", "recording")
    publish_kiosk(tmp_path / "state", "session")
    assert main(["takes", "forget", "cand-42", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "being recorded now" in err and "sudo systemctl stop booth-kiosk" in err
    assert session.dir.exists()


def test_forget_removes_the_record_of_the_candidates_invitation(tmp_path, capsys):
    config = booth_config(tmp_path, "http://127.0.0.1:9/files/")
    session = record(config, "cand-42")
    store = InvitationStore(tmp_path / "state")
    store.opened("sales-2026", "cand-42", session.session_id)
    store.finished("sales-2026", "cand-42", "complete")
    store.opened("sales-2026", "cand-7", "other")
    assert b"cand-42" not in (tmp_path / "state" / "invitations.json").read_bytes()
    assert InvitationStore(tmp_path / "state").get("sales-2026", "cand-42").spent
    assert main(["takes", "forget", "cand-42", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["invitation_records"] == ["sales-2026"]
    after = InvitationStore(tmp_path / "state")
    assert after.get("sales-2026", "cand-42") is None
    assert after.get("sales-2026", "cand-7") is not None


def test_the_reference_index_holds_keyed_hashes_under_a_private_key(tmp_path):
    config = booth_config(tmp_path, "http://127.0.0.1:9/files/")
    add_privacy(config, make_org_key(tmp_path).recipient)
    session = record(config, "cand-42")
    state = tmp_path / "state"
    assert (state / "privacy.key").stat().st_mode & 0o777 == 0o600
    entry = (state / "refs" / session.session_id).read_text()
    assert "cand-42" not in entry and len(entry.strip()) == 64
    # Another booth (another key) hashes the same reference differently.
    assert RefIndex(tmp_path / "elsewhere").digest("cand-42") != entry.strip()
