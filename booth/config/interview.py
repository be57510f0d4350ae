"""Interview definitions: a directory with `interview.toml`, its media files and `codes.csv`.

`load_interview` checks everything a candidate could stumble on (missing clips, a deadline before
the start, a path leading out of the directory, texts missing in a language) and raises
`ConfigError` with all problems. config/interviews/example/interview.toml shows every key.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path, PurePosixPath

from booth.config.codes import load_codes, shared_code
from booth.config.errors import ConfigError, ConfigProblem
from booth.config.reader import REQUIRED, Table, read_toml
from booth.session.interview import Interview, Practice, Question
from booth.session.invitation import CodeBook

INTERVIEW_FILE = "interview.toml"
CODES_FILE = "codes.csv"
INTERVIEW_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
QUESTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
LANGUAGE = re.compile(r"[a-z]{2,3}")
MAX_SECONDS = 3600
# Texts are drawn on one screen: longer ones are mistakes (a pasted document), not content.
MAX_NAME_CHARS = 200  # employer, title
MAX_TEXT_CHARS = 2000  # a question or the practice question
# Control characters (NUL, escape sequences, C1 codes) have no place on a screen; a line break
# in a multi-line question text is fine.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _text_problem(text: str, limit: int) -> str | None:
    """What is wrong with a text shown to candidates, or None."""
    text = text.replace("\r\n", "\n")
    if m := _CONTROL.search(text):
        return f"has a control character (\\x{ord(m.group()):02x}) at position {m.start() + 1}"
    if len(text) > limit:
        return f"is {len(text)} characters long"
    return None


def _texts(
    t: Table, key: str, languages: tuple[str, ...], limit: int = MAX_TEXT_CHARS
) -> dict[str, str]:
    """A per-language text table like `{ sv = "...", en = "..." }`, complete for `languages`."""
    example = ", ".join(f'{lang} = "..."' for lang in languages or ("sv", "en"))
    expected = f"a text per language, e.g. {{ {example} }}"
    value = t.anything(key)
    if value is None:
        t.problem(key, "missing", expected)
        return {}
    if not isinstance(value, dict):
        t.problem(key, "is not a table of texts", expected)
        return {}
    texts: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in languages:
            t.problem(key, f"language {lang} is not in languages", expected, sub=(lang,))
        elif not isinstance(text, str) or not text.strip():
            t.problem(key, f"text for {lang} is empty or not a string", expected, sub=(lang,))
        elif wrong := _text_problem(text, limit):
            what = f"text for {lang} {wrong}"
            t.problem(key, what, f"plain text of at most {limit} characters", sub=(lang,))
        else:
            texts[lang] = text.strip()
    for lang in languages:
        if lang not in value:
            t.problem(key, f"no text for {lang}", expected)
    return texts


def _media(
    t: Table, key: str, name: object, directory: Path, sub: tuple[int, ...] = ()
) -> Path | None:
    """The absolute path of a media file named relative to the interview directory."""
    expected = "a file name inside the interview directory"
    if not isinstance(name, str) or not name.strip() or any(ord(c) < 32 for c in name):
        t.problem(key, "is not a file name", expected, sub=sub)
        return None
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name:
        t.problem(key, f"{name!r} leaves the interview directory", expected, sub=sub)
        return None
    root = directory.resolve()
    path = root / relative
    try:
        if not path.resolve().is_relative_to(root):
            t.problem(
                key, f"{name!r} leads out of the interview directory (symlink)", expected, sub=sub
            )
            return None
        if not path.is_file():
            t.problem(key, f"file {name!r} not found in {directory}", "an existing file", sub=sub)
            return None
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop
        t.problem(key, f"{name!r} cannot be opened: {err}", expected, sub=sub)
        return None
    return path


def _audio(
    t: Table, languages: tuple[str, ...], directory: Path, has_clip: bool
) -> dict[str, Path]:
    """The spoken question: one file for every language, or a table with a file per language."""
    value = t.anything("audio")
    if value is None:
        return {}
    expected = 'a file name, or one per language, e.g. { sv = "q3.sv.m4a", en = "q3.en.m4a" }'
    if has_clip:
        t.problem("audio", "is given with clip: the clip already asks the question", expected)
        return {}
    if isinstance(value, str):
        path = _media(t, "audio", value, directory)
        return {lang: path for lang in languages} if path is not None else {}
    if not isinstance(value, dict):
        t.problem("audio", "is not a file name or a table of file names", expected)
        return {}
    audio: dict[str, Path] = {}
    for lang, name in value.items():
        if lang not in languages:
            t.problem("audio", f"language {lang} is not in languages", expected, sub=(lang,))
            continue
        path = _media(t, "audio", name, directory, sub=(lang,))
        if path is not None:
            audio[lang] = path
    return audio


def _intro_clip(
    t: Table, entry: object, languages: tuple[str, ...], index: int
) -> tuple[object, dict[str, str]]:
    """An intro clip: a file name, or `{ file = "intro.mp4", title = { sv = "…", en = "…" } }`."""
    if not isinstance(entry, dict):
        return entry, {}
    expected = '{ file = "intro.mp4", title = { sv = "...", en = "..." } }'
    unknown = sorted(set(entry) - {"file", "title"})
    if unknown:
        t.problem("intro_clips", f"unknown key {unknown[0]!r}", expected, sub=(index,))
    title = entry.get("title", {})
    titles: dict[str, str] = {}
    if not isinstance(title, dict):
        t.problem("intro_clips", "title is not a table of texts", expected, sub=(index, "title"))
    else:
        for lang, text in title.items():
            if lang not in languages or not isinstance(text, str) or not text.strip():
                t.problem(
                    "intro_clips",
                    f"title for {lang} is not a text in one of languages",
                    expected,
                    sub=(index, "title", lang),
                )
            else:
                titles[lang] = text.strip()
    return entry.get("file"), titles


def _seconds(t: Table, key: str, default: int, minimum: int) -> int:
    return t.integer(
        key,
        default,
        minimum=minimum,
        maximum=MAX_SECONDS,
        expected=f"whole seconds from {minimum} to {MAX_SECONDS}",
    )


def _practice(t: Table, languages: tuple[str, ...]) -> Practice:
    practice = Practice(
        text=_texts(t, "text", languages),
        think_seconds=_seconds(t, "think_seconds", 0, 0),
        answer_seconds=_seconds(t, "answer_seconds", 30, 1),
    )
    t.finish()
    return practice


def _question(t: Table, languages: tuple[str, ...], directory: Path) -> Question:
    qid = t.string("id", pattern=QUESTION_ID, expected="letters, digits, _ and -, e.g. q1")
    text = _texts(t, "text", languages)
    clip_name = t.anything("clip")
    clip = None if clip_name is None else _media(t, "clip", clip_name, directory)
    audio = _audio(t, languages, directory, has_clip=clip_name is not None)
    question = Question(
        id=qid,
        text=text,
        clip=clip,
        think_seconds=_seconds(t, "think_seconds", 0, 0),
        answer_seconds=_seconds(t, "answer_seconds", REQUIRED, 1),
        max_takes=t.integer(
            "max_takes", 1, minimum=0, maximum=99, expected="0 (unlimited) to 99 takes"
        ),
        review=t.boolean("review", True),
        audio=audio,
    )
    t.finish()
    return question


def inside(directory: Path, name: str) -> ConfigProblem | None:
    """A problem when the file `name` of the interview in `directory` is a link leading out of
    it: every file of an interview must really lie in its folder."""
    path = directory / name
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(directory.resolve()):
            return ConfigProblem(
                path,
                None,
                "file",
                "is a link leading out of the interview directory",
                "the file itself, inside the interview directory",
            )
    except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop
        return ConfigProblem(path, None, "file", f"cannot be opened: {err}", "a plain file")
    return None


def _intro_clips(
    root: Table, languages: tuple[str, ...], directory: Path
) -> tuple[list[Path], list[dict[str, str]]]:
    """The interview's `intro_clips` (each a file, or a file with titles) and their titles."""
    clips_value = root.anything("intro_clips")
    intro_clips: list[Path] = []
    intro_titles: list[dict[str, str]] = []
    if clips_value is None:
        root.problem("intro_clips", "missing", 'a list of file names, e.g. ["intro.mp4"], or []')
    elif not isinstance(clips_value, list):
        root.problem(
            "intro_clips", "is not a list", 'a list of file names, e.g. ["intro.mp4"], or []'
        )
    else:
        for i, entry in enumerate(clips_value):
            clip_file, clip_title = _intro_clip(root, entry, languages, i)
            path = _media(root, "intro_clips", clip_file, directory, sub=(i,))
            if path is not None:
                intro_clips.append(path)
                intro_titles.append(clip_title)
    return intro_clips, intro_titles


