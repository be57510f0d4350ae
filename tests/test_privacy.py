"""Sessions sealed with age at the end, what stays in clear, what is uploaded, opening a
received session, and private file modes (issue 13)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import simulate_booth
from privacy_support import (
    age_decrypt,
    clear_files,
    leaks,
    make_org_key,
    modes_not_private,
    read_json,
    sha256,
)
from test_spool import FINISHED, new_take, open_session
from test_take_safety import interviews_keeping_unreviewed_takes, start_recording_q1

from booth.cli.main import main
from booth.config.settings import load_settings
from booth.doctor.checks import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    privacy_check,
    scratch_check,
    spool_access_check,
)
from booth.kiosk.recorder import Recorder, RecordingFormat
from booth.media.spool import Spool, worst_case_bytes
from booth.privacy.age import SealError, parse_recipients
from booth.privacy.refs import RefIndex
from booth.privacy.seal import PLAIN, STAGING, Sealing, finish_interrupted
from booth.sim.camera import SimCamera
from booth.sim.scene import Scene
from booth.state import read_state
from booth.sync.manifests import scan_spool
from booth.sync.status import status_lines, sync_status


def _scanned(spool: Spool) -> tuple[list, int]:
    """What the sync agent sees: finished sessions, and how many are still open."""
    scan = scan_spool(spool)
    assert scan.unreadable == []
    return scan.finished, scan.still_open


@pytest.fixture
def org(tmp_path):
    return make_org_key(tmp_path)


def sealing(org, tmp_path, scratch: Path | None = None) -> Sealing:
    return Sealing(tuple(parse_recipients([org.recipient])), scratch, RefIndex(tmp_path / "state"))


def record_session(spool: Spool, questions=("q1", "q2"), status="complete"):
    session = open_session(spool)
    for q in questions:
        files = new_take(session, q, 1)
        session.keep_take(q, 1, session.mux_take(q, 1))
        assert files.path.exists() is False
    session.finish(status, FINISHED)
    return session


def test_a_finished_session_is_only_encrypted_files_and_a_manifest_naming_nobody(tmp_path, org):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = record_session(spool)
    names = sorted(p.name for p in session.dir.iterdir())
    assert names == ["manifest.json", "manifest.json.age", "q1-take1.mp4.age", "q2-take1.mp4.age"]
    clear = read_json(session.dir / "manifest.json")
    assert clear == {
        "booth_id": "booth-7",
        "session_id": session.dir.name,
        "interview_id": "sales-2026",
        "status": "complete",
        "sealed": "age",
        "recovered_takes": 0,
        "files": [
            {
                "file": name,
                "bytes": (session.dir / name).stat().st_size,
                "sha256": sha256((session.dir / name).read_bytes()),
            }
            for name in ("q1-take1.mp4.age", "q2-take1.mp4.age", "manifest.json.age")
        ],
    }
    assert clear_files(session.dir) == [session.dir / "manifest.json"]
    assert leaks(tmp_path / "spool", ["cand-42", "2026-11-25"]) == []

    # The standard age command decrypts everything with the organisation's identity.
    full = json.loads(age_decrypt(session.dir / "manifest.json.age", org))
    assert full["candidate_ref"] == "cand-42" and full["status"] == "complete"
    assert full["started"] == "2026-11-25T22:15:00+00:00"
    for take in full["takes"]:
        mp4 = age_decrypt(session.dir / (take["file"] + ".age"), org)
        assert len(mp4) == take["bytes"] and sha256(mp4) == take["sha256"]
        assert mp4[4:8] == b"ftyp"


def test_an_ended_early_or_declined_session_is_sealed_too(tmp_path, org):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    early = record_session(spool, ("q1",), "ended-early")
    declined = record_session(spool, (), "declined")
    assert read_json(early.dir / "manifest.json")["status"] == "ended-early"
    assert sorted(p.name for p in declined.dir.iterdir()) == ["manifest.json", "manifest.json.age"]
    assert json.loads(age_decrypt(declined.dir / "manifest.json.age", org))["takes"] == []


def test_the_upload_carries_the_encrypted_files_with_metadata_naming_nobody(tmp_path, org):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = record_session(spool)
    scan = scan_spool(Spool(tmp_path / "spool"))
    (finished,), still_open = scan.finished, scan.still_open
    assert still_open == 0
    names = [f.name for f in finished.files]
    assert names == [
        "q1-take1.mp4.age",
        "q2-take1.mp4.age",
        "manifest.json.age",
        "manifest.json",
    ]
    for f in finished.files:
        data = (session.dir / f.name).read_bytes()
        assert f.length == len(data) and f.metadata["sha256"] == f.sha256 == sha256(data)
        assert set(f.metadata) == {
            "filename",
            "filetype",
            "booth",
            "interview",
            "session",
            "sha256",
        }
        assert "cand-42" not in json.dumps(f.metadata)


def test_while_the_session_runs_its_plaintext_manifest_never_says_finished(tmp_path, org):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = open_session(spool)
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    assert _scanned(Spool(tmp_path / "spool")) == ([], 1)
    # A crash in the middle of sealing leaves the plaintext saying "sealing": not for upload.
    with session._lock:
        session._manifest["finished"] = "x"
        session._close("complete")
    assert read_json(session.dir / "manifest.json")["status"] == "sealing"
    scan = scan_spool(Spool(tmp_path / "spool"))
    assert (scan.finished, scan.still_open, scan.sealing) == ([], 0, 1)
    Spool(tmp_path / "spool", sealing(org, tmp_path)).recover(FINISHED)
    clear = read_json(session.dir / "manifest.json")
    assert (clear["sealed"], clear["status"]) == ("age", "complete")


def test_recovery_seals_a_session_a_crash_cut_off_mid_take(tmp_path, org):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = open_session(spool)
    new_take(session, "q1", 1, seconds=2.0)  # recorded, never muxed: the kiosk died
    (report,) = Spool(tmp_path / "spool", sealing(org, tmp_path)).recover(FINISHED)
    assert report.dir == session.dir and report.unusable == []
    assert sorted(p.name for p in session.dir.iterdir()) == [
        "manifest.json",
        "manifest.json.age",
        "q1-take1.mp4.age",
    ]
    full = json.loads(age_decrypt(session.dir / "manifest.json.age", org))
    (take,) = full["takes"]
    assert full["status"] == "ended-early" and take["recovered"]
    assert sha256(age_decrypt(session.dir / "q1-take1.mp4.age", org)) == take["sha256"]


def test_finished_sessions_in_clear_are_sealed_once_recipients_are_set(tmp_path, org):
    session = record_session(Spool(tmp_path / "spool"))
    assert (session.dir / "q1-take1.mp4").exists()
    Spool(tmp_path / "spool", sealing(org, tmp_path)).recover(FINISHED)
    assert clear_files(session.dir) == [session.dir / "manifest.json"]
    assert leaks(tmp_path / "spool", ["cand-42"]) == []


@pytest.mark.parametrize("cut", ["staging half written", "staging whole", "after first rename"])
def test_a_seal_a_crash_cut_short_is_finished_or_done_again(tmp_path, org, cut):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = open_session(spool)
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    root, sid = tmp_path / "spool", session.dir.name
    # Seal a copy to get a whole staging directory, then put the pieces where a crash would.
    shutil.copytree(session.dir, tmp_path / "copy")
    copy_session = Spool(tmp_path / "copy-spool", sealing(org, tmp_path))
    (tmp_path / "copy-spool").mkdir()
    shutil.move(tmp_path / "copy", tmp_path / "copy-spool" / sid)
    for entry in copy_session.sessions():
        from booth.media.spool import SpoolSession

        SpoolSession(entry.dir, entry.manifest, copy_session.sealing).finish("complete", FINISHED)
    sealed = tmp_path / "copy-spool" / sid
    if cut == "staging half written":
        (root / f"{STAGING}{sid}").mkdir()
        shutil.copy(sealed / "q1-take1.mp4.age", root / f"{STAGING}{sid}")
    elif cut == "staging whole":
        shutil.copytree(sealed, root / f"{STAGING}{sid}")
    else:
        shutil.copytree(sealed, root / f"{STAGING}{sid}")
        os.rename(session.dir, root / f"{PLAIN}{sid}")
    Spool(root, sealing(org, tmp_path)).recover(FINISHED)
    assert sorted(p.name for p in root.iterdir()) == [sid]
    assert read_json(root / sid / "manifest.json")["sealed"] == "age"
    assert leaks(root, ["cand-42"]) == []
    if cut != "staging half written":
        assert finish_interrupted(root, None) == []


def test_with_a_scratch_directory_a_running_session_never_touches_the_spool(tmp_path, org):
    scratch = tmp_path / "scratch"
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path, scratch))
    session = open_session(spool)
    assert session.dir.parent == scratch
    assert not any((tmp_path / "spool").iterdir())
    new_take(session, "q1", 1)
    session.keep_take("q1", 1, session.mux_take("q1", 1))
    assert [e.manifest["status"] for e in spool.sessions()] == ["recording"]
    session.finish("complete", FINISHED)
    assert session.dir.parent == tmp_path / "spool"
    assert list(scratch.iterdir()) == []
    assert clear_files(tmp_path / "spool") == [session.dir / "manifest.json"]


def test_a_scratch_without_recipients_moves_finished_sessions_to_the_spool_in_clear(tmp_path):
    scratch = tmp_path / "scratch"
    spool = Spool(tmp_path / "spool", Sealing((), scratch, RefIndex(tmp_path / "state")))
    session = open_session(spool)
    new_take(session, "q1", 1)
    result = session.mux_take("q1", 1)
    session.keep_take("q1", 1, result)
    session.finish("complete", FINISHED)
    assert session.dir == tmp_path / "spool" / session.session_id
    manifest = read_json(session.dir / "manifest.json")
    assert manifest["candidate_ref"] == "cand-42" and manifest["status"] == "complete"
    assert sha256((session.dir / "q1-take1.mp4").read_bytes()) == result.sha256
    assert list(scratch.iterdir()) == []


def test_everything_the_spool_writes_is_private_whatever_the_umask(tmp_path, org):
    old = os.umask(0o002)
    try:
        spool = Spool(tmp_path / "spool", sealing(org, tmp_path, tmp_path / "scratch"))
        record_session(spool)
        running = open_session(spool)
        new_take(running, "q1", 1)
        running.mux_take("q1", 1)
    finally:
        os.umask(old)
    for root in ("spool", "scratch", "state"):
        assert modes_not_private(tmp_path / root) == []


@pytest.mark.slow
def test_booth_commands_write_private_files_under_a_permissive_umask(tmp_path, small_booth):
    """A hand-run `booth simulate` (umask 000 here) still writes 0600/0700: a take being
    recorded, its session, the state."""
    script = tmp_path / "s.txt"
    script.write_text(start_recording_q1("wait 2\n"))
    out = tmp_path / "out"
    code = (
        "import os, sys; os.umask(0); from booth.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    cmd = [sys.executable, "-c", code, "simulate", "--config", str(small_booth), "--headless"]
    cmd += ["--script", str(script), "--out", str(out)]
    # The take is cut off by the end of the script before anybody kept it: an interview that
    # sends such takes keeps it (by default it is deleted, issue 12.3).
    interviews = interviews_keeping_unreviewed_takes(tmp_path)
    subprocess.run(cmd + ["--interviews", str(interviews)], check=True)
    assert list((out / "spool").glob("*/q1-take1.mp4"))
    assert modes_not_private(out / "spool") == []
    assert modes_not_private(out / "state") == []


def test_config_check_names_a_recipient_that_is_not_an_age_key(tmp_path, org, capsys):
    config = tmp_path / "booth.toml"
    (tmp_path / "interviews").mkdir()
    paths = '[paths]\ninterviews = "interviews"\n'
    config.write_text(paths + f'[privacy]\nrecipients = ["{org.recipient}", "age1notakey"]\n')
    assert main(["config", "check", "--config", str(config)]) != 0
    err = capsys.readouterr()
    assert "privacy.recipients: item 2 is not an age X25519 recipient" in err.out + err.err
    config.write_text(paths + f'[privacy]\nrecipients = ["{org.recipient}"]\n')
    assert main(["config", "check", "--config", str(config)]) == 0


# ---------------------------------------------------------------------------- takes open
def test_takes_open_decrypts_a_received_session_and_checks_every_hash(tmp_path, org, capsys):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = record_session(spool)
    received = tmp_path / "received"
    shutil.copytree(session.dir, received)
    out = tmp_path / "opened"
    assert (
        main(["takes", "open", str(received), "-i", str(org.identity), "--out", str(out), "--json"])
        == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert shown["candidate_ref"] == "cand-42" and len(shown["takes"]) == 2
    manifest = read_json(out / "manifest.json")
    for take in manifest["takes"]:
        data = (out / take["file"]).read_bytes()
        assert sha256(data) == take["sha256"] and data[4:8] == b"ftyp"


def test_takes_open_refuses_a_damaged_file_and_a_wrong_identity(tmp_path, org, capsys):
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    session = record_session(spool)
    received = tmp_path / "received"
    shutil.copytree(session.dir, received)
    other = make_org_key(tmp_path / "state")
    out = tmp_path / "opened"
    assert main(["takes", "open", str(received), "-i", str(other.identity), "--out", str(out)]) == 1
    assert "cannot decrypt with this identity" in capsys.readouterr().err
    # Cut the end off a take (a broken transfer): age's last chunk is missing.
    take = received / "q2-take1.mp4.age"
    take.write_bytes(take.read_bytes()[:-100])
    assert main(["takes", "open", str(received), "-i", str(org.identity), "--out", str(out)]) == 1
    assert "q2-take1.mp4.age" in capsys.readouterr().err
    # Without the clear manifest, age itself finds the damage.
    (received / "manifest.json").unlink()
    assert main(["takes", "open", str(received), "-i", str(org.identity), "--out", str(out)]) == 1
    assert "cannot decrypt" in capsys.readouterr().err
    assert not (out / "q2-take1.mp4").exists()
    assert hashlib.sha256((out / "q1-take1.mp4").read_bytes()).hexdigest()


# -------------------------------------------------------------------------------- doctor
def test_doctor_warns_that_takes_are_in_clear_without_recipients(org):
    check = privacy_check(())
    assert (check.result, check.detail) == (
        WARN,
        "no [privacy] recipients: takes are stored in clear on this booth",
    )
    assert "age-keygen" in check.fix
    assert privacy_check((org.recipient,)).result == PASS


def test_doctor_warns_when_others_can_read_the_spool(tmp_path):
    spool = tmp_path / "spool"
    assert spool_access_check(spool).result == SKIP
    spool.mkdir(mode=0o755)
    spool.chmod(0o755)
    check = spool_access_check(spool)
    assert check.result == WARN and "readable by others (mode 0755)" in check.detail
    assert f"chmod o-rwx {spool}" in check.fix
    spool.chmod(0o750)  # group-readable only: passes too
    assert spool_access_check(spool).result == PASS
    assert list(spool.iterdir()) == []  # its test file is gone


def test_a_session_a_crash_left_in_the_scratch_directory_is_sealed_at_the_next_start(tmp_path, org):
    scratch = tmp_path / "scratch"
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path, scratch))
    session = open_session(spool)
    new_take(session, "q1", 1)  # the kiosk dies mid-take
    (report,) = Spool(tmp_path / "spool", sealing(org, tmp_path, scratch)).recover(FINISHED)
    assert report.dir == tmp_path / "spool" / session.session_id
    assert list(scratch.iterdir()) == []
    full = json.loads(age_decrypt(report.dir / "manifest.json.age", org))
    assert full["status"] == "ended-early" and full["takes"][0]["recovered"]


def test_a_sealed_session_budgets_disk_for_the_encrypted_copy_of_each_kept_take():
    questions = [(60.0, 1), (30.0, 2)]
    mp4_per_s = (4_000_000 + 64_000) / 8
    clear = worst_case_bytes(questions, 4_000_000, 48_000, 1)
    sealed = worst_case_bytes(questions, 4_000_000, 48_000, 1, sealed=True)
    assert sealed - clear == int((60 + 30) * mp4_per_s)


@pytest.fixture
def tiny_spool(tmp_path):
    """A spool on a 64 KB file system: too small for a session's encrypted takes."""
    mount = tmp_path / "spool"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_seal_the_disk_cannot_hold_stays_in_clear_unfinished_until_it_can(
    tmp_path, org, tiny_spool
):
    scratch = tmp_path / "scratch"
    spool = Spool(tiny_spool, sealing(org, tmp_path, scratch))
    session = open_session(spool)
    for q in ("q1", "q2"):
        new_take(session, q, 1, seconds=3.0)
        session.keep_take(q, 1, session.mux_take(q, 1))
    with pytest.raises(OSError):
        session.finish("complete", FINISHED)
    # Nothing half-sealed takes the space; the sync agent sees no finished session.
    assert list(tiny_spool.iterdir()) == []
    assert read_json(scratch / session.session_id / "manifest.json")["status"] == "sealing"
    assert _scanned(Spool(tiny_spool)) == ([], 0)
    # Once there is room, the next start seals it.
    subprocess.run(["mount", "-o", "remount,size=20m", str(tiny_spool)], check=True)
    Spool(tiny_spool, sealing(org, tmp_path, scratch)).recover(FINISHED)
    (sealed,) = tiny_spool.iterdir()
    assert read_json(sealed / "manifest.json")["status"] == "complete"
    assert list(scratch.iterdir()) == []


