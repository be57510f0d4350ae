"""The `[light]` settings: which PWM drives the ring light, and what the controller aims at.

Pin and frequency of the gpiozero driver stay in `[devices]` (light_pin, light_frequency_hz).
The light itself is opened by the world (booth.devices.light.open_ring_light).
"""

from __future__ import annotations

from booth.config.settings import DRIVERS as DRIVERS
from booth.config.settings import LightSettings as LightSettings
