"""Where running sessions live with [privacy] recipients (issue 24.4): in RAM by default (the
kiosk unit's /run/booth, a tmpfs), on the card only when RAM is short, and then `booth doctor`
and `booth status` say so; `booth doctor` fails a booth that swaps to a disk."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS
from privacy_support import make_org_key

from booth.cli import status_cmd
from booth.config.interview import load_interviews
from booth.config.settings import Settings, load_settings
from booth.doctor.checks import FAIL, PASS, WARN, running_sessions_check, swap_check
from booth.kiosk.build import sized_sealing
from booth.media.spool import Spool
from booth.privacy import scratch as scratch_module
from booth.privacy.scratch import choose_scratch

STARTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SWAP_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    return make_org_key(tmp_path_factory.mktemp("org"))


@pytest.fixture
def ram(tmp_path, monkeypatch) -> Iterator[Path]:
    """A real 64 MiB tmpfs as the booth's RAM scratch (/run/booth on a booth)."""
    point = tmp_path / "run-booth"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(point)], check=True)
    monkeypatch.setattr(scratch_module, "RAM_SCRATCH", point)
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


SMALL = "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
"""A session of the example interview needs about 30 MB in clear at this size (537 MB at the
default 1080p and 8 Mb/s)."""


def settings_with(tmp_path: Path, recipients: list[str], extra: str = "") -> Settings:
    config = tmp_path / "booth.toml"
    listed = ", ".join(f'"{r}"' for r in recipients)
    config.write_text(
        f'[paths]\nspool = "{tmp_path / "spool"}"\nstate = "{tmp_path / "state"}"\n'
        f'interviews = "{EXAMPLE_INTERVIEWS}"\n[privacy]\nrecipients = [{listed}]\n{extra}',
        encoding="utf-8",
    )
    return load_settings(config)


def meminfo(tmp_path: Path, available_kib: int) -> Path:
    path = tmp_path / "meminfo"
    path.write_text(f"MemTotal: 4000000 kB\nMemAvailable: {available_kib} kB\n")
    return path


def test_without_recipients_running_sessions_stay_in_the_spool(tmp_path, ram):
    choice = choose_scratch(settings_with(tmp_path, []), 0)
    assert choice.folder is None and not choice.running_in_ram


def test_with_recipients_running_sessions_are_in_ram_by_default(tmp_path, ram, org):
    settings = settings_with(tmp_path, [org.recipient], SMALL)
    interviews = load_interviews(EXAMPLE_INTERVIEWS)[0]
    spool = Spool(settings.paths.spool, sized_sealing(settings, interviews))
    session = spool.open_session("b", "example", "CAND-1", started=STARTED)
    assert session.dir.parent == ram
    assert not (settings.paths.spool / session.dir.name).exists()


def test_a_missing_ram_scratch_sends_sessions_to_the_card_and_is_never_made(
    tmp_path, monkeypatch, org
):
    missing = tmp_path / "run-booth"
    monkeypatch.setattr(scratch_module, "RAM_SCRATCH", missing)
    settings = settings_with(tmp_path, [org.recipient])
    choice = choose_scratch(settings, 0)
    assert choice.folder is None and "does not exist" in (choice.on_card or "")
    assert choice.fix and "run-booth.mount" in choice.fix
    spool = Spool(settings.paths.spool, sized_sealing(settings, []))
    session = spool.open_session("b", "example", "CAND-1", started=STARTED)
    assert session.dir.parent == settings.paths.spool
    assert not missing.exists()


def test_when_ram_is_short_new_sessions_go_to_the_card_and_running_ones_are_still_found(
    tmp_path, ram, org
):
    settings = settings_with(tmp_path, [org.recipient])
    earlier = Spool(settings.paths.spool, sized_sealing(settings, []))
    in_ram = earlier.open_session("b", "example", "CAND-1", started=STARTED)
    assert in_ram.dir.parent == ram
    # The example interview needs 537 MB in clear at the default 1080p; 64 MiB is short.
    interviews = load_interviews(EXAMPLE_INTERVIEWS)[0]
    short = Spool(settings.paths.spool, sized_sealing(settings, interviews))
    on_card = short.open_session("b", "example", "CAND-2", started=STARTED)
    assert on_card.dir.parent == settings.paths.spool
    assert [e.dir for e in short.sessions()] == sorted(
        [in_ram.dir, on_card.dir], key=lambda p: p.name
    )


