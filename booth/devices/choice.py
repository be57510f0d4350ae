"""Which screen, microphone, speaker, light and GPIO chip a booth uses, decided once.

Every decision is made from what the kernel shows under one root directory: "/" on a booth, a
board profile (tests/boards/NAME) in the tests, a copy taken with `booth devices --capture` from
a booth that misbehaves. The kiosk unit's ExecStartPre (`booth devices --sdl-env`), the kiosk
itself and `booth doctor` all ask `choose_devices`, so they cannot disagree. The module only
reads files; nothing is opened or claimed here.

What is read, and why each rule is what it is:

- `/sys/class/drm/cardN-CONNECTOR/{status,edid,connector_id}`: SDL 2.26's KMSDRM driver makes one
  display per connector that is "connected" and has modes, in the card's connector order
  (KMSDRM_InitDisplays), and opens card SDL_KMSDRM_DEVICE_INDEX. The booth's forced HDMI
  hotplug (`vc4.force_hotplug`, raspberrypi/linux PR 6123) makes an empty HDMI port read
  "connected", but it has no EDID. So a DSI/DPI panel comes first, then an HDMI port with an
  EDID (a real screen), and a forced, EDID-less HDMI port only when nothing else is there.
- `/proc/asound`: the microphone is the first USB card that captures; the speaker the first USB
  card that plays, then HDMI audio only on a port with a real screen (vc4's HDMI audio refuses
  to open, -ENODEV, without a sink: raspberrypi/linux PR 7495), then an analogue output.
- `/sys/class/pwm/pwmchipN` (a link into the PWM block's device path) for the light: chip
  numbers change between kernels (raspberrypi/linux issue 6818), device paths do not.
- `/sys/bus/gpio/devices/gpiochipN` and `/dev/gpiochipN` for the buttons' GPIO chip: the RP1's
  chip was gpiochip4 before 6.6.45 and gpiochip0 after (raspberrypi/linux PR 6144).
- `/proc/device-tree/model` and `/proc/sys/kernel/osrelease`, to say what was looked at.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from booth.devices.hw_pwm import PWM_BLOCKS, PwmError, find_pwm_channel
from booth.devices.sound_cards import SoundCard, card_named, playback_pcm, sound_cards

ROOT = Path("/")
DRM = "sys/class/drm"
ASOUND = "proc/asound"
PWM = "sys/class/pwm"
GPIO_DEVICES = "sys/bus/gpio/devices"
MODEL = "proc/device-tree/model"
OSRELEASE = "proc/sys/kernel/osrelease"

GPIO_BLOCKS = {
    "1f000d0000.gpio": "the RP1's GPIO (Pi 5)",
    "fe200000.gpio": "the BCM2711's GPIO (Pi 4)",
    "3f200000.gpio": "the BCM2837's GPIO (Pi 3)",
    "20200000.gpio": "the BCM2835's GPIO (Pi 1, Zero)",
}
"""Device name of the GPIO block that drives the 40-pin header → what it is."""

PANEL_KINDS = ("DSI", "DPI")
"""Connectors that are only there when a panel was wired in on purpose (no hotplug at all)."""

# vc4 registers its encoders in its component order (HDMI, composite, DPI, DSI, writeback):
# the connector order SDL sees, for kernels whose sysfs has no connector_id file.
_KIND_ORDER = ("HDMI", "Composite", "DPI", "DSI", "Writeback")


@dataclass(frozen=True)
class Connector:
    """One DRM connector as /sys/class/drm shows it."""

    card: int
    name: str  # "HDMI-A-1", "DSI-1"
    status: str  # "connected", "disconnected", "unknown"
    edid: bool  # the screen answered with an EDID (a forced hotplug has none)
    connector_id: int | None
    modes: int | None = None  # video modes the kernel lists (None: no `modes` file read)

    @property
    def kind(self) -> str:
        return self.name.split("-")[0]

    @property
    def connected(self) -> bool:
        """What SDL counts as a display: connected, with modes (where the modes are known)."""
        return self.status == "connected" and self.modes != 0

    @property
    def sysfs_name(self) -> str:
        return f"card{self.card}-{self.name}"

    def order(self) -> tuple[int, int, int, str]:
        kind = _KIND_ORDER.index(self.kind) if self.kind in _KIND_ORDER else len(_KIND_ORDER)
        return (self.card, self.connector_id or 0, kind, self.name)


@dataclass(frozen=True)
class DisplayChoice:
    """The screen the kiosk draws on: card N (SDL_KMSDRM_DEVICE_INDEX) and SDL's display index
    of the connector on that card. `error` says why there is none."""

    connector: str | None
    card: int | None
    sdl_display: int | None
    why: str
    error: str | None = None


@dataclass(frozen=True)
class SoundChoice:
    """An ALSA device (None: none), why it was taken, and what is wrong when there is none."""

    device: str | None
    why: str
    error: str | None = None


@dataclass(frozen=True)
class LightChoice:
    """driver "sysfs" (pwmchip and channel) or "gpiozero" (pin_factory on `gpio_chip`)."""

    driver: str
    pin: int
    pwmchip: str | None
    channel: int | None
    pin_factory: str | None
    why: str
    error: str | None = None


@dataclass(frozen=True)
class GpioChoice:
    chip: str | None  # "gpiochip0": the /dev node the buttons' pins are on
    why: str


@dataclass(frozen=True)
class DeviceChoice:
    """Everything `choose_devices` decided, for the kiosk, its unit, the doctor and staff."""

    root: str
    model: str
    kernel: str
    display: DisplayChoice
    microphone: SoundChoice
    speaker: SoundChoice
    light: LightChoice
    gpio: GpioChoice
    connectors: list[Connector] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["connectors"] = [
            {**asdict(c), "sysfs": c.sysfs_name, "kind": c.kind} for c in self.connectors
        ]
        return data

    def sdl_env(self) -> str:
        """The kiosk unit's EnvironmentFile: the card SDL opens (empty: let SDL probe)."""
        if self.display.card is None:
            return ""
        return f"SDL_KMSDRM_DEVICE_INDEX={self.display.card}\n"

    def lines(self) -> list[str]:
        """The choice in staff words, one part per line."""
        d, mic, spk, light = self.display, self.microphone, self.speaker, self.light
        screen = (
            f"{d.connector} (card {d.card}, SDL display {d.sdl_display})" if d.connector else "none"
        )
        if light.driver == "sysfs":
            how = f"sysfs {light.pwmchip} channel {light.channel}"
        else:
            how = f"gpiozero ({light.pin_factory})"
        rows = [
            ("board", f"{self.model or 'unknown'}, kernel {self.kernel or 'unknown'}"),
            ("display", f"{screen}: {d.error or d.why}"),
            ("microphone", f"{mic.device or 'none'}: {mic.error or mic.why}"),
            ("speaker", f"{spk.device or 'none'}: {spk.error or spk.why}"),
            ("light", f"{how} on GPIO{light.pin}: {light.error or light.why}"),
            ("gpio", f"{self.gpio.chip or 'none'}: {self.gpio.why}"),
        ]
        return [f"{name:<11} {text}" for name, text in rows]


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace").replace("\0", "").strip()
    except OSError:
        return ""


