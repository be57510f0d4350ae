"""The parts of the sound cues (issue 27, point 3): when the flow asks for them, what they
sound like, the `[sound]` settings, the band-stop that keeps the time warning out of a take, and
the simulator's speaker on the virtual clock. The whole path, from the flow through the virtual
speaker and microphone to the MP4, is in test_sound_cues.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_flow import Booth, Interview, Q

from booth.config.errors import ConfigError
from booth.config.settings import Sound, load_settings
from booth.media.cues import CUES, GUARD_S, cue_seconds, synthesise
from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles, read_tones
from booth.media.tones import remove_tone
from booth.session.cues import LATE_S, RECORDING_CUE_LEAD_S
from booth.session.effects import Cue, StartTake
from booth.session.flow import Timing
from booth.sim.alsa_config import install_alsa_config
from booth.sim.room import Room
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.voice import Voice

RATE = 48_000
FRAME = 1 / 30


# ------------------------------------------------------------------ the flow: when
def timeline(b: Booth, first: list, seconds: float) -> list[tuple[float, str]]:
    """The effects `first`, then those of a frame at a time for `seconds`: each cue (and the
    take's start, as "take") with its time since `first`."""
    start = b.clock.monotonic()
    out: list[tuple[float, str]] = []

    def note(effects: list) -> None:
        for e in effects:
            if isinstance(e, Cue | StartTake):
                name = e.cue if isinstance(e, Cue) else "take"
                out.append((round(b.clock.monotonic() - start, 3), name))

    note(first)
    for _ in range(round(seconds / FRAME)):
        b.clock.advance(FRAME)
        note(b.flow.tick())
    return out


def test_the_flow_asks_for_each_cue_at_its_moment():
    b = Booth(
        interview=Interview(
            questions=(Q("q1", {"sv": "Ett", "en": "One"}, think_seconds=0, answer_seconds=30),)
        )
    )
    b.to_question_1()
    seen = timeline(b, b.flow.handle("next"), 34)  # no think time: straight to the 3-2-1
    assert b.screen == "review"
    names = [name for _, name in seen]
    assert names == ["countdown"] * 3 + ["recording", "take", "warning", "stop"]
    assert [t for t, n in seen if n == "countdown"] == [0.0, 1.0, 2.0]  # as 3, 2, 1 appear
    at = {n: t for t, n in seen}
    assert 3 - RECORDING_CUE_LEAD_S <= at["recording"] < 3 - RECORDING_CUE_LEAD_S + FRAME
    assert at["take"] == pytest.approx(3, abs=FRAME)
    assert at["warning"] == pytest.approx(3 + 20, abs=FRAME)  # "10 seconds left" appears
    assert at["stop"] == pytest.approx(3 + 30, abs=FRAME)


def test_the_recording_cue_and_its_echo_end_before_the_take_even_when_it_is_late():
    latest_start = RECORDING_CUE_LEAD_S - LATE_S
    assert latest_start - cue_seconds("recording") >= GUARD_S


def test_a_retake_counts_down_with_its_cues_again_and_a_press_on_stop_sounds_the_stop():
    b = Booth().to_question_1().press("next").press("record")
    b.wait(3.5, step=FRAME).press("stop")
    assert b.screen == "review" and b.of(Cue)[-1] == Cue("stop")
    b.effects.clear()
    b.retake().wait(3.2, step=FRAME)
    assert b.screen == "recording"
    assert [c.cue for c in b.of(Cue)] == ["countdown"] * 3 + ["recording"]


def test_without_a_countdown_there_is_no_recording_cue_it_would_land_in_the_take():
    b = Booth(
        interview=Interview(
            questions=(Q("q1", {"sv": "Ett", "en": "One"}, think_seconds=0, answer_seconds=30),)
        ),
        timing=Timing(countdown_seconds=0),
    )
    b.to_question_1().press("next").wait(0.25, step=FRAME)
    assert b.screen == "recording" and b.of(StartTake)
    assert not [c for c in b.of(Cue) if c.cue in ("countdown", "recording")]


def test_an_answer_no_longer_than_the_warning_has_no_warning_cue():
    short = Interview(
        questions=(Q("q1", {"sv": "Ett", "en": "One"}, think_seconds=0, answer_seconds=8),)
    )
    b = Booth(interview=short).to_question_1().press("next").wait(3 + 8.5, step=FRAME)
    assert b.screen == "review"
    assert "warning" not in [c.cue for c in b.of(Cue)]


# ------------------------------------------------------------------ what they sound like
@pytest.mark.parametrize("name", list(CUES))
def test_each_cue_is_a_short_quiet_tone_at_its_pitch_with_soft_edges(name):
    samples = synthesise(name, RATE, 2, volume=0.15)
    assert samples.shape == (round(cue_seconds(name) * RATE), 2)
    assert cue_seconds(name) <= 0.25
    mono = samples[:, 0] / 32767
    assert abs(np.abs(mono).max() - 0.15) < 0.002
    assert abs(mono[0]) < 0.001 and abs(mono[-1]) < 0.01  # no click at either end
    spectrum = np.abs(np.fft.rfft(mono, n=1 << 17))
    peak = np.fft.rfftfreq(1 << 17, 1 / RATE)[np.argmax(spectrum)]
    assert min(abs(peak - t.hz) for t in CUES[name]) < 2


# ------------------------------------------------------------------ [sound]
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "booth.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sound_table_sets_the_cues_and_their_volume(tmp_path):
    assert load_settings(None).sound == Sound(cues=True, volume=15)
    settings = load_settings(write(tmp_path, "[sound]\ncues = false\nvolume = 40\n"))
    assert settings.sound == Sound(cues=False, volume=40)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "volume = 150",
            "sound.volume: 150 is out of range (a whole percent of the speaker's full scale",
        ),
        ("volume = 0.5", "sound.volume: is a number (0.5) (a whole percent"),
        ('cues = "yes"', "sound.cues: is a string"),
        ("volum = 10", "sound.volum: unknown key, did you mean volume?"),
    ],
)
def test_a_wrong_sound_setting_names_the_file_the_field_and_the_fix(tmp_path, text, says):
    path = write(tmp_path, f"[sound]\n{text}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    (problem,) = [str(p) for p in caught.value.problems]
    assert problem.startswith(f"{path}:2: ")
    assert says in problem, problem


# ------------------------------------------------------------------ the band-stop
def voice_with_tone(seconds: float, tone_at: float, hz: float) -> tuple[np.ndarray, np.ndarray]:
    voice = Voice(rate=RATE, seed=3).samples(0, round(seconds * RATE)) * 0.8
    tone = synthesise("warning", RATE, 1, volume=0.1)[:, 0] / 32767
    with_tone = voice.copy()
    at = round(tone_at * RATE)
    with_tone[at : at + len(tone)] += tone
    return voice, with_tone


def band(x: np.ndarray, hz: float, half: float = 25) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spectrum[np.abs(f - hz) <= half].sum())


