"""Reading a TOML file key by key, collecting every problem with its file, line and fix.

Each typed getter records the key as known, checks type and range, and on a problem notes it
and returns a stand-in so reading goes on; the caller raises `ConfigError` at the end with all
of them. `Table.finish()` reports the keys nobody asked for, naming the known ones.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, overload

from booth.config.errors import ConfigError, ConfigProblem, KeyLines, KeyPath, format_key

REQUIRED: Any = object()


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
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(
            [ConfigProblem(path, None, "file", f"cannot be read: {err.strerror}", "a TOML file")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise fail(line, "not UTF-8 text", "a TOML file saved as UTF-8") from None
    lines = KeyLines(text)
    try:
        data = tomllib.loads(text)
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
    return TomlFile(path, data, lines)


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
