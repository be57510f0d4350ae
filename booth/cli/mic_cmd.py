"""`booth mic test`: the microphone's level, live in the terminal.

Staff speak as a candidate would and watch the bar: speech should sit around -30 to -15 dBFS,
never reach CLIPPING, and the room alone should read well above the silence of a dead input.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.devices.level_meter import FLOOR_DBFS, LevelMeter
from booth.devices.ports.microphone import MicrophoneError

if TYPE_CHECKING:
    from booth.devices.live_mic import LiveMic

BAR_FLOOR_DBFS = -60.0
"""The bar's left end: below the room noise of a quiet booth."""
BAR_WIDTH = 40
REDRAW_S = 0.1
DEFAULT_SECONDS_PIPED = 5.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mic",
        help="the microphone: `booth mic test` shows its level live",
        description="Test the booth's microphone.",
    )
    sub = parser.add_subparsers(dest="mic_command", metavar="ACTION")
    sub.required = True
    test = sub.add_parser(
        "test",
        help="a live level meter in the terminal (the kiosk must be stopped)",
        description=(
            "Show the microphone's level as a bar, redrawn ten times a second: RMS and peak in "
            "dBFS (0 = full scale), CLIPPING when a sample hits full scale (move the microphone "
            "away or turn its gain down), 'too quiet' after 4 s below -45 dBFS, SILENT when it "
            "delivers only zeros (muted or dead). Speech should read about -30 to -15 dBFS. "
            "Runs until Ctrl-C in a terminal, else 5 s; --seconds sets the time. The kiosk "
            "holds the microphone while it runs: stop it first (sudo systemctl stop "
            'booth-kiosk). With backend = "sim" it listens to the simulated candidate.'
        ),
    )
    add_config_option(test)
    test.add_argument(
        "--seconds", type=float, metavar="N", help="stop after N seconds (default: see above)"
    )
    test.set_defaults(func=run_test)


def meter_line(meter: LevelMeter) -> str:
    """`-23.4 dBFS  peak  -8.1  [##########-------|------]  CLIPPING`: the RMS as the filled
    bar, the peak as `|`, from -60 dBFS at the left to 0 dBFS at the right."""

    def column(dbfs: float) -> int:
        share = (dbfs - BAR_FLOOR_DBFS) / -BAR_FLOOR_DBFS
        return min(BAR_WIDTH, max(0, round(share * BAR_WIDTH)))

    rms, peak = meter.rms_dbfs, meter.peak_dbfs
    cells = ["#" if i < column(rms) else "-" for i in range(BAR_WIDTH)]
    if peak > FLOOR_DBFS:
        cells[min(BAR_WIDTH - 1, column(peak))] = "|"
    flags = []
    if meter.clipping:
        flags.append("CLIPPING")
    if meter.silent:
        flags.append("SILENT (muted or dead)")
    elif meter.too_quiet:
        flags.append("too quiet")
    # Padded, so a shorter line redrawn over a longer one leaves nothing behind.
    return f"{rms:6.1f} dBFS  peak {peak:6.1f}  [{''.join(cells)}]  {' '.join(flags):<31}"


def run_test(args: argparse.Namespace) -> int:
    from booth.cli.world import world_for
    from booth.doctor.checkup import running_kiosk

    settings = load_booth_settings(args.config)
    kiosk = running_kiosk(settings.paths.state)
    if kiosk is not None:
        raise UserError(
            f"the kiosk is running (pid {kiosk.pid}) and holds the microphone: stop it first "
            "(sudo systemctl stop booth-kiosk), or see its verdict in `booth status`"
        )
    seconds = args.seconds
    if seconds is None and not sys.stdout.isatty():
        seconds = DEFAULT_SECONDS_PIPED
    if seconds is not None and seconds <= 0:
        raise UserError(f"--seconds {seconds:g}: give a positive number of seconds")
    with world_for(settings) as world:
        try:
            mic = world.live_mic()
        except MicrophoneError as error:
            raise UserError(str(error)) from None
        try:
            return show_meter(mic, seconds, sys.stdout)
        finally:
            mic.close()


def show_meter(mic: LiveMic, seconds: float | None, out: TextIO) -> int:
    """Redraw the meter line on `out` until `seconds` pass (None: until Ctrl-C); then a summary.

    Returns 0, or 1 when the microphone stopped delivering.
    """
    meter = LevelMeter(mic.rate)
    loudest = FLOOR_DBFS
    clipped = False
    heard = 0
    end = None if seconds is None else time.monotonic() + seconds
    print(f"microphone {mic.device}: speak as a candidate would (Ctrl-C stops)", file=out)
    try:
        while end is None or time.monotonic() < end:
            time.sleep(REDRAW_S)
            for chunk in mic.chunks():
                meter.feed(chunk.samples)
                heard += chunk.frames
                loudest = max(loudest, meter.peak_dbfs)
                clipped = clipped or meter.clipping
            print("\r" + meter_line(meter), end="", file=out, flush=True)
            if mic.fault:
                print(f"\nthe microphone stopped: {mic.fault}", file=out)
                return 1
    except KeyboardInterrupt:
        pass
    print(file=out)
    print(
        f"{heard / mic.rate:.1f} s heard; loudest peak {loudest:.1f} dBFS"
        + ("; it clipped: turn the gain down or move it away" if clipped else ""),
        file=out,
    )
    return 0
