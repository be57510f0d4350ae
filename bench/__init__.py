"""Benchmarks: speed, memory and quality figures as ratios against a baseline in the same run.

`make bench` runs every module listed in BENCHMARKS (each has `run() -> dict`), prints a
table and writes bench/results.json. These are not tests: the machine is shared and noisy,
so figures are compared against a baseline measured in the same run, never against a clock.
"""

BENCHMARKS: list[str] = [
    "av_sync",
    "kiosk_cpu",
    "take_finish",
    "take_memory",
    "light",
    "face",
    "sync_upload",
    "clips",
    "latency",
    "session_end",
]
