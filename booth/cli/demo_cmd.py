"""`booth demo`: the booth with simulated hardware in a window, on the example interview."""

from __future__ import annotations

import argparse
import os
import threading
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
            "Backspace, Esc (back), F1 (help), L (language). Takes go to OUT/spool; a local tus "
            "server (OUT/server) and the sync agent receive them once the booth is idle."
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
    from booth.sim.booth import build_sim_booth

    try:
        booth = build_sim_booth(
            settings,
            interviews_dir,
            args.out,
            screen.picture,
            start=start,
            realtime=True,
            screenshots=False,
        )
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    uploads = DemoUploads(args.out)
    print(f"booth demo: takes go to {args.out / 'spool'}; close the window to stop.")
    try:
        uploads.start()
        run_window(booth.kiosk, screen, allow_window_close=True, step=booth.step)
    finally:
        booth.close()
        uploads.stop()
    return 0


class DemoUploads:
    """A local tus server and the sync agent beside the demo, so takes can be seen arriving."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.server = None
        self.agent = None
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self) -> None:
        from booth.sync.agent import SyncAgent
        from booth.sync.config import SyncSettings
        from booth.sync.local_server import LocalServerError, LocalTusServer

        try:
            self.server = LocalTusServer(self.out / "server").start()
        except LocalServerError as err:
            print(f"booth demo: no local upload server ({err}); the booth runs without it")
            return
        # Short waits, so that in a demo the takes arrive a few seconds after a session.
        sync = SyncSettings(url=self.server.url, idle_seconds=5, poll_seconds=2)
        self.agent = SyncAgent(sync, self.out / "spool", self.out / "state", progress=_arrived)
        self.thread = threading.Thread(
            target=self.agent.run, args=(self.stopping,), name="sync", daemon=True
        )
        self.thread.start()
        print(
            f"booth demo: uploads go to the local tus server {self.server.url} "
            f"(files in {self.out / 'server'}) when the booth has been idle 5 s"
        )

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.agent is not None:
            self.agent.close()
        if self.server is not None:
            self.server.stop()


def _arrived(file, offset: int) -> None:
    if offset >= file.length:
        print(f"booth demo: uploaded {file.session_id}/{file.name} ({file.length} bytes)")
