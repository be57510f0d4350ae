"""What keeps the booth out of order: a device's or the disk's fault, or an error of its own.

A device fault (camera, microphone, speaker, disk, sealing) comes from `Health`, checked once a
second, and clears by itself when the part works again. A software fault is the booth's own
error (content it could not show, a bug): it holds until staff install or remove an interview,
or restart the kiosk, so that a screen that raises is never a crash loop.
"""

from __future__ import annotations

import logging

from booth.kiosk.events import LogEvent
from booth.kiosk.health import Fault, Health

log = logging.getLogger("booth.kiosk")


class Faults:
    """The fault the booth shows now (`current`, None when fit to record), from `health` and
    from the kiosk's own errors; a change found by `check` goes to `log_event` ("fault",
    "fault.cleared")."""

    def __init__(self, health: Health, log_event: LogEvent) -> None:
        self.health = health
        self._log_event = log_event
        self.current: Fault | None = None
        self.software: Fault | None = None

    def software_failed(self, err: Exception, screen: str) -> bool:
        """Something raised on `screen`: the booth is out of order with the reason for `booth
        status`. Whether it is the first such error (a later one comes from the out-of-order
        screen itself, and changes only the reason)."""
        first = self.software is None
        where = screen if first else "out-of-order"
        self.software = self.current = Fault(
            "software",
            f"the kiosk stopped on the {where} screen after an error: {type(err).__name__}: "
            f"{str(err)[:200]} (traceback: journalctl -u booth-kiosk; out of order until an "
            "interview is installed or removed, or the kiosk restarts)",
        )
        return first

    def content_changed(self) -> None:
        """Staff changed the interviews: a software fault is tried again."""
        self.software = None

    def check(self, in_session: bool) -> bool:
        """Check the devices and the disk (a software fault stands first); whether the fault
        changed, `current` then holding the new one."""
        fault = self.software or self.health.check(in_session=in_session)
        if fault == self.current:
            return False
        self.current = fault
        if fault is not None:
            log.error("out of order: %s", fault.detail)
            self._log_event("fault", {"fault": fault.id, "detail": fault.detail})
        else:
            self._log_event("fault.cleared", {})
        return True
