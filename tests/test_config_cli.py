"""`booth config check`: exit codes, the one-line-per-problem format, and no tracebacks ever."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booth.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SETTINGS = ROOT / "config" / "booth.example.toml"
EXAMPLE_INTERVIEW = ROOT / "config" / "interviews" / "example"
PROBLEM_LINE = re.compile(r"^/\S*?(:\d+)?: [^:]+: .+ \(.+\)$")


def check(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["config", "check", *args])
    out = capsys.readouterr().out
    return code, out.splitlines()


@pytest.fixture
def interviews(tmp_path: Path) -> Path:
    root = tmp_path / "interviews"
    shutil.copytree(EXAMPLE_INTERVIEW, root / "example")
    return root


def test_valid_settings_and_interviews_exit_0_with_one_line(capsys, interviews):
    code, lines = check(capsys, "--config", str(EXAMPLE_SETTINGS), "--interviews", str(interviews))
    assert code == 0
    # The example leaves [help] for each booth to fill in: a warning, not a problem.
    assert lines[0] == f"OK: settings {EXAMPLE_SETTINGS}, 1 interview (example)"
    assert [line.split(": help: ")[0] for line in lines[1:]] == [f"warning: {EXAMPLE_SETTINGS}"]


def test_a_booth_without_help_is_warned_about_and_still_exits_0(capsys, tmp_path, interviews):
    settings = tmp_path / "booth.toml"
    settings.write_text("[display]\nwidth = 800\n")
    code, lines = check(capsys, "--config", str(settings), "--interviews", str(interviews))
    assert code == 0 and lines[0].startswith("OK:")
    assert lines[1] == (
        f'warning: {settings}: help: not set: a candidate who presses Help reads only "Ask the '
        'staff here for help.", with no contact (set [help] text = { sv = "...", en = "..." } '
        "(how to reach staff here), and phone or location if there are any: see "
        "config/booth.example.toml)"
    )
    settings.write_text('[help]\ntext = { sv = "Ring på klockan." }\n')
    code, lines = check(capsys, "--config", str(settings), "--interviews", str(interviews))
    assert code == 0 and lines[1].startswith(f"warning: {settings}: help: text has no en: ")
    settings.write_text('[help]\ntext = { sv = "Ring på klockan.", en = "Ring the bell." }\n')
    code, lines = check(capsys, "--config", str(settings), "--interviews", str(interviews))
    assert (code, len(lines)) == (0, 1)


def test_missing_settings_file_means_defaults(capsys, tmp_path, interviews):
    code, lines = check(
        capsys, "--config", str(tmp_path / "none.toml"), "--interviews", str(interviews)
    )
    assert code == 0
    assert lines[0].startswith("OK: settings built-in defaults (")


def test_interviews_path_comes_from_the_settings_unless_overridden(capsys, tmp_path, interviews):
    settings = tmp_path / "booth.toml"
    settings.write_text('[paths]\ninterviews = "interviews"\n')
    code, lines = check(capsys, "--config", str(settings))
    assert (code, lines[0]) == (0, f"OK: settings {settings}, 1 interview (example)")
    code, lines = check(
        capsys, "--config", str(settings), "--interviews", str(tmp_path / "nowhere")
    )
    assert code == 2 and "paths.interviews: directory not found" in lines[0]


def test_problems_exit_2_with_one_line_each(capsys, tmp_path, interviews):
    settings = tmp_path / "booth.toml"
    settings.write_text("[display]\nrotation = 45\nsize = 3\n")
    toml = interviews / "example" / "interview.toml"
    toml.write_text(toml.read_text().replace("deadline = 2030", "deadline = 2024"))
    (interviews / "example" / "question-2.mp4").unlink()
    code, lines = check(capsys, "--config", str(settings), "--interviews", str(interviews))
    clip_line = toml.read_text().splitlines().index('clip = "question-2.mp4"') + 1
    assert code == 2
    assert lines == [
        f"{settings}:2: display.rotation: 45 is out of range (one of 0, 90, 180, 270)",
        f"{settings}:3: display.size: unknown key "
        "(known keys: width, height, rotation, fullscreen, connector)",
        f"{toml}:10: deadline: is not after valid_from (a deadline later than valid_from)",
        f"{toml}:{clip_line}: questions[2].clip: file 'question-2.mp4' not found "
        f"in {interviews / 'example'} (an existing file)",
    ]


def test_an_interview_in_no_booth_language(capsys, tmp_path, interviews):
    settings = tmp_path / "booth.toml"
    settings.write_text('language = "fi"\nlanguages = ["fi"]\n')
    code, lines = check(capsys, "--config", str(settings), "--interviews", str(interviews))
    assert (
        code == 2 and "languages: none of the interview's languages is a booth language" in lines[0]
    )


@pytest.mark.slow
def test_the_installed_command_runs(tmp_path, interviews):
    booth = Path(sys.executable).parent / "booth"
    result = subprocess.run(
        [
            str(booth),
            "config",
            "check",
            "--config",
            str(tmp_path / "x.toml"),
            "--interviews",
            str(interviews),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: settings built-in defaults")
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b"[display\nwidth = 1")
    result = subprocess.run(
        [str(booth), "config", "check", "--config", str(broken), "--interviews", str(interviews)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout.startswith(f"{broken}:1: syntax: ")


def test_help_describes_the_output():
    with pytest.raises(SystemExit) as exited:
        main(["config", "check", "--help"])
    assert exited.value.code == 0


# -- fuzzing: malformed input of any kind gives problem lines, never a traceback ----------------


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    alphabet = list("[]{}\"'=.,#\n 0123456789-:+Tabcz\\\x00\x7fåä") + [
        "../",
        "true",
        "1e9",
        "[[",
        "]]",
    ]
    for _ in range(rng.randint(1, 6)):
        where = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4 and chars:
            del chars[min(where, len(chars) - 1)]
        elif action < 0.8:
            chars.insert(where, rng.choice(alphabet))
        else:
            line = rng.choice(text.splitlines() or [""])
            chars.insert(where, "\n" + line + "\n")
    return "".join(chars)


def _assert_clean(capsys, args: list[str]) -> None:
    code, lines = check(capsys, *args)
    assert code in (0, 2)
    if code == 2:
        problems = [line for line in lines if not line.startswith("warning: ")]
        assert problems and all(PROBLEM_LINE.match(line) for line in problems), lines
        assert not any(ch < " " or ch == "\x7f" for line in lines for ch in line), lines


@pytest.mark.slow
def test_fuzzed_settings_never_crash(capsys, tmp_path, interviews):
    rng = random.Random(2)
    settings = tmp_path / "booth.toml"
    source = EXAMPLE_SETTINGS.read_text()
    for i in range(150):
        if i % 5 == 0:
            settings.write_bytes(rng.randbytes(rng.randint(0, 200)))
        else:
            settings.write_text(_mutate(rng, source), encoding="utf-8", errors="surrogateescape")
        _assert_clean(capsys, ["--config", str(settings), "--interviews", str(interviews)])


@pytest.mark.slow
def test_fuzzed_interviews_never_crash(capsys, tmp_path, interviews):
    rng = random.Random(3)
    toml = interviews / "example" / "interview.toml"
    codes = interviews / "example" / "codes.csv"
    toml_source, codes_source = toml.read_text(), codes.read_text()
    for i in range(150):
        toml.write_text(_mutate(rng, toml_source) if i % 7 else toml_source, encoding="utf-8")
        if i % 3 == 0:
            codes.write_text(_mutate(rng, codes_source), encoding="utf-8")
        elif i % 11 == 0:
            codes.write_bytes(rng.randbytes(80))
        else:
            codes.write_text(codes_source)
        _assert_clean(
            capsys, ["--config", str(tmp_path / "none.toml"), "--interviews", str(interviews)]
        )
