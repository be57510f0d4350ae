"""What the sync agent's parts share: the settings, the spool, the upload store and the hooks.

The agent (booth.sync.agent) is a few parts around one `SyncParts`: the gate
(booth.sync.gate: may uploads go now?), the sender (booth.sync.sender: one file to the
server), the backlog (booth.sync.backlog: what waits in the spool, what holds it back) and the
deletion (booth.sync.deletion). The agent replaces the store when SQLite fails under it, so a
part reaches the store through its `SyncParts` each time, never keeps its own.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from booth.media.spool import Spool
from booth.sync.config import SyncSettings
from booth.sync.queue import SpoolFile
from booth.sync.store import UploadStore

log = logging.getLogger(__name__)

Progress = Callable[[SpoolFile, int], None]


def local_now() -> datetime:
    """The aware local time."""
    return datetime.now(UTC).astimezone()


def _nothing() -> None:
    return None


@dataclass
class Hooks:
    """The agent's clocks and callbacks: what `booth sync` and the tests hand it.

    now: aware local time (the upload windows). clock: Unix seconds (the store's times, holds,
    retention). rng: a number in [0, 1), the jitter of the backoff. progress(file, offset): called
    when a chunk is acknowledged. heartbeat: called when a chunk is acknowledged and while the
    agent deliberately waits (the gate, the poll, a backoff), never for a request as such: the
    service's watchdog is fed on progress, not on attempts. One `Hooks` serves every part, so
    a clock changed here changes for all of them.
    """

    now: Callable[[], datetime] = field(default=local_now)
    clock: Callable[[], float] = field(default=time.time)
    rng: Callable[[], float] = field(default=random.random)
    progress: Progress | None = None
    heartbeat: Callable[[], object] = field(default=_nothing)


@dataclass
class SyncParts:
    """The settings, the spool, the state folder with the upload store, and the hooks."""

    sync: SyncSettings
    spool: Spool
    state_dir: Path
    store: UploadStore
    hooks: Hooks

    def note_error(self, message: str) -> None:
        """Log a failure and keep it in the store, where `booth status` shows the last one."""
        log.warning("sync: %s", message)
        self.store.note("error", self.hooks.clock(), message)
