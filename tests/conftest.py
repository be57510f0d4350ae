"""Shared set-up: no display, no sound card, and gpiozero's mock pins reset between tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_INTERVIEWS = ROOT / "config" / "interviews"


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
