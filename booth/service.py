"""Running under systemd: readiness, status and watchdog messages, and where logs go.

The kiosk and the sync agent are `Type=notify` services (deploy/systemd/). They tell systemd
when they are ready (`READY=1`), what they are doing in words staff see in `systemctl status`
(`STATUS=...`), and that their main loop is still turning (`WATCHDOG=1`). Without a ping within
`WatchdogSec=`, systemd kills and restarts the service: a hung camera or a stuck upload heals
itself instead of leaving a dead booth.

Messages go through systemd-python's `daemon.notify` (sd_notify(3)) to the socket named by
`$NOTIFY_SOCKET`. Outside systemd (a terminal, the tests without a socket) every call is a
quiet no-op, so the same code runs everywhere.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from systemd import daemon, journal

log = logging.getLogger(__name__)

# journald's native socket: present whenever journald runs, even for a process started by hand.
JOURNAL_SOCKET = Path("/run/systemd/journal/socket")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "booth"  # the log handlers setup_logging adds, replaced when called again


def _notify(message: str) -> bool:
    """Send one sd_notify message; False when there is no systemd to hear it.

    A booth must never stop because its supervisor went away, so a socket that vanished is
    logged, not raised (systemd-python raises FileNotFoundError for a missing socket path).
    """
    try:
        return bool(daemon.notify(message))
    except OSError as err:
        log.warning("could not tell systemd %r: %s", message, err)
        return False


def notify_ready(status: str | None = None) -> bool:
    """Tell systemd the service has started (ends `systemctl start` for a Type=notify unit).

    `status`, when given, is sent with it as the first `STATUS=` line.
    """
    message = "READY=1" if status is None else f"READY=1\nSTATUS={_one_line(status)}"
    return _notify(message)


def notify_status(text: str) -> bool:
    """Show `text` as the service's status line in `systemctl status` (one line)."""
    return _notify(f"STATUS={_one_line(text)}")


def notify_stopping(status: str | None = None) -> bool:
    """Tell systemd the service is shutting down on purpose (finishing a take, say)."""
    message = "STOPPING=1" if status is None else f"STOPPING=1\nSTATUS={_one_line(status)}"
    return _notify(message)


def serve(ready: str, run: Callable[[threading.Event], None]) -> None:
    """Run a long-lived service until SIGTERM or SIGINT: `run(stop)` gets the event either
    signal sets; systemd hears READY (with `ready` as status) before and STOPPING after."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    notify_ready(ready)
    try:
        run(stop)
    finally:
        notify_stopping()


def _one_line(text: str) -> str:
    # sd_notify messages are newline-separated assignments: a newline would start a new one.
    return " ".join(text.split())


class Watchdog:
    """Pings systemd's watchdog at half of `WatchdogSec=`, so one late ping never kills the booth.

    systemd passes the watchdog interval in `$WATCHDOG_USEC` (microseconds) and the process it
    expects pings from in `$WATCHDOG_PID`. Use it in one of two ways:

    - from the main loop: call `tick()` every iteration; it pings only when half the interval has
      passed, so a loop that stalls (a hung camera read) stops the pings and systemd restarts it;
    - from its own thread: `start()` / `stop()`, for a process whose main loop blocks for longer
      than the interval by design; this proves only that the process is alive.

    A Watchdog made outside systemd (no `$WATCHDOG_USEC`) is disabled: every call does nothing.
    """

    def __init__(
        self, interval_seconds: float | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`interval_seconds` is the time between pings (None: disabled); `clock` in seconds."""
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._last_ping: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> Watchdog:
        """The watchdog systemd asked for, at half its `$WATCHDOG_USEC`; disabled when none."""
        env = os.environ if environ is None else environ
        try:
            usec = int(env.get("WATCHDOG_USEC", "0"))
        except ValueError:
            usec = 0
        pid = env.get("WATCHDOG_PID", "")
        # systemd sets WATCHDOG_PID to the main process; a child that inherited it must not ping.
        if usec <= 0 or (pid and pid != str(os.getpid())):
            return cls(None, clock)
        return cls(usec / 1_000_000 / 2, clock)

    @property
    def enabled(self) -> bool:
        return self.interval_seconds is not None

    def ping(self) -> bool:
        """Ping now, whatever the time since the last ping."""
        if not self.enabled:
            return False
        self._last_ping = self._clock()
        return _notify("WATCHDOG=1")

    def tick(self) -> bool:
        """Ping if half the watchdog interval has passed since the last ping; True if it pinged."""
        if self.interval_seconds is None:
            return False
        if self._last_ping is not None and self._clock() - self._last_ping < self.interval_seconds:
            return False
        return self.ping()

    def start(self) -> None:
        """Ping from a background thread until `stop()` (or the process ends)."""
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        assert self.interval_seconds is not None
        while True:
            self.ping()
            if self._stop.wait(self.interval_seconds):
                return


def journald_present(
    environ: Mapping[str, str] | None = None, journal_socket: Path = JOURNAL_SOCKET
) -> bool:
    """Whether log records sent to journald would arrive.

    systemd sets `$JOURNAL_STREAM` (stdout/stderr connected to the journal) and `$NOTIFY_SOCKET`
    for its services; a process started by hand still reaches journald through its socket.
    Without journald, systemd-python's JournalHandler drops records silently, so stderr is used.
    """
    env = os.environ if environ is None else environ
    return bool(env.get("JOURNAL_STREAM") or env.get("NOTIFY_SOCKET")) or journal_socket.exists()


def setup_logging(
    name: str,
    level: int = logging.INFO,
    environ: Mapping[str, str] | None = None,
    journal_socket: Path = JOURNAL_SOCKET,
) -> logging.Logger:
    """Send the process's logs to journald when it is there, and to stderr otherwise.

    `name` becomes the journal's SYSLOG_IDENTIFIER (`journalctl -t booth-kiosk`). A person
    running a service by hand in a terminal also sees the lines on stderr. Returns the root
    logger; calling it again replaces the handlers instead of doubling every line.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.name == HANDLER_NAME:
            root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if journald_present(environ, journal_socket):
        handlers.append(journal.JournalHandler(SYSLOG_IDENTIFIER=name))
    if not handlers or sys.stderr.isatty():
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(stderr)
    for handler in handlers:
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    root.setLevel(level)
    return root
