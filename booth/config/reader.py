"""The one guarded way the booth reads its JSON and TOML files, and reading TOML key by key.

Every JSON and TOML file the booth reads (manifests, take records, state records, invitations,
the lockout, installed interviews, settings) passes `read_bounded`: at most a size limit of
bytes, UTF-8, parsed with nesting at most a depth limit and numbers of bounded size (Python's
int() raises ValueError past 4300 digits and json's C scanner RecursionError past ~1000 levels,
both used to escape the callers' `except` clauses and crash the kiosk at start). A file that
fails any of this raises `DamagedFile`, a ValueError naming the file and what is wrong with it;
a missing file raises FileNotFoundError as ever (absence is not damage). `move_aside` keeps a
damaged file for staff as `<name>.corrupt-<time>` and logs it in one line, without traceback.

For TOML settings and interviews, each typed getter of `Table` records the key as known, checks
type and range, and on a problem notes it and returns a stand-in so reading goes on; the caller
raises `ConfigError` at the end with all of them. `Table.finish()` reports the keys nobody asked
for, naming the known ones.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import re
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, overload

from booth.config.errors import ConfigError, ConfigProblem, KeyLines, KeyPath, format_key

REQUIRED: Any = object()

log = logging.getLogger("booth.files")

MAX_FILE_BYTES = 1 << 20
"""The largest JSON or TOML file the booth reads unless a reader allows more: the largest it
writes (a manifest of many takes, the invitations of a big interview) is tens of kilobytes."""
MAX_DEPTH = 16
"""The deepest nesting of lists and tables: the booth's own files nest 4 levels at most."""
MAX_NUMBER_CHARS = 40
"""The longest number: 64-bit integers and floats need fewer than 25 characters."""


