"""The list of subcommand modules, in the order `booth --help` shows them."""

from booth.cli import (
    camera_cmd,
    config_cmd,
    demo_cmd,
    doctor_cmd,
    interviews_cmd,
    kiosk_cmd,
    light_cmd,
    logs_cmd,
    metrics_cmd,
    mic_cmd,
    occupied_cmd,
    simulate_cmd,
    status_cmd,
    sync_cmd,
    takes_cmd,
)

MODULES = [
    status_cmd,
    doctor_cmd,
    config_cmd,
    interviews_cmd,
    takes_cmd,
    sync_cmd,
    metrics_cmd,
    light_cmd,
    mic_cmd,
    camera_cmd,
    logs_cmd,
    kiosk_cmd,
    occupied_cmd,
    simulate_cmd,
    demo_cmd,
]