def test_the_band_stop_takes_the_tone_out_and_leaves_the_voice_around_it():
    hz = CUES["warning"][0].hz
    voice, mixed = voice_with_tone(2.0, 0.8, hz)
    pcm = np.rint(mixed * 32767).astype(np.int16)[:, None]
    first, last = round(0.8 * RATE), round((0.8 + cue_seconds("warning") + GUARD_S) * RATE)
    out = remove_tone(pcm, RATE, hz, first, last)[:, 0] / 32767
    window = slice(first, last)
    assert band(mixed[window], hz) > 1000 * band(out[window], hz)  # more than 30 dB down
    assert band(out[window], hz) <= band(voice[window], hz)
    # Away from the band the voice in the window is what was spoken, sample for sample...
    rest = out[window] - voice[window]
    outside = np.abs(np.fft.rfft(rest))[np.abs(np.fft.rfftfreq(last - first, 1 / RATE) - hz) > 60]
    assert outside.max() < 0.02 * np.abs(np.fft.rfft(voice[window])).max()
    # ...and outside the window (and its fades) nothing changed at all.
    fade = round(0.02 * RATE)
    assert np.array_equal(out[: first - fade], pcm[: first - fade, 0] / 32767)
    assert np.array_equal(out[last + fade :], pcm[last + fade :, 0] / 32767)


