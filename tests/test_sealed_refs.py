"""Candidate references sealed at install on a booth with [privacy] recipients: the installed
codes.csv names nobody, and the booth still finds a candidate's sessions and invitation
(issue 13: "no candidate reference" on a stolen card)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime

import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from privacy_support import age_decrypt, age_open_reference, make_org_key, read_json
from test_interviews_cmd import booth, make_booth, recruiter_copy
from test_stolen_card import ANSWER_ALL, with_code

from booth.cli.main import main
from booth.config.codes import SEALED_REF, load_codes
from booth.config.errors import ConfigError
from booth.config.interview import load_interviews
from booth.doctor.checks import PASS, WARN, privacy_check
from booth.media.spool import Spool
from booth.privacy.age import parse_recipients
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing

pytestmark = pytest.mark.slow

FINISHED = datetime(2026, 11, 25, 22, 45, tzinfo=UTC)
REFS = {"CAND-0001", "CAND-0002", "CAND-0003", "CAND-0004"}
CLEAR_CODES = (EXAMPLE_INTERVIEWS / "example" / "codes.csv").read_text(encoding="utf-8")


@pytest.fixture
def org(tmp_path):
    return make_org_key(tmp_path)


def sealed_booth(tmp_path, org):
    """Booth settings with recipients, whose state is the simulator's (`<tmp>/out/state`), so
    that what `booth interviews add` seals, the simulated kiosk finds."""
    config = make_booth(tmp_path)
    text = config.read_text(encoding="utf-8")
    text = text.replace(f'state = "{tmp_path}/state"', f'state = "{tmp_path}/out/state"')
    text = text.replace(f'spool = "{tmp_path}/spool"', f'spool = "{tmp_path}/out/spool"')
    config.write_text(text + f'[privacy]\nrecipients = ["{org.recipient}"]\n', encoding="utf-8")
    return config


def installed_refs(tmp_path) -> list[str]:
    codes = tmp_path / "interviews" / "example" / "codes.csv"
    return [line.split(",")[1] for line in codes.read_text().splitlines()[1:]]


def used(config, capsys) -> dict:
    capsys.readouterr()
    assert main(["interviews", "list", "--json", "--config", str(config)]) == 0
    (item,) = json.loads(capsys.readouterr().out)["interviews"]
    return {k: item[k] for k in ("used", "resumable", "unused")}


def test_installing_with_recipients_seals_every_reference(tmp_path, org):
    config = sealed_booth(tmp_path, org)
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    refs = installed_refs(tmp_path)
    assert len(refs) == 4 and all(SEALED_REF.fullmatch(ref) for ref in refs)
    assert "CAND-" not in (tmp_path / "interviews" / "example" / "codes.csv").read_text()
    # The organisation opens each with the standard age command.
    assert {age_open_reference(ref, org) for ref in refs} == REFS
    interviews, _ = load_interviews(tmp_path / "interviews")
    assert privacy_check((org.recipient,), interviews).result == PASS


def test_a_session_carries_the_sealed_reference_and_takes_open_and_forget_find_it(
    tmp_path, org, capsys
):
    config = sealed_booth(tmp_path, org)
    installed = tmp_path / "interviews"
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    out = tmp_path / "out"
    assert simulate_booth(config, with_code("123456", ANSWER_ALL), out, installed) == 0
    assert used(config, capsys) == {"used": 1, "resumable": 0, "unused": 3}
    (session,) = (out / "spool").iterdir()
    full = json.loads(age_decrypt(session / "manifest.json.age", org))
    assert SEALED_REF.fullmatch(full["candidate_ref"])
    # The recipient's side opens the reference with the session.
    opened = tmp_path / "opened"
    capsys.readouterr()
    args = ["takes", "open", str(session), "--identity", str(org.identity), "--out", str(opened)]
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["candidate_ref"] == "CAND-0001"
    assert read_json(opened / "manifest.json")["candidate_ref"] == "CAND-0001"
    # Erasure finds the session and the invitation record by the reference in clear.
    capsys.readouterr()
    assert main(["takes", "forget", "CAND-0001", "--json", "--config", str(config)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["session"] for s in report["sessions"]] == [session.name]
    assert not session.exists()
    assert used(config, capsys) == {"used": 0, "resumable": 0, "unused": 4}


def test_the_same_invitations_installed_again_are_unchanged(tmp_path, org, capsys):
    config = sealed_booth(tmp_path, org)
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    before = installed_refs(tmp_path)
    codes = tmp_path / "codes.csv"
    codes.write_text(CLEAR_CODES, encoding="utf-8")
    capsys.readouterr()
    assert booth(config, "codes", "example", "--codes", str(codes)) == 0
    assert capsys.readouterr().out.startswith("unchanged")
    assert installed_refs(tmp_path) == before
    codes.write_text(CLEAR_CODES.replace("CAND-0004", "CAND-0005"), encoding="utf-8")
    assert booth(config, "codes", "example", "--codes", str(codes)) == 0
    after = installed_refs(tmp_path)
    assert all(SEALED_REF.fullmatch(ref) for ref in after)
    keyed = [SEALED_REF.fullmatch(ref).group(1) for ref in before + after]  # type: ignore[union-attr]
    assert keyed[:3] == keyed[4:7] and keyed[3] != keyed[7]
    assert [age_open_reference(ref, org) for ref in after][3] == "CAND-0005"


def test_the_kiosk_seals_references_installed_before_recipients_were_set(tmp_path, org, capsys):
    config = sealed_booth(tmp_path, org)
    with_recipients = config.read_text(encoding="utf-8")
    config.write_text(with_recipients.split("[privacy]")[0], encoding="utf-8")
    installed = tmp_path / "interviews"
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    assert sorted(installed_refs(tmp_path)) == sorted(REFS)  # in clear, as then
    out = tmp_path / "out"
    assert simulate_booth(config, with_code("123456", ANSWER_ALL), out, installed) == 0
    assert used(config, capsys) == {"used": 1, "resumable": 0, "unused": 3}
    # Recipients set, the next start seals them; the invitation already used stays used.
    config.write_text(with_recipients, encoding="utf-8")
    assert simulate_booth(config, "expect idle\n", out, installed) == 0
    refs = installed_refs(tmp_path)
    assert all(SEALED_REF.fullmatch(ref) for ref in refs)
    assert {age_open_reference(ref, org) for ref in refs} == REFS
    assert used(config, capsys) == {"used": 1, "resumable": 0, "unused": 3}
    assert not list(installed.glob(".*installing*"))


def test_a_recruiters_folder_is_never_rewritten(tmp_path, org):
    config = sealed_booth(tmp_path, org)
    folder = recruiter_copy(tmp_path / "recruiter")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "out"
    assert simulate_booth(config, "expect idle\n", out, folder.parent) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no lock file


def test_a_sealed_reference_is_only_read_from_an_installed_file(tmp_path, org):
    config = sealed_booth(tmp_path, org)
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    installed = tmp_path / "interviews" / "example" / "codes.csv"
    sealed = installed_refs(tmp_path)[0]
    # A recruiter's file (codes in clear) cannot carry one.
    source = tmp_path / "source.csv"
    source.write_text(f"code,candidate_ref\n123456,{sealed}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="candidate_ref"):
        load_codes(source)
    # Two sealings of one reference are the same reference.
    lines = installed.read_text().splitlines()
    first = lines[1].split(",")
    twin = lines[2].split(",")
    twin[1] = re.sub(r":[^:]+$", ":" + first[1].rsplit(":", 1)[1][::-1], first[1])
    installed.write_text("\n".join([lines[0], lines[1], ",".join(twin)]) + "\n")
    with pytest.raises(ConfigError, match="same reference as line 2"):
        load_codes(installed)


def hostile_session(tmp_path, org, interview_id: str, ref: str):
    """A sealed session as a tampered booth could send it: its manifest's fields are whatever
    that booth wrote."""
    sealing = Sealing(tuple(parse_recipients([org.recipient])), None, RefIndex(tmp_path / "st"))
    spool = Spool(tmp_path / "spool", sealing)
    session = spool.open_session("booth-7", interview_id, ref, started=FINISHED)
    session.finish("complete", FINISHED)
    return session.dir


def test_opening_never_lets_a_booths_text_drive_the_terminal(tmp_path, org, capsys):
    escape = "\x1b]0;owned\x07\x1b[2J"
    session = hostile_session(tmp_path, org, f"iv{escape}", "CAND-9")
    args = ["takes", "open", str(session), "-i", str(org.identity), "--out", str(tmp_path / "o")]
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "iv\\x1b]0;owned\\x07\\x1b[2J" in out
    # A sealed reference must open to a plain one, as the booth installs them.
    sealed = RefIndex(tmp_path / "st").seal(f"CAND{escape}", parse_recipients([org.recipient]))
    session = hostile_session(tmp_path / "second", org, "iv", sealed)
    args = ["takes", "open", str(session), "-i", str(org.identity), "--out", str(tmp_path / "p")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "not a plain reference" in err and "\x1b" not in err


def test_a_read_only_interviews_folder_leaves_references_as_they_are_and_the_booth_runs(
    tmp_path, org, caplog
):
    config = sealed_booth(tmp_path, org)
    with_recipients = config.read_text(encoding="utf-8")
    config.write_text(with_recipients.split("[privacy]")[0], encoding="utf-8")
    staged = tmp_path / "staged"
    staged.mkdir()
    config.write_text(
        config.read_text().replace(f"{tmp_path}/interviews", str(staged)), encoding="utf-8"
    )
    assert booth(config, "add", str(recruiter_copy(tmp_path))) == 0
    installed = tmp_path / "interviews"  # a read-only copy (root ignores file modes)
    installed.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(installed)], check=True)
    try:
        subprocess.run(["cp", "-a", f"{staged}/.", str(installed)], check=True)
        subprocess.run(["mount", "-o", "remount,ro", str(installed)], check=True)
        config.write_text(with_recipients, encoding="utf-8")
        out = tmp_path / "out"
        assert simulate_booth(config, "expect idle\n", out, installed) == 0
        assert sorted(installed_refs(tmp_path)) == sorted(REFS)  # still in clear
        assert "cannot seal the references" in caplog.text
        # booth doctor tells staff.
        interviews, _ = load_interviews(installed)
        check = privacy_check((org.recipient,), interviews)
        assert check.result == WARN and "example name candidates in clear" in check.detail
        assert "booth interviews codes" in check.fix
    finally:
        subprocess.run(["umount", "-l", str(installed)], check=False)
