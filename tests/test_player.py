"""The clip player: a generated clip with known frames and a beep, played through ALSA."""

from __future__ import annotations

import math
import time
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from booth.devices.speaker import Speaker
from booth.media.player import ClipPlayer
from booth.sim.alsa_config import install_alsa_config
from booth.sim.virtual_speaker import VirtualSpeaker

FPS, RATE, BITS = 30, 48_000, 7
BEEP_AT, BEEP_S = 1.0, 0.1


def write_numbered_clip(path: Path, seconds: float = 2.0, size=(160, 120), beep=True) -> None:
    """Each frame shows its own number as black and white bars (most significant left);
    a 1 kHz beep from 1.0 s to 1.1 s, silence elsewhere."""
    w, h = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"crf": "18", "bf": "0"}
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        bar = w // BITS
        for i in range(round(seconds * FPS)):
            rgb = np.zeros((h, w, 3), np.uint8)
            for bit in range(BITS):
                if i >> (BITS - 1 - bit) & 1:
                    rgb[:, bit * bar : (bit + 1) * bar] = 255
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        t = np.arange(round(seconds * RATE)) / RATE
        on = (t >= BEEP_AT) & (t < BEEP_AT + BEEP_S) if beep else np.zeros(len(t), bool)
        tone = (0.5 * np.sin(2 * math.pi * 1000 * t) * on).astype(np.float32)[None]
        for k in range(0, tone.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(tone[:, k : k + 1024]), format="fltp", layout="mono"
            )
            frame.rate, frame.pts, frame.time_base = RATE, k, Fraction(1, RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode())


