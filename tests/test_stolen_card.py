"""A stolen card: everything a simulated booth with [privacy] recipients leaves on its disk,
after sessions uploaded, not uploaded, ended early and recovered after kill -9, holds no
video in clear, no candidate reference and no invitation code; the organisation's identity
opens all of it (issue 13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from privacy_support import (
    age_decrypt,
    age_open_reference,
    leaks,
    make_org_key,
    modes_not_private,
    read_json,
    sha256,
)
from sync_support import start_server, write_token
from test_simulate import probe
from test_take_safety import TO_Q3_RECORDING, interviews_keeping_unreviewed_takes

from booth.cli.main import main

pytestmark = pytest.mark.slow

CODES = {"123456": "CAND-0001", "234567": "CAND-0002", "345678": "CAND-0003"}

ANSWER_ALL = """
press next
press record
wait 3
expect recording
wait 3
press stop
expect review
press keep
expect question
wait 5.2
press next
expect think
press record
wait 3
expect recording
wait 3
press stop
expect review
press keep
expect question
press next
expect countdown
wait 3
wait 3
press stop
expect done
press next                  # Finish: the receipt stays until then (or a minute)
expect idle
"""

# q1 kept, then the candidate walks away at q2: the inactivity guard ends the session.
WALK_AWAY = """
press next
press record
wait 3
expect recording
wait 3
press stop
expect review
press keep
expect question
wait 5.2
wait 12
expect inactive
wait 12
wait 15
expect idle
"""


def with_code(code: str, rest: str) -> str:
    return TO_Q3_RECORDING.replace("type 123456", f"type {code}") + rest


@pytest.mark.timeout(180)
@pytest.mark.external
def test_a_stolen_card_gives_away_nothing_and_the_organisation_opens_everything(tmp_path):
    org = make_org_key(tmp_path)
    out = tmp_path / "out"
    installed = out / "interviews"  # paths.interviews: what `booth interviews add` installs
    # (An interview that sends unkept takes, for session 3: by default a take cut off before
    # the candidate kept it is deleted on recovery, issue 12.3, and there would be nothing to
    # open.)
    recruiters = interviews_keeping_unreviewed_takes(tmp_path) / "example"
    with start_server(tmp_path / "server") as server:
        config = tmp_path / "booth.toml"
        config.write_text(
            'booth_id = "test-booth"\n'
            "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
            "disk_margin_bytes = 0\n"
            "[timing]\ninactivity_seconds = 10\ninactive_grace_seconds = 10\n"
            f'[paths]\nspool = "{out / "spool"}"\nstate = "{out / "state"}"\n'
            f'interviews = "{installed}"\n'
            f'[privacy]\nrecipients = ["{org.recipient}"]\n'
            f'[sync]\nurl = "{server.url}"\ntoken_file = "{tmp_path / "token"}"\n'
            "idle_seconds = 0\nretention_hours = 72\ntimeout_seconds = 5\n"
            'proof = "upload"\n',  # tools/tus writes no receipts
            encoding="utf-8",
        )
        write_token(tmp_path / "token")
        assert main(["interviews", "add", str(recruiters), "--config", str(config)]) == 0

        # 1. A complete session, uploaded (and kept on the booth for the retention time).
        assert simulate_booth(config, with_code("123456", ANSWER_ALL), out, installed) == 0
        assert main(["sync", "--once", "--config", str(config)]) == 0  # as booth-sync runs it
        uploads = server.uploads().values()
        assert uploads
        for upload in uploads:
            meta = upload["metadata"]
            assert meta["filename"].endswith(".age") or meta["filename"] == "manifest.json"
            assert "CAND-" not in json.dumps(meta)
            assert meta["sha256"] == sha256(upload["bytes"])

    # 2. A session the candidate walked away from (ended early), not uploaded.
    assert simulate_booth(config, with_code("234567", WALK_AWAY), out, installed) == 0

    # 3. A session cut off by kill -9 in the middle of a take, recovered at the next start.
    killed_mid_take(config, out, "345678", out / "spool", installed)
    # Until the next start, that one session is in clear, in its private folder.
    assert modes_not_private(out / "spool") == []
    assert simulate_booth(config, "expect idle\n", out, installed) == 0

    # The thief reads every file the booth wrote (its screenshots are the simulator's own),
    # and the installed interview (the recruiter's clips are MP4s in clear, and no secret):
    # its codes are hashed, its references sealed.
    secrets = list(CODES) + list(CODES.values())
    assert leaks(out / "spool", secrets) == []
    assert leaks(out / "state", secrets) == []
    interview_files = [p for p in installed.rglob("*") if p.is_file()]
    assert [(p, secrets_in(p, secrets)) for p in interview_files if secrets_in(p, secrets)] == []
    assert secrets_in(out / "events.jsonl", secrets) == []
    assert modes_not_private(out / "spool") == []
    assert modes_not_private(out / "state") == []
    assert modes_not_private(installed) == []

    # The organisation's identity, with the standard age command, opens every session.
    sessions = sorted(p for p in (out / "spool").iterdir())
    assert len(sessions) == 3
    seen = {}
    for session in sessions:
        clear = read_json(session / "manifest.json")
        assert set(clear) == {
            "booth_id",
            "session_id",
            "interview_id",
            "status",
            "sealed",
            "recovered_takes",
            "files",
        }
        assert sorted(p.name for p in session.iterdir()) == sorted(
            [f["file"] for f in clear["files"]] + ["manifest.json"]
        )
        full = json.loads(age_decrypt(session / "manifest.json.age", org))
        ref = age_open_reference(full["candidate_ref"], org)
        seen[ref] = (full["status"], [t["recovered"] for t in full["takes"]])
        assert full["status"] == clear["status"]
        assert clear["recovered_takes"] == sum(t["recovered"] for t in full["takes"])
        for take in full["takes"]:
            mp4 = tmp_path / take["file"]
            mp4.write_bytes(age_decrypt(session / (take["file"] + ".age"), org))
            assert (mp4.stat().st_size, sha256(mp4.read_bytes())) == (take["bytes"], take["sha256"])
            duration = float(probe(mp4)["format"]["duration"])
            assert abs(duration - take["duration_s"]) < 0.1
    assert seen == {
        "CAND-0001": ("complete", [False, False, False]),
        "CAND-0002": ("ended-early", [False]),
        "CAND-0003": ("ended-early", [True]),
    }


def killed_mid_take(
    config: Path, out: Path, code: str, running: Path, interviews: Path = EXAMPLE_INTERVIEWS
) -> None:
    """Run the simulated booth in a process and kill -9 it three seconds into q1's take
    (`running` is where the take's files appear: the spool, or the scratch folder)."""
    script = out.parent / f"killed-{code}.txt"
    script.write_text(with_code(code, "press next\npress record\nwait 3\nwait 600\n"))
    cmd = [sys.executable, "-m", "booth", "simulate", "--config", str(config), "--headless"]
    cmd += ["--interviews", str(interviews), "--script", str(script), "--out", str(out)]
    child = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    recorded = False
    while time.monotonic() < deadline and not recorded:
        found = list(running.glob("*/.take-q1-1/video.pts"))
        recorded = bool(found) and len(found[0].read_text().splitlines()) > 3 * 30
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert recorded, "the take never started"


def secrets_in(path: Path, secrets: list[str]) -> list[str]:
    data = path.read_bytes()
    return [s for s in secrets if s.encode() in data]


def test_without_recipients_the_same_scan_finds_the_takes_and_the_reference(tmp_path, small_booth):
    """What the README says a stolen booth without [privacy] recipients gives away."""
    out = tmp_path / "out"
    assert simulate_booth(small_booth, with_code("123456", ANSWER_ALL), out) == 0
    found = "\n".join(leaks(out / "spool", list(CODES.values())))
    assert "video in clear" in found and "contains 'CAND-0001'" in found
    assert modes_not_private(out / "spool") == []


@pytest.mark.timeout(90)
def test_with_a_scratch_folder_the_card_never_holds_a_running_session(tmp_path):
    org = make_org_key(tmp_path)
    scratch = tmp_path / "scratch"  # a tmpfs on a booth
    config = tmp_path / "booth.toml"
    config.write_text(
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\ndisk_margin_bytes = 0\n"
        f'[paths]\nscratch = "{scratch}"\n[privacy]\nrecipients = ["{org.recipient}"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    killed_mid_take(config, out, "123456", scratch)
    # Only the take's disk reserve (fallocated, never written) is in the spool.
    assert [p.name for p in (out / "spool").iterdir()] == [".reserve"]
    (running,) = [p for p in scratch.iterdir() if not p.name.startswith(".")]
    assert read_json(running / "manifest.json")["status"] == "recording"
    # The next start seals it into the spool and empties the scratch folder.
    assert simulate_booth(config, "expect idle\n", out) == 0
    assert [p for p in scratch.iterdir() if not p.name.startswith(".")] == []
    (sealed,) = (out / "spool").iterdir()
    assert sealed.name == running.name
    assert leaks(out / "spool", list(CODES.values())) == []
    full = json.loads(age_decrypt(sealed / "manifest.json.age", org))
    assert full["status"] == "ended-early" and full["candidate_ref"] == "CAND-0001"