def test_each_session_goes_where_there_is_room_as_it_starts(tmp_path, ram, org):
    """The kiosk asks as every session starts, so what `booth status` shows now is where the
    next session goes: something else filling the RAM sends it to the card, and freeing the
    RAM brings the one after back."""
    settings = settings_with(tmp_path, [org.recipient], SMALL)
    interviews = load_interviews(EXAMPLE_INTERVIEWS)[0]
    spool = Spool(settings.paths.spool, sized_sealing(settings, interviews))
    first = spool.open_session("b", "example", "CAND-1", started=STARTED)
    assert first.dir.parent == ram
    ballast = ram / "ballast"
    with open(ballast, "wb") as f:
        f.write(b"\0" * (50 << 20))  # of 64 MiB: less than a session's 30 MB left
    second = spool.open_session("b", "example", "CAND-2", started=STARTED)
    assert second.dir.parent == settings.paths.spool
    assert status_cmd.gather(settings)["scratch"]["on_card"].startswith("RAM is short")
    ballast.unlink()
    third = spool.open_session("b", "example", "CAND-3", started=STARTED)
    assert third.dir.parent == ram


def test_memory_counts_as_well_as_the_tmpfs_size(tmp_path, ram, org):
    settings = settings_with(tmp_path, [org.recipient])
    roomy = choose_scratch(settings, 10_000_000, meminfo=meminfo(tmp_path, 4_000_000))
    assert roomy.running_in_ram and roomy.detail.startswith(f"in RAM: {ram} (tmpfs")
    short = choose_scratch(settings, 10_000_000, meminfo=meminfo(tmp_path, 5_000))
    assert not short.running_in_ram and "RAM is short: 5 MB free" in (short.on_card or "")


def test_doctor_and_status_say_when_running_sessions_go_to_the_card(tmp_path, ram, org):
    settings = settings_with(tmp_path, [org.recipient])
    roomy = running_sessions_check(settings, 1_000_000)
    assert roomy.result == PASS and "running sessions in RAM" in roomy.detail
    short = running_sessions_check(settings, 10**12)
    assert short.result == WARN and "go to the card in clear: RAM is short" in short.detail
    assert short.fix and "bitrate" in short.fix and "restart booth-kiosk" in short.fix
    # The example interview at the default 1080p needs 537 MB, far more than 64 MiB.
    text = status_cmd.render(status_cmd.gather(settings))
    assert "running sessions: ON THE CARD: RAM is short" in text


def test_status_shows_running_sessions_in_ram(tmp_path, ram, org):
    settings = settings_with(tmp_path, [org.recipient], SMALL)
    assert settings.paths.scratch is None  # the default, not a setting
    status = status_cmd.gather(settings)
    assert status["scratch"]["in_ram"] and status["scratch"]["folder"] == str(ram)
    assert f"running sessions: in RAM: {ram} (tmpfs" in status_cmd.render(status)


@pytest.mark.parametrize(
    ("swaps", "recipients", "result"),
    [
        ("", True, PASS),
        ("/dev/zram0                              partition\t524284\t0\t100\n", True, PASS),
        ("/var/swap                               file\t\t102396\t\t0\t\t-2\n", True, FAIL),
        ("/var/swap                               file\t\t102396\t\t0\t\t-2\n", False, PASS),
        ("/dev/mmcblk0p3                          partition\t1048572\t0\t-2\n", True, FAIL),
    ],
)
def test_doctor_fails_swap_on_a_disk_with_recipients(tmp_path, swaps, recipients, result):
    table = tmp_path / "swaps"
    table.write_text(SWAP_HEADER + swaps)
    check = swap_check(["age1x"] if recipients else [], table)
    assert check.result == result
    if result == FAIL:
        assert swaps.split()[0] in check.detail and "dphys-swapfile" in (check.fix or "")
