"""`booth interviews list|add|check|remove` on a booth whose directories live in tmp_path."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth

from booth.cli.interviews_cmd import ProgressPrinter
from booth.cli.main import build_parser, main
from booth.config.interview import load_interview, load_interviews
from booth.install.interviews import (
    ClipProgress,
    inspect_interview,
    install_interview,
    rewrite_clip_names,
)
from booth.media.convert import Converted

EXAMPLE = EXAMPLE_INTERVIEWS / "example"
CLEAR_CODES = (b"123456", b"234567", b"345678", b"456789")


def example_line(fragment: str) -> int:
    """The line of the example's interview.toml that holds `fragment`."""
    lines = (EXAMPLE / "interview.toml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if fragment in line)


def make_booth(root: Path) -> Path:
    """Booth settings whose interviews, spool and state are under `root`."""
    config = root / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n'
        f'[paths]\ninterviews = "{root}/interviews"\nspool = "{root}/spool"\n'
        f'state = "{root}/state"\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\ndisk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    return config


def booth(config: Path, *args: str) -> int:
    return main(["interviews", *args, "--config", str(config)])


def probe(path: Path) -> dict[str, dict]:
    """The first video and audio stream of `path` as ffprobe reports them."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {s["codec_type"]: s for s in reversed(json.loads(out)["streams"])}


def assert_playback_profile(path: Path) -> None:
    streams = probe(path)
    video, audio = streams["video"], streams["audio"]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert video["width"] <= 1280 and video["height"] <= 720
    assert Fraction(video["avg_frame_rate"]) <= 30
    assert audio["codec_name"] == "aac" and audio["sample_rate"] == "48000"


def make_camera_clip(path: Path, seconds: float = 1.0) -> None:
    """A clip as a phone makes it: 1600×900 at 60 fps, 44.1 kHz sound, in a MOV file."""
    with av.open(str(path), "w", format="mov") as out:
        video = out.add_stream("libx264", rate=60)
        video.width, video.height, video.pix_fmt = 1600, 900, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=44_100, layout="mono")
        for i in range(round(seconds * 60)):
            picture = np.full((900, 1600, 3), (i * 4) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        t = np.arange(round(seconds * 44_100)) / 44_100
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        sound = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
        sound.sample_rate, sound.pts = 44_100, 0
        out.mux(audio.encode(sound))
        out.mux(audio.encode())


def recruiter_copy(tmp_path: Path, name: str = "incoming") -> Path:
    """A copy of the example interview, as a recruiter would hand it over."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / name))


def one_clip_copy(tmp_path: Path, name: str = "short") -> Path:
    """The example without its intro clips: one clip to convert, so a test installs it fast."""
    source = recruiter_copy(tmp_path, name)
    toml = source / "interview.toml"
    toml.write_text(toml.read_text().replace('["intro-1.mp4", "intro-2.mp4"]', "[]"))
    return source


def installed_dirs(config_root: Path) -> list[str]:
    root = config_root / "interviews"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@pytest.fixture(scope="module")
def example_booth(tmp_path_factory) -> Path:
    """A booth with the example interview installed by `booth interviews add`."""
    root = tmp_path_factory.mktemp("booth")
    assert booth(make_booth(root), "add", str(recruiter_copy(root))) == 0
    assert not (root / "incoming" / "codes.csv").exists()  # no clear code stays behind
    return root


@pytest.mark.slow
def test_add_installs_the_example_so_that_it_loads_and_its_code_works(example_booth):
    interview = load_interview(example_booth / "interviews" / "example")
    invitation = interview.codes.lookup("123456")
    assert invitation is not None and invitation.candidate_ref == "CAND-0001"
    assert interview.codes.lookup("999999") is None
    assert len(interview.codes) == 4
    assert main(["config", "check", "--config", str(example_booth / "booth.toml")]) == 0


@pytest.mark.slow
def test_no_invitation_code_is_stored_in_clear(example_booth):
    tree = example_booth / "interviews"
    for path in tree.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(code in data for code in CLEAR_CODES), path
    codes = (tree / "example" / "codes.csv").read_text().splitlines()
    assert codes[0].startswith("code_hash,") and all(r.startswith("scrypt$") for r in codes[1:])


@pytest.mark.slow
def test_installed_clips_are_in_the_playback_profile(example_booth):
    installed = example_booth / "interviews" / "example"
    clips = sorted(p.name for p in installed.glob("*.mp4"))
    assert clips == ["intro-1.mp4", "intro-2.mp4", "question-2.mp4"]
    for clip in clips:
        assert_playback_profile(installed / clip)
    # The recruiter's notes and other files stay behind; interview.toml is unchanged.
    assert (installed / "interview.toml").read_text() == (EXAMPLE / "interview.toml").read_text()


@pytest.mark.slow
def test_list_json_shows_the_interview_and_its_invitation_count(example_booth, capsys):
    assert booth(example_booth / "booth.toml", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    (item,) = listed["interviews"]
    assert item["id"] == "example" and item["employer"] == "Kommunen Exempelstad"
    assert item["languages"] == ["sv", "en"] and item["questions"] == 3
    assert item["invitations"] == 4 and item["validity"] == "valid"
    assert item["deadline"] == "2030-12-31T23:59:00+01:00" and listed["problems"] == []


@pytest.mark.slow
def test_list_text_says_whether_each_interview_is_open(example_booth, capsys):
    assert booth(example_booth / "booth.toml", "list") == 0
    out = capsys.readouterr().out
    assert "example: Kommunen Exempelstad" in out and "valid: 2025-01-01" in out


@pytest.mark.slow
def test_simulate_reaches_welcome_with_the_installed_interview(example_booth, tmp_path):
    script = tmp_path / "script.txt"
    script.write_text(
        "expect idle\npress start\nexpect code\ntype 123456\npress confirm\nexpect welcome\n"
    )
    booth = example_booth / "booth.toml"
    assert simulate_booth(booth, script, tmp_path / "out", example_booth / "interviews") == 0


@pytest.mark.slow
def test_a_recruiters_mov_clip_is_converted_renamed_and_keeps_its_subtitles(tmp_path, capsys):
    source = one_clip_copy(tmp_path)
    (source / "question-2.mp4").unlink()
    make_camera_clip(source / "question-2.mov")
    toml = source / "interview.toml"
    toml.write_text(toml.read_text().replace('"question-2.mp4"', '"question-2.mov"  # phone'))
    (source / "question-2.sv.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:00.800\nHej!\n")
    config = make_booth(tmp_path)
    assert booth(config, "add", str(source)) == 0
    assert "converting question-2.mov (1/1): 1280x720 30 fps" in capsys.readouterr().err
    installed = tmp_path / "interviews" / "example"
    assert_playback_profile(installed / "question-2.mp4")
    assert not (installed / "question-2.mov").exists()
    subtitles = (installed / "question-2.sv.vtt").read_text()
    assert subtitles == (source / "question-2.sv.vtt").read_text()
    text = (installed / "interview.toml").read_text()
    assert 'clip = "question-2.mp4"  # phone' in text and "# One [[questions]] table" in text
    interview = load_interview(installed)
    assert interview.questions[1].clip == installed / "question-2.mp4"


@pytest.mark.slow
def test_a_spoken_question_in_wav_is_installed_as_aac(tmp_path):
    source = one_clip_copy(tmp_path)
    with av.open(str(source / "q3.sv.wav"), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=22_050, layout="mono")
        sound = av.AudioFrame.from_ndarray(
            np.zeros((1, 11_025), dtype=np.int16), format="s16", layout="mono"
        )
        sound.sample_rate, sound.pts = 22_050, 0
        out.mux(stream.encode(sound))
        out.mux(stream.encode())
    toml = source / "interview.toml"
    toml.write_text(
        toml.read_text().replace('id = "q3"', 'id = "q3"\naudio = { sv = "q3.sv.wav" }')
    )
    assert booth(make_booth(tmp_path), "add", str(source)) == 0
    installed = tmp_path / "interviews" / "example"
    assert load_interview(installed).questions[2].audio == {"sv": installed / "q3.sv.m4a"}
    audio = probe(installed / "q3.sv.m4a")["audio"]
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "48000")
    assert not (installed / "q3.sv.wav").exists()


@pytest.mark.slow
def test_replacing_keeps_the_old_interview_until_the_new_one_is_complete(tmp_path):
    config = make_booth(tmp_path)
    root = tmp_path / "interviews"
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    source = one_clip_copy(tmp_path, "newer")
    toml = source / "interview.toml"
    toml.write_text(toml.read_text().replace("Kommunen Exempelstad", "Regionen"))
    employers_seen = set()

    def during(progress: ClipProgress) -> None:
        employers_seen.add(load_interview(root / "example").employer)

    inspection = inspect_interview(source)
    installed = install_interview(inspection, root, during)
    assert installed.replaced
    assert employers_seen == {"Kommunen Exempelstad"}
    assert load_interview(root / "example").employer == "Regionen"
    assert sorted(p.name for p in root.iterdir()) == [".install.lock", "example"]


@pytest.mark.slow
def test_a_clip_that_breaks_off_leaves_the_installed_interview_as_it_was(tmp_path, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    before = (tmp_path / "interviews" / "example" / "codes.csv").read_bytes()
    source = one_clip_copy(tmp_path, "newer")
    clip = source / "question-2.mp4"
    clip.write_bytes(clip.read_bytes()[:40_000])  # a download cut off half-way
    capsys.readouterr()
    assert booth(config, "add", str(source)) == 2
    out = capsys.readouterr().out
    line = example_line('clip = "question-2.mp4"')
    assert f"interview.toml:{line}: questions[2].clip: 'question-2.mp4': damaged" in out
    assert (tmp_path / "interviews" / "example" / "codes.csv").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "interviews").iterdir()) == [
        ".install.lock",
        "example",
    ]