def _check_question_ids(root: Table, questions: list[Question]) -> None:
    """A problem for each question whose id an earlier question has."""
    seen: set[str] = set()
    for i, q in enumerate(questions):
        if q.id and q.id in seen:
            root.problem(
                "questions",
                f"id {q.id!r} is used twice",
                "a different id for each question",
                sub=(i, "id"),
            )
        seen.add(q.id)


def _subtitles_outside(clips: list[Path]) -> list[ConfigProblem]:
    """Subtitles beside a clip (NAME.LANG.vtt) are read by the kiosk: no link out either."""
    problems = []
    for clip in clips:
        for vtt in sorted(clip.parent.glob(f"{glob.escape(clip.stem)}.*.vtt")):
            if (outside := inside(clip.parent, vtt.name)) is not None:
                problems.append(outside)
    return problems


def load_interview(directory: Path, codes_text: str | None = None) -> Interview:
    """Read and check the interview in `directory`; raises ConfigError with every problem.

    `codes_text`: the codes.csv to use instead of the directory's (read from standard input
    by `booth interviews add --codes -`, so clear codes never reach the booth's disk).
    """
    for name in (INTERVIEW_FILE, CODES_FILE):
        if (outside := inside(directory, name)) is not None:
            raise ConfigError([outside])
    toml = read_toml(directory / INTERVIEW_FILE)
    root = toml.root()
    iid = root.string("id", pattern=INTERVIEW_ID, expected="lower-case letters, digits, _ and -")
    employer = root.string(
        "employer", pattern=re.compile(r"(?s).*\S.*"), expected="the employer's name"
    )
    if wrong := _text_problem(employer, MAX_NAME_CHARS):
        root.problem("employer", wrong, f"plain text of at most {MAX_NAME_CHARS} characters")
        employer = ""
    languages = root.strings(
        "languages", pattern=LANGUAGE, non_empty=True, expected='languages like ["sv", "en"]'
    )
    if len(set(languages)) != len(languages):
        root.problem("languages", "repeats a language", "each language once")
    title = _texts(root, "title", languages, MAX_NAME_CHARS)
    valid_from = root.datetime_with_offset("valid_from")
    deadline = root.datetime_with_offset("deadline")
    if valid_from and deadline and deadline <= valid_from:
        root.problem("deadline", "is not after valid_from", "a deadline later than valid_from")
    intro_clips, intro_titles = _intro_clips(root, languages, directory)
    replay_allowed = root.boolean("replay_allowed", True)
    unreviewed_takes = root.string(
        "unreviewed_takes",
        "discard",
        choices=("discard", "keep"),
        expected='"discard" (only takes the candidate keeps are sent) or "keep"',
    )
    extra_think_seconds = root.integer(
        "extra_think_seconds",
        0,
        minimum=0,
        maximum=MAX_SECONDS,
        expected=f"whole seconds from 0 (not offered) to {MAX_SECONDS}",
    )
    practice_table = root.table("practice")
    practice = (
        _practice(practice_table, languages) if practice_table and practice_table.data else None
    )
    questions = [_question(t, languages, directory) for t in root.tables("questions")]
    if root.data.get("questions", []) == []:
        root.problem("questions", "no questions", "at least one [[questions]] table")
    _check_question_ids(root, questions)
    root.finish()
    clips = [*intro_clips, *(q.clip for q in questions if q.clip is not None)]
    toml.problems.extend(_subtitles_outside(clips))
    codes = CodeBook.empty()
    try:
        codes = load_codes(directory / CODES_FILE, codes_text)
    except ConfigError as err:
        toml.problems.extend(err.problems)
    if toml.problems:
        raise ConfigError(toml.problems)
    assert valid_from is not None and deadline is not None
    return Interview(
        id=iid,
        directory=directory.resolve(),
        employer=employer.strip(),
        title=title,
        languages=languages,
        valid_from=valid_from,
        deadline=deadline,
        intro_clips=tuple(intro_clips),
        replay_allowed=replay_allowed,
        practice=practice,
        questions=tuple(questions),
        codes=codes,
        intro_titles=tuple(intro_titles),
        unreviewed_takes=unreviewed_takes,
        extra_think_seconds=extra_think_seconds,
    )


