"""The kiosk's inboxes: what the candidate pressed, and what the microphone heard.

Touch, keys and the arcade buttons post actions; the microphone's reader thread posts its
chunks. Both arrive from other threads (gpiozero calls back from its pin-watching thread, the
reader from its own), so each is a queue the kiosk empties once per frame. `Inputs` is made
before everything that posts to it or reads from it: the buttons, the reader and the kiosk are
each handed the same one when they are built.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator

from booth.devices.ports.microphone import AudioChunk
from booth.ui.input import primary_action, record_stop_action

BUTTON = "button"


def button_action(button: str, screen: str) -> str | None:
    """What an arcade button does on a screen: record/stop, next (the screen's main step), back."""
    if button == "record":
        return record_stop_action(screen)
    if button == "next":
        return primary_action(screen)
    if button == "back":
        return "back"
    return None


class Inputs:
    """The action queue (touch, keys, GPIO buttons alike) and the microphone's chunk queue."""

    def __init__(self) -> None:
        self._actions: queue.SimpleQueue[tuple[str, str | None]] = queue.SimpleQueue()
        self._audio: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()

    def post(self, action: str, value: str | None = None) -> None:
        """Queue an action; safe from any thread (GPIO callbacks)."""
        self._actions.put((action, value))

    def post_button(self, name: str) -> None:
        """An arcade button was pressed (from gpiozero's thread): queue it. What it means is
        decided when it is handled, by the screen shown then (`button_action`)."""
        self._actions.put((BUTTON, name))

    def on_audio(self, chunk: AudioChunk) -> None:
        """A microphone chunk from the reader thread; safe from any thread."""
        self._audio.put(chunk)

    def actions(self) -> Iterator[tuple[str, str | None]]:
        """The queued actions in the order they came, until the queue is empty (an action
        posted while these are handled is handled in the same pass)."""
        while True:
            try:
                yield self._actions.get_nowait()
            except queue.Empty:
                return

    def audio(self) -> list[AudioChunk]:
        """Every chunk queued since the last call, oldest first."""
        chunks = []
        while True:
            try:
                chunks.append(self._audio.get_nowait())
            except queue.Empty:
                return chunks