def board_model(root: Path = ROOT) -> str:
    return _read(root / MODEL)


def kernel_release(root: Path = ROOT) -> str:
    return _read(root / OSRELEASE)


def kernel_version(release: str) -> tuple[int, int]:
    """(6, 6) from "6.6.51+rpt-rpi-2712"; (0, 0) when unreadable."""
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match[1]), int(match[2])) if match else (0, 0)


# ------------------------------------------------------------------ display
def drm_connectors(root: Path = ROOT) -> list[Connector]:
    """The DRM connectors under `root`, in the order SDL enumerates them."""
    return read_connectors(root / DRM)


def read_connectors(drm: Path) -> list[Connector]:
    """The connectors of a /sys/class/drm directory: by card, then connector id."""
    found = []
    for path in drm.glob("card*-*"):
        match = re.fullmatch(r"card(\d+)-(.+)", path.name)
        if match is None:
            continue
        try:
            edid = (path / "edid").stat().st_size > 0 and bool((path / "edid").read_bytes())
        except OSError:
            edid = False
        ident = _read(path / "connector_id")
        modes = _read(path / "modes") if (path / "modes").exists() else None
        found.append(
            Connector(
                card=int(match[1]),
                name=match[2],
                status=_read(path / "status") or "unknown",
                edid=edid,
                connector_id=int(ident) if ident.isdigit() else None,
                modes=None if modes is None else len(modes.split()),
            )
        )
    return sorted(found, key=Connector.order)


