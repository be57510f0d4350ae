"""Carving a stolen card (issue 24.4): a simulated booth with [privacy] recipients records a
sealed session (a practice take and three answers) with its spool and state on a real ext4
file system on a loop device, the "card". Then, as an attacker would, the raw image is
searched for MP4 headers (`ftyp`) and H.264 start codes of parameter sets, in used and free
blocks alike, and the first MP4 header found is carved out and probed. Deleting a file frees
its blocks without erasing them, so with running sessions on the card (the fallback when RAM
is short) the sealed session's clear takes are still there; with the RAM scratch (the
default) none of them ever reached the card."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from privacy_support import leaks, make_org_key

from booth.cli.main import main
from booth.privacy import scratch as scratch_module

pytestmark = pytest.mark.slow

# A practice take, then every question answered and kept (the example interview).
SESSION = """
press start
expect code
type 123456
press confirm
expect welcome
press next
expect consent
press accept
expect check
press next
expect intro
wait 5.2
expect intro
wait 5.2
press next
expect practice
press record
expect think
press record
expect countdown
wait 3
expect recording
wait 4
press stop
expect review
press next
expect question
press next
expect think
press record
wait 3
expect recording
wait 4
press stop
expect review
press keep
expect question
wait 5.2
press next
expect think
press record
wait 3
expect recording
wait 4
press stop
expect review
press keep
expect question
press next
expect countdown
wait 3
wait 4
press stop
expect done
press next                  # Finish: the receipt stays until then (or a minute)
expect idle
"""

MP4_HEADER = b"ftyp"
# Annex B start codes of H.264 parameter sets, as a raw take file holds them (libx264 and the
# Pi's encoders): a sequence parameter set (0x67) with a real profile and level, and a picture
# parameter set (0x68) whose first two ids are 0. Matching the header bytes after the start
# code keeps ext4's own metadata out: 00 00 00 01 67 alone turns up in it by chance.
H264_START_CODES = re.compile(
    rb"\x00\x00\x00\x01(?:\x67[\x42\x4d\x58\x64\x6e\x7a\xf4].[\x0a-\x34]|\x68[\xc0-\xff])",
    re.S,
)


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


@contextmanager
def mounted(device_or_fs: str, point: Path, *options: str) -> Iterator[Path]:
    point.mkdir(parents=True, exist_ok=True)
    done = run("mount", *options, device_or_fs, str(point))
    assert done.returncode == 0, done.stderr
    try:
        yield point
    finally:
        run("umount", str(point))


@contextmanager
def ext4_card(image: Path, point: Path, size_mib: int = 96) -> Iterator[Path]:
    """A fresh ext4 file system in `image` (all zeros before), loop-mounted on `point`; when
    the block ends it is unmounted (everything written reaches the image) and detached."""
    with open(image, "wb") as f:
        f.truncate(size_mib << 20)
    made = run("mkfs.ext4", "-q", "-F", str(image))
    assert made.returncode == 0, made.stderr
    loop = run("losetup", "--find", "--show", str(image))
    if loop.returncode != 0:
        pytest.skip(f"no loop device to mount an ext4 image on: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    try:
        with mounted(device, point, "-t", "ext4"):
            yield point
    finally:
        run("losetup", "--detach", device)


def carve(image: Path) -> dict[str, int]:
    """What an attacker finds in the raw image: MP4 headers and H.264 start codes, and how
    many seconds of video ffprobe reads from the bytes at the first MP4 header (4 MiB from its
    box's start; a take is written whole, so ext4 keeps it in one run of blocks)."""
    raw = image.read_bytes()
    seconds = 0.0
    first = raw.find(MP4_HEADER)
    if first >= 4:
        carved = image.with_name("carved.mp4")
        carved.write_bytes(raw[first - 4 : first - 4 + (4 << 20)])
        probe = run("ffprobe", "-v", "error", "-show_format", "-of", "json", str(carved))
        if probe.returncode == 0:
            seconds = float(json.loads(probe.stdout)["format"].get("duration", 0))
    return {
        "mp4 headers": raw.count(MP4_HEADER),
        "h264 start codes": len(H264_START_CODES.findall(raw)),
        "seconds carved": round(seconds),
    }


def record_on_card(tmp_path: Path, ram_size: str, monkeypatch) -> tuple[dict[str, int], dict]:
    """One sealed session recorded with the spool and state on the card and the RAM scratch
    (the default place, /run/booth on a booth) a tmpfs of `ram_size`; returns the carving
    result and `booth status --json`'s scratch entry as it was after the session, with
    `practice_in_ram`: where the practice take went."""
    org = make_org_key(tmp_path)
    image = tmp_path / "card.img"
    ram = tmp_path / "ram"
    with (
        ext4_card(image, tmp_path / "card") as card,
        mounted("tmpfs", ram, "-t", "tmpfs", "-o", f"size={ram_size},mode=0700"),
    ):
        monkeypatch.setattr(scratch_module, "RAM_SCRATCH", ram)
        out = card / "booth"
        # The simulator's own files stay off the card: a booth has neither. Its speaker's
        # recording of the clips it played (raw PCM, where 00 00 00 01 65 turns up by chance)
        # and its screenshots (which show the camera's preview).
        (out / "state").mkdir(parents=True)
        for sim_only, outside in (("state/speaker", "sim-speaker"), ("screens", "sim-screens")):
            (tmp_path / outside).mkdir()
            (out / sim_only).symlink_to(tmp_path / outside)
        config = tmp_path / "booth.toml"
        config.write_text(
            'booth_id = "test-booth"\n'
            "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
            "disk_margin_bytes = 0\n"
            f'[paths]\nspool = "{out / "spool"}"\nstate = "{out / "state"}"\n'
            f'interviews = "{EXAMPLE_INTERVIEWS}"\n'
            f'[privacy]\nrecipients = ["{org.recipient}"]\n',
            encoding="utf-8",
        )
        assert simulate_booth(config, SESSION, out, EXAMPLE_INTERVIEWS) == 0
        sessions = [p for p in (out / "spool").iterdir() if not p.name.startswith(".")]
        assert len(sessions) == 1
        assert all(p.suffix == ".age" or p.name == "manifest.json" for p in sessions[0].iterdir())
        assert leaks(out, ["CAND-0001"]) == []  # what the file system shows is sealed
        # The practice take went where running sessions go: RAM, or the card's state folder.
        practice_in_ram = (ram / ".practice").is_dir()
        assert practice_in_ram != (out / "state" / "practice").is_dir()
        assert [p.name for p in ram.iterdir() if p.name != ".practice"] == []  # sealed, gone
        status = _status(config)
        status["practice_in_ram"] = practice_in_ram
    return carve(image), status


def _status(config: Path) -> dict:
    from io import StringIO
    from unittest import mock

    printed = StringIO()
    with mock.patch("sys.stdout", printed):
        assert main(["status", "--json", "--config", str(config)]) == 0
    return json.loads(printed.getvalue())["scratch"]


@pytest.mark.timeout(240)
def test_with_ram_scratch_the_raw_card_holds_no_mp4_header_and_no_h264(tmp_path, monkeypatch):
    found, scratch = record_on_card(tmp_path, "64m", monkeypatch)
    assert scratch["in_ram"] and scratch["on_card"] is None and scratch["practice_in_ram"]
    assert found == {"mp4 headers": 0, "h264 start codes": 0, "seconds carved": 0}


@pytest.mark.timeout(240)
def test_when_ram_is_short_the_card_holds_the_clear_takes_and_status_says_so(tmp_path, monkeypatch):
    """The control: the same search on the fallback finds what sealing left in free blocks,
    so a 0 above is the RAM scratch's doing, not a blind search."""
    found, scratch = record_on_card(tmp_path, "1m", monkeypatch)
    assert not scratch["in_ram"] and "RAM is short" in scratch["on_card"]
    assert not scratch["practice_in_ram"]
    assert scratch["detail"].startswith("ON THE CARD")
    assert found["mp4 headers"] > 0 and found["h264 start codes"] > 0, found
    # A whole take comes back: the practice or an answer, 4 s recorded.
    assert found["seconds carved"] >= 3, found
