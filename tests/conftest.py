"""Shared set-up: no display, no sound card, and gpiozero's mock pins reset between tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.sim_support import pending_frames

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_INTERVIEWS = ROOT / "config" / "interviews"


@pytest.fixture(scope="session")
def swift(tmp_path_factory):
    """One local Swift with S3 for every receiver test of the run (it takes seconds to start,
    more on a loaded machine); every test starts its own receiver, on its own bucket keys."""
    from tests.swift_support import LocalSwift, SwiftError

    try:
        store = LocalSwift(tmp_path_factory.mktemp("swift")).start()
    except SwiftError as err:
        pytest.fail(f"the receiver tests need a local Swift: {err}", pytrace=False)
    yield store
    store.stop()


@pytest.fixture
def small_booth(tmp_path: Path) -> Path:
    """Booth settings that record small frames, so a whole session simulates in seconds."""
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
        "disk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    return config


def simulate_booth(
    config: Path | None,
    script: str | Path,
    out: Path,
    interviews: Path = EXAMPLE_INTERVIEWS,
    *extra: str,
) -> int:
    """`booth simulate --headless` in this process; `script` is a file or the script's text."""
    from booth.cli.main import main

    if not isinstance(script, Path):
        path = out.parent / f"{out.name}-script.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script, encoding="utf-8")
        script = path
    args = ["simulate", "--interviews", str(interviews), "--headless"]
    args += ["--script", str(script), "--out", str(out), *extra]
    if config is not None:
        args += ["--config", str(config)]
    return main(args)


def read_events(out: Path) -> list[dict]:
    """The events a simulated run wrote to OUT/events.jsonl, one dict per line."""
    import json

    return [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]


def read_waiting(world, mic) -> list:
    """Read, on the test's own thread, every whole period waiting in a SimWorld's virtual
    microphone (never blocks; the kiosk reads on a `MicReader` thread instead)."""
    chunks = []
    while pending_frames(world.mic) >= mic.period_frames:
        chunk = mic.read()
        if chunk is not None:
            chunks.append(chunk)
    return chunks
