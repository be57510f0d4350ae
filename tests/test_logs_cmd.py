"""`booth logs`: the journal of both services, or a clear word on where the logs are instead."""

from __future__ import annotations

import shutil

import pytest

from booth.cli.logs_cmd import journal_command, journal_problem
from booth.cli.main import main


def test_the_journal_of_both_services_is_asked_for():
    assert journal_command(20, True) == [
        "journalctl",
        "-u",
        "booth-kiosk",
        "-u",
        "booth-sync",
        "-n",
        "20",
        "--no-pager",
        "-f",
    ]


def test_without_journalctl_the_logs_say_where_to_look(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without journalctl
    assert main(["logs", "-n", "5"]) == 2
    err = capfd.readouterr().err
    assert "journalctl is not installed" in err
    assert "standard error" in err and "Traceback" not in err


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="needs journalctl installed")
def test_with_journalctl_the_journal_is_shown_or_its_absence_explained(capfd):
    problem = journal_problem(shutil.which("journalctl"))
    code = main(["logs", "-n", "5"])
    captured = capfd.readouterr()
    if problem is None:  # a machine with journald: journalctl's own output, exit 0
        assert code == 0
    else:  # no journal (a container, this test machine): one clear line, exit 2
        assert code == 2
        assert "there is no journal on this machine" in captured.err
        assert "standard error" in captured.err
        assert captured.out == ""
