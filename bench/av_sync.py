"""Audio/video offset and drift over a 180 s take, measured on the MP4 with claps.

The whole simulated booth runs in this process (camera, ALSA microphone, H.264 writer, muxer) at
320x240; a clap every 10 s flashes one frame white and clicks at the same virtual instant. The
kept MP4 is measured by booth.media.analyze. Targets (issue 3): |offset| <= 20 ms at every clap,
|drift| <= 5 ms from the first clap to the last.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.clap_booth import write_clap_booth
from booth.config.settings import load_settings
from booth.kiosk.script import load_script
from booth.kiosk.simulate import simulate
from booth.media.analyze import analyze_take

TAKE_SECONDS = 180
CLAP_EVERY_S = 10.0
SIZE = (320, 240)
MAX_OFFSET_MS = 20.0
MAX_DRIFT_MS = 5.0


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-av-sync-") as tmp:
        root = Path(tmp)
        config, interviews, script = write_clap_booth(root, *SIZE, TAKE_SECONDS, CLAP_EVERY_S)
        out = root / "out"
        outcome = simulate(load_settings(config), interviews, out, load_script(script), str(script))
        if outcome.exit_code:
            raise RuntimeError(outcome.message)
        (manifest,) = out.glob("spool/*/manifest.json")
        (take,) = json.loads(manifest.read_text())["takes"]
        report = analyze_take(manifest.parent / take["file"])

    offsets = report.offsets_ms
    worst = max(offsets, key=abs)
    drift = report.drift_ms or 0.0
    offset_ok = abs(worst) <= MAX_OFFSET_MS
    drift_ok = abs(drift) <= MAX_DRIFT_MS
    claps = f"{len(report.claps)} claps ({report.flashes} flashes, {report.clicks} clicks)"
    return {
        "table": [
            ["figure", "measured", "target", "ok"],
            ["take", f"{report.duration_s:.1f} s at {SIZE[0]}x{SIZE[1]}, {claps}", "", ""],
            ["offset, worst clap", f"{worst:+.3f} ms", f"|x| <= {MAX_OFFSET_MS:g} ms", offset_ok],
            ["offset, mean", f"{report.offset_ms:+.3f} ms", "", ""],
            ["drift, first to last", f"{drift:+.3f} ms", f"|x| <= {MAX_DRIFT_MS:g} ms", drift_ok],
            ["dropped frames", report.dropped_frames, "", ""],
        ],
        "take_seconds": report.duration_s,
        "claps": len(report.claps),
        "offsets_ms": [round(o, 3) for o in offsets],
        "offset_ms_mean": round(report.offset_ms, 3),
        "offset_ms_worst": round(worst, 3),
        "drift_ms": round(drift, 3),
        "dropped_frames": report.dropped_frames,
        "targets": {"max_abs_offset_ms": MAX_OFFSET_MS, "max_abs_drift_ms": MAX_DRIFT_MS},
        "pass": offset_ok and drift_ok,
    }
