"""Shared pieces of the sync tests: a booth with a spool of finished sessions, a real tus
server on loopback, and the checks every fault test ends with."""

from __future__ import annotations

import argparse
import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from booth.cli import sync_cmd
from booth.config.settings import Settings, load_settings
from booth.media.spool import Spool, SpoolSession
from booth.media.take_result import TakeResult
from booth.privacy.seal import Sealing
from booth.state import KioskState
from booth.sync.agent import SyncAgent
from booth.sync.config import SyncSettings, sync_settings
from booth.sync.parts import Hooks
from tools.tus_server import LocalServerError, LocalTusServer

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHUNK = 64 * 1024
TOKEN = "s3cret-booth-token"


def sync_parser() -> argparse.ArgumentParser:
    """The `booth sync` command line, for running `booth sync --once` in the test's process."""
    parser = argparse.ArgumentParser(prog="booth")
    sync_cmd.register(parser.add_subparsers())
    return parser


def start_server(store: Path, **options) -> LocalTusServer:
    """A real @tus/server; fails (never skips) when Node.js or npm is missing."""
    try:
        return LocalTusServer(store, faults=True, **options).start()
    except LocalServerError as err:
        pytest.fail(f"the sync tests need the real tus server: {err}", pytrace=False)


def write_token(path: Path, token: str = TOKEN, mode: int = 0o600) -> Path:
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def booth_config(tmp_path: Path, url: str, **sync: object) -> Path:
    """booth.toml with a spool and state under tmp_path and a [sync] table for `url`."""
    values = {
        "url": url,
        "token_file": str(tmp_path / "token"),
        "chunk_bytes": CHUNK,
        "idle_seconds": 0,
        "retention_hours": 0,
        "timeout_seconds": 5,  # a loaded machine's server may take a second to answer
        "backoff_seconds": 0.05,
        "backoff_max_seconds": 0.2,
        "poll_seconds": 0.05,
        # tools/tus is a plain @tus/server, which writes no receipts; the receiver's tests
        # (deploy/receiver) ask for proof = "receipt".
        "proof": "upload",
        **sync,
    }
    lines = [
        'booth_id = "booth-7"',
        "[paths]",
        f'spool = "{tmp_path / "spool"}"',
        f'state = "{tmp_path / "state"}"',
        "[sync]",
    ]
    for key, value in values.items():
        if isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f"{key} = {value}")
    config = tmp_path / "booth.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not (tmp_path / "token").exists():
        write_token(tmp_path / "token")
    return config


def load(config: Path) -> tuple[Settings, SyncSettings]:
    settings = load_settings(config)
    return settings, sync_settings(settings)


def make_agent(config: Path, **kwargs) -> SyncAgent:
    settings, sync = load(config)
    return SyncAgent(sync, settings.paths.spool, settings.paths.state, hooks=Hooks(**kwargs))


def finished_session(
    spool_dir: Path,
    take_sizes: tuple[int, ...] = (150_000, 90_000),
    status: str = "complete",
    minutes: int = 0,
    sealing: Sealing | None = None,
) -> SpoolSession:
    """A session closed by the kiosk with one kept take per size (random bytes stand in for
    the MP4s: the uploader never looks inside); sealed at the end with a `sealing`."""
    started = STARTED + timedelta(minutes=minutes)
    spool = Spool(spool_dir, sealing)
    session = spool.open_session("booth-7", "sales-2026", "cand-42", started=started)
    for i, size in enumerate(take_sizes, start=1):
        path = session.take_path(f"q{i}", 1)
        data = os.urandom(size)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        session.keep_take(f"q{i}", 1, TakeResult(path, size, digest, 1.0, 30, False))
    if status != "recording":
        session.finish(status, started + timedelta(minutes=5))
    return session


def local_files(session_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(session_dir.iterdir()) if p.is_file()}


def assert_server_holds_exactly(server: LocalTusServer, expected: dict[tuple[str, str], bytes]):
    """Every expected file is on the server once, whole and byte-identical (sha256), with
    its sha256 in the metadata; there is no other upload, whole or partial."""
    complete: dict[tuple[str, str], list[bytes]] = {}
    for upload in server.uploads().values():
        meta = upload["metadata"]
        key = (meta["session"], meta["filename"])
        assert len(upload["bytes"]) == upload["size"], f"{key} is incomplete on the server"
        complete.setdefault(key, []).append(upload["bytes"])
        assert meta["sha256"] == hashlib.sha256(upload["bytes"]).hexdigest()
    assert sorted(complete) == sorted(expected)
    for key, blobs in complete.items():
        assert len(blobs) == 1, f"{key} is on the server {len(blobs)} times"
        assert hashlib.sha256(blobs[0]).digest() == hashlib.sha256(expected[key]).digest()


def expected_files(*sessions: SpoolSession) -> dict[tuple[str, str], bytes]:
    return {
        (s.session_id, name): data for s in sessions for name, data in local_files(s.dir).items()
    }


def publish_kiosk(state_dir: Path, activity: str, idle_for: float = 3600.0, pid: int = 0) -> None:
    """Write the kiosk's state record as the kiosk would (pid: this test process by default)."""
    now = datetime.now(UTC).astimezone()
    idle_since = now - timedelta(seconds=idle_for) if activity == "idle" else None
    KioskState(
        activity=activity,
        screen="idle" if activity == "idle" else "recording",
        fault=None,
        updated=now.isoformat(timespec="seconds"),
        idle_since=idle_since.isoformat(timespec="seconds") if idle_since else None,
        pid=pid or os.getpid(),
    ).write(state_dir)
