"""Content that must be refused before it reaches a candidate (issue 11.2 and 11.3): shared and
short codes, foreign hash parameters, control characters, huge texts, links out of the folder,
still images as clips, formula references, empty code files. Each is a clear FILE:LINE line;
nothing raises."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from test_config_interview import EXAMPLE, MINIMAL, make_interview, problems_of

from booth.cli.main import main
from booth.config.codes import CodeBook, CodeHash, hash_codes, load_codes
from booth.config.interview import load_interview, load_interviews
from booth.install.interviews import inspect_interview, install_interview


def named(iid: str) -> str:
    return MINIMAL.replace('"mini"', f'"{iid}"')


def problems_in(root: Path) -> list[str]:
    return [str(p) for p in load_interviews(root)[1]]


# ------------------------------------------------------------------------ codes
def test_two_interviews_sharing_a_code_are_refused_naming_both_never_the_code(tmp_path):
    make_interview(tmp_path, name="a")
    make_interview(tmp_path, MINIMAL.replace('"mini"', '"other"'), name="b")
    (problem,) = problems_in(tmp_path)
    assert "an invitation code of 'other' is also a code of 'mini'" in problem
    assert "123456" not in problem


def test_installed_interviews_share_the_booths_salt_so_a_shared_code_is_found(tmp_path):
    root = tmp_path / "interviews"
    for name, iid, code in (("a", "mini", "123456"), ("b", "other", "654321")):
        source = make_interview(
            tmp_path / "src",
            MINIMAL.replace('"mini"', f'"{iid}"'),
            name,
            f"code,candidate_ref\n{code},C\n",
        )
        inspection = inspect_interview(source, installed_root=root)
        assert inspection.ok, inspection.problems
        install_interview(inspection, root)
    books = [iv.codes for iv in load_interviews(root)[0]]
    assert books[0].code_hash == books[1].code_hash
    clash = make_interview(
        tmp_path / "src",
        MINIMAL.replace('"mini"', '"third"'),
        "c",
        "code,candidate_ref\n654321,D\n",
    )
    (problem,) = [str(p) for p in inspect_interview(clash, installed_root=root).problems]
    assert "code of 'third' is also a code of 'other'" in problem and "654321" not in problem


def test_codes_hashed_with_another_salt_cannot_hide_a_shared_code(tmp_path):
    for name, iid in (("a", "mini"), ("b", "other")):
        directory = make_interview(tmp_path, MINIMAL.replace('"mini"', f'"{iid}"'), name)
        hash_codes(directory / "codes.csv", directory / "codes.csv")  # a fresh salt each
    (problem,) = problems_in(tmp_path)
    assert "hashed with another salt than those of 'mini'" in problem


def foreign_hash(n: int = 2**14) -> str:
    """A well-formed hash line with other parameters (2**20 would need 1 GiB per lookup)."""
    return CodeHash(n, 8, 1, b"0123456789abcdef").encode(b"d" * 32)


@pytest.mark.parametrize("n", [2**14, 2**20, 2**10])
def test_a_prehashed_file_needs_exactly_the_booths_parameters(tmp_path, n):
    path = tmp_path / "codes.csv"
    path.write_text(f"code_hash,candidate_ref\n{foreign_hash(n)},C1\n")
    with pytest.raises(Exception) as caught:
        load_codes(path)
    assert ":2: code_hash: is not a hash with this booth's parameters (scrypt N=8192" in str(
        caught.value
    )


@pytest.mark.parametrize("code", [None, 123456, "", "1" * 10_000, "１２３４５６", "12345\x00"])
def test_a_code_check_never_raises(tmp_path, code):
    path = tmp_path / "codes.csv"
    path.write_text("code,candidate_ref\n123456,C1\n")
    for book in (load_codes(path), CodeBook.empty()):
        assert book.lookup(code) is None


def test_a_code_check_that_fails_inside_the_hash_opens_nothing():
    def explode(code: str) -> bytes:
        raise MemoryError("scrypt")

    assert CodeBook({b"x": object()}, explode).lookup("123456") is None  # type: ignore[dict-item]


@pytest.mark.parametrize("ref", ['"=HYPERLINK(""x"")"', "+46701234567", "-1", "@SUM(A1)"])
def test_a_reference_a_spreadsheet_would_run_is_refused(tmp_path, ref):
    directory = make_interview(tmp_path, codes=f"code,candidate_ref\n123456,{ref}\n")
    (problem,) = problems_of(directory)
    assert ":2: candidate_ref: is empty or not a plain reference" in problem


def test_a_codes_file_without_invitations_is_refused(tmp_path):
    directory = make_interview(tmp_path, codes="code,candidate_ref\n# none yet\n")
    (problem,) = problems_of(directory)
    assert "codes.csv: has no invitations" in problem


def test_a_candidate_reference_is_used_once(tmp_path):
    directory = make_interview(tmp_path, codes="code,candidate_ref\n123456,C1\n234567,C1\n")
    (problem,) = problems_of(directory)
    assert ":3: candidate_ref: is the same reference as line 2" in problem


# ------------------------------------------------------------------------ texts
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('employer = "Exempel\\u0000AB"', "employer: has a control character (\\x00)"),
        ('employer = "Exempel \\u001b[2J"', "employer: has a control character (\\x1b)"),
        (f'employer = "{"x" * 201}"', "employer: is 201 characters long"),
    ],
)
def test_employer_texts_are_plain_and_short(tmp_path, line, expected):
    directory = make_interview(tmp_path, MINIMAL.replace('employer = "Exempel AB"', line))
    assert any(expected in p for p in problems_of(directory))


@pytest.mark.slow
def test_question_texts_refuse_control_characters_and_huge_texts(tmp_path):
    toml = MINIMAL.replace('{ sv = "Fråga", en = "Question" }', '{ sv = "Fr\\u0007ga", en = "%s" }')
    directory = make_interview(tmp_path, toml % ("x" * 500_000))
    problems = problems_of(directory)
    assert any("text.sv: text for sv has a control character (\\x07)" in p for p in problems)
    assert any("text for en is 500000 characters long" in p for p in problems)


def test_an_interview_file_larger_than_the_guarded_reader_takes_is_refused_whole(tmp_path):
    toml = MINIMAL.replace('{ sv = "Fråga", en = "Question" }', '{ sv = "Fråga", en = "%s" }')
    directory = make_interview(tmp_path, toml % ("x" * 20_000_000))
    too_large = "syntax: larger than 1048576 bytes (a TOML file of settings)"
    assert problems_of(directory) == [f"{directory / 'interview.toml'}: {too_large}"]


def test_a_question_may_have_line_breaks(tmp_path):
    toml = MINIMAL.replace(
        '{ sv = "Fråga", en = "Question" }', '{ sv = "Rad 1\\nRad 2", en = "Q" }'
    )
    assert load_interview(make_interview(tmp_path, toml)).questions[0].text["sv"] == "Rad 1\nRad 2"


# ------------------------------------------------------------------------ files
def test_a_codes_file_linked_out_of_the_folder_is_refused(tmp_path):
    directory = make_interview(tmp_path)
    outside = tmp_path / "elsewhere.csv"
    (directory / "codes.csv").rename(outside)
    (directory / "codes.csv").symlink_to(outside)
    (problem,) = problems_of(directory)
    assert "codes.csv: file: is a link leading out of the interview directory" in problem


def test_a_subtitle_linked_out_of_the_folder_is_refused(tmp_path):
    source = Path(shutil.copytree(EXAMPLE, tmp_path / "src"))
    secret = tmp_path / "secret.vtt"
    secret.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nsecret\n")
    (source / "question-2.en.vtt").unlink(missing_ok=True)
    (source / "question-2.en.vtt").symlink_to(secret)
    problems = [str(p) for p in inspect_interview(source).problems]
    assert any("question-2.en.vtt: file: is a link leading out" in p for p in problems)
    problems = [str(p) for p in load_interviews(tmp_path)[1]]  # the kiosk and config check
    assert any("question-2.en.vtt: file: is a link leading out" in p for p in problems)


def still_image(path: Path) -> None:
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        out.mux(stream.encode(frame))
        out.mux(stream.encode())


def test_a_png_is_not_a_clip(tmp_path):
    source = Path(shutil.copytree(EXAMPLE, tmp_path / "src"))
    still_image(source / "still.png")
    toml = source / "interview.toml"
    toml.write_text(toml.read_text().replace('"intro-1.mp4", "intro-2.mp4"', '"still.png"'))
    (problem,) = [str(p) for p in inspect_interview(source).problems]
    assert "intro_clips[1]: 'still.png'" in problem and "a still image" in problem
    assert "(a video clip of at least 1 s that plays" in problem


def test_config_check_refuses_what_the_kiosk_refuses(tmp_path, capsys):
    make_interview(tmp_path / "interviews", name="a")
    make_interview(tmp_path / "interviews", MINIMAL.replace('"mini"', '"other"'), name="b")
    config = tmp_path / "booth.toml"
    config.write_text(f'[paths]\ninterviews = "{tmp_path / "interviews"}"\n')
    assert main(["config", "check", "--config", str(config)]) == 2
    assert "is also a code of 'mini'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("sync", "expected"),
    [
        ('url = "ftp://x"', ":2: sync.url: 'ftp://x' is not an http(s) URL"),
        ('windows = ["25:00-26:00"]', ":2: sync.windows: item 1"),
        ('ca_file = "/nonexistent/ca.pem"', ":2: sync.ca_file: /nonexistent/ca.pem does not exist"),
    ],
)
def test_config_check_checks_the_sync_table_as_booth_sync_does(tmp_path, capsys, sync, expected):
    (tmp_path / "interviews").mkdir()
    config = tmp_path / "booth.toml"
    config.write_text(f'[sync]\n{sync}\n[paths]\ninterviews = "{tmp_path / "interviews"}"\n')
    assert main(["config", "check", "--config", str(config)]) == 2
    assert f"{config}{expected}" in capsys.readouterr().out