def _sdl_display(chosen: Connector, connectors: list[Connector]) -> int:
    """SDL's display index: the connected connectors before it on its card."""
    same_card = [c for c in connectors if c.card == chosen.card and c.connected]
    return same_card.index(chosen)


def choose_display(connectors: list[Connector], wanted: str = "auto") -> DisplayChoice:
    """The connector the kiosk draws on. `wanted` is `[display] connector`: "auto" or a name
    ("DSI-1", "HDMI-A-1", or "card1-HDMI-A-1")."""
    seen = ", ".join(f"{c.sysfs_name} {c.status}" for c in connectors) or "no connectors"
    if wanted != "auto":
        named = [c for c in connectors if wanted in (c.name, c.sysfs_name)]
        if not named:
            return DisplayChoice(
                None,
                None,
                None,
                f"[display] connector = {wanted!r}",
                f"[display] connector = {wanted!r} is not on this Pi ({seen}): set it to one "
                'of those, or "auto"',
            )
        chosen = named[0]
        if not chosen.connected:
            return DisplayChoice(
                chosen.name,
                chosen.card,
                None,
                f"[display] connector = {wanted!r}",
                f"{chosen.sysfs_name} is {chosen.status}: check the screen's cable and power",
            )
        return DisplayChoice(
            chosen.name,
            chosen.card,
            _sdl_display(chosen, connectors),
            f"[display] connector = {wanted!r}",
        )
    connected = [c for c in connectors if c.connected]
    panels = [c for c in connected if c.kind in PANEL_KINDS]
    screens = [c for c in connected if c.kind not in PANEL_KINDS and c.edid]
    forced = [c for c in connected if c.kind not in PANEL_KINDS and not c.edid]
    if panels:
        chosen, why = panels[0], "a panel wired to the Pi (DSI/DPI) comes before HDMI"
        if forced:
            why += f"; {forced[0].name} reads connected only because hotplug is forced (no EDID)"
    elif screens:
        chosen, why = screens[0], "the first port with a screen that sent its EDID"
    elif forced:
        chosen = forced[0]
        why = "connected without an EDID (forced hotplug, or a screen that sends none)"
    else:
        return DisplayChoice(
            None,
            None,
            None,
            "no connector is connected",
            f"no screen connected ({seen}): check the screen's power and cable",
        )
    return DisplayChoice(chosen.name, chosen.card, _sdl_display(chosen, connectors), why)


# ------------------------------------------------------------------ sound
def choose_microphone(cards: list[SoundCard], wanted: str = "") -> SoundChoice:
    """`[devices] mic_device`: "" = the first USB card that captures, else the first card that
    does; a card name (id, short or long name) = that card; anything with ":" = that PCM."""
    seen = ", ".join(c.describe() for c in cards) or "no sound cards"
    if wanted:
        why = f"[devices] mic_device = {wanted!r}"
        if ":" in wanted or wanted == "default":
            return SoundChoice(wanted, why)
        card = card_named(wanted, cards)
        if card is None:
            # Not a card: an ALSA PCM defined in asound.conf (the simulator's, a dsnoop...).
            return SoundChoice(wanted, why + " (an ALSA PCM name, not a card here)")
        return SoundChoice(f"plughw:CARD={card.id},DEV=0", f"{why}: {card.describe()}")
    capturing = [c for c in cards if c.capture]
    usb = [c for c in capturing if c.usb]
    if usb:
        card = usb[0]
        return SoundChoice(
            f"plughw:CARD={card.id},DEV=0", f"the first USB card that captures: {card.describe()}"
        )
    if capturing:
        card = capturing[0]
        return SoundChoice(
            f"plughw:CARD={card.id},DEV=0", f"no USB microphone; {card.describe()} captures"
        )
    return SoundChoice(
        None,
        "no card captures",
        f"no sound card can capture ({seen}): plug in the USB microphone, or name it in "
        "[devices] mic_device (see `arecord -l`)",
    )


