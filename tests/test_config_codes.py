"""Invitation codes: lookups, accommodations, the hashed installed form, and broken files."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from booth.config.codes import CodeBook, Invitation, hash_codes, load_codes
from booth.config.errors import ConfigError

SOURCE = """\
code,candidate_ref,extra_time_percent,extra_takes
123456,CAND-0001,,
234567,CAND-0002,50,1
345678,CAND-0003,0,0
"""


def write(tmp_path: Path, text: str, name: str = "codes.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_codes(path)
    return [str(p) for p in caught.value.problems]


def test_a_code_finds_its_invitation(tmp_path):
    book = load_codes(write(tmp_path, SOURCE))
    assert len(book) == 3
    assert book.lookup("123456") == Invitation("CAND-0001", 0, 0)
    assert book.lookup("234567") == Invitation("CAND-0002", 50, 1)
    assert book.lookup("999999") is None
    assert book.lookup("12345a") is None and book.lookup("") is None


def test_accommodations_lengthen_time_and_add_takes():
    invitation = Invitation("CAND-0002", extra_time_percent=50, extra_takes=1)
    assert invitation.seconds(60) == 90
    assert invitation.seconds(45) == 68  # rounded up: never less time than promised
    assert invitation.takes(2) == 3
    assert invitation.takes(0) == 0  # unlimited stays unlimited
    assert Invitation("X").seconds(45) == 45


def test_semicolon_csv_from_a_swedish_spreadsheet_is_read(tmp_path):
    book = load_codes(write(tmp_path, "\ufeffcode;candidate_ref\r\n123456;CAND-0001\r\n"))
    assert book.lookup("123456") == Invitation("CAND-0001")


def test_installed_form_keeps_no_code_in_clear(tmp_path):
    installed = tmp_path / "installed" / "codes.csv"
    hash_codes(write(tmp_path, SOURCE), installed)
    text = installed.read_text()
    for code in ("123456", "234567", "345678"):
        assert code not in text
    lines = text.splitlines()
    assert lines[0] == "code_hash,candidate_ref,extra_time_percent,extra_takes,code_digits"
    salts = {line.split("$")[4] for line in lines[1:]}
    assert len(salts) == 1  # one salt per interview: one hash per lookup
    book = load_codes(installed)
    assert book.lookup("234567") == Invitation("CAND-0002", 50, 1)
    assert book.lookup("999999") is None
    assert not list(installed.parent.glob(".codes-*"))


def test_a_lookup_in_the_installed_form_costs_one_hash(tmp_path, monkeypatch):
    """However many invitations: one scrypt per typed code (its time: `python -m bench
    latency`)."""
    installed = tmp_path / "installed.csv"
    hash_codes(write(tmp_path, SOURCE), installed)
    book = load_codes(installed)
    hashes = []
    scrypt = hashlib.scrypt

    def counted(*args, **kwargs):
        hashes.append(1)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    assert book.lookup("345678") is not None
    assert book.lookup("999999") is None
    assert len(hashes) == 2


def test_hashing_an_installed_file_again_changes_nothing(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    hash_codes(write(tmp_path, SOURCE), first)
    hash_codes(first, second)
    assert first.read_text() == second.read_text()


def test_the_code_book_knows_how_many_digits_its_codes_have_in_either_form(tmp_path):
    source = write(tmp_path, SOURCE + "12345678,CAND-0004,,\n")
    installed = tmp_path / "installed.csv"
    hash_codes(source, installed)
    assert load_codes(source).code_lengths == {6, 8}
    assert load_codes(installed).code_lengths == {6, 8}  # the length, never the digits
    assert [line.rsplit(",", 1)[1] for line in installed.read_text().splitlines()[1:]] == [
        "6",
        "6",
        "6",
        "8",
    ]


def test_a_hashed_file_without_code_lengths_is_read_and_knows_none(tmp_path):
    installed = tmp_path / "installed.csv"
    hash_codes(write(tmp_path, SOURCE), installed)
    old = "\n".join(line.rsplit(",", 1)[0] for line in installed.read_text().splitlines())
    book = load_codes(write(tmp_path, old + "\n", "old.csv"))
    assert book.lookup("123456") == Invitation("CAND-0001", 0, 0)
    assert book.code_lengths == frozenset()


@pytest.mark.parametrize("value", ["5", "13", "six", "-6"])
def test_a_code_length_out_of_range_is_refused(tmp_path, value):
    installed = tmp_path / "installed.csv"
    hash_codes(write(tmp_path, SOURCE), installed)
    lines = installed.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + "," + value
    (problem,) = problems_of(write(tmp_path, "\n".join(lines) + "\n", "bad.csv"))
    assert ":2: code_digits: is not a code length" in problem


def test_a_source_file_may_not_carry_code_lengths(tmp_path):
    (problem,) = problems_of(write(tmp_path, "code,candidate_ref,code_digits\n123456,A,6\n"))
    assert "unknown or repeated column 'code_digits'" in problem


def test_installed_rows_with_different_salts_are_refused(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    hash_codes(write(tmp_path, SOURCE), a)
    hash_codes(write(tmp_path, SOURCE), b)
    mixed = a.read_text().splitlines()[:2] + b.read_text().splitlines()[2:3]
    (problem,) = problems_of(write(tmp_path, "\n".join(mixed) + "\n", "mixed.csv"))
    assert ":3: code_hash: uses another salt than line 2" in problem


def test_a_broken_source_is_not_installed(tmp_path):
    with pytest.raises(ConfigError):
        hash_codes(write(tmp_path, "code,candidate_ref\n123456,\n"), tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_missing_header(tmp_path):
    (problem,) = problems_of(write(tmp_path, "123456,CAND-0001\n"))
    assert ":1: header: missing header (a first line code,candidate_ref" in problem


def test_an_empty_file_has_no_header(tmp_path):
    (problem,) = problems_of(write(tmp_path, "\n"))
    assert "header: missing header" in problem


def test_unknown_column_names_the_known_ones(tmp_path):
    (problem,) = problems_of(write(tmp_path, "code,candidate_ref,name\n123456,C1,Anna\n"))
    assert (
        ":1: header: unknown or repeated column 'name' "
        "(columns: code, candidate_ref, extra_time_percent" in problem
    )


def test_a_row_with_the_wrong_number_of_fields(tmp_path):
    (problem,) = problems_of(write(tmp_path, "code,candidate_ref\n123456,C1\n234567,C2,50\n"))
    assert ":3: row: has 3 fields, the header has 2 (one value per column)" in problem


def test_duplicate_codes_name_both_lines(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, "code,candidate_ref\n123456,C1\n234567,C2\n123456,C3\n")
    )
    assert ":4: code: is the same code as line 2" in problem


@pytest.mark.parametrize("code", ["12345a", "12 3456", "123", "12345", "1234567890123", "١٢٣٤٥٦"])
def test_a_code_must_be_plain_digits(tmp_path, code):
    (problem,) = problems_of(write(tmp_path, f"code,candidate_ref\n{code},C1\n"))
    assert ":2: code: is not a code (value not shown) (6 to 12 digits)" in problem


@pytest.mark.parametrize("value", ["-5", "fifty", "1000", "2.5"])
def test_bad_extra_time_percent(tmp_path, value):
    (problem,) = problems_of(
        write(tmp_path, f"code,candidate_ref,extra_time_percent\n123456,C1,{value}\n")
    )
    assert (
        ":2: extra_time_percent: is not a whole percentage (an integer from 0 to 300, or empty)"
        in problem
    )


@pytest.mark.parametrize("value", ["-1", "many", "21"])
def test_bad_extra_takes(tmp_path, value):
    (problem,) = problems_of(
        write(tmp_path, f"code,candidate_ref,extra_takes\n123456,C1,{value}\n")
    )
    assert ":2: extra_takes: is not a whole number of takes" in problem


def test_an_empty_candidate_ref(tmp_path):
    (problem,) = problems_of(write(tmp_path, "code,candidate_ref\n123456,  \n"))
    assert ":2: candidate_ref: is empty" in problem


def test_no_code_ever_appears_in_a_message_or_a_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    codes = ["482913", "482913", "77x123", "5551234", "9876543210"]
    text = (
        "code,candidate_ref,extra_time_percent,extra_takes\n"
        f"{codes[0]},C1,,\n{codes[1]},C2,,\n{codes[2]},C3,,\n{codes[3]},C4,abc,\n{codes[4]},C5\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_codes(path)
    seen = [str(caught.value), repr(caught.value)] + [str(p) for p in caught.value.problems]
    good = load_codes(write(tmp_path, SOURCE, "good.csv"))
    good.lookup("123456")
    good.lookup("000000")
    seen += [repr(good), caplog.text]
    for code in codes + ["123456", "000000"]:
        assert not any(code in s for s in seen), code
    assert len(caught.value.problems) == 4


def test_an_empty_code_book_finds_nothing():
    assert CodeBook.empty().lookup("123456") is None and len(CodeBook.empty()) == 0
