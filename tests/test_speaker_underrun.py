"""The speaker on a card that runs out: ALSA's underrun as pyalsaaudio 0.11 reports it.

The simulated speaker, paced, behaves as a real card: it stops in XRUN once it has played
what it was given, then `avail()` is -EPIPE and the next `write()` returns -EPIPE, writing
nothing (booth.sim.virtual_speaker.CardPCM). Sound still goes through real ALSA (a `file`
PCM) into the capture the tests listen to.
"""

from __future__ import annotations

import errno
import time
from types import SimpleNamespace

import numpy as np
import pytest

from booth.devices.speaker import Speaker
from booth.media.player import ClipPlayer
from booth.sim.alsa_config import install_alsa_config
from booth.sim.virtual_speaker import VirtualSpeaker
from tests.test_player import FPS, RATE, write_numbered_clip


@pytest.fixture
def card(tmp_path, monkeypatch):
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    sim = VirtualSpeaker(tmp_path / "card", channels=2, paced=True)
    install_alsa_config(sim.directory, sim.asoundrc)
    yield sim
    sim.close()


def wait_for_underrun(speaker: Speaker, bound_s: float = 5.0) -> None:
    deadline = time.monotonic() + bound_s
    while speaker._pcm.avail() >= 0:
        assert time.monotonic() < deadline, "the card never ran out"
        time.sleep(0.01)


def captured(card: VirtualSpeaker, frames: int, bound_s: float = 5.0) -> np.ndarray:
    """The capture once it holds `frames` (the card plays in real time)."""
    deadline = time.monotonic() + bound_s
    while len(card.captured()) < frames and time.monotonic() < deadline:
        time.sleep(0.01)
    return card.captured()


def test_the_simulated_card_underruns_as_alsa_does(card):
    speaker = Speaker(card.device, RATE, 2, open_pcm=card.open_pcm)
    pcm = speaker._pcm
    pcm.write(np.ones((speaker.period_frames, 2), np.int16).tobytes())
    wait_for_underrun(speaker)
    assert pcm.avail() == -errno.EPIPE
    assert pcm.write(np.ones((speaker.period_frames, 2), np.int16).tobytes()) == -errno.EPIPE
    assert pcm.avail() == speaker.buffer_frames  # prepared again, empty
    speaker.close()


def test_after_an_underrun_nothing_is_left_to_play(card):
    speaker = Speaker(card.device, RATE, 2, open_pcm=card.open_pcm)
    speaker.play(np.ones((speaker.period_frames, 2), np.int16))
    wait_for_underrun(speaker)
    assert speaker.delay_frames() == 0
    assert speaker.unplayed_frames() == 0
    speaker.close()


def test_sound_written_after_an_underrun_is_played_whole(card):
    speaker = Speaker(card.device, RATE, 2, open_pcm=card.open_pcm)
    speaker.play(np.zeros((speaker.period_frames, 2), np.int16))
    wait_for_underrun(speaker)
    second = np.full((2 * speaker.period_frames, 2), 1000, np.int16)
    speaker.play(second)
    # alsa-lib's file plugin passes sound on only when a buffer more follows it.
    speaker.play(np.zeros((speaker.buffer_frames + speaker.period_frames, 2), np.int16))
    speaker.close()
    heard = captured(card, 3 * speaker.period_frames + speaker.buffer_frames)
    assert int(np.count_nonzero(heard[:, 0] == 1000)) == len(second)
    assert speaker.underruns == 1


@pytest.mark.timeout(30)
def test_a_clip_finishes_on_a_card_that_underruns_and_the_next_one_starts_whole(card, tmp_path):
    clips = []
    for name in ("intro.mp4", "question.mp4"):
        write_numbered_clip(tmp_path / name, seconds=0.4, beep=False)
        clips.append(tmp_path / name)
    speaker = Speaker(card.device, RATE, 2, open_pcm=card.open_pcm)
    speaker.latency_s = card.latency_s(speaker.buffer_frames)
    player = ClipPlayer(speaker, realtime=True)
    finished = []
    for clip in clips:
        view = SimpleNamespace(clip_path=str(clip), clip_playing=True)
        for _ in range(20 * FPS):  # 0.4 s clips: the range only guards against a hang
            now = time.monotonic()
            player.follow(view, now)
            player.frame(now)
            if player.finished(now):
                finished.append(clip.name)
                break
            time.sleep(1 / FPS)
        # The card runs out between the clips, as it does while a screen waits for a tap.
        wait_for_underrun(speaker)
    player.close()
    assert finished == ["intro.mp4", "question.mp4"]
