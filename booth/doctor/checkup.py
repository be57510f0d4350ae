"""`booth doctor`: every check of a booth, in the order staff would walk round it.

The checks themselves are in booth.doctor.checks, device_checks and server_check; this module
gives them their inputs (the devices through the `World` the CLI chose, a Pi's or the
simulator's, which also says what can be checked in it; /sys and the board's tools through a
`Board`) and formats the verdicts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from booth.config.interview import load_interviews
from booth.config.settings import PI_MODEL_FILE, Settings, detect_backend
from booth.devices.display import sdl_video_drivers
from booth.devices.hw_pwm import SYSFS_PWM
from booth.devices.sound_cards import PROC_ASOUND
from booth.devices.world import World
from booth.doctor import checks
from booth.doctor.checks import FAIL, PASS, SKIP, Check
from booth.doctor.device_checks import (
    camera_check,
    held_by_kiosk,
    microphone_check,
    speaker_check,
)
from booth.doctor.occupied_check import occupied_light_check
from booth.doctor.server_check import server_check
from booth.kiosk.health import clear_session_bytes
from booth.privacy.scratch import PROC_MEMINFO, PROC_MOUNTS
from booth.state import KioskState, read_state
from booth.timesync import TIMESYNC_FLAG


@dataclass(frozen=True)
class Board:
    """Where the board's facts are read; tests point these at temporary trees."""

    model_file: Path = PI_MODEL_FILE
    thermal: Path = checks.THERMAL
    hwmon: Path = checks.HWMON
    vcgencmd: str = "vcgencmd"
    drm: Path = checks.SYS_DRM
    dev_dri: Path = checks.DEV_DRI
    pwm: Path = SYSFS_PWM
    timedatectl: str = "timedatectl"
    timesync_flag: Path = TIMESYNC_FLAG
    asound: Path = PROC_ASOUND
    mounts: Path = PROC_MOUNTS
    meminfo: Path = PROC_MEMINFO
    swaps: Path = checks.PROC_SWAPS


def run_checks(settings: Settings, world: World, board: Board | None = None) -> list[Check]:
    """Check the booth the settings describe; returns one `Check` per part, in order.

    The kiosk, while it runs, holds the camera, microphone, light and button pins: those are
    then not opened, the camera and microphone are reported as the kiosk sees them, and the
    light's driver and the buttons are skipped (the light's calibration is still looked for).
    """
    board = board or Board()
    can = world.checks
    on_pi = detect_backend(board.model_file) == "pi"
    paths = settings.paths
    kiosk = running_kiosk(paths.state)
    kiosk_running = kiosk is not None
    pins = world.pins
    interviews = load_interviews(paths.interviews)[0] if paths.interviews.is_dir() else []

    steps: list[Callable[[], Check]] = []
    if kiosk_running:
        assert kiosk is not None
        steps += [
            functools.partial(held_by_kiosk, "camera", kiosk),
            functools.partial(held_by_kiosk, "microphone", kiosk),
            lambda: checks.with_curve(_held("light", kiosk.pid), paths.state, settings.light),
        ]
    else:
        steps += [
            functools.partial(camera_check, world.opened_camera),
            functools.partial(microphone_check, world.live_mic),
            functools.partial(
                checks.light_check,
                world.light_settings,
                settings.devices,
                paths.state,
                pins,
                board.pwm,
            ),
        ]
    if kiosk_running:
        assert kiosk is not None
        steps.append(functools.partial(_held, "speaker", kiosk.pid, "device"))
    else:
        steps.append(
            lambda: speaker_check(
                can,
                settings.devices.speaker_device,
                board.asound,
                drm=board.drm,
                interviews=interviews,
            )
        )
    steps.append(
        lambda: checks.display_check(
            can,
            board.drm,
            board.dev_dri,
            sdl_video_drivers() if can.screen else None,
            connector=settings.display.connector,
        )
    )
    if kiosk_running:
        assert kiosk is not None
        steps.append(functools.partial(_held, "buttons", kiosk.pid))
    else:
        steps.append(functools.partial(checks.buttons_check, settings.devices.buttons, pins))
    steps.append(functools.partial(occupied_light_check, settings.devices, paths.state, pins, can))
    steps += [
        functools.partial(checks.disk_check, paths.spool, interviews, settings.recording),
        functools.partial(checks.privacy_check, settings.privacy.recipients, interviews),
        functools.partial(checks.help_check, settings),
        functools.partial(checks.spool_access_check, paths.spool),
    ]
    if paths.scratch is not None or settings.privacy.recipients:
        rec = settings.recording
        need = clear_session_bytes(interviews, rec.bitrate_bps, rec.audio_rate)
        steps.append(
            functools.partial(
                checks.running_sessions_check, settings, need, board.mounts, board.meminfo
            )
        )
    steps.append(functools.partial(checks.swap_check, settings.privacy.recipients, board.swaps))
    steps += [
        lambda: checks.clock_check(
            *checks.ntp_synchronized(board.timedatectl, board.timesync_flag)
        ),
        functools.partial(server_check, settings),
        lambda: checks.throttling_check(
            on_pi,
            checks.read_throttled(board.vcgencmd) if on_pi else None,
            checks.read_undervoltage(board.hwmon) if on_pi else None,
        ),
        lambda: checks.temperature_check(on_pi, checks.cpu_thermal_zone(board.thermal)),
    ]
    return [step() for step in steps]


def running_kiosk(state_dir: Path) -> KioskState | None:
    """The state record of the kiosk if one is running now (it holds camera, mic and pins)."""
    state = read_state(state_dir)
    return state if state is not None and state.running else None


def _held(check: str, pid: int, what: str = "pins") -> Check:
    return Check(
        check,
        SKIP,
        f"{what} in use by the running kiosk (pid {pid}); not opened",
        "to check them, stop the kiosk (sudo systemctl stop booth-kiosk) and run booth doctor",
    )


def exit_code(results: list[Check]) -> int:
    """0 when nothing failed (warnings and skipped checks do not fail a booth), 1 otherwise."""
    return 1 if any(c.result == FAIL for c in results) else 0


def format_checks(results: list[Check]) -> str:
    """One line per check, its fix indented under it:

    PASS  camera      simulated, 160x120: exposure 30.0 ms, …
    WARN  light       driver opens: …; not calibrated
                      fix: booth light calibrate
    SKIP  display     simulated
    """
    width = max((len(c.check) for c in results), default=0) + 2
    lines = []
    for c in results:
        lines.append(f"{c.result.upper():<4}  {c.check:<{width}}{c.detail}")
        if c.fix and c.result != PASS:
            lines.append(f"{'':<6}{'':<{width}}fix: {c.fix}")
    failed = sum(c.result == FAIL for c in results)
    warned = sum(c.result == checks.WARN for c in results)
    skipped = sum(c.result == SKIP for c in results)
    if failed or warned:
        verdict = f"{failed} failed, {warned} warn"
    else:
        verdict = "all checks that ran pass" if skipped else "all checks pass"
    lines.append(verdict + (f", {skipped} skipped" if skipped else ""))
    return "\n".join(lines)
