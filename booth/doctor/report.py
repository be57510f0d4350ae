"""The acceptance recording's report as staff read it in a terminal."""

from __future__ import annotations

from booth.doctor.record import Acceptance


def format_report(result: Acceptance) -> str:
    """A short table of what was measured against each target, then PASS or FAIL with why."""
    sync, t = result.sync, result.targets
    width, height = result.size
    offsets = " ".join(f"{o:+.1f}" for o in sync.offsets_ms) or "none"
    mean = "-" if sync.offset_ms is None else f"{sync.offset_ms:+.1f} ms"
    drift = "-" if sync.drift_ms is None else f"{sync.drift_ms:+.1f} ms"
    mark = sync.encoder or "no x264 mark"
    rows = [
        ("recording", f"{result.seconds:g} s at {width}x{height}, {result.fps_nominal:g} fps"),
        ("file", str(result.mp4)),
        ("camera", result.camera),
        ("encoder", f"{result.encoder}; stream: {mark}"),
        ("microphone", f"{result.mic_device}, {result.overruns} overruns (target 0)"),
        ("claps", f"{len(sync.claps)} of {result.claps_made} found"),
        ("audio - video", f"{mean} mean (target within ±{t.max_offset_ms:g} ms)"),
        ("  per clap", f"{offsets} ms (positive: the sound is late)"),
        ("drift", f"{drift} first to last clap (target within ±{t.max_drift_ms:g} ms)"),
        ("frame rate", f"{sync.fps_measured:.2f} fps measured"),
        ("dropped frames", f"{sync.dropped_frames} of {sync.frames} (target 0)"),
    ]
    lines = ["booth doctor --record"]
    lines += [f"  {name:<15} {value}" for name, value in rows]
    problems = result.problems
    if problems:
        lines.append("FAIL:")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append("PASS: every figure is within its target.")
    return "\n".join(lines)
