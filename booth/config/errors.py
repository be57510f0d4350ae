"""Configuration problems as staff read them: `FILE:LINE: key: what is wrong (what is expected)`.

tomllib reports no line numbers for values, so `KeyLines` finds the line of a key in the
source text itself (best effort: a missing key points at its table's header).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in one file, worded for the staff member who will fix it.

    `line` is 1-based, or None when the problem has no line (a missing file). `key` names the
    setting as written in the file, e.g. `devices.light_pin` or `questions[2].answer_seconds`
    (the second `[[questions]]` table).
    """

    file: Path
    line: int | None
    key: str
    message: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return one_line(f"{where}: {self.key}: {self.message} ({self.expected})")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Escape control characters (C0 and C1: line breaks, and the escapes a terminal would
    obey) from text read from files, so one problem stays one line and prints as it is."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class ConfigError(Exception):
    """Raised when a file has problems; carries every problem found, not just the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_key(path: KeyPath) -> str:
    """`("questions", 1, "id")` → `questions[2].id`: counted from 1, as staff count tables."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text


_ARRAY_HEADER = re.compile(r"^\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\[\s*(?P<name>[^\]]+?)\s*\]")
_KEY = re.compile(
    r"""^(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"([^"]*)"|'([^']*)'""")


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for m in _KEY_PART.finditer(text):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(m.group(2))
        else:
            parts.append(m.group(0))
    return tuple(parts)


class KeyLines:
    """Where each key and table header of a TOML text is, by key path.

    Array-of-tables entries are addressed by a 0-based index: `("questions", 1, "id")`.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self.line_count = text.count("\n") + 1
        table: KeyPath = ()
        arrays: dict[tuple[str, ...], int] = {}
        open_string: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if open_string is not None:
                if line.count(open_string) % 2 == 1:
                    open_string = None
                continue
            if m := _ARRAY_HEADER.match(line):
                name = _split_key(m.group("name"))
                arrays[name] = arrays.get(name, -1) + 1
                table = self._within_arrays(name[:-1], arrays) + (name[-1], arrays[name])
                self._lines.setdefault(table, number)
            elif m := _TABLE_HEADER.match(line):
                table = self._within_arrays(_split_key(m.group("name")), arrays)
                self._lines.setdefault(table, number)
            elif m := _KEY.match(line):
                self._lines.setdefault(table + _split_key(m.group("key")), number)
                rest = line[m.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_string = quote

    @staticmethod
    def _within_arrays(name: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> KeyPath:
        # `[questions.extra]` after `[[questions]]` belongs to the latest question.
        path: KeyPath = ()
        for i, part in enumerate(name):
            path += (part,)
            if name[: i + 1] in arrays:
                path += (arrays[name[: i + 1]],)
        return path

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, else of its nearest enclosing key or table; None if not written."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None
