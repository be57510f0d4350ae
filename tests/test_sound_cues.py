"""Sounds that guide (issue 27, point 3): a simulated booth plays its cues through the virtual
speaker at the moments the flow asks for, the virtual microphone hears them through the booth's
air, and none of them reaches the candidate's answer.

Each run records one answer of 14 s that stops at its limit (so the time warning sounds 4 s in,
and the stop at the limit): with the cues, without them (otherwise identical), and with the cues
but the warning's band-stop left out (what the take would hold without it).
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from booth.config.settings import load_settings
from booth.kiosk.recorder import Recorder
from booth.media.cues import CUES, GUARD_S, cue_seconds
from booth.media.tones import FADE_S
from booth.sim.booth import SimRun, build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script

pytestmark = pytest.mark.slow

RATE = 48_000
AAC_REACH = round(FADE_S * RATE) + 3 * 1024
"""How far from the band-stop's window the AAC stream can differ: the band-stop's fade, the
1024-sample frame it starts in, the frame before it (their transforms overlap) and the encoder's
priming delay."""
ANSWER_S = 14
INTERVIEW = f"""
id = "cues"
employer = "Booth"
title = {{ en = "Cues" }}
languages = ["en"]
valid_from = 2025-01-01T00:00:00+01:00
deadline = 2035-12-31T23:59:00+01:00
intro_clips = []

[[questions]]
id = "q1"
text = {{ en = "Tell us about yourself." }}
answer_seconds = {ANSWER_S}
review = false
"""

SCRIPT = f"""
press start
type 123456
press confirm
press next
press accept
expect check
press next
expect question
press next
expect countdown
wait 3.2
expect recording
wait {ANSWER_S}
expect done
"""


class Run:
    """One simulated answer: its events, what the speaker played (and when), and the take's
    audio as the recruiter's MP4 holds it."""

    def __init__(self, tmp: Path, cues: bool, name: str) -> None:
        interviews = tmp / "interviews"
        (interviews / "cues").mkdir(parents=True, exist_ok=True)
        (interviews / "cues" / "interview.toml").write_text(INTERVIEW, encoding="utf-8")
        (interviews / "cues" / "codes.csv").write_text(
            "code,candidate_ref,extra_time_percent,extra_takes\n123456,CUE-1,,\n",
            encoding="utf-8",
        )
        config = tmp / f"booth-{name}.toml"
        config.write_text(
            'booth_id = "cue-booth"\nlanguage = "en"\nlanguages = ["en"]\n'
            "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
            f"disk_margin_bytes = 0\n[sound]\ncues = {str(cues).lower()}\nvolume = 15\n",
            encoding="utf-8",
        )
        out = tmp / f"out-{name}"
        booth = build_sim_booth(
            load_settings(config),
            interviews,
            out,
            headless_display((320, 240)),
            SimRun(screenshots=False),
        )
        try:
            outcome = run_script(booth, parse_script(SCRIPT), "cues")
            assert outcome.exit_code == 0, outcome.message
        finally:
            booth.close()
        played = booth.speaker.played
        assert played is not None
        self.played = played
        self.speaker = booth.speaker.captured().mean(axis=1) / 32768.0
        self.events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
        (manifest,) = out.glob("spool/*/manifest.json")
        (take,) = json.loads(manifest.read_text())["takes"]
        self.take = decode_audio(manifest.parent / take["file"])

    def times(self, event: str, **fields: object) -> list[float]:
        return [
            e["t"]
            for e in self.events
            if e["event"] == event and all(e.get(k) == v for k, v in fields.items())
        ]

    def bursts(self) -> list[tuple[float, float, float]]:
        """The speaker's sounds: (start s, end s, main frequency Hz) of each, on the clock of
        events.jsonl; gaps under 50 ms (inside one cue) do not split a sound."""
        loud = np.flatnonzero(np.abs(self.speaker) > 1e-4)
        if not len(loud):
            return []
        starts_ns, firsts = (np.array(c, np.int64) for c in zip(*self.played.writes, strict=True))
        write = np.searchsorted(firsts, loud, side="right") - 1
        at_ns = starts_ns[write] + (loud - firsts[write]) * 1e9 / RATE
        cuts = np.flatnonzero(np.diff(at_ns) > 0.05e9)
        out = []
        for a, b in zip(
            np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [len(loud) - 1]]), strict=True
        ):
            seg = self.speaker[loud[a] : loud[b] + 1]
            spectrum = np.abs(np.fft.rfft(seg, n=1 << 16))
            hz = float(np.fft.rfftfreq(1 << 16, 1 / RATE)[np.argmax(spectrum)])
            out.append((at_ns[a] / 1e9, at_ns[b] / 1e9 + 1 / RATE, hz))
        return out


def decode_audio(path: Path) -> np.ndarray:
    """The MP4's sound, mono float at full scale ±1 (PyAV decodes the AAC)."""
    with av.open(str(path)) as container:
        parts = [f.to_ndarray() for f in container.decode(audio=0)]
    pcm = np.concatenate(parts, axis=1).mean(axis=0)
    return pcm.astype(np.float64) / (32768.0 if np.issubdtype(pcm.dtype, np.integer) else 1.0)


def band_energy(x: np.ndarray, lo_hz: float, hi_hz: float, inside: bool = True) -> float:
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    band = (f >= lo_hz) & (f <= hi_hz)
    return float(spectrum[band if inside else ~band & (f >= 80) & (f <= 8000)].sum())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run, Run]:
    tmp = tmp_path_factory.mktemp("cues")
    with_cues, plain = Run(tmp, cues=True, name="cues"), Run(tmp, cues=False, name="plain")
    with pytest.MonkeyPatch.context() as patch:
        # The take is never told of the warning's tone: no band-stop.
        patch.setattr(Recorder, "tone_sounded", lambda self, hz, start_ns, end_ns: None)
        unfiltered = Run(tmp, cues=True, name="unfiltered")
    return with_cues, plain, unfiltered


