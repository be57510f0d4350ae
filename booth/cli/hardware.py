"""The staff commands' devices: the Raspberry Pi's, or the simulator's, by `[devices] backend`.

The CLI is a composition root: this is where it picks a world (booth.doctor.hardware for a
booth, booth.sim.staff for a computer without one).
"""

from __future__ import annotations

from booth.config.settings import Settings
from booth.doctor.hardware import Hardware, pi_hardware


def hardware_for(settings: Settings) -> Hardware:
    """The devices of the settings' backend: "pi" on a booth, "sim" elsewhere."""
    if settings.devices.backend == "pi":
        return pi_hardware(settings)
    from booth.sim.staff import sim_hardware

    return sim_hardware(settings)
