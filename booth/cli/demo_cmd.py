"""`booth demo`: the booth with simulated hardware in a window, on the example interview."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from booth.cli.main import UserError, add_config_option
from booth.cli.simulate_cmd import parse_start, settings_for
from booth.config.errors import ConfigError

# The example interview beside the package in a source checkout (`make demo` runs from there).
EXAMPLE_INTERVIEWS = Path(__file__).resolve().parents[2] / "config" / "interviews"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the booth with simulated hardware in a window",
        description=(
            "Open the booth in a window on simulated hardware: a simulated camera and "
            "microphone, the light and buttons on gpiozero's mock pins. Use the mouse as a "
            "touchscreen, or the keys: digits, Enter (next/confirm), Space (record/stop), "
            "Backspace, Esc (back), F1 (help), L (language). Takes go to OUT/spool."
        ),
    )
    add_config_option(parser)
    parser.set_defaults(config=None)
    parser.add_argument(
        "--interviews",
        metavar="DIR",
        type=Path,
        default=EXAMPLE_INTERVIEWS if EXAMPLE_INTERVIEWS.is_dir() else None,
        help="interviews to offer (default: the example interview of the source tree)",
    )
    parser.add_argument("--start", metavar="ISO-DATETIME", help="virtual time to start at")
    parser.add_argument(
        "--out", metavar="DIR", type=Path, default=Path("demo-out"), help="default: ./demo-out"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from booth.kiosk.build import build_sim_kiosk
    from booth.kiosk.window import Screen, open_display
    from booth.kiosk.window import run as run_window

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError(
            "no display to open a window on (DISPLAY is not set). Run it on a desktop, "
            "or try the booth headless: booth simulate --headless --script FILE --out DIR"
        )
    start = parse_start(args.start)
    settings, interviews_dir = settings_for(args.config, args.interviews)
    args.out.mkdir(parents=True, exist_ok=True)
    display = open_display(settings.display.size, fullscreen=False, title="booth demo")
    screen = Screen(display, settings.display.rotation)
    try:
        kiosk, _ = build_sim_kiosk(
            settings, interviews_dir, args.out, screen.picture, start=start, realtime=True
        )
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    kiosk.screenshots = None
    print(f"booth demo: takes go to {args.out / 'spool'}; close the window to stop.")
    try:
        run_window(kiosk, screen, allow_window_close=True)
    finally:
        kiosk.close()
    return 0