def test_an_interview_copied_in_by_hand_is_not_installed_twice(tmp_path, capsys):
    config = make_booth(tmp_path)
    by_hand = Path(shutil.copytree(EXAMPLE, tmp_path / "interviews" / "by-hand"))
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 2
    out = capsys.readouterr().out
    assert f"{by_hand}/interview.toml:1: id: 'example' is already installed in {by_hand}" in out
    assert installed_dirs(tmp_path) == ["by-hand"]


def test_clip_names_are_rewritten_in_values_only_and_comments_stay():
    text = (
        "# intro.mov is shot on a phone\nintro_clips = [ \"intro.mov\", 'b.webm' ]\n"
        '"intro.mov" = 1\n[[questions]]\nclip = "intro.mov" # again\n'
    )
    renames = {"intro.mov": "intro.mp4", "b.webm": "b.mp4"}
    assert rewrite_clip_names(text, renames) == (
        '# intro.mov is shot on a phone\nintro_clips = [ "intro.mp4", "b.mp4" ]\n'
        '"intro.mov" = 1\n[[questions]]\nclip = "intro.mp4" # again\n'
    )
    with pytest.raises(ValueError):
        rewrite_clip_names('intro_clips = ["a.mov"]\nemployer = "a.mov"\n', {"a.mov": "a.mp4"})


