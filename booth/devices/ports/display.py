"""The display port: its error. The kiosk draws on a pygame surface the world opens
(booth.devices.display on a booth)."""

from __future__ import annotations


class DisplayError(Exception):
    """The screen cannot be opened; the message is meant for staff."""
