"""`booth devices` on what real Pis show (tests/boards/): the screen, sound, light and GPIO chip
the booth chooses, the kiosk unit's SDL card, and install.sh's HDMI hotplug.

The profiles and where each fact comes from: tests/boards/README.md. No video here: these read
files only, so they stay fast.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from board_support import PROFILES, copy_profile, expected, profile_root

from booth.cli.main import main
from booth.devices.choice import choose_devices, choose_display, gpiozero_chip, read_connectors

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "deploy/systemd/booth-kiosk.service"
BOOTH = Path(sys.executable).with_name("booth")


def choice_json(root: Path, capsys, *extra: str) -> dict:
    assert main(["devices", "--json", "--root", str(root), "--config", "/nonexistent", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def no_settings(monkeypatch):
    # `--config /nonexistent` would be refused: point the default at a file that is not there.
    monkeypatch.setattr("booth.cli.main.DEFAULT_CONFIG", "/nonexistent")


def test_there_is_a_profile_for_each_board_screen_and_kernel():
    assert PROFILES == [
        "pi4-both-6.12",
        "pi4-dsi-6.6",
        "pi4-hdmi-6.6",
        "pi5-both-6.6",
        "pi5-dsi-6.6",
        "pi5-hdmi-6.12",
    ]


@pytest.mark.parametrize("name", PROFILES)
def test_booth_devices_makes_the_choice_written_in_the_profiles_readme(name, capsys):
    got = choice_json(profile_root(name), capsys)
    flat = {f"{part}.{key}": value for part in got if isinstance(got[part], dict)
            for key, value in got[part].items()}  # fmt: skip
    want = expected(name)
    assert {key: flat[key] for key in want} == want
    # The README states the same choice in words.
    readme = (profile_root(name).parent / "README.md").read_text()
    assert f"display {want['display.connector']} on card" in readme.replace("**", "")


@pytest.mark.parametrize("name", PROFILES)
def test_the_kiosk_units_execstartpre_gives_sdl_the_card_of_the_chosen_screen(name, tmp_path):
    line = next(x for x in UNIT.read_text().splitlines() if x.startswith("ExecStartPre="))
    # "-": whatever happens here, the kiosk still starts (and then chooses itself).
    assert line.startswith("ExecStartPre=-/opt/booth/current/bin/booth devices --sdl-env ")
    assert "/bin/sh" not in line
    env = tmp_path / "display.env"
    argv = line.removeprefix("ExecStartPre=-").replace("%t/booth-kiosk/display.env", str(env))
    argv = argv.replace("/opt/booth/current/bin/booth", str(BOOTH)).split()
    subprocess.run([*argv, "--root", str(profile_root(name)), "--config", "/nonexistent"],
                   check=True, capture_output=True, timeout=20)  # fmt: skip
    assert env.read_text() == f"SDL_KMSDRM_DEVICE_INDEX={expected(name)['display.card']}\n"


def test_sdl_env_never_fails_the_start_even_without_a_screen_or_settings(tmp_path):
    env = tmp_path / "display.env"
    done = subprocess.run(
        [BOOTH, "devices", "--sdl-env", env, "--root", tmp_path, "--config", tmp_path / "no"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stderr
    assert env.read_text() == ""  # SDL probes for itself
    assert "no screen connected" in done.stderr


def test_a_forced_hdmi_port_before_the_panel_is_not_where_the_kiosk_draws():
    # Pi 4: HDMI-A-1 (forced, no EDID) and DSI-1 on card 1. SDL's display 0 is the empty port.
    choice = choose_devices(profile_root("pi4-dsi-6.6"))
    assert (choice.display.connector, choice.display.card) == ("DSI-1", 1)
    assert choice.display.sdl_display == 1
    assert "forced" in choice.display.why
    # Pi 5: the old "first connected connector" took card1-HDMI-A-1; the panel is card 2.
    assert choose_devices(profile_root("pi5-dsi-6.6")).display.card == 2


def test_staff_can_name_the_connector_and_a_missing_one_is_named_with_the_fix(capsys):
    root = profile_root("pi4-both-6.12")
    hdmi = choose_devices(root, connector="HDMI-A-1").display
    assert (hdmi.connector, hdmi.sdl_display, hdmi.error) == ("HDMI-A-1", 0, None)
    missing = choose_devices(root, connector="HDMI-A-2").display
    assert missing.error is not None and "card1-HDMI-A-2 is disconnected" in missing.error
    absent = choose_devices(root, connector="DSI-2").display
    assert absent.error is not None and "not on this Pi" in absent.error


def test_hdmi_audio_is_chosen_only_on_a_port_whose_screen_sent_its_edid(tmp_path):
    root = copy_profile("pi5-dsi-6.6", tmp_path)
    silent = choose_devices(root).speaker
    assert silent.device is None and "EDID" in (silent.error or "")
    # The TV on HDMI 0 is switched on: the kernel reads its EDID.
    shutil.copy(profile_root("pi5-both-6.6") / "sys/class/drm/card1-HDMI-A-1/edid",
                root / "sys/class/drm/card1-HDMI-A-1/edid")  # fmt: skip
    assert choose_devices(root).speaker.device == "default:CARD=vc4hdmi0"


def test_a_speaker_named_by_its_long_name_becomes_its_cards_id():
    root = profile_root("pi5-hdmi-6.12")
    speaker = choose_devices(root, speaker_device="Jieli Technology").speaker
    assert speaker.device == "plughw:CARD=UACDemoV10,DEV=0"
    assert choose_devices(root, speaker_device="vc4-hdmi-1").speaker.device == (
        "default:CARD=vc4hdmi1"
    )


def test_the_gpio_chip_is_found_by_its_block_before_and_after_the_renumbering():
    assert choose_devices(profile_root("pi5-dsi-6.6")).gpio.chip == "gpiochip4"  # 6.6.20
    assert choose_devices(profile_root("pi5-both-6.6")).gpio.chip == "gpiochip0"  # 6.6.51
    assert choose_devices(profile_root("pi4-hdmi-6.6")).gpio.chip == "gpiochip0"


def test_booth_devices_tells_staff_the_choice_and_why(capsys):
    assert main(["devices", "--root", str(profile_root("pi5-dsi-6.6"))]) == 0
    out = capsys.readouterr().out
    assert "display     DSI-1 (card 2, SDL display 0): a panel wired to the Pi" in out
    assert "speaker     none: no speaker" in out and "USB speaker" in out
    assert "light       sysfs pwmchip2 channel 2 on GPIO18" in out


def test_a_capture_reproduces_the_choice_of_the_booth_it_was_taken_on(tmp_path, capsys):
    source = profile_root("pi5-both-6.6")
    capture = tmp_path / "captured"
    assert main(["devices", "--root", str(source), "--capture", str(capture)]) == 0
    assert "files copied" in capsys.readouterr().out
    # Laid out as a profile of tests/boards: the files under root/, the choice in expected.json.
    assert choice_json(capture, capsys) == {
        **choice_json(source, capsys),
        "root": str(capture / "root"),
    }
    assert json.loads((capture / "expected.json").read_text()) == expected("pi5-both-6.6")
    assert json.loads((capture / "choice.json").read_text())["display"]["connector"] == "DSI-1"
    assert "What the booth really had" in (capture / "README.md").read_text()
    # Links into the device tree stay inside the capture.
    link = capture / "root/sys/class/pwm/pwmchip2"
    assert link.is_symlink() and not os.readlink(link).startswith("/")
    # A capture never overwrites.
    assert main(["devices", "--root", str(source), "--capture", str(capture)]) == 2


def test_root_takes_a_profile_folder_as_the_issue_and_readme_write_it(capsys):
    folder = profile_root("pi5-dsi-6.6").parent  # tests/boards/pi5-dsi-6.6
    got = choice_json(folder, capsys)
    assert got["display"]["connector"] == "DSI-1" and got["root"] == str(folder / "root")


# ------------------------------------------------------------------ install.sh's hotplug
def install_on(profile: str, tmp_path: Path) -> Path:
    root = copy_profile(profile, tmp_path)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/config.txt").write_text("dtparam=audio=on\n\n[all]\n")
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1-02 rootwait\n")
    done = subprocess.run(
        ["bash", str(REPO / "deploy/install.sh")],
        env={**os.environ, "BOOTH_ROOT": str(root), "BOOTH_DEVICES": str(BOOTH)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.mark.timeout(120)
def test_install_forces_hdmi_hotplug_only_when_the_screen_is_hdmi(tmp_path):
    panel = install_on("pi5-dsi-6.6", tmp_path / "panel")
    assert "vc4.force_hotplug=1" not in (panel / "boot/firmware/cmdline.txt").read_text()
    assert "hdmi_force_hotplug" not in (panel / "boot/firmware/config.txt").read_text()
    assert "consoleblank=0" in (panel / "boot/firmware/cmdline.txt").read_text()
    hdmi = install_on("pi5-hdmi-6.12", tmp_path / "hdmi")
    assert "vc4.force_hotplug=1" in (hdmi / "boot/firmware/cmdline.txt").read_text()
    assert "hdmi_force_hotplug=1" in (hdmi / "boot/firmware/config.txt").read_text()


# ------------------------------------------------------------------ trees no profile covers
def connectors(tmp_path: Path, statuses: dict[str, str]) -> Path:
    for name, status in statuses.items():
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "status").write_text(status + "\n")
    return tmp_path


@pytest.mark.parametrize("port", ["HDMI-A-1", "HDMI-A-2"])
def test_an_hdmi_screen_on_either_port_is_sdls_only_display_on_its_card(tmp_path, port):
    drm = connectors(tmp_path, {f"card1-{p}": "connected" if p == port else "disconnected"
                                for p in ("HDMI-A-1", "HDMI-A-2")})  # fmt: skip
    display = choose_display(read_connectors(drm))
    assert (display.connector, display.card, display.sdl_display) == (port, 1, 0)


def test_with_no_screen_connected_there_is_no_card_to_tell_sdl(tmp_path):
    drm = connectors(tmp_path, {"card1-HDMI-A-1": "disconnected"})
    display = choose_display(read_connectors(drm))
    assert display.card is None and "card1-HDMI-A-1 disconnected" in (display.error or "")


def test_the_analogue_jack_plays_only_when_there_is_no_usb_speaker_nor_hdmi_screen(tmp_path):
    root = copy_profile("pi4-dsi-6.6", tmp_path)  # jack kept, USB speaker, forced HDMI
    assert choose_devices(root).speaker.device == "plughw:CARD=UACDemoV10,DEV=0"
    cards = root / "proc/asound/cards"
    cards.write_text("".join(cards.read_text().splitlines(keepends=True)[:-2]))  # unplugged
    speaker = choose_devices(root).speaker
    assert speaker.device == "plughw:CARD=Headphones,DEV=0" and "analogue" in speaker.why


@pytest.mark.parametrize("name", PROFILES)
def test_gpiozeros_own_chip_rule_opens_the_chip_the_booth_chose(name):
    root = profile_root(name)
    choice = choose_devices(root)
    assert gpiozero_chip(root, choice.model) == choice.gpio.chip
    assert "would open" not in choice.gpio.why


def test_a_pi5_kernel_without_udevs_gpiochip4_link_is_flagged_when_gpiozero_would_miss(tmp_path):
    root = copy_profile("pi5-dsi-6.6", tmp_path)  # 6.6.20: the RP1 is gpiochip4
    (root / "dev/gpiochip4").unlink()  # as if udev had not made the node yet
    assert "gpiozero's lgpio factory would open gpiochip0" in choose_devices(root).gpio.why


def test_the_display_connector_setting_takes_a_drm_name_and_refuses_anything_else(tmp_path):
    from booth.config.errors import ConfigError
    from booth.config.settings import load_settings

    good = tmp_path / "good.toml"
    good.write_text('[display]\nconnector = "card2-DSI-1"\n')
    assert load_settings(good).display.connector == "card2-DSI-1"
    bad = tmp_path / "bad.toml"
    bad.write_text('[display]\nconnector = "the touch screen"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    assert "display.connector" in str(caught.value.problems[0])
    assert '"DSI-1"' in str(caught.value.problems[0])


def test_a_connected_connector_without_modes_is_no_display_for_sdl(tmp_path):
    drm = connectors(tmp_path, {"card1-HDMI-A-1": "connected", "card1-DSI-1": "connected"})
    (drm / "card1-HDMI-A-1/modes").write_text("")  # SDL: connected, but count_modes == 0
    (drm / "card1-DSI-1/modes").write_text("800x480\n")
    display = choose_display(read_connectors(drm))
    assert (display.connector, display.sdl_display) == ("DSI-1", 0)
