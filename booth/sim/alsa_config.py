"""The simulator's sound cards in ALSA: one configuration file, pointed at once.

alsa-lib finds a PCM by name in the files listed in ALSA_CONFIG_PATH (after its main
alsa.conf), and reads them again whenever a PCM is opened and the setting or the files changed
(tried with alsa-lib 1.2.8). The virtual microphone and the virtual speaker are each an ALSA
`file` PCM; writing both into one file, and setting the variable once before either is opened,
means whichever device opens first finds the other, and no later step can drop one.
"""

from __future__ import annotations

import os
from pathlib import Path

ALSA_MAIN_CONFIG = "/usr/share/alsa/alsa.conf"
CONFIG_NAME = "asound.conf"


def install_alsa_config(directory: Path, *pcms: str) -> Path:
    """Write `pcms` (ALSA configuration text, e.g. `VirtualMic.asoundrc`) into one file in
    `directory`, point this process's alsa-lib at it, and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONFIG_NAME
    path.write_text("\n".join(pcms))
    os.environ["ALSA_CONFIG_PATH"] = f"{ALSA_MAIN_CONFIG}:{path}"
    return path
