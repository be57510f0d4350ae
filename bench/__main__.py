"""Run the benchmarks: `python -m bench [NAME ...]`, results in bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

from bench import BENCHMARKS

RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
        return 2
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not names:
        print("no benchmarks yet")
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.time()
        environ = dict(os.environ)
        try:
            result = module.run()
        finally:
            # A benchmark's simulated booth points ALSA_CONFIG_PATH at its own temporary
            # files; the next benchmark starts from the environment as it was.
            os.environ.clear()
            os.environ.update(environ)
        result["_seconds"] = round(time.time() - started, 1)
        results[name] = result
        print(f"\n== {name}")
        for row in result.get("table", []):
            print("  " + "  ".join(str(cell) for cell in row))
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
