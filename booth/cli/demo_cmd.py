"""`booth demo`: the booth with simulated hardware in a window, on the example interview."""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from booth.cli.main import DEFAULT_CONFIG, UserError
from booth.cli.simulate_cmd import parse_start, settings_for
from booth.config.errors import ConfigError

if TYPE_CHECKING:
    from booth.sync.agent import SyncAgent
    from booth.sync.queue import SpoolFile

# The example interview beside the package in a source checkout (`make demo` runs from there).
EXAMPLE_INTERVIEWS = Path(__file__).resolve().parents[2] / "config" / "interviews"
# With --upload-url: short waits, so that the takes arrive a few seconds after a session.
IDLE_SECONDS = 5.0
POLL_SECONDS = 2.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the booth with simulated hardware in a window",
        description=(
            "Open the booth in a window on simulated hardware: a simulated camera and "
            "microphone, the light and buttons on gpiozero's mock pins. Use the mouse as a "
            "touchscreen, or the keys: digits, Enter (next/confirm), Space (record/stop), "
            "Backspace, Esc (back), F1 (help), L (language). Takes go to OUT/spool. With "
            "--upload-url, the sync agent runs beside the booth and uploads them to that tus "
            f"server once the booth has been idle {IDLE_SECONDS:g} s (`make demo` starts a "
            "local one)."
        ),
    )
    # Not add_config_option's default: with interviews of its own, the demo runs on the
    # built-in settings (see simulate_cmd.settings_for).
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"booth settings (default: the built-in ones, or {DEFAULT_CONFIG} when there is "
        "neither --interviews nor the example interview)",
    )
    parser.add_argument(
        "--interviews",
        metavar="DIR",
        type=Path,
        default=EXAMPLE_INTERVIEWS if EXAMPLE_INTERVIEWS.is_dir() else None,
        help="interviews to offer (default: the example interview of a source tree, else "
        "paths.interviews of the settings)",
    )
    parser.add_argument("--start", metavar="ISO-DATETIME", help="virtual time to start at")
    parser.add_argument(
        "--out", metavar="DIR", type=Path, default=Path("demo-out"), help="default: ./demo-out"
    )
    parser.add_argument(
        "--upload-url",
        metavar="URL",
        type=upload_url,
        help="a tus endpoint (like http://127.0.0.1:1080/files/) to upload the takes to, "
        "without a token (default: the takes stay in OUT/spool)",
    )
    parser.set_defaults(func=run)


def upload_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL (like http://127.0.0.1:1080/files/)"
        )
    return text


def run(args: argparse.Namespace) -> int:
    from booth.kiosk.window import Screen
    from booth.kiosk.window import run as run_window

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError(
            "no display to open a window on (DISPLAY is not set). Run it on a desktop, "
            "or try the booth headless: booth simulate --headless --script FILE --out DIR"
        )
    start = parse_start(args.start)
    settings, interviews_dir = settings_for(args.config, args.interviews)
    args.out.mkdir(parents=True, exist_ok=True)
    from booth.sim.booth import SimRun, build_sim_booth
    from booth.sim.devices import SimulatedWorld

    # The simulated world by its nature: `booth demo` is the booth on this computer.
    world = SimulatedWorld(settings, args.out / "state", realtime=True)
    screen = Screen(world.display(), settings.display.rotation)
    try:
        booth = build_sim_booth(
            settings,
            interviews_dir,
            args.out,
            screen.picture,
            SimRun(start=start, screenshots=False, world=world),
        )
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    uploads = None
    if args.upload_url:
        uploads = DemoUploads(args.out, args.upload_url, IDLE_SECONDS, POLL_SECONDS)
    print(f"booth demo: takes go to {args.out / 'spool'}; close the window to stop.")
    try:
        if uploads is not None:
            uploads.start()
        run_window(booth.kiosk, screen, allow_window_close=True, step=booth.step)
    finally:
        booth.close()
        if uploads is not None:
            uploads.stop()
    return 0


class DemoUploads:
    """The sync agent beside the demo, uploading OUT/spool to `url` (no token) once the booth
    has been idle `idle_seconds`, so takes can be seen arriving. Its progress is kept in
    OUT/state, beside the kiosk's state record, as on a booth."""

    def __init__(self, out: Path, url: str, idle_seconds: float, poll_seconds: float) -> None:
        self.out = out
        self.url = url
        self.idle_seconds = idle_seconds
        self.poll_seconds = poll_seconds
        self.agent: SyncAgent | None = None
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self) -> None:
        from booth.sync.agent import SyncAgent
        from booth.sync.config import SyncSettings
        from booth.sync.parts import Hooks

        # The demo's server is a plain @tus/server (tools/tus): it writes no receipts.
        sync = SyncSettings(
            url=self.url,
            idle_seconds=self.idle_seconds,
            poll_seconds=self.poll_seconds,
            proof="upload",
        )
        self.agent = SyncAgent(
            sync, self.out / "spool", self.out / "state", hooks=Hooks(progress=_arrived)
        )
        self.thread = threading.Thread(
            target=self.agent.run, args=(self.stopping,), name="sync", daemon=True
        )
        self.thread.start()
        print(
            f"booth demo: uploads go to {self.url} when the booth has been idle "
            f"{self.idle_seconds:g} s"
        )

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.agent is not None:
            self.agent.close()


def _arrived(file: SpoolFile, offset: int) -> None:
    if offset >= file.length:
        print(f"booth demo: uploaded {file.session_id}/{file.name} ({file.length} bytes)")