def test_without_the_age_command_a_session_stays_in_clear_unfinished_and_doctor_fails(
    tmp_path, org, monkeypatch
):
    installed = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-age-here"))
    check = privacy_check((org.recipient,))
    assert check.result == FAIL and "age command is not installed" in check.detail
    assert "apt install age" in check.fix
    spool = Spool(tmp_path / "spool", sealing(org, tmp_path))
    with pytest.raises(SealError, match=r"the age command is not installed \(apt install age\)"):
        record_session(spool)
    (session,) = (tmp_path / "spool").iterdir()
    assert read_json(session / "manifest.json")["status"] == "sealing"
    assert sorted(p.name for p in session.glob("*.mp4")) == ["q1-take1.mp4", "q2-take1.mp4"]
    scan = scan_spool(Spool(tmp_path / "spool"))
    assert (scan.finished, scan.still_open, scan.sealing) == ([], 0, 1)
    # booth status says so, not that it is being recorded.
    settings = load_settings(None)
    settings = dataclasses.replace(
        settings, paths=dataclasses.replace(settings.paths, spool=tmp_path / "spool")
    )
    lines = "\n".join(status_lines(sync_status(settings)))
    assert "not sealed yet: 1 ended session(s), in clear, not uploaded" in lines
    assert "being recorded" not in lines
    # Installed again, the next start seals it.
    monkeypatch.setenv("PATH", installed)
    Spool(tmp_path / "spool", sealing(org, tmp_path)).recover(FINISHED)
    assert read_json(session / "manifest.json")["status"] == "complete"
    assert sorted(p.name for p in session.glob("*.mp4*")) == [
        "q1-take1.mp4.age",
        "q2-take1.mp4.age",
    ]