def break_toml(source: Path) -> str:
    (source / "interview.toml").write_text('id = "example"\nemployer = \n')
    return "interview.toml:2: syntax: "


def lose_clip(source: Path) -> str:
    (source / "question-2.mp4").unlink()
    line = example_line('clip = "question-2.mp4"')
    return f"interview.toml:{line}: questions[2].clip: file 'question-2.mp4' not found"


def spoil_clip(source: Path) -> str:
    (source / "intro-1.mp4").write_bytes(b"this is not a video, it is a shopping list\n" * 50)
    line = example_line("intro_clips =")
    return f"interview.toml:{line}: intro_clips[1]: 'intro-1.mp4' cannot be read as a video"


def spoil_subtitles(source: Path) -> str:
    (source / "intro-1.en.vtt").write_text("WEBVTT\n\n00:01.000 -> 00:02.000\nHello\n")
    return "intro-1.en.vtt:3: subtitles: expected a cue timing"


@pytest.mark.parametrize("spoil", [break_toml, lose_clip, spoil_clip, spoil_subtitles])
def test_a_broken_interview_is_refused_and_nothing_is_installed(tmp_path, capsys, spoil):
    source = recruiter_copy(tmp_path)
    expected = spoil(source)
    config = make_booth(tmp_path)
    assert booth(config, "add", str(source)) == 2
    captured = capsys.readouterr()
    assert expected in captured.out, captured.out
    assert "Traceback" not in captured.out + captured.err
    assert installed_dirs(tmp_path) == []
    assert booth(config, "check", str(source)) == 2
    assert expected in capsys.readouterr().out


