"""The spool: session manifests, keep/retake, crash recovery and the disk guard's arithmetic."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from booth.media.audio import AudioWriter
from booth.media.spool import (
    UNLIMITED_TAKES_BUDGET,
    Spool,
    SpoolSession,
    disk_free_bytes,
    worst_case_bytes,
)
from booth.media.takefiles import TakeFiles
from booth.sim.camera import SoftwareRecording

W, H, FPS, RATE = 160, 120, 30, 48_000
STARTED = datetime(2026, 11, 25, 22, 15, tzinfo=UTC)
FINISHED = datetime(2026, 11, 25, 22, 40, tzinfo=UTC)


def record(files: TakeFiles, seconds: float = 1.0) -> None:
    """Write a short take (grey frames with a moving bar, a hum) through the real writers."""
    video = SoftwareRecording.for_files(files, W, H, FPS, 300_000, realtime=False)
    audio = AudioWriter(files, RATE, 1)
    t0 = 1_000_000_000_000
    for i in range(round(seconds * FPS)):
        rgb = np.full((H, W, 3), 60, np.uint8)
        rgb[:, (4 * i) % W] = 220
        video.write(rgb, t0 + i * 1_000_000_000 // FPS)
        hum = np.sin(np.arange(i * 1600, (i + 1) * 1600) * 2 * np.pi * 220 / RATE) * 3000
        audio.write(hum.astype(np.int16), t0 + i * 1_000_000_000 // FPS)
    video.close()
    audio.close()


def new_take(session: SpoolSession, question: str, take: int, seconds: float = 1.0):
    files = session.new_take(question, take, width=W, height=H, fps=FPS, sample_rate=RATE)
    record(files, seconds)
    return files


def manifest(session_dir: Path) -> dict:
    return json.loads((session_dir / "manifest.json").read_text())


def open_session(spool: Spool, **kwargs) -> SpoolSession:
    return spool.open_session("booth-7", "sales-2026", "cand-42", started=STARTED, **kwargs)


def test_a_new_session_is_recording_with_an_id_that_sorts_and_says_nothing_personal(tmp_path):
    spool = Spool(tmp_path / "spool")
    first = open_session(spool)
    later = spool.open_session("booth-7", "sales-2026", "cand-43", started=FINISHED)
    assert re.fullmatch(r"20261125T221500Z-[0-9a-f]{8}", first.dir.name)
    assert "cand" not in first.dir.name
    assert [e.dir for e in spool.sessions()] == [first.dir, later.dir]
    assert manifest(first.dir) == {
        "booth_id": "booth-7",
        "interview_id": "sales-2026",
        "candidate_ref": "cand-42",
        "session_id": first.dir.name,
        "started": "2026-11-25T22:15:00+00:00",
        "finished": None,
        "status": "recording",
        "takes": [],
    }


def test_a_kept_take_is_in_the_manifest_with_size_and_checksum(tmp_path):
    session = open_session(Spool(tmp_path))
    new_take(session, "q1", 1)
    result = session.mux_take("q1", 1)
    session.keep_take("q1", 1, result)
    session.finish("complete", FINISHED)
    data = manifest(session.dir)
    assert data["status"] == "complete"
    assert data["finished"] == "2026-11-25T22:40:00+00:00"
    assert data["takes"] == [
        {
            "question_id": "q1",
            "take": 1,
            "file": "q1-take1.mp4",
            "bytes": result.path.stat().st_size,
            "sha256": result.sha256,
            "duration_s": 1.0,
            "recovered": False,
        }
    ]
    assert sorted(p.name for p in session.dir.iterdir()) == ["manifest.json", "q1-take1.mp4"]


def test_the_last_kept_take_wins_and_earlier_ones_are_deleted_at_once(tmp_path):
    session = open_session(Spool(tmp_path))
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    new_take(session, "q1", 2)
    session.keep_take("q1", 2, session.mux_take("q1", 2))
    assert [(t["question_id"], t["take"]) for t in manifest(session.dir)["takes"]] == [("q1", 2)]
    assert not (session.dir / "q1-take1.mp4").exists()
    assert not list(session.dir.glob(".take-*"))


def test_a_retaken_take_is_discarded_with_its_raw_files(tmp_path):
    session = open_session(Spool(tmp_path))
    new_take(session, "q1", 1)
    session.mux_take("q1", 1)
    session.discard_take("q1", 1)
    assert sorted(p.name for p in session.dir.iterdir()) == ["manifest.json"]
    assert manifest(session.dir)["takes"] == []


def test_ending_a_session_deletes_takes_that_were_never_kept(tmp_path):
    session = open_session(Spool(tmp_path))
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    new_take(session, "q2", 1)
    session.mux_take("q2", 1)  # in review when the candidate walked away
    session.finish("ended-early", FINISHED)
    assert sorted(p.name for p in session.dir.iterdir()) == ["manifest.json", "q1-take1.mp4"]


def test_readers_never_see_a_torn_manifest(tmp_path):
    session = open_session(Spool(tmp_path))
    new_take(session, "q1", 1, seconds=0.2)
    result = session.mux_take("q1", 1)
    done = threading.Event()
    reads, errors = [0], []

    def reader():
        while not done.is_set():
            try:
                json.loads((session.dir / "manifest.json").read_text())
                reads[0] += 1
            except ValueError as error:
                errors.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(100):
        session.keep_take("q1", 1, result)
    done.set()
    thread.join()
    assert reads[0] > 0 and errors == []
    assert [p.name for p in session.dir.glob(".*.tmp")] == []


def test_an_unsafe_question_id_is_refused(tmp_path):
    session = open_session(Spool(tmp_path))
    with pytest.raises(ValueError, match="file name"):
        session.new_take("../escape", 1)


@pytest.mark.slow
def test_recovery_closes_a_crashed_session_and_keeps_the_latest_take(tmp_path):
    spool = Spool(tmp_path)
    done = open_session(spool)
    new_take(done, "q1", 1)
    done.keep_take("q1", 1, done.mux_take("q1", 1))
    done.finish("complete", STARTED)
    done_before = {p.name: p.read_bytes() for p in done.dir.iterdir()}

    crashed = open_session(spool)
    new_take(crashed, "q1", 1)
    crashed.keep_take("q1", 1, crashed.mux_take("q1", 1))
    new_take(crashed, "q1", 2, seconds=2.0)  # a retake, cut off by the crash
    new_take(crashed, "q2", 1, seconds=1.0)
    empty = crashed.new_take("q3", 1, fps=FPS)  # the crash came before any frame

    reports = spool.recover(FINISHED)

    assert [r.dir for r in reports] == [crashed.dir]
    assert sorted((r.frames, r.recovered) for r in reports[0].takes) == [(29, True), (59, True)]
    assert reports[0].unusable == [empty.path]
    data = manifest(crashed.dir)
    assert data["status"] == "ended-early"
    assert data["finished"] == "2026-11-25T22:40:00+00:00"
    kept = sorted((t["question_id"], t["take"], t["recovered"]) for t in data["takes"])
    assert kept == [("q1", 2, True), ("q2", 1, True)]
    assert not (crashed.dir / "q1-take1.mp4").exists()
    assert empty.video.parent.exists()  # left for staff, never deleted
    assert {p.name: p.read_bytes() for p in done.dir.iterdir()} == done_before
    assert spool.recover(FINISHED) == []


CHILD = """
import sys, time
from datetime import datetime, UTC
from pathlib import Path
import numpy as np
from booth.media.audio import AudioWriter
from booth.media.spool import Spool
from booth.sim.camera import SoftwareRecording

