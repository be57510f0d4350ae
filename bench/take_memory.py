"""Peak memory (RSS) of the kiosk while it records a 1080p take.

`booth simulate` runs in a child process at 1920x1080 (the default recording size): the
simulated camera, the ALSA microphone, the H.264 writer, the muxer, the screens. One run
records a 20 s take with claps; a second run only sits on the idle screen as long, to show
what the take itself adds. Each child reports its peak RSS (VmHWM in /proc/self/status) as it
exits, so the figure covers the whole run, the muxing after the take included.
Target (issue 3): <= 200 MB during a take.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.clap_booth import write_clap_booth

WIDTH, HEIGHT = 1920, 1080
TAKE_SECONDS = 20
TARGET_MB = 200.0


# The child reports its own high-water mark as it exits. Not the rusage of wait4: the kernel
# folds the memory of the process that forked it (this benchmark run, large after the other
# benchmarks) into a child's ru_maxrss at exec, while VmHWM belongs to the new program alone.
CHILD = """
import atexit, sys
from pathlib import Path

def report():
    status = Path("/proc/self/status").read_text()
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    Path(sys.argv[1]).write_text(hwm.split()[1])

atexit.register(report)
from booth.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def peak_rss_mb(booth_argv: list[str], report: Path) -> tuple[float, float]:
    """Run `booth BOOTH_ARGV` in a child process to its end; (peak RSS in MB, wall seconds)."""
    started = time.perf_counter()
    argv = [sys.executable, "-c", CHILD, str(report), *booth_argv]
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode:
        raise RuntimeError(f"booth {' '.join(booth_argv)} failed: {result.stderr}")
    return int(report.read_text()) * 1024 / 1e6, time.perf_counter() - started


def simulate_argv(config: Path, interviews: Path, script: Path, out: Path) -> list[str]:
    return [
        "simulate", "--config", str(config), "--interviews", str(interviews),
        "--headless", "--script", str(script), "--out", str(out),
    ]  # fmt: skip


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-take-memory-") as tmp:
        root = Path(tmp)
        config, interviews, script = write_clap_booth(
            root / "take", WIDTH, HEIGHT, TAKE_SECONDS, clap_every_s=5.0
        )
        argv = simulate_argv(config, interviews, script, root / "o1")
        take_mb, take_s = peak_rss_mb(argv, root / "take.hwm")
        takes = list((root / "o1").glob("spool/*/*.mp4"))
        if len(takes) != 1:
            raise RuntimeError(f"expected one kept take, found {takes}")
        idle_script = root / "idle.txt"
        idle_script.write_text(f"expect idle\nwait {TAKE_SECONDS + 3}\nexpect idle\n")
        argv = simulate_argv(config, interviews, idle_script, root / "o2")
        idle_mb, idle_s = peak_rss_mb(argv, root / "idle.hwm")

    ok = take_mb <= TARGET_MB
    return {
        "table": [
            ["run", "peak RSS", "target", "ok"],
            [
                f"kiosk with a {TAKE_SECONDS} s take at {WIDTH}x{HEIGHT} ({take_s:.0f} s)",
                f"{take_mb:.0f} MB",
                f"<= {TARGET_MB:g} MB",
                ok,
            ],
            [f"kiosk idle as long ({idle_s:.0f} s)", f"{idle_mb:.0f} MB", "", ""],
        ],
        "take_peak_rss_mb": round(take_mb, 1),
        "idle_peak_rss_mb": round(idle_mb, 1),
        "targets": {"max_peak_rss_mb": TARGET_MB},
        "pass": ok,
    }