def test_check_passes_a_valid_interview_without_installing_it(tmp_path, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "check", str(EXAMPLE)) == 0
    assert "OK: interview example (Kommunen Exempelstad)" in capsys.readouterr().out
    assert installed_dirs(tmp_path) == []


def test_remove_deletes_the_interview_and_never_the_spool(tmp_path, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    take = tmp_path / "spool" / "session-1" / "q1-take1.mp4"
    take.parent.mkdir(parents=True)
    take.write_bytes(b"a recorded answer")
    assert booth(config, "remove", "example", "--yes") == 0
    assert installed_dirs(tmp_path) == []
    assert take.read_bytes() == b"a recorded answer"
    assert load_interviews(tmp_path / "interviews") == ([], [])


@pytest.mark.slow
def test_remove_without_a_terminal_asks_for_yes(tmp_path, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    assert booth(config, "remove", "example") == 2
    assert "add --yes" in capsys.readouterr().err
    assert installed_dirs(tmp_path) == ["example"]


@pytest.mark.slow
def test_removing_an_unknown_interview_names_the_installed_ones(tmp_path, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    assert booth(config, "remove", "exampel", "--yes") == 2
    err = capsys.readouterr().err
    assert "no interview 'exampel'" in err and "(installed: example;" in err


@pytest.mark.parametrize("command", ["list", "add", "check", "remove"])
def test_every_subcommand_has_help_with_config(command, capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["interviews", command, "--help"])
    assert exit.value.code == 0
    assert "--config FILE" in capsys.readouterr().out


@pytest.mark.slow
def test_remove_on_a_terminal_asks_and_a_no_keeps_the_interview(tmp_path, monkeypatch, capsys):
    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path))) == 0
    master, slave = os.openpty()
    with open(slave, encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        os.write(master, b"n\n")
        assert booth(config, "remove", "example") == 1
        assert installed_dirs(tmp_path) == ["example"]
        os.write(master, b"y\n")
        assert booth(config, "remove", "example") == 0
    os.close(master)
    out = capsys.readouterr().out
    assert "Remove interview example from" in out and "[y/N]" in out
    assert installed_dirs(tmp_path) == []


def test_progress_on_a_terminal_is_a_percentage_rewritten_in_place(tmp_path):
    master, slave = os.openpty()
    with open(slave, "w", encoding="utf-8") as terminal:
        show = ProgressPrinter(terminal)
        show(ClipProgress("intro.mov", 1, 2, 0.5))
        clip = tmp_path / "intro.mp4"
        show(ClipProgress("intro.mov", 1, 2, 1.0, Converted(clip, 1280, 720, 30.0, 12.0, True)))
    shown = b""
    while not shown.endswith(b"\n"):
        shown += os.read(master, 4096)
    os.close(master)
    assert shown.startswith(b"\rconverting intro.mov (1/2)  50%\r")
    assert b"converting intro.mov (1/2): 1280x720 30 fps, 12.0 s" in shown


def test_a_running_kiosk_takes_an_interview_installed_while_it_is_idle(tmp_path):
    """Staff run `booth interviews add` on a running booth: the next candidate can use it."""
    import shutil

    from booth.config.settings import load_settings
    from booth.sim.booth import build_sim_booth
    from booth.sim.script import parse_script
    from booth.sim.simulate import headless_display, run_script

    installed = tmp_path / "interviews"
    installed.mkdir()
    config = tmp_path / "booth.toml"
    config.write_text("[recording]\nwidth = 160\nheight = 120\n")
    settings = load_settings(config)
    booth = build_sim_booth(
        settings, installed, tmp_path / "out", headless_display(settings.display.size)
    )
    try:
        attempt = "press start\ntype 123456\npress confirm\n"
        assert run_script(booth, parse_script(attempt + "expect code\npress back\n"), "s")
        assert booth.kiosk.flow.view().screen == "idle"
        # Installed while the booth stands idle (a copy, as `interviews add` would leave it).
        shutil.copytree(EXAMPLE, installed / "example")
        outcome = run_script(booth, parse_script("wait 1.5\n" + attempt + "expect welcome\n"), "s")
        assert outcome.exit_code == 0, outcome.message
    finally:
        booth.close()
    events = (tmp_path / "out" / "events.jsonl").read_text()
    assert '"event": "interviews.loaded", "interviews": ["example"]' in events


@pytest.mark.slow
def test_add_reads_the_codes_from_standard_input_so_they_never_touch_the_disk(
    tmp_path, monkeypatch, capsys
):
    source = one_clip_copy(tmp_path)
    clear = (source / "codes.csv").read_text()
    (source / "codes.csv").unlink()
    monkeypatch.setattr("sys.stdin", io.StringIO(clear))
    assert booth(make_booth(tmp_path), "add", str(source), "--codes", "-") == 0
    installed = load_interview(tmp_path / "interviews" / "example")
    assert installed.codes.lookup("123456") is not None
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not any(code in path.read_bytes() for code in CLEAR_CODES), path


@pytest.mark.slow
def test_codes_replaces_the_invitations_only_when_they_changed(tmp_path, capsys):
    config = make_booth(tmp_path)
    source = one_clip_copy(tmp_path)
    clear = (source / "codes.csv").read_text()
    assert booth(config, "add", str(source)) == 0
    codes = tmp_path / "new.csv"
    codes.write_text(clear)
    capsys.readouterr()
    assert booth(config, "codes", "example", "--codes", str(codes)) == 0
    assert capsys.readouterr().out.startswith("unchanged")
    codes.write_text(clear + "999111,CAND-0099,,\n")
    assert booth(config, "codes", "example", "--codes", str(codes)) == 0
    assert "Replaced the invitations of example" in capsys.readouterr().out
    assert load_interview(tmp_path / "interviews" / "example").codes.lookup("999111") is not None


@pytest.mark.slow
def test_used_invitations_stay_used_when_the_interview_is_installed_again(tmp_path, capsys):
    from booth.state import InvitationStore

    config = make_booth(tmp_path)
    assert booth(config, "add", str(one_clip_copy(tmp_path, "first"))) == 0
    store = InvitationStore(tmp_path / "state")
    store.opened("example", "CAND-0001", "s1")
    store.finished("example", "CAND-0001", "complete")
    store.opened("example", "CAND-0002", "s2")
    store.finished("example", "CAND-0002", "ended-early")
    assert booth(config, "add", str(one_clip_copy(tmp_path, "again"))) == 0  # a new salt
    capsys.readouterr()
    assert booth(config, "list", "--json") == 0
    (item,) = json.loads(capsys.readouterr().out)["interviews"]
    assert (item["used"], item["resumable"], item["unused"]) == (1, 1, 2)
