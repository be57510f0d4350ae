"""What `booth sync --once` does against each mode of the hostile tus server: a table.

    PYTHONPATH=. python tests/hostile_sweep.py

For every mode, one finished session (two takes of three 64 KiB chunks, and its manifest) is
uploaded with `run_once`, its backoff waits recorded instead of slept. Columns: the outcome,
the requests and body bytes the server got, the waits the agent would have slept with the
shipped backoff (virtual seconds), requests that reached the other origin, and whether
anything was lost (a session deleted from the booth that the server does not hold byte for
byte, or a kept file changed).
The pytest sweep in test_sync_hostile.py asserts the same on more shapes.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_tus import MODES, HostileTus  # noqa: E402
from sync_support import CHUNK, booth_config, finished_session, make_agent  # noqa: E402

# The shipped backoff (config/booth.example.toml), so the waits column is what a booth waits.
DEFAULT_BACKOFF = {"backoff_seconds": 2, "backoff_max_seconds": 600}


def sweep() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = [
        ("mode", "outcome", "requests", "bytes", "waits_s", "elsewhere", "lost")
    ]
    for mode in MODES:
        with tempfile.TemporaryDirectory() as tmp, HostileTus() as thief:
            tmp_path = Path(tmp)
            with HostileTus(mode, elsewhere=thief.url, hang_seconds=1.0) as server:
                config = booth_config(tmp_path, server.url, timeout_seconds=0.5, **DEFAULT_BACKOFF)
                session = finished_session(tmp_path / "spool", take_sizes=(3 * CHUNK, 3 * CHUNK))
                before = {p.name: p.read_bytes() for p in session.dir.iterdir()}
                waits: list[float] = []
                agent = make_agent(config, rng=random.Random(1).random)
                result = agent.run_once(sleep=waits.append)
                agent.close()
                if session.dir.exists():
                    lost = {p.name: p.read_bytes() for p in session.dir.iterdir()} != before
                else:
                    whole = {
                        u.metadata["filename"]: bytes(u.data)
                        for u in server.uploads.values()
                        if len(u.data) == u.length
                    }
                    lost = whole != before
                outcome = "confirmed" if result.ok else _held(result.reason)
                seen = server.requests()
                rows.append(
                    (mode, outcome, len(seen), sum(r.bytes for r in seen),
                     round(sum(waits), 1), len(thief.requests()), "yes" if lost else "no")
                )  # fmt: skip
    return rows


def _held(reason: str) -> str:
    for word in ("another origin", "redirect", "set-aside", "damaged", "time limit", "gave up"):
        if word in reason:
            return word
    return reason[:40]


if __name__ == "__main__":
    for row in sweep():
        print("  ".join(f"{cell!s:<16}" for cell in row).rstrip())
