"""install.sh's fleet settings, checked in the files it writes on a fake Raspberry Pi OS root:
a console nobody can leave, uploads after NTP, Wi-Fi awake, the metrics directory, and the
optional read-only root; each set by an install and taken back by --uninstall."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from test_deploy import CMDLINE, CONFIG_TXT, install, snapshot

pytestmark = pytest.mark.deploy

HARDWARE_CONFIG = Path(__file__).resolve().parents[1] / "hardware" / "config.txt"
MASKS = ("ctrl-alt-del.target", "getty@.service", "autovt@.service")
WIFI = "[connection]\nid=preconfigured\ntype=wifi\n\n[wifi]\nssid=library\n"
FSTAB = "PARTUUID=1-02 / ext4 defaults,noatime 0 1\n"
DATA = "LABEL=booth-data /var/lib/booth ext4 defaults,noatime 0 2\n"


@pytest.fixture
def pi(tmp_path: Path) -> Path:
    """Raspberry Pi OS Bookworm as install.sh sees it (as in test_deploy), with an fstab."""
    root = tmp_path / "pi"
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(b"Raspberry Pi 4 Model B Rev 1.5\0")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (root / "etc/fstab").write_text(FSTAB)
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/config.txt").write_text(CONFIG_TXT)
    (root / "boot/firmware/cmdline.txt").write_text(CMDLINE)
    return root


def etc(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def after(unit: Path) -> list[str]:
    """The units a unit file starts after."""
    return [
        name
        for line in unit.read_text().splitlines()
        if line.startswith("After=")
        for name in line.removeprefix("After=").split()
    ]


def cmdline(root: Path) -> list[str]:
    text = (root / "boot/firmware/cmdline.txt").read_text()
    assert text.count("\n") == 1, "cmdline.txt must stay one line"
    return text.split()


def test_the_console_is_locked_down_and_the_lockdown_undone(pi: Path) -> None:
    out = install(pi).stdout
    assert "kernel.sysrq = 0\n" in etc(pi, "/etc/sysctl.d/90-booth-lockdown.conf").read_text()
    manager = etc(pi, "/etc/systemd/system.conf.d/90-booth-lockdown.conf").read_text()
    assert "[Manager]\nCtrlAltDelBurstAction=none\n" in manager
    login = etc(pi, "/etc/systemd/logind.conf.d/90-booth-lockdown.conf").read_text()
    assert "[Login]\nNAutoVTs=0\nReserveVT=0\n" in login
    for unit in MASKS:
        assert os.readlink(pi / "etc/systemd/system" / unit) == "/dev/null", unit
    assert "sysctl -p /etc/sysctl.d/90-booth-lockdown.conf" in out
    assert "reboot to apply" in out
    # The screen never blanks, and counts as connected even when it was off at boot.
    assert {"consoleblank=0", "vc4.force_hotplug=1"} <= set(cmdline(pi))
    assert "hdmi_force_hotplug=1\n" in (pi / "boot/firmware/config.txt").read_text()

    out = install(pi, "--uninstall").stdout
    for unit in MASKS:
        assert not (pi / "etc/systemd/system" / unit).is_symlink(), unit
    for conf in ("sysctl.d", "systemd/system.conf.d", "systemd/logind.conf.d"):
        assert not list((pi / "etc" / conf).glob("*booth*")), conf
    assert "sysctl --system" in out
    # Unmasked before tty1's getty is enabled again, which a mask would refuse.
    assert out.index("rm -rf /etc/systemd/system/getty@.service") < out.index(
        "systemctl enable getty@tty1.service"
    )
    assert "vc4.force_hotplug=1" not in cmdline(pi)
    assert (pi / "boot/firmware/config.txt").read_text() == CONFIG_TXT


def test_a_unit_file_of_the_admins_own_is_not_masked_over(pi: Path) -> None:
    own = pi / "etc/systemd/system/autovt@.service"
    own.parent.mkdir(parents=True)
    own.write_text("[Unit]\nDescription=the admin's own\n")
    out = install(pi).stdout
    assert "Not masking autovt@.service" in out
    assert own.read_text().startswith("[Unit]")
    install(pi, "--uninstall")
    assert own.exists()


def test_uploads_wait_for_the_clock_and_the_kiosk_does_not(pi: Path) -> None:
    out = install(pi).stdout
    assert "systemctl enable systemd-time-wait-sync.service" in out
    units = pi / "etc/systemd/system"
    assert "time-sync.target" in after(units / "booth-sync.service")
    # With time-wait-sync enabled, a kiosk after time-sync.target would stay dark offline.
    assert "time-sync.target" not in after(units / "booth-kiosk.service")
    assert "time-set.target" in after(units / "booth-kiosk.service")
    assert "systemctl disable systemd-time-wait-sync.service" in install(pi, "--uninstall").stdout


def test_wifi_power_saving_goes_off_only_when_the_booth_uses_wifi(pi: Path) -> None:
    conf = pi / "etc/NetworkManager/conf.d/90-booth-wifi-powersave.conf"
    out = install(pi).stdout
    assert "Wi-Fi: not used" in out and not conf.exists()
    connections = pi / "etc/NetworkManager/system-connections"
    connections.mkdir(parents=True)
    (connections / "preconfigured.nmconnection").write_text(WIFI)
    out = install(pi).stdout
    assert "[connection]\nwifi.powersave = 2\n" in conf.read_text()
    assert "nmcli general reload conf" in out
    install(pi, "--uninstall")
    assert not conf.exists()


def test_the_booth_user_may_write_the_textfile_directory(pi: Path) -> None:
    out = install(pi).stdout
    tmpfiles = (pi / "etc/tmpfiles.d/booth-metrics.conf").read_text()
    assert "d /var/lib/prometheus/node-exporter 0755 root root -\n" in tmpfiles
    assert "a+ /var/lib/prometheus/node-exporter - - - - u:booth:rwx\n" in tmpfiles
    assert "systemd-tmpfiles --create /etc/tmpfiles.d/booth-metrics.conf" in out
    assert (pi / "etc/systemd/system/booth-metrics.service").exists()
    assert "systemctl enable booth-kiosk.service booth-sync.service booth-metrics.service" in out
    textfile = pi / "var/lib/prometheus/node-exporter/booth.prom"
    textfile.parent.mkdir(parents=True)
    textfile.write_text("booth_kiosk_up 1\n")
    install(pi, "--uninstall")
    assert not textfile.exists(), "node_exporter would go on exporting a gone booth"
    assert not (pi / "etc/tmpfiles.d/booth-metrics.conf").exists()


def test_read_only_root_needs_its_own_data_partition_and_changes_nothing_without(
    pi: Path,
) -> None:
    before = snapshot(pi)
    refused = install(pi, "--read-only-root", check=False)
    assert refused.returncode == 1
    assert "/var/lib/booth on a partition of its own" in refused.stderr
    assert "deploy/power-cuts.md" in refused.stderr
    assert snapshot(pi) == before


def test_read_only_root_dry_run_shows_every_change(pi: Path) -> None:
    (pi / "etc/fstab").write_text(FSTAB + DATA)
    before = snapshot(pi)
    out = install(pi, "--read-only-root", "--dry-run").stdout
    assert snapshot(pi) == before
    for action in (
        "would create /etc/systemd/journald.conf.d/90-booth-volatile.conf",
        "would run: raspi-config nonint do_overlayfs 0",
        "+overlayroot=tmpfs:recurse=0 console=serial0,115200",
        "would create /etc/sysctl.d/90-booth-lockdown.conf",
        "would link /etc/systemd/system/ctrl-alt-del.target -> /dev/null",
        "would run: systemctl enable systemd-time-wait-sync.service",
        "would create /etc/tmpfiles.d/booth-metrics.conf",
    ):
        assert action in out, action


def test_read_only_root_on_off_and_updates_refused_while_on(pi: Path) -> None:
    (pi / "etc/fstab").write_text(FSTAB + DATA)
    out = install(pi, "--read-only-root").stdout
    assert "raspi-config nonint do_overlayfs 0" in out and "reboot to apply" in out
    words = cmdline(pi)
    # recurse=0: Bookworm's overlay would otherwise make /var/lib/booth read-only too.
    assert words[0] == "overlayroot=tmpfs:recurse=0"
    assert sum(w.startswith("overlayroot=") for w in words) == 1
    journal = (pi / "etc/systemd/journald.conf.d/90-booth-volatile.conf").read_text()
    assert "Storage=volatile\n" in journal and "RuntimeMaxUse=32M\n" in journal

    # Booted with the overlay: an update would vanish at the next boot, so it is refused.
    (pi / "proc/cmdline").write_text(" ".join(words) + "\n")
    refused = install(pi, "--version", "2.0", check=False)
    assert refused.returncode == 1
    assert "--writable-root && sudo reboot; then update" in refused.stderr
    assert not (pi / "opt/booth/releases/2.0").exists()
    # Ansible's fleet settings run every time: under the overlay they change nothing.
    settled = snapshot(pi)
    assert "nothing changed" in install(pi, "--system").stdout
    assert snapshot(pi) == settled

    out = install(pi, "--writable-root").stdout
    assert "raspi-config nonint do_overlayfs 1" in out and "reboot to apply" in out
    assert not any(w.startswith("overlayroot=") for w in cmdline(pi))
    assert not (pi / "etc/systemd/journald.conf.d/90-booth-volatile.conf").exists()
    (pi / "proc/cmdline").write_text(" ".join(cmdline(pi)) + "\n")  # rebooted
    install(pi, "--version", "2.0")
    assert os.readlink(pi / "opt/booth/current") == "/opt/booth/releases/2.0"


def test_the_boot_fragment_forces_the_screen_on() -> None:
    settings = [
        line
        for line in HARDWARE_CONFIG.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    first_filter = next(i for i, line in enumerate(settings) if line.startswith("[pi"))
    assert "hdmi_force_hotplug=1" in settings[:first_filter]


def test_the_role_takes_the_overlay_off_first_and_puts_it_back_last() -> None:
    role = Path(__file__).resolve().parents[1] / "deploy/ansible/roles/booth"
    main = yaml.safe_load((role / "tasks/main.yml").read_text())
    imported = [task.get("ansible.builtin.import_tasks") for task in main]
    assert imported[0] == "overlay_off.yml" and imported[-1] == "fleet.yml"
    assert main[0]["tags"] == ["always"] and main[-1]["tags"] == ["always"]
    fleet = (role / "tasks/fleet.yml").read_text()
    assert "prometheus-node-exporter" in fleet and "'--system'" in fleet
    assert "--read-only-root" in fleet
    overlay_off = (role / "tasks/overlay_off.yml").read_text()
    assert "install.sh --writable-root" in overlay_off and "ansible.builtin.reboot" in overlay_off
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
    assert defaults["booth_read_only_root"] is False
    assert defaults["booth_textfile_dir"] == "/var/lib/prometheus/node-exporter"
