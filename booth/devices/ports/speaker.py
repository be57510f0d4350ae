"""The speaker port: its error. What the clip player needs of a speaker is
booth.media.player's `AudioSink`; the ALSA speaker is booth.devices.speaker."""

from __future__ import annotations


class SpeakerError(Exception):
    """The speaker cannot be opened; the message is meant for staff."""
