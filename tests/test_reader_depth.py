"""The guarded JSON reader measures nesting before it parses (booth.config.reader)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from booth.config.reader import MAX_DEPTH, DamagedFile, depth, parse_json, text_depth

HERE = Path("state/kiosk.json")


def test_nesting_past_the_recursion_limit_is_refused_by_its_depth_before_any_parse():
    # json.loads would recurse once a level into the recursion limit; the reader never gets
    # there, so no finaliser the garbage collector runs meanwhile meets a full stack.
    levels = sys.getrecursionlimit() * 4
    with pytest.raises(DamagedFile, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json("[" * levels + "]" * levels, HERE)
    with pytest.raises(DamagedFile, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json('{"a": ' + '{"b": ' * levels + "1" + "}" * levels + "}", HERE)


def test_brackets_inside_strings_are_text_not_nesting():
    text = json.dumps({"note": "[" * 40 + "{" * 40, "quote": 'a "[" b', "slash": "\\[" * 30})
    assert text_depth(text) == 1
    assert parse_json(text, HERE)["quote"] == 'a "[" b'


@pytest.mark.parametrize(
    "value",
    [0, "x", [], {}, [[[]]], {"a": [1, {"b": []}]}, [["]"], {"k": "{"}], [[[[[[[[]]]]]]]]],
)
def test_the_text_depth_is_the_depth_of_the_value_it_holds(value):
    assert text_depth(json.dumps(value)) == depth(value)


def test_the_deepest_file_the_booth_accepts_still_reads():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert depth(parse_json(text, HERE)) == MAX_DEPTH
    with pytest.raises(DamagedFile):
        parse_json("[" + text + "]", HERE)