@pytest.mark.slow
def test_without_the_age_command_the_kiosk_records_nothing_it_could_not_encrypt(
    tmp_path, org, monkeypatch
):
    """The consent screen promises encrypted storage: a booth that cannot keep the promise
    is out of order, with the fix for staff, until age is there."""
    config = tmp_path / "booth.toml"
    config.write_text(
        "[recording]\nwidth = 160\nheight = 120\ndisk_margin_bytes = 0\n"
        f'[privacy]\nrecipients = ["{org.recipient}"]\n',
        encoding="utf-8",
    )
    installed = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-age-here"))
    out = tmp_path / "out"
    script = "expect idle\nwait 1.1\nexpect out-of-order\npress start\nexpect out-of-order\n"
    assert simulate_booth(config, script, out) == 0
    state = read_state(out / "state")
    assert state.screen == "out-of-order" and "apt install age" in state.fault
    assert state.fault_id == "sealing"  # booth_out_of_order{reason="sealing"}
    monkeypatch.setenv("PATH", installed)
    assert simulate_booth(config, "expect idle\nwait 1.1\nexpect idle\n", out) == 0


def test_a_seal_that_failed_is_done_at_the_next_sessions_end(tmp_path, org, monkeypatch):
    """Without waiting for a restart: the kiosk's recorder seals what is waiting once the next
    session's own seal worked."""
    camera = SimCamera(160, 120, 30, Scene(seed=1))
    camera.start()
    worker = ThreadPoolExecutor(max_workers=1)
    recorder = Recorder(
        Spool(tmp_path / "spool", sealing(org, tmp_path)),
        tmp_path / "practice",
        camera,
        RecordingFormat(160, 120, 30, 300_000, 48_000, 1),
        "booth-7",
        worker,
    )

    def one_session(ref: str) -> None:
        recorder.open_session("sales-2026", ref, FINISHED)
        recorder.start_take("q1", 1, False, 30.0, FINISHED)
        for i in range(30):
            camera.capture(round(i * 1e9 / 30))
            recorder.audio(np.zeros(1600, np.int16), round(i * 1e9 / 30))
        recorder.stop_take(30.0, 10**9)
        recorder.keep_take("q1", 1)
        recorder.tick(2 * 10**9)
        recorder.finish_session("complete", FINISHED)
        worker.submit(lambda: None).result()  # the worker has done all before it

    installed = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-age-here"))
    one_session("cand-1")
    assert any("age command is not installed" in e for e in recorder.errors)
    (waiting,) = (tmp_path / "spool").iterdir()
    assert read_json(waiting / "manifest.json")["status"] == "sealing"
    monkeypatch.setenv("PATH", installed)
    one_session("cand-2")
    recorder.close()
    camera.stop()
    finished, still_open = _scanned(Spool(tmp_path / "spool"))
    assert (len(finished), still_open) == (2, 0)
    for session in (tmp_path / "spool").iterdir():
        assert read_json(session / "manifest.json")["sealed"] == "age"
        assert clear_files(session) == [session / "manifest.json"]