def frame_number(rgb: np.ndarray) -> int:
    """Read the number back from the bars (sampled mid-bar, half way down)."""
    h, w = rgb.shape[:2]
    bar = w / BITS
    row = rgb[h // 2, :, 1]
    bits = [int(row[int((k + 0.5) * bar)] > 127) for k in range(BITS)]
    return int("".join(map(str, bits)), 2)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "numbered.mp4"
    write_numbered_clip(path)
    return path


@pytest.fixture
def speaker_sim(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    sim = VirtualSpeaker(tmp_path / "speaker", channels=2)
    install_alsa_config(sim.directory, sim.asoundrc)
    yield sim
    sim.close()


def numbers(frames: list) -> list[int]:
    """The frame numbers shown, each once (a frame stays up until the next one is due)."""
    out: list[int] = []
    for n in (frame_number(f) for f in frames):
        if not out or out[-1] != n:
            out.append(n)
    return out


def play_virtual(player: ClipPlayer, view, fps: int = FPS, start: float = 100.0, limit=10.0):
    """Run the kiosk's calls once per display frame in virtual time; frames seen, end time."""
    seen = []
    for k in range(round(limit * fps)):
        now = start + k / fps
        player.follow(view, now)
        if player.finished(now):
            return seen, now - start
        seen.append(player.frame(now))
    raise AssertionError("the clip never finished")


def test_a_generated_clip_plays_in_full_showing_every_frame_in_order(clip, speaker_sim):
    player = ClipPlayer(Speaker(speaker_sim.device, RATE, 2), realtime=False, shown_size=(320, 180))
    frames, ended = play_virtual(player, SimpleNamespace(clip_path=str(clip), clip_playing=True))
    report = player.take_report()
    player.close()
    assert numbers(frames) == list(range(60))
    assert ended == pytest.approx(2.0, abs=0.05)
    # Decoded at the size it is shown: 4:3 fitted into the 320x180 clip area.
    assert frames[0].shape == (180, 240, 3)
    assert report["frames_shown"] == 60
    assert report["frames_dropped"] == 0
    assert report["av_offset_ms"] == 0.0
    assert report["clip"] == "numbered.mp4"


def test_the_beep_reaches_the_speaker_device_at_its_time_in_the_clip(clip, speaker_sim):
    player = ClipPlayer(Speaker(speaker_sim.device, RATE, 2), realtime=False)
    play_virtual(player, SimpleNamespace(clip_path=str(clip), clip_playing=True))
    player.close()
    sound = speaker_sim.captured()[:, 0].astype(float)
    loud = np.flatnonzero(np.abs(sound) > 0.25 * 32767)
    assert len(sound) == pytest.approx(2.0 * RATE, abs=2048)
    assert loud[0] / RATE == pytest.approx(BEEP_AT, abs=0.003)
    assert loud[-1] / RATE == pytest.approx(BEEP_AT + BEEP_S, abs=0.003)
    spectrum = np.abs(np.fft.rfft(sound[loud[0] : loud[0] + 2400]))
    assert np.argmax(spectrum) * RATE / 2400 == pytest.approx(1000, abs=25)


def test_a_display_slower_than_the_clip_drops_frames_and_says_so(clip, speaker_sim):
    player = ClipPlayer(Speaker(speaker_sim.device, RATE, 2), realtime=False)
    frames, _ = play_virtual(player, SimpleNamespace(clip_path=str(clip), clip_playing=True), 15)
    report = player.take_report()
    player.close()
    # Every other frame, and the last one, which stays up until the sound has ended.
    assert numbers(frames) == [*range(0, 60, 2), 59]
    assert (report["frames_shown"], report["frames_dropped"]) == (31, 29)


def test_help_pauses_the_clip_and_replay_starts_it_again(clip, speaker_sim):
    player = ClipPlayer(Speaker(speaker_sim.device, RATE, 2), realtime=False)
    playing = SimpleNamespace(clip_path=str(clip), clip_playing=True)
    covered = SimpleNamespace(clip_path=None, clip_playing=True)  # the help overlay
    for k in range(15):
        player.follow(playing, k / FPS)
        player.finished(k / FPS)
    assert frame_number(player.frame(14 / FPS)) == 14
    for k in range(15, 45):  # one second under the help screen
        player.follow(covered, k / FPS)
        assert not player.finished(k / FPS)
    player.follow(playing, 45 / FPS)
    assert frame_number(player.frame(45 / FPS)) == 15
    stopped = SimpleNamespace(clip_path=str(clip), clip_playing=False)
    player.follow(stopped, 46 / FPS)
    assert player.take_report()["frames_shown"] == 16
    player.follow(playing, 47 / FPS)  # replay
    assert frame_number(player.frame(47 / FPS)) == 0
    player.close()


def test_a_clip_that_cannot_be_read_counts_as_played_and_is_reported(tmp_path, speaker_sim):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a clip")
    player = ClipPlayer(Speaker(speaker_sim.device, RATE, 2), realtime=False)
    player.follow(SimpleNamespace(clip_path=str(broken), clip_playing=True), 0.0)
    assert player.frame(0.0) is None
    assert player.finished(0.0)
    assert "broken.mp4" in player.take_report()["error"]
    player.close()


def test_in_real_time_the_speaker_paces_the_picture(tmp_path, monkeypatch):
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    clip = tmp_path / "short.mp4"
    write_numbered_clip(clip, seconds=1.0, beep=False)
    sim = VirtualSpeaker(tmp_path / "paced", channels=2, paced=True)
    install_alsa_config(sim.directory, sim.asoundrc)
    speaker = Speaker(sim.device, RATE, 2, open_pcm=sim.open_pcm)
    speaker.latency_s = sim.latency_s(speaker.buffer_frames)
    player = ClipPlayer(speaker, realtime=True)
    view = SimpleNamespace(clip_path=str(clip), clip_playing=True)
    numbers = []
    started = time.monotonic()
    for tick in range(10 * FPS):  # a 1 s clip: the range only guards against a hang
        now = time.monotonic()
        player.follow(view, now)
        if player.finished(now):
            break
        frame = player.frame(now)
        if frame is not None:
            numbers.append(frame_number(frame))
        time.sleep(max(0.0, started + (tick + 1) / FPS - time.monotonic()))
    took = time.monotonic() - started
    report = player.take_report()
    player.close()
    sim.close()
    # Never ahead of the sound. How fast it starts and how few frames it drops on a machine
    # that has the CPU are benchmark figures (`python -m bench clips`), not tested here.
    assert took >= 0.95
    assert numbers == sorted(numbers) and numbers[-1] == 29
    assert report["frames_shown"] > 0 and report["first_frame_ms"] is not None
    assert len(sim.captured()) == pytest.approx(RATE, abs=2048)
