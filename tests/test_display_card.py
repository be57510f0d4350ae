"""The kiosk unit's choice of display card (its ExecStartPre), run on fake /sys/class/drm trees."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[1] / "deploy/systemd/booth-kiosk.service"


def exec_start_pre(drm: Path, runtime: Path) -> list[str]:
    """The unit's ExecStartPre command, unescaped as systemd does, reading `drm` for
    /sys/class/drm and writing under `runtime` for %t."""
    line = next(
        x for x in UNIT.read_text().splitlines() if x.startswith("ExecStartPre=/bin/sh -c ")
    )
    script = line.removeprefix("ExecStartPre=/bin/sh -c ").strip("'")
    script = re.sub(r"%(.)", lambda m: {"%": "%", "t": str(runtime)}[m.group(1)], script)
    script = script.replace("$$", "$").replace("/sys/class/drm", str(drm))
    return ["/bin/sh", "-c", script]


def card(drm: Path, name: str, status: str) -> None:
    connector = drm / name
    connector.mkdir(parents=True)
    (connector / "status").write_text(status + "\n")


def chosen(tmp_path: Path) -> str:
    runtime = tmp_path / "run"
    (runtime / "booth-kiosk").mkdir(parents=True)
    subprocess.run(exec_start_pre(tmp_path / "drm", runtime), check=True)
    return (runtime / "booth-kiosk/display.env").read_text()


def test_a_pi_5_with_a_dsi_panel_uses_the_panels_card_not_the_empty_hdmi_one(tmp_path):
    drm = tmp_path / "drm"
    card(drm, "card1-HDMI-A-1", "disconnected")
    card(drm, "card1-HDMI-A-2", "disconnected")
    card(drm, "card2-DSI-1", "connected")
    (drm / "card0").mkdir()  # v3d: render only, no connectors
    assert chosen(tmp_path) == "SDL_KMSDRM_DEVICE_INDEX=2\n"


@pytest.mark.parametrize("port", ["card1-HDMI-A-1", "card1-HDMI-A-2"])
def test_an_hdmi_screen_on_either_port_picks_its_card(tmp_path, port):
    drm = tmp_path / "drm"
    for name in ("card1-HDMI-A-1", "card1-HDMI-A-2"):
        card(drm, name, "connected" if name == port else "disconnected")
    assert chosen(tmp_path) == "SDL_KMSDRM_DEVICE_INDEX=1\n"


def test_with_no_screen_connected_sdl_chooses(tmp_path):
    card(tmp_path / "drm", "card1-HDMI-A-1", "disconnected")
    assert chosen(tmp_path) == ""
