"""Issue 12's settings: clip titles, unkept takes and more think time in interview.toml; the
help screen's [help] and the answer timer's warning in booth.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config_interview import EXAMPLE, MINIMAL, make_interview, problems_of

from booth.config.errors import ConfigError
from booth.config.interview import load_interview
from booth.config.settings import load_settings
from booth.install.interviews import rewrite_clip_names

CLIP = MINIMAL.replace("intro_clips = []\n", "")


def with_clips(tmp_path: Path, clips: str, extra: str = "") -> Path:
    directory = make_interview(
        tmp_path, CLIP.replace("[[questions]]", f"{clips}\n{extra}\n[[questions]]")
    )
    for name in ("a.mp4", "b.mp4"):
        (directory / name).write_bytes(b"")
    return directory


def test_the_example_numbers_its_clips_and_offers_more_think_time():
    interview = load_interview(EXAMPLE)
    assert interview.intro_titles == ({}, {})  # shown as "Clip 1 of 2", "Clip 2 of 2"
    assert interview.unreviewed_takes == "discard" and interview.extra_think_seconds == 30


def test_the_installer_finds_a_titled_clip(tmp_path):
    directory = with_clips(
        tmp_path, 'intro_clips = [{ file = "a.mp4", title = { sv = "Om oss", en = "About us" } }]'
    )
    text = (directory / "interview.toml").read_text()
    assert rewrite_clip_names(text, {"a.mp4": "a-2.mp4"}).count('"a-2.mp4"') == 1


def test_intro_clips_may_be_plain_names_or_titled(tmp_path):
    directory = with_clips(
        tmp_path,
        'intro_clips = ["a.mp4", { file = "b.mp4", title = { sv = "Om oss", en = "About us" } }]',
        'unreviewed_takes = "keep"\nextra_think_seconds = 20',
    )
    interview = load_interview(directory)
    assert [p.name for p in interview.intro_clips] == ["a.mp4", "b.mp4"]
    assert interview.intro_titles == ({}, {"sv": "Om oss", "en": "About us"})
    assert (interview.unreviewed_takes, interview.extra_think_seconds) == ("keep", 20)


def test_a_minimal_interview_discards_unkept_takes_and_offers_no_more_time(tmp_path):
    interview = load_interview(make_interview(tmp_path))
    assert (interview.unreviewed_takes, interview.extra_think_seconds) == ("discard", 0)


@pytest.mark.parametrize(
    ("clips", "extra", "found"),
    [
        ('intro_clips = [{ file = "a.mp4", title = { de = "X" } }]', "", "title for de"),
        ('intro_clips = [{ file = "a.mp4", name = "x" }]', "", "unknown key 'name'"),
        ('intro_clips = [{ title = { sv = "X" } }]', "", "is not a file name"),
        ("intro_clips = []", 'unreviewed_takes = "send"', "unreviewed_takes"),
        ("intro_clips = []", "extra_think_seconds = -5", "extra_think_seconds"),
    ],
)
def test_mistakes_in_the_candidate_rules_are_named(tmp_path, clips, extra, found):
    problems = problems_of(with_clips(tmp_path, clips, extra))
    assert any(found in p for p in problems), problems


def test_help_settings_give_text_per_language_a_phone_and_a_place(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        '[help]\ntext = { sv = "Ring på klockan.", en = "Ring the bell." }\n'
        'phone = "031-123 45 67"\nlocation = "Reception"\n'
        "[timing]\nwarning_seconds = 15\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.help.text == {"sv": "Ring på klockan.", "en": "Ring the bell."}
    assert settings.help.phone == "031-123 45 67"
    assert settings.help.location == {"": "Reception"}
    assert settings.timing.warning_seconds == 15


def test_a_help_text_in_a_language_the_booth_does_not_speak_is_refused(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text('[help]\ntext = { de = "Klingeln." }\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "language de is not in languages" in str(caught.value)