def hdmi_connector_of(card: SoundCard) -> str | None:
    """The DRM connector a vc4 HDMI audio card plays on: vc4hdmi0 → HDMI-A-1."""
    match = re.search(r"(\d+)$", card.id) if card.hdmi else None
    return f"HDMI-A-{int(match[1]) + 1}" if match else None


def choose_speaker(
    cards: list[SoundCard], connectors: list[Connector], wanted: str = ""
) -> SoundChoice:
    """`[devices] speaker_device`: "" = a USB card that plays, then HDMI audio on a port with a
    real screen (EDID), then an analogue output; a card name = that card; "x:y" = that PCM."""
    seen = ", ".join(c.describe() for c in cards) or "no sound cards"
    if wanted:
        why = f"[devices] speaker_device = {wanted!r}"
        if ":" in wanted or wanted == "default":
            return SoundChoice(wanted, why)
        card = card_named(wanted, cards)
        if card is None:
            return SoundChoice(wanted, why + " (an ALSA PCM name, not a card here)")
        return SoundChoice(playback_pcm(card), f"{why}: {card.describe()}")
    playing = [c for c in cards if c.playback]
    usb = [c for c in playing if c.usb]
    if usb:
        return SoundChoice(
            playback_pcm(usb[0]), f"the first USB card that plays: {usb[0].describe()}"
        )
    screens = {c.name for c in connectors if c.connected and c.edid}
    hdmi = [c for c in playing if c.hdmi]
    for card in hdmi:
        port = hdmi_connector_of(card)
        if port in screens:
            return SoundChoice(
                playback_pcm(card), f"HDMI audio on {port}, where a screen sent its EDID"
            )
    analogue = [c for c in playing if not c.hdmi and not c.usb]
    if analogue:
        return SoundChoice(
            playback_pcm(analogue[0]), f"the analogue output: {analogue[0].describe()}"
        )
    silent = ", ".join(filter(None, (hdmi_connector_of(c) for c in hdmi)))
    return SoundChoice(
        None,
        "no card can play here",
        f"no speaker ({seen}): HDMI audio ({silent or 'none'}) plays only to a screen that "
        "is connected and sent its EDID. Plug in a USB speaker, or switch on the HDMI screen "
        "with speakers",
    )


# ------------------------------------------------------------------ light and GPIO
def find_pwm(root: Path, pin: int) -> tuple[str, int, str] | None:
    """(pwmchipN, channel, block) of the PWM chip that drives BCM GPIO `pin`, by device path
    (`booth.devices.hw_pwm.find_pwm_channel`, which the light driver itself uses)."""
    try:
        chip, channel = find_pwm_channel(pin, root / PWM)
    except PwmError:
        return None
    parts = Path(os.path.realpath(chip)).parts
    block = next((b for b in PWM_BLOCKS if b in parts), "")
    return chip.name, channel, block


def gpiozero_chip(root: Path, model: str) -> str:
    """The /dev node gpiozero 2.0.1's LGPIOFactory opens (its own rule: gpiochip4 on a Pi 5
    where /dev/gpiochip4 exists, else gpiochip0), followed through udev's link."""
    name = "gpiochip4" if "Pi 5" in model and (root / "dev/gpiochip4").exists() else "gpiochip0"
    node = root / "dev" / name
    return Path(os.path.realpath(node)).name if node.is_symlink() else name


def choose_gpio(root: Path = ROOT) -> GpioChoice:
    """The GPIO chip of the 40-pin header, found by its block's device path."""
    devices = root / GPIO_DEVICES
    for chip in sorted(devices.glob("gpiochip*")) if devices.is_dir() else []:
        parts = Path(os.path.realpath(chip)).parts
        for block, what in GPIO_BLOCKS.items():
            if block in parts:
                node = root / "dev" / chip.name
                note = "" if node.exists() or node.is_symlink() else f" (no /dev/{chip.name}!)"
                opened = gpiozero_chip(root, board_model(root))
                if opened != chip.name:
                    note += f"; gpiozero's lgpio factory would open {opened}: set its chip"
                return GpioChoice(chip.name, f"{what}, {block}{note}")
    names = ", ".join(p.name for p in sorted((root / "dev").glob("gpiochip*"))) or "none"
    return GpioChoice(None, f"no known GPIO block among the gpio devices (/dev: {names})")


