"""Interview definitions: the example loads, and each mistake is found with file, line and fix."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from booth.config.errors import ConfigError
from booth.config.interview import load_interview, load_interviews

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "interviews" / "example"

MINIMAL = """\
id = "mini"
employer = "Exempel AB"
title = { sv = "Lagerarbetare", en = "Warehouse worker" }
languages = ["sv", "en"]
valid_from = 2025-01-01T00:00:00+01:00
deadline = 2030-01-01T00:00:00+01:00
intro_clips = []

[[questions]]
id = "q1"
text = { sv = "Fråga", en = "Question" }
answer_seconds = 30
"""


def make_interview(
    root: Path, toml: str = MINIMAL, name: str = "mini", codes: str | None = None
) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "interview.toml").write_text(toml, encoding="utf-8")
    (directory / "codes.csv").write_text(
        codes or "code,candidate_ref\n123456,CAND-1\n", encoding="utf-8"
    )
    return directory


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_interview(directory)
    return [str(p) for p in caught.value.problems]


def test_example_interview_loads_with_every_part():
    interview = load_interview(EXAMPLE)
    assert interview.id == "example"
    assert interview.employer == "Kommunen Exempelstad"
    assert interview.languages == ("sv", "en")
    assert interview.title["en"] == "Case officer, social services"
    assert [p.name for p in interview.intro_clips] == ["intro-1.mp4", "intro-2.mp4"]
    assert all(p.is_absolute() and p.is_file() for p in interview.intro_clips)
    assert interview.valid_from.year == 2025 and interview.deadline.year == 2030
    assert interview.valid_from.utcoffset() is not None
    assert interview.practice is not None and interview.practice.answer_seconds == 30
    q1, q2, q3 = interview.questions
    assert (q1.think_seconds, q1.answer_seconds, q1.max_takes, q1.review, q1.clip) == (
        20,
        60,
        2,
        True,
        None,
    )
    assert (q2.think_seconds, q2.answer_seconds, q2.max_takes, q2.review) == (30, 90, 0, True)
    assert q2.clip == EXAMPLE.resolve() / "question-2.mp4"
    assert (q3.think_seconds, q3.answer_seconds, q3.max_takes, q3.review) == (0, 45, 1, False)
    assert len(interview.codes) == 4
    invitation = interview.codes.lookup("234567")
    assert invitation is not None and invitation.candidate_ref == "CAND-0002"
    assert (invitation.extra_time_percent, invitation.extra_takes) == (50, 1)
    assert interview.codes.lookup("000000") is None


def test_example_clips_are_h264_and_aac_mp4s():
    import av

    for clip in load_interview(EXAMPLE).intro_clips:
        with av.open(str(clip)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"
            assert 4 <= container.duration / 1e6 <= 6


def test_text_falls_back_to_the_first_interview_language():
    interview = load_interview(EXAMPLE)
    assert interview.text_for(interview.title, "en") == "Case officer, social services"
    assert interview.text_for(interview.title, "fi") == "Handläggare, socialtjänst"


def test_validity_window_uses_aware_times():
    interview = load_interview(EXAMPLE)
    assert interview.is_valid_at(datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert not interview.is_valid_at(datetime(2024, 12, 31, 22, tzinfo=UTC))
    assert not interview.is_valid_at(interview.deadline + timedelta(seconds=1))


def test_defaults_for_optional_question_keys(tmp_path):
    interview = load_interview(make_interview(tmp_path))
    (q,) = interview.questions
    assert (q.think_seconds, q.max_takes, q.review, q.clip) == (0, 1, True, None)
    assert interview.practice is None and interview.replay_allowed and interview.intro_clips == ()


def test_bad_toml_is_one_problem_with_a_line(tmp_path):
    directory = make_interview(tmp_path, MINIMAL.replace('id = "q1"', 'id = "q1'))
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{directory / 'interview.toml'}:10: syntax: ")


def test_wrong_types_say_what_is_expected(tmp_path):
    text = MINIMAL.replace("answer_seconds = 30", 'answer_seconds = "30"\nreview = "yes"')
    problems = problems_of(make_interview(tmp_path, text))
    assert problems[0].endswith(
        ":12: questions[1].answer_seconds: is a string ('30') (whole seconds from 1 to 3600)"
    )
    assert problems[1].endswith(":13: questions[1].review: is a string ('yes') (true or false)")


def test_unknown_keys_name_the_known_ones(tmp_path):
    text = "colour = 1\n" + MINIMAL.replace(
        "answer_seconds = 30", "answer_seconds = 30\nmax_take = 2"
    )
    problems = problems_of(make_interview(tmp_path, text))
    assert ":14: questions[1].max_take: unknown key, did you mean max_takes?" in problems[0]
    assert (
        "known keys: id, text, clip, audio, think_seconds, answer_seconds, max_takes, review"
        in problems[0]
    )
    assert ":1: colour: unknown key" in problems[1] and "employer" in problems[1]


def test_missing_media_is_named(tmp_path):
    text = MINIMAL.replace("intro_clips = []", 'intro_clips = ["hello.mp4"]')
    text = text.replace('id = "q1"', 'id = "q1"\nclip = "q1.mp4"')
    directory = make_interview(tmp_path, text)
    problems = problems_of(directory)
    assert problems[0].startswith(
        f"{directory / 'interview.toml'}:7: intro_clips[1]: file 'hello.mp4' not found"
    )
    assert ":11: questions[1].clip: file 'q1.mp4' not found" in problems[1]


def test_deadline_before_valid_from(tmp_path):
    text = MINIMAL.replace("deadline = 2030-01-01", "deadline = 2024-06-01")
    (problem,) = problems_of(make_interview(tmp_path, text))
    assert ":6: deadline: is not after valid_from" in problem


def test_a_datetime_without_offset_is_ambiguous(tmp_path):
    text = MINIMAL.replace(
        "valid_from = 2025-01-01T00:00:00+01:00", "valid_from = 2025-01-01T00:00:00"
    )
    (problem,) = problems_of(make_interview(tmp_path, text))
    assert ":5: valid_from: has no UTC offset" in problem and "+02:00" in problem


def test_duplicate_question_ids(tmp_path):
    text = (
        MINIMAL + '\n[[questions]]\nid = "q1"\ntext = { sv = "B", en = "B" }\nanswer_seconds = 5\n'
    )
    (problem,) = problems_of(make_interview(tmp_path, text))
    assert ":15: questions[2].id: id 'q1' is used twice" in problem


@pytest.mark.parametrize("name", ["../outside.mp4", "/etc/passwd", "media/../../outside.mp4"])
def test_a_path_that_leaves_the_interview_directory(tmp_path, name):
    (tmp_path / "outside.mp4").write_bytes(b"x")
    text = MINIMAL.replace("intro_clips = []", f'intro_clips = ["{name}"]')
    (problem,) = problems_of(make_interview(tmp_path / "interviews", text))
    assert "intro_clips[1]: " in problem and "leaves the interview directory" in problem


def test_a_symlink_out_of_the_interview_directory(tmp_path):
    (tmp_path / "secret.mp4").write_bytes(b"x")
    text = MINIMAL.replace("intro_clips = []", 'intro_clips = ["link.mp4"]')
    directory = make_interview(tmp_path / "interviews", text)
    os.symlink(tmp_path / "secret.mp4", directory / "link.mp4")
    (problem,) = problems_of(directory)
    assert "intro_clips[1]: 'link.mp4' leads out of the interview directory (symlink)" in problem


def test_every_language_needs_a_text(tmp_path):
    text = MINIMAL.replace(
        'text = { sv = "Fråga", en = "Question" }', 'text = { sv = "Fråga", de = "Frage" }'
    )
    problems = problems_of(make_interview(tmp_path, text))
    assert "questions[1].text.de: language de is not in languages" in problems[0]
    assert "questions[1].text: no text for en" in problems[1]


def test_missing_required_keys_point_at_their_table(tmp_path):
    text = MINIMAL.replace('employer = "Exempel AB"\n', "").replace("answer_seconds = 30\n", "")
    problems = problems_of(make_interview(tmp_path, text))
    assert ":1: employer: missing" in problems[0]
    assert ":8: questions[1].answer_seconds: missing" in problems[1]


def test_an_interview_needs_questions(tmp_path):
    text = MINIMAL.split("[[questions]]")[0]
    (problem,) = problems_of(make_interview(tmp_path, text))
    assert "questions: no questions (at least one [[questions]] table)" in problem


def test_codes_problems_come_with_the_interview_problems(tmp_path):
    text = MINIMAL.replace("deadline = 2030-01-01", "deadline = 2024-06-01")
    directory = make_interview(tmp_path, text, codes="code,candidate_ref\n12ab56,CAND-1\n")
    problems = problems_of(directory)
    assert "deadline" in problems[0]
    assert problems[1].startswith(f"{directory / 'codes.csv'}:2: code: is not a code")


def test_a_missing_codes_file_is_a_problem(tmp_path):
    directory = make_interview(tmp_path)
    (directory / "codes.csv").unlink()
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{directory / 'codes.csv'}: codes.csv: file not found")


def test_load_interviews_keeps_the_good_ones_and_reports_the_rest(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "example")
    make_interview(
        tmp_path, MINIMAL.replace("answer_seconds = 30", "answer_seconds = 0"), name="broken"
    )
    (tmp_path / "not-an-interview").mkdir()
    interviews, problems = load_interviews(tmp_path)
    assert [i.id for i in interviews] == ["example"]
    assert len(problems) == 1 and "questions[1].answer_seconds: 0 is out of range" in str(
        problems[0]
    )


def test_two_interviews_with_one_id(tmp_path):
    make_interview(tmp_path, name="a")
    make_interview(tmp_path, name="b")
    interviews, problems = load_interviews(tmp_path)
    assert len(interviews) == 1
    assert str(problems[0]).startswith(
        f"{tmp_path / 'b' / 'interview.toml'}:1: id: 'mini' is also the id of"
    )


def test_a_missing_interviews_directory_is_a_problem(tmp_path):
    interviews, problems = load_interviews(tmp_path / "absent")
    assert interviews == [] and "paths.interviews: directory not found" in str(problems[0])


def _with_audio(audio_line: str) -> str:
    return MINIMAL.replace('id = "q1"', f'id = "q1"\n{audio_line}')


def test_a_question_read_aloud_has_a_file_per_language(tmp_path):
    directory = make_interview(tmp_path, _with_audio('audio = { sv = "q1.sv.m4a" }'))
    (directory / "q1.sv.m4a").write_bytes(b"sound")
    (q,) = load_interview(directory).questions
    assert q.audio == {"sv": directory.resolve() / "q1.sv.m4a"}  # no English reading: text only


def test_one_audio_file_reads_the_question_in_every_language(tmp_path):
    directory = make_interview(tmp_path, _with_audio('audio = "q1.m4a"'))
    (directory / "q1.m4a").write_bytes(b"sound")
    (q,) = load_interview(directory).questions
    assert q.audio == {"sv": directory.resolve() / "q1.m4a", "en": directory.resolve() / "q1.m4a"}


def test_spoken_question_files_are_checked_like_clips(tmp_path):
    (tmp_path / "outside.m4a").write_bytes(b"x")
    line = 'audio = { sv = "missing.m4a", en = "../outside.m4a", de = "q.m4a" }'
    problems = problems_of(make_interview(tmp_path / "interviews", _with_audio(line)))
    assert len(problems) == 3
    assert ":11: questions[1].audio.sv: file 'missing.m4a' not found" in problems[0]
    assert "questions[1].audio.en: '../outside.m4a' leaves the interview directory" in problems[1]
    assert "questions[1].audio.de: language de is not in languages" in problems[2]


@pytest.mark.parametrize(
    ("line", "wrong"),
    [('audio = "q1.m4a"\nclip = "q1.mp4"', "is given with clip"),
     ("audio = 3", "is not a file name or a table of file names")],
)  # fmt: skip
def test_audio_is_a_file_or_a_table_and_not_beside_a_clip(tmp_path, line, wrong):
    directory = make_interview(tmp_path, _with_audio(line))
    for name in ("q1.m4a", "q1.mp4"):
        (directory / name).write_bytes(b"x")
    (problem,) = problems_of(directory)
    assert f"questions[1].audio: {wrong}" in problem and 'sv = "q3.sv.m4a"' in problem
