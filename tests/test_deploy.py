"""Installing a booth: deploy/install.sh on a temporary root, the systemd units, shellcheck.

install.sh acts on files under BOOTH_ROOT and only prints system commands there, so a whole
install, update, rollback and uninstall runs here on a fake Raspberry Pi OS boot partition.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "deploy" / "install.sh"
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
CONFIG_TXT = "# Raspberry Pi OS default\ndtparam=audio=on\ncamera_auto_detect=1\n\n[all]\n"
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1-02 rootwait consoleblank=600\n"


def tool(name: str) -> str:
    """The path of a command-line tool the tests need; fails (not skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run deploy/dev-deps.sh (make venv does)")
    return path


@pytest.fixture
def pi(tmp_path: Path) -> Path:
    """A fresh Raspberry Pi OS Bookworm as install.sh sees it: model, os-release, boot files."""
    root = tmp_path / "pi"
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/config.txt").write_text(CONFIG_TXT)
    (root / "boot/firmware/cmdline.txt").write_text(CMDLINE)
    return root


def install(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(INSTALL), *args],
        env={**os.environ, "BOOTH_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every path under root with its mode and content (or link target)."""
    tree = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            tree[name] = ("link", os.readlink(path))
        elif path.is_dir():
            tree[name] = (oct(path.stat().st_mode), "")
        else:
            tree[name] = (oct(path.stat().st_mode), path.read_text(errors="replace"))
    return tree


def test_scripts_are_shellcheck_clean() -> None:
    scripts = [
        *sorted((ROOT / "deploy").glob("*.sh")),
        ROOT / ".ci" / "run",
        ROOT / "tools" / "libcamera" / "build.sh",
    ]
    result = subprocess.run(
        [tool("shellcheck"), "--shell=bash", *map(str, scripts)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_dry_run_prints_every_action_and_changes_nothing(pi: Path) -> None:
    before = snapshot(pi)
    out = install(pi, "--dry-run").stdout
    assert snapshot(pi) == before
    for action in (
        "apt-get install -y -q --no-install-recommends python3-picamera2",
        "useradd --system",
        "usermod --append --groups video,render,audio,gpio,input booth",
        "would create /etc/booth/upload.token (mode 0600)",
        "would create directory /var/lib/booth/spool (mode 0700, booth:booth)",
        "python3 -m venv --system-site-packages /opt/booth/releases/",
        "would link /opt/booth/current -> /opt/booth/releases/",
        "+dtoverlay=pwm",
        "+console=serial0,115200 console=tty1 root=PARTUUID=1-02 rootwait consoleblank=0",
        "would create /etc/systemd/system/booth-kiosk.service",
        "would run: systemctl enable booth-kiosk.service booth-sync.service",
    ):
        assert action in out, action


def test_pygame_is_built_against_the_systems_sdl_and_lgpio_comes_from_apt(pi: Path) -> None:
    # PyPI's pygame wheels have no KMSDRM; Raspberry Pi OS's libsdl2 has (issue 16.1). pip's
    # gpiozero has no pin factory on a Pi 5 without lgpio (issue 16.7).
    out = install(pi, "--dry-run").stdout
    apt = next(line for line in out.splitlines() if "apt-get install" in line)
    for package in ("libsdl2-dev", "libsdl2-ttf-dev", "libfreetype-dev", "python3-lgpio"):
        assert package in apt.split(), package
    pygame = out.index("pip install --quiet --no-binary pygame pygame==2.6.1")
    assert pygame < out.index("pip install --quiet /")  # before booth, which then keeps it


def test_install_refuses_a_machine_that_is_not_a_pi(pi: Path) -> None:
    (pi / "proc/device-tree/model").unlink()
    result = install(pi, check=False)
    assert result.returncode == 1
    assert "this is not a Raspberry Pi" in result.stderr
    assert "--dry-run" in result.stderr and "--force" in result.stderr
    assert not (pi / "etc/booth").exists()
    assert "would run" in install(pi, "--dry-run").stdout
    install(pi, "--force")
    assert (pi / "etc/booth/booth.toml").exists()


def test_install_sets_up_files_with_safe_permissions(pi: Path) -> None:
    install(pi)
    assert oct((pi / "etc/booth").stat().st_mode & 0o777) == "0o750"
    assert oct((pi / "etc/booth/booth.toml").stat().st_mode & 0o777) == "0o640"
    assert oct((pi / "etc/booth/upload.token").stat().st_mode & 0o777) == "0o600"
    for sub in ("", "interviews", "spool", "state"):
        assert oct((pi / "var/lib/booth" / sub).stat().st_mode & 0o777) == "0o700"
    # The units ask systemd for the same mode (else it logs at every start that they differ).
    modes = {
        line.split("=", 1)[1]
        for unit in (ROOT / "deploy" / "systemd").glob("*.service")
        for line in unit.read_text().splitlines()
        if line.startswith("StateDirectoryMode=")
    }
    assert modes == {"0700"}
    for unit in UNITS:
        assert (pi / "etc/systemd/system" / unit.name).read_text() == unit.read_text()
    assert os.readlink(pi / "usr/local/bin/booth") == "/opt/booth/current/bin/booth"


def test_boot_config_edits_applied_twice_change_nothing(pi: Path) -> None:
    install(pi)
    once = snapshot(pi)
    out = install(pi).stdout
    assert snapshot(pi) == once
    assert "+ write" not in out and "Release 0.1.0: already installed" in out
    config = (pi / "boot/firmware/config.txt").read_text()
    assert config.startswith(CONFIG_TXT)
    assert config.count("# >>> booth") == 1 and config.count("dtoverlay=pwm\n") == 1
    assert "camera_auto_detect=1" in config and "dtparam=audio=off" in config
    cmdline = (pi / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.count("\n") == 1, "cmdline.txt must stay one line"
    assert "consoleblank=0" in cmdline.split() and "consoleblank=600" not in cmdline


def test_an_older_booth_block_is_replaced_not_added_to(pi: Path) -> None:
    install(pi)
    config = pi / "boot/firmware/config.txt"
    config.write_text(config.read_text().replace("dtoverlay=pwm\n", "dtoverlay=pwm-old\n"))
    install(pi)
    text = config.read_text()
    assert "pwm-old" not in text and text.count("# >>> booth") == 1


def test_an_update_keeps_the_previous_release_for_rollback(pi: Path) -> None:
    install(pi, "--version", "1.0")
    install(pi, "--version", "1.1")
    opt = pi / "opt/booth"
    assert os.readlink(opt / "current") == "/opt/booth/releases/1.1"
    assert os.readlink(opt / "previous") == "/opt/booth/releases/1.0"
    out = install(pi, "--rollback").stdout
    assert "Rolling back from 1.1 to 1.0" in out
    assert os.readlink(opt / "current") == "/opt/booth/releases/1.0"
    assert "systemctl try-restart booth-kiosk.service booth-sync.service" in out
    install(pi, "--version", "1.2")
    assert sorted(p.name for p in (opt / "releases").iterdir()) == ["1.0", "1.2"]


def test_rollback_without_a_previous_release_says_so(pi: Path) -> None:
    install(pi)
    result = install(pi, "--rollback", check=False)
    assert result.returncode == 1
    assert "no previous release" in result.stderr


def test_uninstall_restores_the_boot_files_and_keeps_takes(pi: Path) -> None:
    install(pi)
    (pi / "var/lib/booth/spool/session-1").mkdir()
    out = install(pi, "--uninstall").stdout
    assert "systemctl disable --now booth-kiosk.service booth-sync.service" in out
    assert (pi / "boot/firmware/config.txt").read_text() == CONFIG_TXT
    assert "consoleblank" not in (pi / "boot/firmware/cmdline.txt").read_text()
    assert not (pi / "opt/booth").exists()
    assert not (pi / "etc/systemd/system/booth-kiosk.service").exists()
    assert (pi / "var/lib/booth/spool/session-1").exists()
    refused = install(pi, "--uninstall", "--purge", check=False)
    assert refused.returncode == 1 and "booth sync --once" in refused.stderr
    install(pi, "--uninstall", "--purge", "--force")
    assert not (pi / "var/lib/booth").exists() and not (pi / "etc/booth").exists()


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_verifies_cleanly(unit: Path, tmp_path: Path) -> None:
    assert_unit_verifies(unit, tmp_path)


def assert_unit_verifies(unit: Path, tmp_path: Path) -> None:
    """`systemd-analyze verify` of `unit` passes without a word.

    A root with the host's own units (for sysinit.target and the rest) and stand-ins for the
    commands the unit runs, so verify checks our unit rather than this machine's /opt."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for command in re.findall(r"^Exec\w*=[-+!@:]*(/\S+)", unit.read_text(), re.M):
        stand_in = root / command.lstrip("/")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    result = subprocess.run(
        [tool("systemd-analyze"), "verify", f"--root={root}", f"/etc/systemd/system/{unit.name}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_is_hardened_to_an_exposure_of_2_or_less(unit: Path) -> None:
    result = subprocess.run(
        [tool("systemd-analyze"), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_is_a_watched_notify_service_of_its_own_user(unit: Path) -> None:
    text = unit.read_text()
    for line in (
        "Type=notify",
        "NotifyAccess=main",
        "Restart=always",
        "User=booth",
        "ConfigurationDirectory=booth",
    ):
        assert f"\n{line}\n" in text, line
    for key in ("WatchdogSec", "StartLimitIntervalSec", "StartLimitBurst", "StateDirectory"):
        assert re.search(rf"^{key}=\S", text, re.M), key
    command = {
        "kiosk": "kiosk",
        "sync": "sync",
        "metrics": "metrics --watch",
        "occupied": "occupied",
    }[unit.name.removeprefix("booth-").removesuffix(".service")]
    assert f"\nExecStart=/opt/booth/current/bin/booth {command}\n" in text


def test_kiosk_draws_on_the_console_with_the_devices_it_needs() -> None:
    text = (ROOT / "deploy/systemd/booth-kiosk.service").read_text()
    assert "SDL_VIDEODRIVER=kmsdrm" in text and "TTYPath=/dev/tty1" in text
    groups = re.search(r"^SupplementaryGroups=(.*)$", text, re.M)
    assert groups and set(groups.group(1).split()) >= {"video", "audio", "gpio", "render"}
    allowed = set(re.findall(r"^DeviceAllow=(\S+)", text, re.M))
    assert allowed >= {"char-drm", "char-video4linux", "char-media", "char-dma_heap"}
    assert allowed >= {"char-alsa", "char-gpiochip", "char-input"}
    assert "PrivateDevices=no" in text
