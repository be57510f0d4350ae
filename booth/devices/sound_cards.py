"""Which ALSA devices the booth records from and plays to, when staff have not named them.

A Raspberry Pi's own cards come first: on a Pi 4 and 5 card 0 is an HDMI output (vc4hdmi0),
which plays but cannot capture. So ALSA's "default" device is no microphone, and an empty
`[devices] mic_device` means the USB microphone: the first USB card that can capture
(`choose_mic`). HDMI outputs (vc4-hdmi) take IEC958 subframes, not plain samples: alsa-lib's
vc4-hdmi.conf makes their `default:CARD=<id>` device a plug → softvol → iec958 chain, while
`plughw:` would hand the card samples it cannot play (`speaker_pcm`).

The cards are read from /proc/asound (`cards`, and each card's pcm*c / pcm*p directories and
`usbid`), so tests lay out a tree like it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import alsaaudio

from booth.devices.microphone import find_card
from booth.devices.ports.microphone import MicrophoneError

PROC_ASOUND = Path("/proc/asound")
HDMI_DRIVERS = ("vc4-hdmi",)
"""ALSA drivers of HDMI outputs that need their card's `default:` device (IEC958)."""

_CARD_LINE = re.compile(r"^\s*(\d+)\s+\[(\S+)\s*\]:\s+(\S+)\s+-\s+(.*)$")


@dataclass(frozen=True)
class SoundCard:
    """One ALSA card as /proc/asound describes it."""

    index: int
    id: str
    driver: str
    name: str
    usb: bool
    capture: bool
    playback: bool
    long_name: str = ""

    @property
    def hdmi(self) -> bool:
        return self.driver in HDMI_DRIVERS or self.id.startswith("vc4hdmi")

    def describe(self) -> str:
        return f"card {self.index} {self.id!r} ({self.name})"


def sound_cards(proc: Path = PROC_ASOUND) -> list[SoundCard]:
    """The sound cards there are now, in ALSA's order."""
    try:
        text = (proc / "cards").read_text()
    except OSError:
        return []
    cards = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = _CARD_LINE.match(line)
        if match is None:
            continue
        index, card_id, driver, name = match.groups()
        # The line after each card's is its long name (snd_card's longname), indented.
        following = lines[number + 1] if number + 1 < len(lines) else ""
        long_name = "" if _CARD_LINE.match(following) else following.strip()
        card = proc / f"card{index}"
        cards.append(
            SoundCard(
                index=int(index),
                id=card_id,
                driver=driver,
                name=name.strip(),
                usb=(card / "usbid").exists() or driver == "USB-Audio",
                capture=any(card.glob("pcm*c")),
                playback=any(card.glob("pcm*p")),
                long_name=long_name,
            )
        )
    return cards


def choose_mic(name: str, proc: Path = PROC_ASOUND) -> tuple[str, str]:
    """The capture device for `[devices] mic_device`, and why it was chosen (for the journal
    and `booth doctor`).

    A name is looked up as `find_card` does. "" is the first USB card that can capture, else
    the first card that can; raises `MicrophoneError` naming the cards when none can.
    """
    if name:
        return find_card(name), f"[devices] mic_device = {name!r}"
    cards = sound_cards(proc)
    capturing = [c for c in cards if c.capture]
    usb = [c for c in capturing if c.usb]
    if usb:
        card = usb[0]
        return (
            f"plughw:CARD={card.id},DEV=0",
            f"the first USB card that captures: {card.describe()}",
        )
    if capturing:
        card = capturing[0]
        return f"plughw:CARD={card.id},DEV=0", f"no USB microphone; {card.describe()} captures"
    seen = ", ".join(c.describe() for c in cards) or "no sound cards"
    raise MicrophoneError(
        f"no sound card can capture ({seen}): plug in the USB microphone, or name it in "
        "[devices] mic_device (see `arecord -l`)"
    )


def card_named(name: str, cards: list[SoundCard]) -> SoundCard | None:
    """A card by id (exact, any case), else the first whose short or long name contains
    `name`: USB numbers change between boots, names do not."""
    wanted = name.casefold()
    for card in cards:
        if card.id.casefold() == wanted:
            return card
    for card in cards:
        if wanted in card.name.casefold() or wanted in card.long_name.casefold():
            return card
    return None


def playback_pcm(card: SoundCard) -> str:
    """The card's playback PCM: `default:CARD=<id>` for an HDMI output (IEC958 conversion, see
    the module's docstring), else `plughw:CARD=<id>,DEV=0`, which accepts 48 kHz stereo
    whatever the card does natively. Always the card's id: ALSA's CARD= takes no long name."""
    return f"default:CARD={card.id}" if card.hdmi else f"plughw:CARD={card.id},DEV=0"


def speaker_pcm(name: str, proc: Path = PROC_ASOUND) -> str:
    """The ALSA playback PCM for a `[devices] speaker_device` naming a device.

    "" is ALSA's default device (the kiosk chooses one instead: `booth.devices.choice`); a PCM
    name ("default", "plughw:CARD=Headphones,DEV=0", the simulator's "booth_sim_speaker") is
    used as is; a card's id, short or long name becomes its `playback_pcm`.
    """
    if not name:
        return "default"
    if ":" in name or name in alsaaudio.pcms(alsaaudio.PCM_PLAYBACK):
        return name
    card = card_named(name, sound_cards(proc))
    return playback_pcm(card) if card is not None else f"plughw:CARD={name},DEV=0"
