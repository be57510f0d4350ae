"""Is the system clock right yet? A Pi has no battery clock: after a power cut it starts at the
last time it saved, until NTP answers.

Uploads wait for it (booth-sync.service starts after time-sync.target, which
systemd-time-wait-sync.service holds back until the clock is synchronised), because https
with a clock in the past fails with "certificate is not yet valid". `booth status`, the fleet
metrics and `booth doctor` say "waiting for clock" meanwhile.

Two witnesses, asked in this order:
- systemd-timesyncd (Raspberry Pi OS's NTP client) creates `/run/systemd/timesync/synchronized`
  once it has set the clock, and systemd-time-wait-sync waits for the same file; it is readable
  from inside the booth's sandboxed services;
- the kernel's own flag (adjtimex, read only), which chrony and ntpd clear as well. The
  services' system call filter denies adjtimex (`ProtectClock=`): there it is "cannot tell".
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
TIME_ERROR = 5
"""adjtimex's answer when the kernel clock is not synchronised (STA_UNSYNC)."""
WAITING_FOR_CLOCK = "waiting for clock"


@dataclass(frozen=True)
class ClockState:
    """Whether the clock is synchronised (None: nobody could tell) and who said so."""

    synchronized: bool | None
    source: str

    @property
    def waiting(self) -> bool:
        """Uploads wait: the clock is known not to be synchronised."""
        return self.synchronized is False


def kernel_clock_synchronized() -> bool | None:
    """The kernel's flag (adjtimex with no modes only reads); None when it cannot be asked."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        # struct timex with modes = 0 only reads; 512 zero bytes cover it on every ABI.
        state = libc.adjtimex(ctypes.create_string_buffer(512))
    except (OSError, AttributeError):
        return None
    return None if state < 0 else state != TIME_ERROR


def clock_state(
    flag: Path = TIMESYNC_FLAG,
    kernel: Callable[[], bool | None] = kernel_clock_synchronized,
) -> ClockState:
    """The clock's state now: timesyncd's flag file, else the kernel's flag (`kernel`)."""
    if flag.exists():
        return ClockState(True, "systemd-timesyncd")
    return ClockState(kernel(), "kernel")