class DamagedFile(ValueError):
    """A file the booth reads is not what it wrote: `path`, and `why` in words for staff."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


def read_bounded(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of `path`: at most `max_bytes` bytes of UTF-8 (DamagedFile if not). OSError
    (FileNotFoundError for a missing file) as the system raises it."""
    with open(path, "rb") as file:
        raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise DamagedFile(path, f"is larger than {max_bytes} bytes, more than the booth writes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DamagedFile(path, f"is not UTF-8 text (byte {err.start})") from None


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters")
    return text


def _finite(text: str) -> float:
    value = float(_number(text))
    if not math.isfinite(value):
        raise ValueError(f"a number out of range ({text[:20]})")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# A bracket, or a whole string (whose brackets are text): what `text_depth` steps over.
_NESTING = re.compile(r'[\[\]{}]|"(?:[^"\\]|\\.)*"')


def text_depth(text: str) -> int:
    """How deeply brackets nest in JSON `text`, outside strings, read without parsing it."""
    level = deepest = 0
    for match in _NESTING.finditer(text):
        mark = match.group()
        if mark in "[{":
            level += 1
            deepest = max(deepest, level)
        elif mark in "]}":
            level -= 1
    return deepest


def parse_json(text: str, path: Path, max_depth: int = MAX_DEPTH) -> Any:
    """`text` parsed as JSON with the bounds of this module; DamagedFile names `path`.
    NaN and Infinity are refused: a lockout "until NaN" compares false with every time."""
    # Measured before json.loads: its parser recurses once a level, and deep enough it runs
    # into the interpreter's recursion limit, where any finaliser the garbage collector runs
    # meanwhile (a gpiozero device's, say) fails too.
    if text_depth(text) > max_depth:
        raise DamagedFile(path, f"is nested deeper than {max_depth} levels")
    try:
        data = json.loads(
            text,
            parse_int=lambda t: int(_number(t)),
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise DamagedFile(path, "is nested too deeply to be the booth's") from None
    except ValueError as err:
        raise DamagedFile(path, f"is not valid JSON ({str(err)[:120]})") from None
    if depth(data) > max_depth:
        raise DamagedFile(path, f"is nested deeper than {max_depth} levels")
    return data


def read_json(path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `path`, within the bounds (DamagedFile if not; OSError as raised)."""
    return parse_json(read_bounded(path, max_bytes), path, max_depth)


def read_json_object(
    path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """`read_json` of a file whose top level must be an object."""
    data = read_json(path, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(data, dict):
        raise DamagedFile(path, f"holds {type(data).__name__}, not a JSON object")
    return data


def depth(value: object) -> int:
    """How deeply lists and dicts nest in `value` (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Sequence[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def move_aside(path: Path, why: str, fallback: str) -> Path | None:
    """Rename a damaged `path` to `<name>.corrupt-<UTC time>` for staff and log one line
    (`why` it is damaged, and the `fallback` that applies), no traceback. Returns the new path,
    or None when it could not be renamed (a read-only state directory: the fallback applies
    all the same)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, target)
    except OSError as err:
        log.error("%s is damaged (%s), and could not be moved aside (%s): %s",
                  path, why, err.strerror, fallback)  # fmt: skip
        return None
    log.error("%s is damaged (%s): moved aside to %s; %s", path, why, target.name, fallback)
    return target


class IntRange(TypedDict):
    """The bounds of an integer setting, passed to `Table.integer` as `**range`."""

    minimum: int
    maximum: int


_ABSENT = object()
_DECODE_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


@dataclass
class TomlFile:
    """A parsed TOML file with the line of every key, and the problems found so far."""

    path: Path
    data: dict[str, Any]
    lines: KeyLines
    problems: list[ConfigProblem] = field(default_factory=list)

    def root(self) -> Table:
        return Table(self, (), self.data)


def read_toml(path: Path) -> TomlFile:
    """Parse `path`; a file that cannot be read or is not TOML raises ConfigError."""

    def fail(line: int | None, message: str, expected: str) -> ConfigError:
        return ConfigError([ConfigProblem(path, line, "syntax", message, expected)])

    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ConfigError(
            [ConfigProblem(path, None, "file", f"cannot be read: {err.strerror}", "a TOML file")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise fail(None, f"larger than {MAX_FILE_BYTES} bytes", "a TOML file of settings")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise fail(line, "not UTF-8 text", "a TOML file saved as UTF-8") from None
    lines = KeyLines(text)
    try:
        data = parse_toml(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        m = _DECODE_WHERE.search(message)
        line = lines.line_count
        if m and m.group(1):
            line = int(m.group(1))
        message = _DECODE_WHERE.sub("", message)
        if m and m.group(2):
            message += f" at column {m.group(2)}"
        raise fail(line, message, "valid TOML, see https://toml.io") from None
    except RecursionError:
        raise fail(None, "nested too deeply", "valid TOML, see https://toml.io") from None
    except ValueError as err:  # a number too long for int() or float()
        where = _line_of_number(text)
        raise fail(where, f"a value cannot be read ({str(err)[:80]})",
                   f"numbers of at most {MAX_NUMBER_CHARS} characters") from None  # fmt: skip
    if depth(data) > MAX_DEPTH:
        raise fail(None, f"nested deeper than {MAX_DEPTH} levels", "the documented tables")
    if _huge_integer(data):
        raise fail(_line_of_number(text), "an integer is too large",
                   f"integers of at most {MAX_NUMBER_CHARS} digits")  # fmt: skip
    return TomlFile(path, data, lines)


def _huge_integer(value: object) -> bool:
    """Whether an integer of more than MAX_NUMBER_CHARS digits is anywhere in `value` (tomllib
    reads up to 4300; a sleep or a size of that many digits raises OverflowError later)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and abs(item) >= 10**MAX_NUMBER_CHARS:
            return True
    return False


def parse_toml(text: str) -> dict[str, Any]:
    """`text` parsed as TOML, floats of bounded length (tomllib's integers are bounded by
    int() itself: more than 4300 digits raise ValueError). Raises TOMLDecodeError, ValueError
    or RecursionError; `read_toml` turns each into a problem for staff."""
    return tomllib.loads(text, parse_float=_finite)


def _line_of_number(text: str) -> int | None:
    """The line of the first number longer than MAX_NUMBER_CHARS, if one is found."""
    m = re.search(rf"[-+]?[0-9_]{{{MAX_NUMBER_CHARS + 1},}}", text)
    return text[: m.start()].count("\n") + 1 if m else None


def describe(value: object) -> str:
    """How a TOML value reads to staff: `a string "abc"`, `a boolean`, `a table`."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime):
        return "a date-time"
    return f"a {type(value).__name__.replace('_', ' ')}"


class Table:
    """One TOML table being read; `path` is its key path from the root of the file."""

    def __init__(self, file: TomlFile, path: KeyPath, data: dict[str, Any]) -> None:
        self.file = file
        self.path = path
        self.data = data
        self.known: list[str] = []

    # -- problems ---------------------------------------------------------------------------

    def problem(self, key: str | None, message: str, expected: str, sub: KeyPath = ()) -> None:
        """Note a problem at `key` (None: the table itself), e.g. `sub=("en",)` inside a value."""
        path = self.path + ((key,) if key is not None else ()) + sub
        line = self.file.lines.line_of(path)
        self.file.problems.append(
            ConfigProblem(
                self.file.path,
                line if line is not None else 1,
                format_key(path) or "(file)",
                message,
                expected,
            )
        )

    def _take(self, key: str) -> Any:
        if key not in self.known:
            self.known.append(key)
        return self.data.get(key, _ABSENT)

    def _absent(self, key: str, default: Any, expected: str, stand_in: Any) -> Any:
        if default is REQUIRED:
            self.problem(key, "missing", expected)
            return stand_in
        return default

    def finish(self) -> None:
        """Report every key of this table that no getter asked for."""
        for key in self.data:
            if key in self.known:
                continue
            close = difflib.get_close_matches(key, self.known, n=1)
            hint = f", did you mean {close[0]}?" if close else ""
            known = ", ".join(self.known) if self.known else "none"
            self.problem(key, f"unknown key{hint}", f"known keys: {known}")

    # -- typed getters ----------------------------------------------------------------------

    @overload
    def integer(
        self,
        key: str,
        default: int = ...,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Sequence[int] | None = None,
        expected: str | None = None,
    ) -> int: ...

    @overload
    def integer(
        self,
        key: str,
        default: None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Sequence[int] | None = None,
        expected: str | None = None,
    ) -> int | None: ...

    def integer(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Sequence[int] | None = None,
        expected: str | None = None,
    ) -> int | None:
        """The integer at `key`; `default` when absent (None too), a problem when REQUIRED."""
        if expected is None:
            if choices is not None:
                expected = "one of " + ", ".join(str(c) for c in choices)
            elif minimum is not None and maximum is not None:
                expected = f"an integer from {minimum} to {maximum}"
            elif minimum is not None:
                expected = f"an integer of at least {minimum}"
            else:
                expected = "an integer"
        value = self._take(key)
        stand_in = default if isinstance(default, int) else (minimum or 0)
        if value is _ABSENT:
            return self._absent(key, default, expected, stand_in)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"is {describe(value)}", expected)
            return stand_in
        if (
            (choices is not None and value not in choices)
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
        ):
            self.problem(key, f"{value} is out of range", expected)
            return stand_in
        return value

    def number(self, key: str, default: Any = REQUIRED, *, minimum: float, maximum: float) -> float:
        expected = f"a number from {minimum:g} to {maximum:g}"
        value = self._take(key)
        stand_in = default if isinstance(default, float) else minimum
        if value is _ABSENT:
            return self._absent(key, default, expected, stand_in)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, f"is {describe(value)}", expected)
            return stand_in
        if not minimum <= value <= maximum:
            self.problem(key, f"{value:g} is out of range", expected)
            return stand_in
        return float(value)

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        expected = "true or false"
        value = self._take(key)
        if value is _ABSENT:
            return self._absent(key, default, expected, False)
        if not isinstance(value, bool):
            self.problem(key, f"is {describe(value)}", expected)
            return bool(default) if default is not REQUIRED else False
        return value

    def string(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        pattern: re.Pattern[str] | None = None,
        choices: Sequence[str] | None = None,
        expected: str = "a string",
    ) -> str:
        if choices is not None:
            expected = "one of " + ", ".join(f'"{c}"' for c in choices)
        value = self._take(key)
        stand_in = default if isinstance(default, str) else ""
        if value is _ABSENT:
            return self._absent(key, default, expected, stand_in)
        if not isinstance(value, str):
            self.problem(key, f"is {describe(value)}", expected)
            return stand_in
        if (choices is not None and value not in choices) or (
            pattern is not None and not pattern.fullmatch(value)
        ):
            self.problem(key, f"{describe(value)} is not allowed", expected)
            return stand_in
        return value

    def strings(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        pattern: re.Pattern[str] | None = None,
        non_empty: bool = False,
        expected: str = "an array of strings",
    ) -> tuple[str, ...]:
        value = self._take(key)
        stand_in = tuple(default) if isinstance(default, tuple | list) else ()
        if value is _ABSENT:
            return self._absent(key, default, expected, stand_in)
        if not isinstance(value, list):
            self.problem(key, f"is {describe(value)}", expected)
            return stand_in
        good = True
        for i, item in enumerate(value):
            if not isinstance(item, str) or (pattern is not None and not pattern.fullmatch(item)):
                self.problem(key, f"item {i + 1} is {describe(item)}", expected)
                good = False
        if non_empty and not value:
            self.problem(key, "is empty", expected)
            good = False
        return tuple(value) if good else stand_in

    def datetime_with_offset(self, key: str) -> datetime | None:
        expected = "a TOML date-time with offset, e.g. 2025-09-01T08:00:00+02:00"
        value = self._take(key)
        if value is _ABSENT:
            return self._absent(key, REQUIRED, expected, None)
        if not isinstance(value, datetime):
            self.problem(key, f"is {describe(value)}", expected)
            return None
        if value.tzinfo is None:
            self.problem(key, "has no UTC offset, so the moment is ambiguous", expected)
            return None
        return value

    def table(self, key: str, *, required: bool = False) -> Table | None:
        """The sub-table `key`; an empty one when absent, None when required and absent."""
        value = self._take(key)
        if value is _ABSENT:
            if required:
                self.problem(key, "missing", "a table")
                return None
            return Table(self.file, self.path + (key,), {})
        if not isinstance(value, dict):
            self.problem(
                key, f"is {describe(value)}", f"a table [{format_key(self.path + (key,))}]"
            )
            return None
        return Table(self.file, self.path + (key,), value)

    def tables(self, key: str) -> list[Table]:
        """The array of tables `[[key]]`; empty when absent."""
        value = self._take(key)
        if value is _ABSENT:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(
                key, f"is {describe(value)}", f"[[{format_key(self.path + (key,))}]] tables"
            )
            return []
        return [Table(self.file, self.path + (key, i), v) for i, v in enumerate(value)]

    def anything(self, key: str) -> Any:
        """The raw value of `key` (or None), for tables whose keys a later part checks."""
        value = self._take(key)
        return None if value is _ABSENT else value