session = Spool(Path(sys.argv[1])).open_session("b", "i", "c", started=datetime.now(UTC))
files = session.new_take("q1", 1, width=160, height=120, fps=30, sample_rate=48000, channels=1)
video = SoftwareRecording.for_files(files, 160, 120, 30, 300_000, realtime=True)
audio = AudioWriter(files, 48000, 1)
print("recording", flush=True)
start = time.monotonic_ns()
i = 0
told = False
while True:
    rgb = np.full((120, 160, 3), 80, np.uint8)
    rgb[:, (4 * i) % 160] = 250
    now = time.monotonic_ns()
    video.write(rgb, now)
    audio.write(np.full(1600, 1000 * (i % 5), np.int16), time.monotonic_ns())
    if not told and now - start >= 2_500_000_000:  # frames handed over that far apart
        print((now - start) / 1e9, flush=True)
        told = True
    i += 1
    time.sleep(max(0, start + i * 33_333_333 - time.monotonic_ns()) / 1e9)
"""


@pytest.mark.slow
def test_a_take_killed_mid_recording_is_recovered_playable_and_almost_whole(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "recording"
        written_s = float(child.stdout.readline())  # its writers have that much: kill it now
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    reports = Spool(tmp_path).recover(datetime.now(UTC))
    [take] = reports[0].takes
    assert take.recovered
    assert take.duration_s >= written_s - 1.0
    probe = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-print_format", "json", "-show_streams"]
        + ["-show_format", str(take.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(probe.stdout)
    assert sorted(s["codec_name"] for s in info["streams"]) == ["aac", "h264"]
    assert float(info["format"]["duration"]) == pytest.approx(take.duration_s, abs=0.1)
    assert manifest(reports[0].dir)["status"] == "ended-early"


def test_the_disk_budget_counts_every_take_in_full_and_unlimited_as_three():
    questions = [(60.0, 2), (30.0, 0)]
    bitrate = 4_000_000
    mp4_per_s = (bitrate + 64_000) / 8
    raw_per_s = bitrate / 8 + RATE * 2
    expected = (60 * 2 + 30 * UNLIMITED_TAKES_BUDGET) * mp4_per_s + 60 * raw_per_s + 10_000_000
    got = worst_case_bytes(questions, bitrate, RATE, 1, margin_bytes=10_000_000)
    assert UNLIMITED_TAKES_BUDGET == 3
    assert got == int(expected)


def test_free_space_is_measured_on_the_nearest_existing_directory(tmp_path):
    assert disk_free_bytes(tmp_path / "spool" / "not-yet") == disk_free_bytes(tmp_path) > 0


def test_recovery_deletes_a_take_waiting_for_review_and_says_so_in_the_manifest(tmp_path):
    spool = Spool(tmp_path)
    crashed = open_session(spool)
    files = crashed.new_take(
        "q1", 1, width=W, height=H, fps=FPS, sample_rate=RATE, sent_without_keeping=False
    )
    record(files)
    crashed.mux_take("q1", 1)  # stopped and muxed: the candidate was on the review screen
    new_take(crashed, "q2", 1)  # written before the kiosk said; sent, as it always was
    one_take = crashed.new_take(
        "q3", 1, width=W, height=H, fps=FPS, sample_rate=RATE, sent_without_keeping=True
    )
    record(one_take)

    (report,) = spool.recover(FINISHED)

    assert report.not_kept == [("q1", 1)]
    data = manifest(crashed.dir)
    assert sorted(t["question_id"] for t in data["takes"]) == ["q2", "q3"]
    assert data["not_kept"] == [
        {"question_id": "q1", "take": 1, "reason": "not kept by the candidate"}
    ]
    assert not list(crashed.dir.glob("q1-*")) and not list(crashed.dir.glob(".take-*"))


def test_erasing_a_session_removes_it_from_every_place_the_booth_may_hold_it(tmp_path):
    spool = Spool(tmp_path / "spool")
    session = open_session(spool)
    sid = session.dir.name
    # The hidden forms a crash can leave: being sealed, plaintext while sealing, being deleted.
    hidden = [spool.root / f"{prefix}{sid}" for prefix in (".seal-", ".plain-", ".deleting-")]
    for path in hidden:
        path.mkdir()
        (path / "take.mp4").write_bytes(b"x")
    other = open_session(spool, session_id="20261125T221500Z-0000beef")
    removed = spool.erase(sid)
    assert sorted(removed) == sorted([session.dir, *hidden])
    assert not any(p.exists() for p in [session.dir, *hidden])
    assert other.dir.exists() and spool.erase(sid) == []