def test_takes_recover_by_hand_seals_what_it_recovers(tmp_path, org, capsys):
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\nspool = "{tmp_path / "spool"}"\nstate = "{tmp_path / "state"}"\n'
        f'[privacy]\nrecipients = ["{org.recipient}"]\n'
    )
    session = open_session(Spool(tmp_path / "spool"))
    new_take(session, "q1", 1, seconds=2.0)  # the kiosk died mid-take
    assert main(["takes", "recover", "--config", str(config), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["session"] == session.session_id and len(report["recovered"]) == 1
    assert clear_files(session.dir) == [session.dir / "manifest.json"]
    assert main(["takes", "list", "--config", str(config)]) == 0
    assert f"{session.session_id}  ended-early  sales-2026  sealed: 2 encrypted files" in (
        capsys.readouterr().out
    )


def test_takes_commands_refuse_to_write_in_another_users_spool(tmp_path, capsys):
    """Run as root in the booth user's spool, they would leave 0600 files the kiosk and the
    sync agent cannot read: they say which user to run as instead."""
    spool = tmp_path / "spool"
    spool.mkdir()
    os.chown(spool, 65534, 65534)
    for command in (["recover"], ["forget", "cand-42"]):
        code = main(["takes", *command, "--spool", str(spool), "--state", str(tmp_path / "s")])
        assert code == 2
        assert "run this as that user (sudo -u nobody booth takes" in capsys.readouterr().err


def test_doctor_checks_that_the_scratch_folder_is_in_ram(tmp_path):
    # On disk: a mount table in which the test's folder is on an SD card's partition (the
    # machine's own /tmp may itself be a tmpfs, as under make arm64-check).
    card = tmp_path / "mounts"
    card.write_text(f"/dev/root / ext4 rw 0 0\n/dev/mmcblk0p3 {tmp_path} ext4 rw 0 0\n")
    on_disk = scratch_check(tmp_path / "scratch", mounts=card)
    assert on_disk.result == WARN and "not in RAM" in on_disk.detail
    assert "ext4" in on_disk.detail and "/dev/mmcblk0p3" in on_disk.detail
    assert "tmpfs" in on_disk.fix
    ram = tmp_path / "ram"
    ram.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(ram)], check=True)
    try:
        check = scratch_check(ram / "booth")  # made by the first session
        assert check.result == PASS and f"in RAM (tmpfs on {ram})" in check.detail
    finally:
        subprocess.run(["umount", "-l", str(ram)], check=False)
