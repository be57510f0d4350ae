"""Subtitles: WebVTT beside the clip, chosen by language, shown at the right moments."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pygame
import pytest
from test_player import write_numbered_clip

from booth.devices.speaker import Speaker
from booth.media.player import ClipPlayer
from booth.media.subtitles import SubtitleError, load_subtitles, parse_webvtt, subtitle_path
from booth.session.view import View
from booth.sim.alsa_config import install_alsa_config
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.ui.fonts import FontBook
from booth.ui.renderer import Renderer
from booth.ui.subtitles_draw import draw_subtitle

SWEDISH = """WEBVTT

NOTE written by the recruiter

1
00:00.200 --> 00:00.900 align:center
<v Anna>Hej och <i>välkommen</i>!

00:00:01.000 --> 00:00:01.500
Vi ses &amp; hörs
på fredag
"""


def test_a_cue_is_shown_from_its_start_until_its_end():
    subs = parse_webvtt(SWEDISH)
    assert subs.at(0.1) is None
    assert subs.at(0.2) == "Hej och välkommen!"
    assert subs.at(0.899) == "Hej och välkommen!"
    assert subs.at(0.95) is None
    assert subs.at(1.2) == "Vi ses & hörs\npå fredag"
    assert subs.at(1.5) is None


def test_a_broken_file_names_the_file_and_the_line():
    with pytest.raises(SubtitleError, match=r"q1\.sv\.vtt: line 3: cue timing '00:01 --> 2'"):
        parse_webvtt("WEBVTT\n\n00:01 --> 2\nHej\n", "q1.sv.vtt")
    with pytest.raises(SubtitleError, match="line 1: a WebVTT file starts with 'WEBVTT'"):
        parse_webvtt("1\n00:00.000 --> 00:01.000\nHej\n", "x.vtt")


def test_the_candidates_language_picks_the_file_beside_the_clip(tmp_path: Path):
    clip = tmp_path / "intro-1.mp4"
    subtitle_path(clip, "sv").write_text(SWEDISH, encoding="utf-8")
    assert subtitle_path(clip, "sv").name == "intro-1.sv.vtt"
    assert load_subtitles(clip, "sv").at(0.5) == "Hej och välkommen!"
    assert load_subtitles(clip, "en") is None


def test_subtitles_appear_at_the_right_times_while_the_clip_plays(tmp_path, monkeypatch):
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    clip = tmp_path / "intro-1.mp4"
    write_numbered_clip(clip, seconds=2.0, beep=False)
    subtitle_path(clip, "sv").write_text(SWEDISH, encoding="utf-8")
    sim = VirtualSpeaker(tmp_path / "speaker")
    install_alsa_config(sim.directory, sim.asoundrc)
    player = ClipPlayer(Speaker(sim.device, channels=2), realtime=False)
    view = SimpleNamespace(clip_path=str(clip), clip_playing=True)
    shown = {}
    for k in range(60):
        now = 50.0 + k / 30
        player.follow(view, now)
        player.finished(now)
        shown[k] = (player.subtitle(now, "sv"), player.subtitle(now, "en"))
    player.close()
    sim.close()
    assert shown[5] == (None, None)  # 0.167 s
    assert shown[6] == ("Hej och välkommen!", None)  # 0.2 s
    assert shown[28] == (None, None)  # 0.93 s
    assert shown[30][0] == "Vi ses & hörs\npå fredag"  # 1.0 s


def test_the_screen_shows_the_clip_frame_with_its_subtitle_over_it():
    pygame.display.init()
    surface = pygame.Surface((800, 480))
    renderer = Renderer(surface.get_size())
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[:] = (200, 40, 10)
    view = View("intro", "sv", ("sv", "en"), intro_index=1, intro_count=1, clip_path="a.mp4",
                clip_playing=True)  # fmt: skip
    renderer.draw(surface, view, None, None, 0.0, clip_frame=frame)
    rect = renderer.clip_rect
    assert surface.get_at(rect.center)[:3] == (200, 40, 10)
    band = draw_subtitle(surface, rect, "Hej och välkommen!", FontBook())
    assert rect.contains(band) and band.bottom > rect.centery
    # Dark band, white letters: the picture shows through only dimmed.
    inside = pygame.surfarray.array3d(surface.subsurface(band)).reshape(-1, 3)
    assert inside.max(axis=1).max() > 240 and np.median(inside[:, 0]) < 100