def warning_window(run: Run) -> tuple[slice, float]:
    """Where the warning's tone may be in the take (samples), and the energy its band would
    have there if the microphone heard the tone through the room at its direct level."""
    (take_start,) = run.times("take.start")
    (warning,) = run.times("cue", cue="warning")
    lo = round((warning - take_start) * RATE)
    hi = lo + round((cue_seconds("warning") + GUARD_S) * RATE)
    hz = CUES["warning"][0].hz
    t = np.arange(hi - lo) / RATE
    leaked = 0.15 * 10 ** (-6 / 20) * np.sin(2 * np.pi * hz * t)
    leaked[round(cue_seconds("warning") * RATE) :] = 0
    return slice(lo, hi), band_energy(leaked, hz - 25, hz + 25)


@pytest.mark.timeout(240)
def test_each_cue_is_an_event_and_the_virtual_speaker_plays_it_then(runs):
    with_cues, _, _ = runs
    cues = [(e["t"], e["cue"]) for e in with_cues.events if e["event"] == "cue"]
    assert [name for _, name in cues] == [
        "countdown",
        "countdown",
        "countdown",
        "recording",
        "warning",
        "stop",
    ]
    bursts = with_cues.bursts()
    assert len(bursts) == len(cues), bursts
    for (t, name), (start, end, hz) in zip(cues, bursts, strict=True):
        # The speaker starts each cue as it is logged, for as long as the cue is, at its pitch.
        assert abs(start - t) < 0.002, (name, start, t)
        assert abs((end - start) - cue_seconds(name)) < 0.03, (name, end - start)
        assert any(abs(hz - tone.hz) < 10 for tone in CUES[name]), (name, hz)


@pytest.mark.timeout(240)
def test_the_cues_come_at_the_right_moments_of_the_countdown_and_the_take(runs):
    with_cues, _, _ = runs
    (countdown,) = with_cues.times("screen", screen="countdown")
    (take_start,) = with_cues.times("take.start")
    (take_stop,) = with_cues.times("take.stop")
    beeps = with_cues.times("cue", cue="countdown")
    (recording,) = with_cues.times("cue", cue="recording")
    (warning,) = with_cues.times("cue", cue="warning")
    (stop,) = with_cues.times("cue", cue="stop")
    frame = 1 / 30 + 1e-3
    assert np.allclose(np.array(beeps) - countdown, [0, 1, 2], atol=frame)  # 3, 2, 1
    # "Recording" sounds, and its echo dies, before the take's first sample.
    assert recording + cue_seconds("recording") + GUARD_S <= take_start
    assert take_start - recording < 0.7
    # The warning when "10 seconds left" appears; the stop at the limit, after the take.
    assert abs(warning - (take_start + ANSWER_S - 10)) <= frame
    assert take_stop <= stop <= take_stop + 1e-3
    assert abs(take_stop - (take_start + ANSWER_S)) <= frame


@pytest.mark.timeout(240)
def test_the_microphone_hears_the_speaker_so_without_the_band_stop_the_warning_is_in_the_take(
    runs,
):
    """The leak is real: through the room, the ALSA capture, the recorder and the AAC encoder,
    the warning's tone reaches the take unless the take is told of it."""
    _, plain, unfiltered = runs
    window, leak_energy = warning_window(unfiltered)
    hz = CUES["warning"][0].hz
    heard = band_energy(unfiltered.take[window], hz - 25, hz + 25)
    assert heard >= 0.3 * leak_energy
    assert heard >= 100 * band_energy(plain.take[window], hz - 25, hz + 25)


@pytest.mark.timeout(240)
def test_no_cue_lands_in_the_take(runs):
    with_cues, without, _ = runs
    take, plain = with_cues.take, without.take
    assert abs(len(take) - len(plain)) < RATE // 100
    n = min(len(take), len(plain))
    take, plain = take[:n], plain[:n]
    window, leak_energy = warning_window(with_cues)
    hz = CUES["warning"][0].hz
    # The warning's band holds no more than the voice put there without the cue...
    with_tone = band_energy(take[window], hz - 25, hz + 25)
    no_tone = band_energy(plain[window], hz - 25, hz + 25)
    assert with_tone <= no_tone * 1.5 + leak_energy * 1e-3, (with_tone, no_tone, leak_energy)
    # ...and the candidate's voice around that band is as it was spoken.
    voice, voice_plain = (
        band_energy(x[window], hz - 50, hz + 50, inside=False) for x in (take, plain)
    )
    assert abs(10 * np.log10(voice / voice_plain)) < 0.5
    # Up to the warning the take is bit for bit the take without cues: the 3-2-1 and the
    # "recording" cue left nothing in it.
    before = window.start - AAC_REACH
    assert before > RATE and np.array_equal(take[:before], plain[:before])
    # After the warning, the AAC encoder's choices differ (its bit reservoir saw other sound),
    # but by coding noise only; the stop cue's tones are not in the last half second.
    after = window.stop + AAC_REACH
    diff = take[after:] - plain[after:]
    assert np.sqrt(np.mean(diff**2)) < 0.05 * np.sqrt(np.mean(plain[after:] ** 2))
    tail = slice(n - RATE // 2, n)
    for tone in CUES["stop"]:
        lo, hi = tone.hz - 25, tone.hz + 25
        assert band_energy(take[tail], lo, hi) <= 1.26 * band_energy(plain[tail], lo, hi) + 1e-9
