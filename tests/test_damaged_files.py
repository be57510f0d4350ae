"""Damaged files never crash the booth (issue 24, point 2): a fuzz of every JSON and TOML file
the booth reads, through the kiosk start, `booth status`, `booth takes list`, `booth metrics`
and `booth sync --once`.

A booth is recorded once (a real session in the simulated booth, a session a crash cut off,
every state record); then, for each file and each kind of damage (random bytes, deep nesting,
wrong types, missing keys, huge numbers, NaN, too large), a fresh copy of it is damaged and each
command run in this process. Every command must return (an exception fails the test), print no
traceback and log none: bad input gets a clear message, and the file's documented fallback
applies (README, "Damaged files"). `CASES` counts what was tried.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from hostile_tus import HostileTus
from sync_support import TOKEN, write_token
from test_invitations_spent import COMPLETE_SESSION

from booth.cli.main import main
from booth.media.spool import Spool
from booth.metrics.ledger import Ledger, save_ledger
from booth.session.codes_entry import Lockout
from booth.state import write_lockout
from booth.sync.store import UploadStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

DEEP = "[" * 100_000 + "]" * 100_000


def _swap(value: object) -> object:
    """Every value of another type, at every depth: what a reader must not trust."""
    if isinstance(value, dict):
        return {k: _swap(v) for k, v in value.items()}
    if isinstance(value, list):
        return {"0": [_swap(v) for v in value]}
    if isinstance(value, bool) or value is None:
        return "yes"
    if isinstance(value, int | float):
        return str(value)
    return [value]


def _numbers(value: object, number: str) -> object:
    """Every number (and every string) replaced by the raw JSON text `number`."""
    if isinstance(value, dict):
        return {k: _numbers(v, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v, number) for v in value]
    return _Raw(number)


class _Raw(str):
    """Text written into the JSON as it is (a number json.dumps would not write)."""


def _dump(value: object) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return json.dumps(value)


def _drop_half(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_half(v) for i, (k, v) in enumerate(value.items()) if i % 2}
    if isinstance(value, list):
        return [_drop_half(v) for v in value]
    return value


def json_damage(good: bytes, seed: int) -> dict[str, bytes]:
    """The damaged versions of a good JSON file."""
    rng = random.Random(seed)
    data = json.loads(good)
    return {
        "random bytes": rng.randbytes(200),
        "random bytes, large": rng.randbytes(3 << 20),
        "torn in half": good[: len(good) // 2],
        "empty": b"",
        "deep nesting": DEEP.encode(),
        "deep nesting in a value": _dump({k: _Raw(DEEP) for k in data}).encode(),
        "nested 20 levels": _dump({k: _Raw("[" * 20 + "]" * 20) for k in data}).encode(),
        "top level a list": json.dumps([data]).encode(),
        "wrong types": json.dumps(_swap(data)).encode(),
        "every value null": json.dumps({k: None for k in data}).encode(),
        "missing keys, all": b"{}",
        "missing keys, half": json.dumps(_drop_half(data)).encode(),
        "huge numbers": _dump(_numbers(data, "9" * 5000)).encode(),
        "numbers of 400 digits": _dump(_numbers(data, "1" + "0" * 400)).encode(),
        "NaN": _dump(_numbers(data, "NaN")).encode(),
        "Infinity": _dump(_numbers(data, "-Infinity")).encode(),
        "1e999": _dump(_numbers(data, "1e999")).encode(),
    }


def toml_damage(good: bytes, seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    text = good.decode()
    return {
        "random bytes": rng.randbytes(200),
        "torn in half": good[: len(good) // 2],
        "empty": b"",
        "deep nesting": ("x = " + "[" * 100_000 + "]" * 100_000).encode(),
        "integer of 5000 digits": (text + "\nextra = " + "9" * 5000 + "\n").encode(),
        "integer of 100 digits": text.replace("= 120", "= " + "9" * 100).encode(),
        "float of 400 digits": (text + "\nextra = 1" + "0" * 400 + ".5\n").encode(),
        "nan": (text + "\nextra = nan\n").encode(),
        "strings become numbers": "\n".join(
            line.split("=")[0] + "= 1" if '"' in line and "=" in line else line
            for line in text.splitlines()
        ).encode(),
        "too large": text.encode() + b"#" * (2 << 20),
    }


def random_damage(seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    return {"random bytes": rng.randbytes(4096), "empty": b"", "short": rng.randbytes(5)}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A booth after one real session, a session cut off mid-take, and every state record."""
    root = tmp_path_factory.mktemp("recorded")
    interviews = root / "interviews"
    shutil.copytree(EXAMPLE_INTERVIEWS, interviews)
    config = root / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n[recording]\nwidth = 160\nheight = 120\n'
        "bitrate_bps = 300_000\ndisk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    out = root / "out"
    assert simulate_booth(config, COMPLETE_SESSION, out, interviews) == 0
    state = out / "state"
    cut = Spool(out / "spool").open_session(
        "test-booth", "sales-2026", "cand-9", started=datetime(2026, 1, 2, tzinfo=UTC)
    )
    cut.new_take("q1", 1, width=160, height=120, fps=30, sample_rate=48000, channels=1)
    write_lockout(state, Lockout(2, 1_700_000_000.0, 1_700_000_030.0))
    save_ledger(state, Ledger(sessions={"complete": 1}, takes_recovered=0, seen={"x"}))
    (state / "light.json").write_text('{"mode": "set", "lightness": 0.5, "updated": "x"}')
    store = UploadStore(state)
    store.created("s", "q1-take1.mp4", "http://127.0.0.1:1/files/a", 10, "0" * 64)
    store.close()
    (state / "refs").mkdir(exist_ok=True)
    (state / "privacy.key").write_bytes(bytes(range(32)))
    return root


