"""The subcommands, in the order `booth --help` shows them: each is `booth.cli.<name>_cmd`,
whose `register` adds the subcommand `<name>`.

Modules are imported only when needed: `booth metrics --watch` (a service that runs all day)
loads the metrics' module and what it uses, not the camera's, the kiosk's or the simulator's
(pygame, PyAV, picamera2).
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = (
    "status",
    "doctor",
    "devices",
    "config",
    "interviews",
    "takes",
    "sync",
    "metrics",
    "light",
    "mic",
    "camera",
    "logs",
    "kiosk",
    "occupied",
    "simulate",
    "demo",
)


def module(name: str) -> ModuleType:
    """The module of subcommand `name`."""
    return importlib.import_module(f"booth.cli.{name}_cmd")
