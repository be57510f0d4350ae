"""The ring light follows the camera's exposure, or staff's `booth light set`.

Each frame's exposure metadata goes to the light controller, in the mode the screen asks for
(booth.light.controller.light_mode). Staff's override (booth.light.override) is read from the
state directory, and what the light does is written back there (booth.light.record) for
`booth doctor`, `booth status` and the metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from booth.devices.ports.light import Light
from booth.light.controller import LightController, light_mode
from booth.light.override import OverrideWatch
from booth.light.record import LightRecord


class LightFollower:
    """Drives `light` from `controller`, with the override and record kept in `state_dir`."""

    def __init__(self, light: Light, controller: LightController, state_dir: Path) -> None:
        self.light = light
        self.controller = controller
        self.override = OverrideWatch(state_dir)
        self.record = LightRecord(state_dir)

    def follow(self, screen: str, metadata: dict[str, Any], now_ns: int) -> None:
        """One camera frame's `metadata` on `screen`, at `now_ns` on the monotonic clock."""
        override = self.override.poll()
        mode = light_mode(screen, override)
        output = self.controller.update(metadata, now_ns / 1e9, mode, override)
        self.light.set(output)
        self.record.update(self.controller, now_ns / 1e9)