def target(root: Path, file: str, kind: str) -> tuple[Path, bytes]:
    """Where `file` is in the booth at `root`, and its version damaged as `kind`."""
    out, state = root / "out", root / "out" / "state"
    manifests = list((out / "spool").glob("*/manifest.json"))
    if file == "interview.toml":
        path = next((root / "interviews").glob("*/interview.toml"))
        return path, toml_damage(path.read_bytes(), 99)[kind]
    if file in ("uploads.sqlite3", "privacy.key"):
        return state / file, random_damage(len(file))[kind]
    path = {
        "finished session manifest.json": next(
            p for p in manifests if "cand-9" not in p.read_text()
        ),
        "cut-off session manifest.json": next(p for p in manifests if "cand-9" in p.read_text()),
        "take.json": next((out / "spool").glob("*/.take-*/take.json"), out / "none"),
    }.get(file, state / file)
    return path, json_damage(path.read_bytes(), len(file))[kind]


def _cases() -> list[tuple[str, str]]:
    """(file, damage) pairs, known before the booth is recorded (for the test ids)."""
    json_kinds = list(json_damage(b'{"a": 1}', 0))
    toml_kinds = list(toml_damage(b"a = 1\n", 0))
    files = [
        "finished session manifest.json",
        "cut-off session manifest.json",
        "take.json",
        "kiosk.json",
        "lockout.json",
        "invitations.json",
        "invitations.json.copy",
        "metrics-ledger.json",
        "light-state.json",
        "light-curve.json",
        "light.json",
    ]
    pairs = [(f, k) for f in files for k in json_kinds]
    pairs += [("interview.toml", k) for k in toml_kinds]
    pairs += [(f, k) for f in ("uploads.sqlite3", "privacy.key") for k in random_damage(0)]
    return pairs


CASES = _cases()
COMMANDS = ("kiosk start", "status", "takes list", "metrics", "sync --once")


@pytest.mark.parametrize(("file", "kind"), CASES, ids=[f"{f}: {k}" for f, k in CASES])
def test_a_damaged_file_ends_no_command_in_a_traceback(
    recorded, tmp_path, file, kind, capsys, caplog
):
    root = tmp_path / "booth"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns("mic", "speaker"))
    path, damaged = target(root, file, kind)
    path.write_bytes(damaged)
    out = root / "out"
    caplog.set_level(logging.INFO)
    with HostileTus() as server:
        config = root / "booth.toml"
        write_token(root / "token", TOKEN)
        config.write_text(
            (recorded / "booth.toml").read_text()
            + f'[paths]\nspool = "{out / "spool"}"\nstate = "{out / "state"}"\n'
            f'interviews = "{root / "interviews"}"\n'
            f'[sync]\nurl = "{server.url}"\ntoken_file = "{root / "token"}"\n'
            "idle_seconds = 0\ntimeout_seconds = 5\nonce_seconds = 20\n"
            "backoff_seconds = 0.05\nbackoff_max_seconds = 0.1\n",
            encoding="utf-8",
        )
        codes = {
            "kiosk start": simulate_booth(config, "wait 0.5\n", out, root / "interviews"),
            "status": main(["status", "--config", str(config)]),
            "takes list": main(["takes", "list", "--config", str(config)]),
            "metrics": main(["metrics", "--config", str(config)]),
            "sync --once": main(["sync", "--once", "--config", str(config)]),
        }
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert all(isinstance(code, int) for code in codes.values()), codes


def test_a_damaged_upload_store_is_moved_aside_and_its_files_sent_again(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "uploads.sqlite3").write_bytes(random.Random(1).randbytes(4096))
    store = UploadStore(state)
    assert store.moved_aside is not None and store.records() == {}
    store.close()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(store.moved_aside).execute("SELECT * FROM uploads").fetchall()


def test_an_empty_privacy_key_is_made_anew_and_a_damaged_one_is_not(tmp_path):
    """Issue 24: an empty privacy.key (its creation cut off before the fsync) put the booth out
    of order at every code entry. No hash was kept with it, so a new key loses nothing; a key of
    another length was used, and replacing it would unlink every hash made with it."""
    from booth.privacy.refs import KEY_BYTES, RefIndex

    state = tmp_path / "state"
    state.mkdir()
    (state / "privacy.key").write_bytes(b"")
    digest = RefIndex(state).digest("cand-42")
    assert len((state / "privacy.key").read_bytes()) == KEY_BYTES
    assert (state / "privacy.key").stat().st_mode & 0o777 == 0o600
    assert RefIndex(state).digest("cand-42") == digest
    (state / "privacy.key").write_bytes(b"12345")
    with pytest.raises(ValueError, match="32-byte key"):
        RefIndex(state).digest("cand-42")