def load_interviews(root: Path) -> tuple[list[Interview], list[ConfigProblem]]:
    """Every interview in the subdirectories of `root` that hold an interview.toml, by name.

    Returns the valid ones and the problems of the others; a duplicate id is a problem too.
    """
    problems: list[ConfigProblem] = []
    interviews: list[Interview] = []
    try:
        directories = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as err:
        reason = (
            "directory not found"
            if isinstance(err, FileNotFoundError)
            else f"cannot be read: {err.strerror}"
        )
        return [], [
            ConfigProblem(root, None, "paths.interviews", reason, "a directory of interviews")
        ]
    ids: dict[str, Path] = {}
    for directory in directories:
        if not (directory / INTERVIEW_FILE).is_file():
            continue
        try:
            interview = load_interview(directory)
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        if interview.id in ids:
            problems.append(
                ConfigProblem(
                    directory / INTERVIEW_FILE,
                    1,
                    "id",
                    f"{interview.id!r} is also the id of {ids[interview.id]}",
                    "a different id for each interview",
                )
            )
            continue
        ids[interview.id] = directory
        interviews.append(interview)
    kept: list[Interview] = []
    for interview in interviews:
        clash = code_clash(interview, kept)
        if clash is None:
            kept.append(interview)
        else:
            problems.append(clash)
    return kept, problems


def code_clash(interview: Interview, others: list[Interview]) -> ConfigProblem | None:
    """A problem when `interview` shares an invitation code with one of `others` (or its codes
    cannot be compared with theirs). Names both interviews, never the code."""
    for other in others:
        if other.id == interview.id:
            continue
        shared = shared_code(interview.codes, other.codes)
        if shared is False:
            continue
        what = (
            f"an invitation code of {interview.id!r} is also a code of {other.id!r}"
            if shared
            else f"its codes are hashed with another salt than those of {other.id!r}, so "
            "they cannot be compared"
        )
        return ConfigProblem(
            interview.directory / CODES_FILE,
            None,
            "code",
            what,
            "codes that no other installed interview uses; install with booth interviews add",
        )
    return None
