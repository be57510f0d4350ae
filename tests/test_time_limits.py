"""Every test has a time limit (pytest-timeout, set in pyproject's [tool.pytest.ini_options]),
and a test that hangs fails there while the run goes on with the next test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HANGS = """
import threading

def test_waits_for_a_thread_that_never_answers():
    threading.Event().wait()  # a deadlock: nothing ever sets it

def test_after_it():
    pass
"""


def test_the_suite_sets_a_time_limit_for_every_test(pytestconfig):
    assert pytestconfig.inipath == ROOT / "pyproject.toml"
    assert 0 < float(pytestconfig.getini("timeout")) <= 60
    assert pytestconfig.getini("timeout_method") == "signal"


@pytest.mark.slow
def test_a_hung_test_fails_at_its_limit_and_the_run_goes_on(tmp_path):
    """The project's own settings, with the limit cut to 1 s so that this test stays quick."""
    (tmp_path / "test_hangs.py").write_text(HANGS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml")]
        + ["--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-o", "timeout=1"]
        + [str(tmp_path / "test_hangs.py")],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Timeout (>1.0s) from pytest-timeout" in result.stdout, result.stdout
    assert "1 failed, 1 passed" in result.stdout, result.stdout
