"""The `[sync]` table of booth.toml: where finished sessions go, and when and how fast.

`booth/config/settings.py` keeps `[sync]` as a raw dict; `sync_settings` checks it here, with the
same file:line: key: problem (fix) errors as the rest of the settings. Example:

    [sync]
    url = "https://example.org/files/"     # the tus endpoint
    token_file = "/etc/booth/upload.token" # bearer token; must not be readable by others
    chunk_bytes = 8_388_608                # bytes per PATCH request
    max_bytes_per_second = 0               # 0 = as fast as the network allows
    windows = ["22:00-06:00"]              # local times of day when uploading is allowed
    idle_seconds = 120                     # the booth must have been idle this long
    retention_hours = 72                   # confirmed sessions stay on the booth this long
    ca_file = "/etc/booth/ca.pem"          # optional: trust this CA for https
    once_seconds = 3600                    # booth sync --once returns within this + timeout
    proof = "receipt"                      # delete only on the server's receipt ("upload":
                                           # on a plain tus server's word; booth doctor warns)

`check_sync` gives every problem of the table without raising, for `booth config check`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from booth.config.errors import ConfigError, ConfigProblem, KeyLines
from booth.config.reader import Table, TomlFile
from booth.config.settings import Settings

CHUNK_SECONDS_MAX = 20.0
"""The longest one chunk may take at the speed limit: booth-sync.service's watchdog (60 s) is
fed when a chunk is acknowledged, and an answer may take timeout_seconds on top."""
Window = tuple[int, int]  # minutes since local midnight: start inclusive, end exclusive
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True)
class SyncSettings:
    """How the sync agent uploads. Times in seconds unless named otherwise.

    url: the tus endpoint (None: uploading is not configured).
    token_file: file holding the bearer token sent as `Authorization` (None: none sent).
    chunk_bytes: bytes sent per PATCH request; an interrupted upload re-sends at most this much.
    max_bytes_per_second: upload speed limit, so a booth does not fill a campus uplink (0: none).
    windows: local times of day when uploading is allowed; empty means always. A window may
        cross midnight ("22:00-06:00").
    idle_seconds: how long the kiosk must have been idle before uploads start.
    retention_hours: how long a session the server confirmed whole stays on the booth.
    ca_file: a CA bundle to trust for https instead of the system's.
    timeout_seconds: the longest any single network wait (connect, send, answer) may take.
    backoff_seconds, backoff_max_seconds: first and longest wait after a failed request; the
        wait doubles after each failure in a row, with random jitter.
    poll_seconds: how often an idle agent looks for new sessions.
    once_seconds: the longest `booth sync --once` runs: no request starts after it and one in
        flight is cut off at it, so --once returns within once_seconds + timeout_seconds.
    proof: what lets a confirmed session be deleted: "receipt" (the server's receipt lists every
        file with the same sha256, verified: booth.sync.receipts) or "upload" (a plain tus
        server's offset = length, which cannot be checked).
    source: the settings file, for error messages.
    """

    url: str | None = None
    token_file: Path | None = None
    chunk_bytes: int = 8 * 1024 * 1024
    max_bytes_per_second: int = 0
    windows: tuple[Window, ...] = ()
    idle_seconds: float = 120.0
    retention_hours: float = 72.0
    ca_file: Path | None = None
    timeout_seconds: float = 30.0
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 600.0
    poll_seconds: float = 10.0
    once_seconds: float = 3600.0
    proof: str = "receipt"
    source: Path | None = None

    def read_token(self) -> str | None:
        """The bearer token, or None when no token_file is set.

        Raises ConfigError when the file is missing, empty, or readable or writable by users
        other than its owner and group (a leaked token lets anyone upload as this booth).
        """
        if self.token_file is None:
            return None
        path = self.token_file

        def refuse(message: str, expected: str) -> ConfigError:
            problem = ConfigProblem(
                self.source or path, _line(self.source, "token_file"), "sync.token_file",
                f"{path} {message}", expected,
            )  # fmt: skip
            return ConfigError([problem])

        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IROTH | stat.S_IWOTH):
                raise refuse(
                    f"is readable or writable by others (mode {stat.filemode(mode)})",
                    f"chmod o-rwx {path}  (e.g. chmod 600)",
                )
            token = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise refuse(f"cannot be read: {err.strerror}", "a file holding the token") from None
        if not token or any(c.isspace() for c in token):
            raise refuse("does not hold one token", "the bearer token on one line")
        return token


def check_sync(settings: Settings) -> list[ConfigProblem]:
    """Every problem of the `[sync]` table as `booth sync` would find it: the values (URL,
    windows, files, numbers) and, when uploading is configured, a token file that exists but
    is readable by others, empty or not one token. One `FILE:LINE: key: ...` problem each;
    never raises. For `booth config check`.

    A token file that does not exist yet, or that this user may not read, is not a problem
    here: settings are validated before the token is installed (deploy/ansible), and staff
    run the check without the booth's rights. `booth doctor` checks the token on the booth.
    """
    try:
        sync = sync_settings(settings)
    except ConfigError as err:
        return list(err.problems)
    path = sync.token_file
    if sync.url is None or path is None:
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if not os.access(path, os.R_OK) and not mode & (stat.S_IROTH | stat.S_IWOTH):
        return []
    try:
        sync.read_token()
    except ConfigError as err:
        return list(err.problems)
    return []


def sync_settings(settings: Settings) -> SyncSettings:
    """Check `settings.sync` (the raw `[sync]` table); raises ConfigError with every problem."""
    source = settings.source
    text = ""
    if source is not None:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError:
            text = ""
    file = TomlFile(source or Path("booth.toml"), {"sync": settings.sync}, KeyLines(text))
    table = file.root().table("sync")
    assert table is not None
    result = _read(table, source.resolve().parent if source else Path.cwd())
    table.finish()
    if file.problems:
        raise ConfigError(file.problems)
    return result


def _read(t: Table, base: Path) -> SyncSettings:
    d = SyncSettings()
    seconds = {"minimum": 0.0, "maximum": 86_400.0}
    url = t.string("url", "", expected="a tus endpoint like https://example.org/files/")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            t.problem("url", f"{url!r} is not an http(s) URL", "like https://example.org/files/")
    windows = []
    for i, text in enumerate(t.strings("windows", (), expected='spans like ["22:00-06:00"]')):
        try:
            windows.append(parse_window(text))
        except ValueError as err:
            t.problem("windows", f"item {i + 1}: {err}", 'a span like "22:00-06:00"')
    timeout = t.number("timeout_seconds", d.timeout_seconds, minimum=0.05, maximum=3600.0)
    chunk = t.integer("chunk_bytes", d.chunk_bytes, minimum=1024, maximum=1 << 30)
    rate = t.integer("max_bytes_per_second", 0, minimum=0)
    if rate > 0 and chunk / rate > CHUNK_SECONDS_MAX:
        # booth-sync.service's watchdog is fed when a chunk is acknowledged (WatchdogSec=60).
        t.problem(
            "chunk_bytes",
            f"one chunk takes {chunk / rate:.0f} s at max_bytes_per_second = {rate}, longer "
            f"than the {CHUNK_SECONDS_MAX:g} s the upload service's watchdog allows",
            f"at most {int(rate * CHUNK_SECONDS_MAX)} bytes at this speed limit",
        )
    backoff = t.number("backoff_seconds", d.backoff_seconds, minimum=0.0, maximum=3600.0)
    return SyncSettings(
        url=url or None,
        token_file=_file(t, "token_file", base),
        chunk_bytes=chunk,
        max_bytes_per_second=rate,
        windows=tuple(windows),
        idle_seconds=t.number("idle_seconds", d.idle_seconds, **seconds),
        retention_hours=t.number("retention_hours", d.retention_hours, minimum=0, maximum=1e5),
        ca_file=_file(t, "ca_file", base, must_exist=True),
        timeout_seconds=timeout,
        backoff_seconds=backoff,
        backoff_max_seconds=max(
            backoff, t.number("backoff_max_seconds", d.backoff_max_seconds, **seconds)
        ),
        poll_seconds=t.number("poll_seconds", d.poll_seconds, minimum=0.01, maximum=3600.0),
        once_seconds=t.number("once_seconds", d.once_seconds, minimum=1.0, maximum=86_400.0),
        proof=t.string("proof", d.proof, choices=("receipt", "upload")),
        source=t.file.path,
    )


def _file(t: Table, key: str, base: Path, must_exist: bool = False) -> Path | None:
    text = t.string(key, "", expected="a file path")
    if not text:
        return None
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base / path
    if must_exist and not path.is_file():
        t.problem(key, f"{path} does not exist", "the path of an existing file")
    return path


def _line(source: Path | None, key: str) -> int | None:
    if source is None:
        return None
    try:
        return KeyLines(source.read_text(encoding="utf-8")).line_of(("sync", key))
    except OSError:
        return None


def parse_window(text: str) -> Window:
    """`"22:00-06:00"` → (1320, 360): minutes since local midnight; may cross midnight.

    Raises ValueError with a staff-readable reason.
    """
    m = _WINDOW.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a span like 22:00-06:00")
    sh, sm, eh, em = (int(g) for g in m.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
        raise ValueError(f"{text!r} is not a time of day")
    start, end = sh * 60 + sm, eh * 60 + em
    if start == end:
        raise ValueError(f"{text!r} is empty")
    return (start, end)


def in_window(windows: tuple[Window, ...], now: datetime) -> bool:
    """Whether `now` (the booth's local wall-clock time) falls in any window; no windows = yes."""
    if not windows:
        return True
    minute = now.hour * 60 + now.minute
    for start, end in windows:
        inside = start <= minute < end if start < end else (minute >= start or minute < end)
        if inside:
            return True
    return False


def next_window_start(windows: tuple[Window, ...], now: datetime) -> datetime:
    """The start of the next upload window after the one `now` is in (or the next one, when
    `now` is in none): when a file set aside now is tried again. Needs windows."""
    minute = now.replace(second=0, microsecond=0)
    for step in range(1, 2 * 24 * 60 + 1):
        t = minute + timedelta(minutes=step)
        m = t.hour * 60 + t.minute
        if any(m == start for start, _ in windows) and not in_window(
            windows, t - timedelta(minutes=1)
        ):
            return t
    return minute + timedelta(days=1)  # windows that cover the whole day: a day later


def describe_windows(windows: tuple[Window, ...]) -> str:
    """`((1320, 360),)` → `"22:00-06:00"`."""
    return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows)