def test_the_mux_band_stops_the_tones_its_take_noted_and_ignores_lines_it_cannot_trust(tmp_path):
    hz = CUES["warning"][0].hz
    _, mixed = voice_with_tone(3.0, 1.0, hz)
    pcm = np.rint(mixed * 32767).astype(np.int16)

    def take(name: str, tones: str | None) -> np.ndarray:
        files = TakeFiles(tmp_path / name).create(
            question_id="q1", take=1, width=64, height=48, fps=30, sample_rate=RATE, channels=1
        )
        write_h264(files, 3.0)
        files.audio.write_bytes(pcm.tobytes())
        files.audio_ts.write_text(f"0 {10**9}\n{RATE} {2 * 10**9}\n")
        if tones is not None:
            files.tones.write_text(tones)
        out = tmp_path / f"{name}.mp4"
        mux_take(files, out)
        import av

        with av.open(str(out)) as c:
            return np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)[0]

    start, end = 2 * 10**9, 2 * 10**9 + round((cue_seconds("warning") + GUARD_S) * 1e9)
    noted = f"{hz} {start} {end}\n"
    hostile = "\n".join(["1760 x y", "5 0 100", "1760 100 -5", "99999 0 10", "1760 0"]) + "\n"
    kept, band_stopped = take("plain", None), take("noted", hostile + noted)
    window = slice(RATE, RATE + round((cue_seconds("warning") + GUARD_S) * RATE))
    assert band(band_stopped[window], hz) < 0.01 * band(kept[window], hz)
    assert read_tones(tmp_path / "noted" / "tones.txt", RATE) == [(hz, start, end)]


def write_h264(files: TakeFiles, seconds: float) -> None:
    """A real H.264 stream of grey frames at 30 fps, with its frame times (1 s on)."""
    import av

    frames = round(seconds * 30)
    with av.open(str(files.video), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"bf": "0"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 128, np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    files.pts.write_text("".join(f"{10**9 + round(i * 1e9 / 30)}\n" for i in range(frames)))


# ------------------------------------------------------------------ the simulator's speaker
def test_the_virtual_speaker_keeps_the_virtual_time_of_what_it_plays(tmp_path):
    from booth.devices.speaker import Speaker

    now = [5 * 10**9]
    sim = VirtualSpeaker(tmp_path / "spk", clock_ns=lambda: now[0])
    install_alsa_config(sim.directory, sim.asoundrc)
    speaker = Speaker(sim.device, open_pcm=sim.open_pcm)
    beep = synthesise("countdown", RATE, 2, volume=0.5)
    speaker.play(beep)
    speaker.flush()
    now[0] += 2 * 10**9
    speaker.play(beep)
    speaker.flush()
    played = sim.played
    assert played is not None
    assert played.heard_at_ns(0) == 5 * 10**9
    (second,) = [first for start, first in played.writes if start == 7 * 10**9]
    assert second == -(-len(beep) // speaker.period_frames) * speaker.period_frames
    # What the microphone hears through the room: the beep, 0.8 m (2.3 ms) later, at -6 dB.
    room = Room(played.sound_at, reflections=())
    t = 7 * 10**9 + np.arange(round(0.2 * RATE)) * (1e9 / RATE)
    heard = room.heard(t)
    onset = int(np.flatnonzero(np.abs(heard) > 1e-4)[0])
    assert abs(onset / RATE - 0.8 / 343) < 0.0005
    assert abs(np.abs(heard).max() - 0.5 * 10 ** (-6 / 20)) < 0.01
    speaker.close()
    sim.close()
    capture = sim.captured()
    assert len(capture) >= 2 * len(beep)
    assert np.array_equal(capture[: len(beep)], beep)


def test_in_real_time_a_cue_plays_on_its_own_thread_and_the_frame_does_not_wait(tmp_path):
    """On a booth the speaker's writes block while its buffer is full (here: the simulator's
    paced speaker, which runs out and blocks as a sound card does)."""
    import time

    from booth.devices.speaker import Speaker
    from booth.media.cues import CuePlayer

    sim = VirtualSpeaker(tmp_path / "spk", paced=True)
    install_alsa_config(sim.directory, sim.asoundrc)
    speaker = Speaker(sim.device, open_pcm=sim.open_pcm)
    cues = CuePlayer(speaker, volume=0.2, realtime=True)
    try:
        began = time.monotonic()
        cues.play("stop")
        assert time.monotonic() - began < 0.02  # the kiosk's frame goes on at once
        # Its first beep (the last buffer of sound waits in the `file` plugin until more comes
        # or the speaker closes: the simulator's, not a card's).
        tone = synthesise("stop", RATE, 2, volume=0.2)[:, 0]
        beep = tone[np.flatnonzero(tone)[0] : round(0.1 * RATE)]
        heard = np.zeros(0, np.int16)
        while time.monotonic() - began < 3:
            time.sleep(0.05)
            heard = sim.captured()[:, 0]
            sounding = np.flatnonzero(heard)
            if len(sounding) and len(heard) >= sounding[0] + len(beep):
                break
        first = int(np.flatnonzero(heard)[0])
        assert np.array_equal(heard[first : first + len(beep)], beep)
    finally:
        cues.close()
        speaker.close()
        sim.close()
