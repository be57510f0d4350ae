"""Follows the kiosk's state record and shows on the occupied light whether someone is inside.

Why the kiosk does not drive this light itself: a process that dies without closing its GPIO
lines (kill -9, a segfault in a camera library, the watchdog) leaves them as they were. On
Raspberry Pi OS the kernel keeps a released output at its last level (the Pi kernel's
`persist_gpio_outputs`, on by default so that `gpioset` works as it did with sysfs; the
Raspberry Pi documentation's "GPIO on Raspberry Pi" says so), and gpiozero's own clean-up (its
lgpio pins go back to inputs) runs only on a normal exit. A kiosk that crashed in a session
would leave "occupied" lit outside an empty room until someone noticed.

So the light belongs to `booth occupied` (booth-occupied.service), a small process that holds
only this pin and reads `kiosk.json` ten times a second: on while the record says a session is
open and the kiosk that wrote it still runs (`KioskState.running_at`: not stopped, its pid
alive, its heartbeat fresher than `STALE_SECONDS`), off otherwise. The sync agent could have
watched the record too, but it is the one service with network access and no devices
(PrivateDevices=yes): giving it the GPIO would widen both. Should the watcher itself be killed,
its unit's `ExecStopPost=booth occupied --off` switches the lamp off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from booth.devices.occupied import BLINK, OFF, ON, OccupiedLight
from booth.state import Occupancy, occupancy, read_state

log = logging.getLogger("booth.occupied")

POLL_SECONDS = 0.1
"""How often the watcher reads the state record: a blink (`BLINK_PERIOD_S`) is five polls lit
and five dark, and the light follows the kiosk within a tenth of a second."""


def light_mode(occ: Occupancy, blink_while_recording: bool) -> str:
    """What the light shows for `occ`: on in a session, blinking while a take is recorded
    (when `blink_while_recording`), off when the booth is free."""
    if not occ.occupied:
        return OFF
    return BLINK if occ.recording and blink_while_recording else ON


class OccupiedWatch:
    """The occupied light following the kiosk's record in `state_dir`.

    on_change(mode, occupancy) is called whenever the light's mode changes (not at each blink):
    the service logs it, the simulator writes it to events.jsonl.
    """

    def __init__(
        self,
        light: OccupiedLight,
        state_dir: Path,
        blink_while_recording: bool = False,
        on_change: Callable[[str, Occupancy], None] | None = None,
    ) -> None:
        self.light = light
        self.state_dir = state_dir
        self.blink_while_recording = blink_while_recording
        self.on_change = on_change
        self.mode = OFF

    def poll(self, now: float, steady: float) -> str:
        """Read the record and set the light; `now` in Unix seconds (the heartbeat's clock),
        `steady` in seconds of the clock that times the blinking. Returns the mode shown."""
        occ = occupancy(read_state(self.state_dir), now)
        mode = light_mode(occ, self.blink_while_recording)
        self.light.show(mode, steady)
        if mode != self.mode:
            self.mode = mode
            if self.on_change is not None:
                self.on_change(mode, occ)
        return mode

    def close(self) -> None:
        """Switch the light off and release its pin."""
        if self.mode != OFF and self.on_change is not None:
            self.on_change(OFF, Occupancy(False, None))
        self.mode = OFF
        self.light.close()


def log_change(mode: str, occ: Occupancy) -> None:
    """The service's `on_change`: one journal line per change of the light."""
    what = {ON: "on (a candidate is in the booth)", BLINK: "blinking (recording a take)"}
    log.info("occupied light %s", what.get(mode, "off (the booth is free)"))


def run_watch(
    watch: OccupiedWatch,
    stop: threading.Event,
    heartbeat: Callable[[], object] = lambda: None,
    clock: Callable[[], float] = time.time,
    steady: Callable[[], float] = time.monotonic,
) -> None:
    """Follow the record until `stop` is set; `heartbeat` after every poll (the watchdog)."""
    while not stop.is_set():
        try:
            watch.poll(clock(), steady())
        except OSError as err:
            # The GPIO refused (a loose HAT?): say so and keep trying; never leave it on.
            log.error("occupied light: %s", err)
        heartbeat()
        stop.wait(POLL_SECONDS)
