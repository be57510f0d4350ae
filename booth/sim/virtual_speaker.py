"""A virtual speaker: real ALSA playback (pyalsaaudio) into a file the tests can listen to.

alsa-lib's `file` PCM plugin, with the `null` plugin as its slave, writes everything played
through it to `file`, as raw 16-bit samples. It is never paced: the null slave takes any
amount at once. That is right for virtual time, where the player writes exactly the sound
up to the virtual clock, so the capture's sample n was played n / rate seconds into the clip.

In real time (the windowed demo, the benchmark) a sound card's clock paces playback. Here
`paced=True` makes `file` a FIFO that a thread empties at the sample rate into the capture
file, so the player's blocking writes wait exactly as on a card. The FIFO is one page (21 ms
of 48 kHz stereo), and alsa-lib keeps a period of its own: together the delay the player
cannot see, a sound card reports its delay itself. `heard_at` tells when each byte left.

ALSA configuration: `install()` adds this speaker's file to ALSA_CONFIG_PATH, keeping what
is there (the virtual microphone's file); call it after `VirtualMic.install()`, which
replaces the variable, and before the speaker is opened.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
from pathlib import Path

import numpy as np

from booth.sim.virtual_mic import ALSA_MAIN_CONFIG

PCM_NAME = "booth_sim_speaker"
_F_SETPIPE_SZ = 1031


def asoundrc_text(outfile: Path | str, pcm_name: str = PCM_NAME) -> str:
    """ALSA configuration defining `pcm_name` as a playback device writing raw S16 to outfile."""
    return (
        f"# Written by booth's simulator: a virtual speaker captured in {outfile}\n"
        f"pcm.{pcm_name} {{\n"
        f"    type file\n"
        f'    slave.pcm "null"\n'
        f'    file "{outfile}"\n'
        f'    format "raw"\n'
        f"}}\n"
    )


class VirtualSpeaker:
    """The simulator's side of the virtual speaker.

    directory: where the capture, the FIFO and the ALSA configuration file go.
    rate, channels: the format the player opens the speaker with (to read the capture back).
    paced: drain at the sample rate (real time) instead of taking everything at once.
    """

    def __init__(
        self,
        directory: Path | str,
        rate: int = 48_000,
        channels: int = 2,
        paced: bool = False,
        pcm_name: str = PCM_NAME,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rate, self.channels, self.paced, self.pcm_name = rate, channels, paced, pcm_name
        self.capture_path = self.directory / "speaker.raw"
        self.config_path = self.directory / "speaker.asoundrc"
        self.departures: list[tuple[float, int]] = []  # (monotonic s, bytes drained so far)
        self._fd = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        target = self.capture_path
        if paced:
            target = self.directory / "speaker.fifo"
            if target.exists() and not stat.S_ISFIFO(target.stat().st_mode):
                target.unlink()
            if not target.exists():
                os.mkfifo(target)
            # Opened read-write, so ALSA's own (write-only, blocking) open returns at once.
            self._fd = os.open(target, os.O_RDWR | os.O_NONBLOCK)
            try:
                fcntl.fcntl(self._fd, _F_SETPIPE_SZ, os.sysconf("SC_PAGE_SIZE"))
            except OSError:
                pass  # the default 64 KiB also paces, only with more delay
            self._pipe_bytes = fcntl.fcntl(self._fd, _F_SETPIPE_SZ + 1)  # F_GETPIPE_SZ
            self.capture_path.write_bytes(b"")
            self._thread = threading.Thread(target=self._drain, name="sim-speaker", daemon=True)
            self._thread.start()
        self.config_path.write_text(asoundrc_text(target, pcm_name))

    @property
    def device(self) -> str:
        """The ALSA PCM name the player's Speaker opens."""
        return self.pcm_name

    def latency_s(self, buffer_frames: int) -> float:
        """The delay ALSA cannot report, for the Speaker's `latency_s`: the null slave
        reports its buffer empty at once, but the file plugin holds up to a buffer of
        sound (`buffer_frames`, the Speaker's) and the FIFO one more page (paced only)."""
        if not self.paced:
            return 0.0
        return (self._pipe_bytes / (2 * self.channels) + buffer_frames) / self.rate

    def install(self) -> None:
        """Make the speaker visible to ALSA in this process, next to what is configured."""
        current = os.environ.get("ALSA_CONFIG_PATH") or ALSA_MAIN_CONFIG
        if str(self.config_path) not in current.split(":"):
            os.environ["ALSA_CONFIG_PATH"] = f"{current}:{self.config_path}"

    def _drain(self) -> None:
        frame_bytes = 2 * self.channels
        start = time.monotonic()
        drained = 0
        with self.capture_path.open("ab") as capture:
            while not self._stop.is_set():
                due = int((time.monotonic() - start) * self.rate) * frame_bytes - drained
                if due > 0:
                    try:
                        data = os.read(self._fd, due)
                    except BlockingIOError:
                        data = b""
                    if data:
                        drained += len(data)
                        capture.write(data)
                        self.departures.append((time.monotonic(), drained))
                    else:
                        # Nothing is playing: the card's clock runs on, but no debt builds up.
                        start = time.monotonic() - drained / frame_bytes / self.rate
                self._stop.wait(0.002)

    def heard_at(self, sample: int) -> float | None:
        """When (monotonic s) sample `sample` of the capture left the speaker (paced only)."""
        byte = (sample + 1) * 2 * self.channels
        for t, drained in self.departures:
            if drained >= byte:
                return t
        return None

    def captured(self) -> np.ndarray:
        """Everything played so far, (n, channels) int16."""
        data = self.capture_path.read_bytes()
        usable = len(data) - len(data) % (2 * self.channels)
        return np.frombuffer(data[:usable], "<i2").reshape(-1, self.channels)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
