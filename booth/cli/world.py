"""The one place the booth's world is chosen: a Raspberry Pi's devices, or the simulator's.

The CLI is the composition root. Every command that opens a device (`booth kiosk`,
`booth doctor`, `booth doctor --record`, `booth mic test`, `booth camera snapshot`,
`booth light calibrate`, `booth occupied`) takes its world from `world_for`, which reads
`[devices] backend`; nothing below the CLI asks which world it runs in (see
booth.devices.world).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from booth.config.settings import Settings
from booth.devices.choice import ROOT
from booth.devices.world import World


def choose_world(settings: Settings, root: Path = ROOT) -> World:
    """The world of the settings' backend: "pi" on a booth, "sim" elsewhere.

    root: where a Pi's /proc, /sys and /dev are read (`booth kiosk --root`)."""
    if settings.devices.backend == "pi":
        from booth.devices.pi_world import PiWorld

        return PiWorld(settings, root)
    from booth.sim.devices import SimulatedWorld

    return SimulatedWorld(settings)


@contextmanager
def world_for(settings: Settings, root: Path = ROOT) -> Iterator[World]:
    """`choose_world`, closed when the command is done with it."""
    world = choose_world(settings, root)
    try:
        yield world
    finally:
        world.close()
