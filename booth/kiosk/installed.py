"""The installed interviews, read again when staff change them.

`booth interviews add|remove` (or Ansible) changes the interviews directory while the
kiosk runs; the kiosk notices it here, once a second, and takes the new set while nobody
is in the booth. A set with problems is not taken: the booth keeps offering the interviews
it had, and the problems go to the journal and to events.jsonl.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from booth.config.interview import load_interviews
from booth.kiosk.events import LogEvent

log = logging.getLogger("booth.kiosk")

# The files whose change means an interview changed (clips are checked when installed).
WATCHED = ("interview.toml", "codes.csv")


class InstalledInterviews:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seen = self._signature()

    def _signature(self) -> tuple:
        """Names and modification times of the interviews' files; changes on add/remove."""
        entries: list[tuple[str, str, int | None]] = []
        try:
            with os.scandir(self.directory) as it:
                subdirs = sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
        except OSError:
            return ()
        for name in subdirs:
            for watched in WATCHED:
                try:
                    entries.append(
                        (name, watched, os.stat(self.directory / name / watched).st_mtime_ns)
                    )
                except OSError:
                    entries.append((name, watched, None))
        return tuple(entries)

    def changed(self) -> bool:
        """Whether the installed interviews changed since the last call (or since start)."""
        signature = self._signature()
        if signature == self._seen:
            return False
        self._seen = signature
        return True

    def load(self) -> tuple[list, list]:
        """The interviews and the problems found, as `booth config check` would list them."""
        return load_interviews(self.directory)

    def take_changes(self, log_event: LogEvent) -> list | None:
        """The interviews staff installed since the last call, or None: unchanged, or changed
        into a set with problems (each problem to the journal, all of them to `log_event`)."""
        if not self.changed():
            return None
        interviews, problems = self.load()
        if problems:
            for problem in problems:
                log.error("installed interviews not taken: %s", problem)
            log_event("interviews.problem", {"problems": [str(p) for p in problems]})
            return None
        return interviews
