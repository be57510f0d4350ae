"""sd_notify through a real NOTIFY_SOCKET, and where the logs go with and without journald."""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from systemd import journal

from booth import service


@pytest.fixture
def systemd_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A unix datagram socket bound where systemd's would be, named by NOTIFY_SOCKET."""
    # A short directory: unix socket paths are limited to 108 bytes.
    directory = tempfile.mkdtemp(prefix="notify-")
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2.0)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield sock
    sock.close()
    os.unlink(path)
    os.rmdir(directory)


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_reaches_systemd_with_the_first_status(systemd_socket: socket.socket) -> None:
    assert service.notify_ready("Waiting for the camera")
    assert received(systemd_socket) == "READY=1\nSTATUS=Waiting for the camera"


def test_status_text_is_sent_as_one_line(systemd_socket: socket.socket) -> None:
    assert service.notify_status("Idle: 3 sessions\nwaiting for upload")
    assert received(systemd_socket) == "STATUS=Idle: 3 sessions waiting for upload"


def test_stopping_is_announced(systemd_socket: socket.socket) -> None:
    assert service.notify_stopping("Finishing the take")
    assert received(systemd_socket) == "STOPPING=1\nSTATUS=Finishing the take"


def test_outside_systemd_notifications_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not service.notify_ready()
    assert not service.notify_status("anything")


def test_a_vanished_socket_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert not service.notify_status("still running")
    assert "could not tell systemd" in caplog.text


def test_watchdog_thread_pings_at_half_the_configured_interval(
    systemd_socket: socket.socket,
) -> None:
    # WatchdogSec=0.2s → systemd sets WATCHDOG_USEC=200000 → a ping every 0.1 s.
    watchdog = service.Watchdog.from_environment(
        {"WATCHDOG_USEC": "200000", "WATCHDOG_PID": str(os.getpid())}
    )
    assert watchdog.interval_seconds == pytest.approx(0.1)
    pinged = []  # when the thread pinged: on its side, so a busy receiver cannot bunch them up
    ping = watchdog.ping

    def timed_ping() -> bool:
        pinged.append(time.monotonic())
        return ping()

    watchdog.ping = timed_ping  # type: ignore[method-assign]
    watchdog.start()
    try:
        for _ in range(6):
            assert received(systemd_socket) == "WATCHDOG=1"
    finally:
        watchdog.stop()
    gaps = sorted(b - a for a, b in zip(pinged, pinged[1:], strict=False))
    # Never sooner than the interval. Later only when the machine holds the thread up: the
    # median stays under WatchdogSec, which a thread waiting all of it would not (the gaps'
    # spread on an unloaded machine: `python -m bench latency`).
    assert len(gaps) >= 5 and gaps[0] >= 0.099, gaps
    assert gaps[len(gaps) // 2] < 0.2, gaps


def test_watchdog_ticked_from_the_main_loop_pings_only_when_due(
    systemd_socket: socket.socket,
) -> None:
    now = [100.0]
    watchdog = service.Watchdog.from_environment({"WATCHDOG_USEC": "30000000"}, lambda: now[0])
    assert watchdog.interval_seconds == 15.0
    pinged = []
    for _ in range(40):  # 40 loop turns, one second apart
        pinged.append(watchdog.tick())
        now[0] += 1.0
    assert [i for i, p in enumerate(pinged) if p] == [0, 15, 30]
    systemd_socket.settimeout(0.2)
    assert [received(systemd_socket) for _ in range(3)] == ["WATCHDOG=1"] * 3
    with pytest.raises(TimeoutError):
        received(systemd_socket)


def test_watchdog_is_off_without_watchdog_usec_or_for_another_process(
    systemd_socket: socket.socket,
) -> None:
    assert not service.Watchdog.from_environment({}).enabled
    assert not service.Watchdog.from_environment({"WATCHDOG_USEC": "junk"}).enabled
    child = service.Watchdog.from_environment({"WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
    assert not child.enabled
    assert not child.tick()
    child.start()
    child.stop()
    systemd_socket.settimeout(0.1)
    with pytest.raises(TimeoutError):
        received(systemd_socket)


def test_logs_go_to_stderr_when_there_is_no_journald(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    root = service.setup_logging("booth-kiosk", environ={}, journal_socket=tmp_path / "none")
    try:
        logging.getLogger("booth.kiosk").warning("camera not found")
        booth_handlers = [h for h in root.handlers if h.name == service.HANDLER_NAME]
        assert [type(h) for h in booth_handlers] == [logging.StreamHandler]
        assert "WARNING booth.kiosk: camera not found" in stderr.getvalue()
    finally:
        for handler in [h for h in root.handlers if h.name == service.HANDLER_NAME]:
            root.removeHandler(handler)


def test_logs_go_to_the_journal_under_systemd(tmp_path: Path) -> None:
    root = service.setup_logging(
        "booth-sync", environ={"JOURNAL_STREAM": "8:1234"}, journal_socket=tmp_path / "none"
    )
    again = service.setup_logging(
        "booth-sync", environ={"JOURNAL_STREAM": "8:1234"}, journal_socket=tmp_path / "none"
    )
    try:
        booth_handlers = [h for h in again.handlers if h.name == service.HANDLER_NAME]
        assert root is again
        assert len(booth_handlers) == 1
        assert isinstance(booth_handlers[0], journal.JournalHandler)
    finally:
        for handler in booth_handlers:
            root.removeHandler(handler)


def test_a_journald_socket_counts_as_journald(tmp_path: Path) -> None:
    sock_path = tmp_path / "journal.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    try:
        assert service.journald_present({}, sock_path)
        assert not service.journald_present({}, tmp_path / "missing")
    finally:
        sock.close()
