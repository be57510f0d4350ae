"""A simulated booth set up for one long take with claps: interview, settings and script.

Shared by the sync and memory benchmarks: one question without think time or review, so the
script goes straight from the invitation code to recording, claps at a steady pace, and lets
the answer limit stop the take.
"""

from __future__ import annotations

from pathlib import Path

CODE = "123456"
COUNTDOWN_S = 3


def write_clap_booth(
    root: Path,
    width: int,
    height: int,
    take_seconds: int,
    clap_every_s: float | None,
    simulation: dict[str, float] | None = None,
) -> tuple[Path, Path, Path]:
    """Write (settings, interviews directory, script) under `root` for a take of
    `take_seconds` at `width`x`height`, with a clap every `clap_every_s` (None: no claps);
    `simulation` is the settings' [simulation] table (real-world clocks)."""
    interview = root / "interviews" / "bench"
    interview.mkdir(parents=True, exist_ok=True)
    (interview / "interview.toml").write_text(
        'id = "bench"\nemployer = "Bench"\ntitle = { en = "Benchmark" }\nlanguages = ["en"]\n'
        "valid_from = 2025-01-01T00:00:00+01:00\ndeadline = 2035-12-31T23:59:00+01:00\n"
        "intro_clips = []\n\n[[questions]]\n"
        f'id = "q1"\ntext = {{ en = "Clap." }}\nanswer_seconds = {take_seconds}\n'
        "review = false\n",
        encoding="utf-8",
    )
    (interview / "codes.csv").write_text(
        f"code,candidate_ref,extra_time_percent,extra_takes\n{CODE},BENCH-1,,\n", encoding="utf-8"
    )
    settings = root / "booth.toml"
    settings.write_text(
        'booth_id = "bench"\nlanguage = "en"\nlanguages = ["en"]\n'
        f"[recording]\nwidth = {width}\nheight = {height}\ndisk_margin_bytes = 0\n"
        + "[simulation]\n"
        + "".join(f"{key} = {value}\n" for key, value in (simulation or {}).items()),
        encoding="utf-8",
    )
    lines = ["press start", f"type {CODE}", "press confirm", "press next", "press accept"]
    lines += ["press next", "press next", "expect countdown", f"wait {COUNTDOWN_S}"]
    elapsed = 0.0
    if clap_every_s:
        first = clap_every_s / 2
        lines += [f"wait {first}", "clap"]
        elapsed = first
        while elapsed + clap_every_s < take_seconds - 1:
            lines += [f"wait {clap_every_s}", "clap"]
            elapsed += clap_every_s
    # Past the answer limit: the booth stops the take and keeps it.
    lines += [f"wait {take_seconds - elapsed + 1}", "expect done"]
    script = root / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings, root / "interviews", script
