"""install.sh and the units keep clear takes off the card (issue 24.4, 24.5): the RAM scratch
/run/booth (run-booth.mount, the kiosk's RuntimeDirectory) is installed, the card's swap file
goes off for good (and comes back with --uninstall), and every unit makes private files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_deploy import ROOT, assert_unit_verifies, install
from test_deploy_fleet import pi  # noqa: F401 (fixture)

pytestmark = pytest.mark.deploy

SYSTEMD = ROOT / "deploy" / "systemd"
MOUNT = SYSTEMD / "run-booth.mount"
PI_OS_SWAPS = (
    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
    "/var/swap                               file\t\t102396\t\t0\t\t-2\n"
)


def directives(unit: Path, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", unit.read_text(), re.M)


def test_every_booth_unit_makes_private_files() -> None:
    units = sorted(SYSTEMD.glob("*.service")) + [ROOT / "deploy/receiver/booth-receiver.service"]
    assert {u.name: directives(u, "UMask") for u in units} == {u.name: ["0077"] for u in units}


def test_the_kiosk_writes_running_sessions_to_its_own_ram_folder() -> None:
    kiosk = SYSTEMD / "booth-kiosk.service"
    # ProtectSystem=strict leaves only its own directories writable: /run/booth is one.
    assert directives(kiosk, "ProtectSystem") == ["strict"]
    assert "booth" in directives(kiosk, "RuntimeDirectory")
    assert directives(kiosk, "RuntimeDirectoryMode") == ["0700"]
    # Not deleted at a stop or crash: a session cut off there is sealed at the next start.
    assert directives(kiosk, "RuntimeDirectoryPreserve") == ["yes"]
    assert "run-booth.mount" in directives(kiosk, "Wants")
    assert any("run-booth.mount" in line.split() for line in directives(kiosk, "After"))
    assert directives(MOUNT, "Where") == ["/run/booth"]
    assert directives(MOUNT, "Type") == ["tmpfs"]
    options = directives(MOUNT, "Options")[0].split(",")
    assert {"mode=0700", "nosuid", "nodev", "noexec"} <= set(options)


def test_the_ram_scratch_mount_verifies_cleanly(tmp_path: Path) -> None:
    assert_unit_verifies(MOUNT, tmp_path)


def test_install_sets_up_the_ram_scratch_and_uninstall_removes_it(pi: Path) -> None:  # noqa: F811
    out = install(pi).stdout
    assert (pi / "etc/systemd/system/run-booth.mount").read_text() == MOUNT.read_text()
    assert "systemctl enable --now run-booth.mount" in out
    out = install(pi, "--uninstall").stdout
    assert "systemctl disable --now run-booth.mount" in out
    assert not (pi / "etc/systemd/system/run-booth.mount").exists()


def test_the_cards_swap_file_goes_off_for_good_and_uninstall_gives_it_back(pi: Path) -> None:  # noqa: F811
    (pi / "etc/dphys-swapfile").write_text("CONF_SWAPSIZE=512\n")
    (pi / "var").mkdir()
    (pi / "var/swap").write_bytes(b"\0" * 4096)
    (pi / "proc/swaps").write_text(PI_OS_SWAPS)
    out = install(pi).stdout
    mask = pi / "etc/systemd/system/dphys-swapfile.service"
    assert os.readlink(mask) == "/dev/null"
    assert "swapoff /var/swap" in out
    assert not (pi / "var/swap").exists()
    # A second run (the kernel no longer lists it) finds it off and changes nothing.
    (pi / "proc/swaps").write_text(PI_OS_SWAPS.splitlines(keepends=True)[0])
    again = install(pi).stdout
    assert "swapoff" not in again and "rm -rf /var/swap" not in again
    assert "ln -s /dev/null /etc/systemd/system/dphys-swapfile.service" in out
    assert "ln -s /dev/null /etc/systemd/system/dphys-swapfile.service" not in again
    out = install(pi, "--uninstall").stdout
    assert not mask.is_symlink() and "dphys-swapfile.service unmasked" in out


def test_a_booth_without_a_swap_file_is_left_alone(pi: Path) -> None:  # noqa: F811
    out = install(pi).stdout
    assert "no swap file on the card" in out
    assert not (pi / "etc/systemd/system/dphys-swapfile.service").exists()
