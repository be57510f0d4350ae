"""Subtitles for the recruiter's clips: WebVTT files next to the clip, one per language.

A clip `intro-1.mp4` has its Swedish subtitles in `intro-1.sv.vtt` and its English ones in
`intro-1.en.vtt`. Only what a candidate needs is read: the cue times and their text. Cue
settings (position, alignment), styling tags and regions are dropped, since the booth always
shows subtitles in one place, in its own typeface.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

_TIMESTAMP = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s+-->\s+{_TIMESTAMP}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>")


class SubtitleError(ValueError):
    """A WebVTT file that cannot be read; the message names the file and line for staff."""


@dataclass(frozen=True)
class Cue:
    """One subtitle: `text` is shown from `start` to `end`, seconds into the clip."""

    start: float
    end: float
    text: str


class Subtitles:
    """The cues of one clip in one language, looked up by the clip's position."""

    def __init__(self, cues: list[Cue]) -> None:
        self.cues = sorted(cues, key=lambda c: (c.start, c.end))
        self._starts = [c.start for c in self.cues]

    def at(self, t: float) -> str | None:
        """The text on screen `t` seconds into the clip (cues that overlap: one line each)."""
        last = bisect_right(self._starts, t)
        shown = [c.text for c in self.cues[:last] if t < c.end]
        return "\n".join(shown) if shown else None


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _plain(line: str) -> str:
    """A cue line without voice/italic/bold/class tags, with &amp; and friends decoded."""
    return html.unescape(_TAG.sub("", line)).strip()


def parse_webvtt(text: str, source: str = "<subtitles>") -> Subtitles:
    """Read WebVTT text (https://www.w3.org/TR/webvtt1/); `source` names it in errors."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise SubtitleError(f"{source}: line 1: a WebVTT file starts with 'WEBVTT'")
    cues: list[Cue] = []
    i = 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing = next((k for k, line in enumerate(block[:2]) if "-->" in line), None)
        if timing is None:
            raise SubtitleError(
                f"{source}: line {block_start + 1}: expected a cue timing like "
                "'00:00:01.000 --> 00:00:03.500'"
            )
        match = _CUE_TIMING.match(block[timing])
        if match is None:
            raise SubtitleError(
                f"{source}: line {block_start + timing + 1}: cue timing "
                f"{block[timing].strip()!r} is not like '00:00:01.000 --> 00:00:03.500'"
            )
        start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
        if end <= start:
            raise SubtitleError(
                f"{source}: line {block_start + timing + 1}: the cue ends before it starts"
            )
        body = [_plain(line) for line in block[timing + 1 :]]
        body = [line for line in body if line]
        if body:
            cues.append(Cue(start, end, "\n".join(body)))
    return Subtitles(cues)


def subtitle_path(clip: Path | str, language: str) -> Path:
    """Where the subtitles of `clip` in `language` are: NAME.LANG.vtt beside the clip."""
    clip = Path(clip)
    return clip.with_name(f"{clip.stem}.{language}.vtt")


def load_subtitles(clip: Path | str, language: str) -> Subtitles | None:
    """The subtitles of `clip` in `language`, or None when the clip has none in it."""
    path = subtitle_path(clip, language)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SubtitleError(f"{path}: cannot be read as UTF-8 text ({err})") from err
    return parse_webvtt(text, str(path))