@dataclass(frozen=True)
class LightWiring:
    """What the settings ask of the ring light's driver: the BCM GPIO `pin` it is wired to
    (`[devices] light_pin`), the `driver` ("auto", "sysfs" or "gpiozero"), and for the kernel's
    PWM the `pwmchip` ("auto" or a chip such as "pwmchip0" or "0") and `channel` (-1: the one
    that drives `pin`): `[light]`."""

    pin: int = 18
    driver: str = "auto"
    pwmchip: str = "auto"
    channel: int = -1


def choose_light(root: Path, wiring: LightWiring, gpio: GpioChoice | None = None) -> LightChoice:
    """The `[light]` driver: "auto" takes the kernel's PWM where a chip drives the pin
    (`dtoverlay=pwm`), gpiozero's software PWM elsewhere."""
    pin, driver, pwmchip, channel = wiring.pin, wiring.driver, wiring.pwmchip, wiring.channel
    found = find_pwm(root, pin)
    factory_why = f"gpiozero's lgpio pin factory on {gpio.chip if gpio else 'the GPIO chip'}"
    if driver == "gpiozero" or (driver == "auto" and found is None):
        why = (
            '[light] driver = "gpiozero"'
            if driver == "gpiozero"
            else (f"no hardware PWM chip drives GPIO{pin} (no dtoverlay=pwm)")
        )
        return LightChoice("gpiozero", pin, None, None, "lgpio", f"{why}: {factory_why}")
    if pwmchip != "auto":
        name = pwmchip if pwmchip.startswith("pwmchip") else f"pwmchip{pwmchip}"
        chan = channel if channel >= 0 else (found[1] if found else 0)
        if not (root / PWM / name).exists():
            return LightChoice(
                "sysfs", pin, name, chan, None, f"[light] pwmchip = {pwmchip!r}",
                f"{PWM}/{name} does not exist: set [light] pwmchip = \"auto\"",
            )  # fmt: skip
        return LightChoice("sysfs", pin, name, chan, None, f"[light] pwmchip = {pwmchip!r}")
    if found is None:
        return LightChoice(
            "sysfs", pin, None, None, None, '[light] driver = "sysfs"',
            f"no hardware PWM chip drives GPIO{pin}: add `dtoverlay=pwm` (GPIO18) to "
            '/boot/firmware/config.txt and reboot, or use [light] driver = "gpiozero"',
        )  # fmt: skip
    name, chan, block = found
    chan = channel if channel >= 0 else chan
    return LightChoice("sysfs", pin, name, chan, None, f"{block} drives GPIO{pin} (by device path)")


# ------------------------------------------------------------------ all of it
DEFAULT_WIRING = LightWiring()
"""The ring light as the settings' defaults have it (GPIO18, the driver chosen by the board)."""


def choose_devices(
    root: Path = ROOT,
    *,
    connector: str = "auto",
    mic_device: str = "",
    speaker_device: str = "",
    light: LightWiring = DEFAULT_WIRING,
) -> DeviceChoice:
    """Every device choice, from the tree under `root` and the settings passed."""
    connectors = drm_connectors(root)
    cards = sound_cards(root / ASOUND)
    gpio = choose_gpio(root)
    return DeviceChoice(
        root=str(root),
        model=board_model(root),
        kernel=kernel_release(root),
        display=choose_display(connectors, connector),
        microphone=choose_microphone(cards, mic_device),
        speaker=choose_speaker(cards, connectors, speaker_device),
        light=choose_light(root, light, gpio),
        gpio=gpio,
        connectors=connectors,
    )


def for_settings(settings: Any, root: Path = ROOT) -> DeviceChoice:
    """`choose_devices` with the booth's settings (`booth.config.settings.Settings`)."""
    dev, light = settings.devices, settings.light
    return choose_devices(
        root,
        connector=settings.display.connector,
        mic_device=dev.mic_device,
        speaker_device=dev.speaker_device,
        light=LightWiring(dev.light_pin, light.driver, light.pwmchip, light.channel),
    )
