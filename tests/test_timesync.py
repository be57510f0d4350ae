"""Time before uploads: the clock's state as timesyncd and the kernel tell it, and what
`booth status`, `booth doctor` and booth-metrics.service make of it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from booth.cli import status_cmd
from booth.cli.main import main
from booth.doctor import checks
from booth.doctor.checks import FAIL, PASS
from booth.state import KioskState
from booth.timesync import ClockState, clock_state

ROOT = Path(__file__).resolve().parents[1]


def test_timesyncds_flag_file_means_synchronised(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    assert clock_state(flag, kernel=lambda: False) == ClockState(False, "kernel")
    assert clock_state(flag, kernel=lambda: False).waiting
    assert not clock_state(flag, kernel=lambda: None).waiting  # nobody can tell: no waiting
    flag.touch()
    assert clock_state(flag, kernel=lambda: False) == ClockState(True, "systemd-timesyncd")


def test_doctor_fails_an_unsynchronised_clock_with_the_fix(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    check = checks.clock_check(False, "kernel")
    assert check.result == FAIL and "waiting for clock" in check.detail
    assert check.fix and "timedatectl timesync-status" in check.fix and "NTP" in check.fix
    flag.touch()
    assert checks.ntp_synchronized("/nonexistent/timedatectl", flag) == (
        True,
        "systemd-timesyncd",
    )
    assert checks.clock_check(True, "systemd-timesyncd").result == PASS


def test_status_says_waiting_for_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "booth.toml"
    config.write_text(f'[paths]\nspool = "{tmp_path}/spool"\nstate = "{tmp_path}/state"\n')
    monkeypatch.setattr(status_cmd, "clock_state", lambda: ClockState(False, "kernel"))
    assert main(["status", "--config", str(config), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["clock"] == {
        "synchronized": False,
        "source": "kernel",
        "uploads": "waiting for clock",
    }
    assert main(["status", "--config", str(config)]) == 0
    assert "waiting for clock: the clock is not synchronised yet" in capsys.readouterr().out
    monkeypatch.setattr(status_cmd, "clock_state", lambda: ClockState(True, "kernel"))
    assert main(["status", "--config", str(config)]) == 0
    assert "waiting for clock" not in capsys.readouterr().out


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A unix datagram socket bound where systemd's would be (short path: 108 bytes max)."""
    directory = tempfile.mkdtemp(prefix="sd")
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    try:
        yield sock, path
    finally:
        sock.close()
        os.unlink(path)
        os.rmdir(directory)


def wait_for(predicate, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def kiosk_up(textfile: Path) -> float | None:
    try:
        text = textfile.read_text()
    except FileNotFoundError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "booth_kiosk_up":
                return sample.value
    return None


@pytest.mark.slow
def test_the_service_is_ready_then_rewrites_at_once_when_the_kiosk_starts(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    state = tmp_path / "state"
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\nspool = "{tmp_path}/spool"\nstate = "{state}"\n'
        f'[metrics]\ntextfile_dir = "{textfile}"\ninterval_seconds = 60\n'
    )
    # systemd's environment for a Type=notify service with WatchdogSec=2 (no WATCHDOG_PID:
    # then any process may ping).
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}
    env.pop("WATCHDOG_PID", None)
    service = subprocess.Popen(
        [sys.executable, "-m", "booth", "metrics", "--watch", "--config", str(config)],
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert sock.recv(4096).decode().startswith("READY=1")
        wait_for(lambda: kiosk_up(textfile / "booth.prom") == 0)
        # A kiosk starts: within the 60 s interval, the file already says so.
        KioskState("idle", "idle", None, "2026-03-02T10:00:00+00:00", None, os.getpid()).write(
            state
        )
        wait_for(lambda: kiosk_up(textfile / "booth.prom") == 1)
        assert "WATCHDOG=1" in sock.recv(4096).decode()
    finally:
        service.send_signal(signal.SIGTERM)
        out, _ = service.communicate(timeout=20)
    assert service.returncode == 0, out
