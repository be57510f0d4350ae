"""Reads the real microphone continuously on a thread of its own.

A USB microphone fills ALSA's ring buffer whether anybody reads or not; if the kiosk read it only
between frames, a slow frame (a screen change, a mux finishing) would overflow the buffer and
lose audio. So one thread does nothing but block in `Microphone.read()` and hand each chunk on,
stamped on CLOCK_MONOTONIC. The kiosk queues the chunks and, on its own thread, feeds the level
meter and the take's audio writer. The simulated booth runs the same thread on its virtual
microphone (an ALSA `file` PCM fed through a FIFO), so a simulation exercises this hand-over.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from booth.devices.ports.microphone import AudioChunk, Microphone, MicrophoneError

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 1.0
"""How long `stop()` waits for the thread: a read returns within one period (33 ms)."""


class MicReader:
    """A thread that reads `mic` until stopped and calls `on_chunk(chunk)` for every chunk.

    mic: an opened `Microphone` (48 kHz mono S16 by default, one period per read).
    on_chunk: called from the reader's thread; it must only hand the chunk over (a queue),
    never block: while it runs, nobody reads the sound card.

    Overruns (the thread was not scheduled in time and ALSA's buffer overflowed) are counted by
    the Microphone and logged; the reading goes on. An error reading the device (the USB
    microphone was pulled) ends the thread and sets `fault`, for the out-of-order screen and
    `booth status`. An exception in `on_chunk` is logged and the reading goes on.
    """

    def __init__(self, mic: Microphone, on_chunk: Callable[[AudioChunk], None]) -> None:
        self.mic = mic
        self.on_chunk = on_chunk
        self.fault: str | None = None
        self.chunks = 0
        """Chunks handed on so far."""
        self._handed_on = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mic-reader", daemon=True)

    @property
    def overruns(self) -> int:
        """Overruns so far (ALSA's buffer overflowed; that audio is lost)."""
        return self.mic.overruns

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> MicReader:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.mic.read()
            except MicrophoneError as error:
                if not self._stop.is_set():
                    self.fault = str(error)
                    log.error("%s", error)
                return
            if chunk is None or self._stop.is_set():
                continue  # an overrun (counted by the Microphone), or stopping
            try:
                self.on_chunk(chunk)
            except Exception:
                log.exception("microphone chunk handler failed; reading goes on")
            with self._handed_on:
                self.chunks += 1
                self._handed_on.notify_all()

    def wait_for(self, chunks: int, timeout: float) -> bool:
        """Wait until `chunks` chunks in all have been handed on (or the thread ended);
        True when they were. The simulator waits so for the sound of each virtual frame."""
        with self._handed_on:
            return (
                self._handed_on.wait_for(
                    lambda: self.chunks >= chunks or not self._thread.is_alive(), timeout
                )
                and self.chunks >= chunks
            )

    def request_stop(self) -> None:
        """Ask the thread to end after its current read, without waiting (then wake the read:
        the simulated microphone does so when it closes)."""
        self._stop.set()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Ask the thread to end after its current read and wait for it; True once it ended.

        No chunk is handed on after this returns True.
        """
        self._stop.set()
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("microphone reader still blocked in a read after %.1f s", timeout)
            return False
        return True

    def close(self) -> None:
        """Stop reading, then close the microphone (in that order: never close under a read)."""
        if self.stop():
            self.mic.close()


def drain(chunks: queue.SimpleQueue[AudioChunk]) -> list[AudioChunk]:
    """Everything waiting in a queue that a reader's `on_chunk` fills; never blocks."""
    out = []
    while True:
        try:
            out.append(chunks.get_nowait())
        except queue.Empty:
            return out
