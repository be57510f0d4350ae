"""Installing an interview on the booth: what `booth interviews add|check|remove` do.

A recruiter's interview directory (interview.toml, clips, NAME.LANG.vtt subtitles, codes.csv
in clear) becomes `paths.interviews/<id>/`: the same interview.toml (comments kept), every
clip converted to the playback profile, the subtitles beside their clips, and codes.csv with
salted hashes only. Nothing else from the source directory is copied (a recruiter's notes or a
spreadsheet of codes must not reach the booth's disk).

The copy is built in a hidden sibling directory, which the kiosk never reads, and swapped in
with one rename once it is complete and loads: an installed interview of the same id stays in
place, whole, until then. Clips whose name is not .mp4/.m4a (e.g. `intro.mov`) are installed
as `intro.mp4`, and interview.toml's references are rewritten to match.
"""

from __future__ import annotations

import ctypes
import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import av

from booth.config.codes import (
    booth_code_hash,
    hash_codes,
    load_codes,
    names_in_clear,
    reference_identity,
)
from booth.config.errors import ConfigError, ConfigProblem, KeyLines, KeyPath, format_key
from booth.config.interview import (
    CODES_FILE,
    INTERVIEW_FILE,
    LANGUAGE,
    code_clash,
    inside,
    load_interview,
    load_interviews,
)
from booth.config.reader import read_toml
from booth.media.convert import ConversionError, Converted, convert_clip
from booth.media.subtitles import SubtitleError, load_subtitles, subtitle_path
from booth.session.interview import Interview
from booth.session.invitation import CodeHash

log = logging.getLogger(__name__)

PLAYABLE_SUFFIXES = (".mp4", ".m4a")
CLIP_EXPECTED = "a video or sound clip that plays (MP4, MOV or WebM)"
VIDEO_EXPECTED = "a video clip of at least 1 s that plays (MP4, MOV or WebM)"
MIN_CLIP_SECONDS = 1.0
_LOCK_FILE = ".install.lock"
_WORK_DIR = re.compile(r"\..+\.(installing|replaced|removing)-\w+")
_SUBTITLE_PROBLEM = re.compile(r"^.*?: line (\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Clip:
    """One clip file of an interview, with every interview.toml key that names it.

    `names` are the file names as written in interview.toml; `installed_name` is the name the
    converted clip gets (the same when it already is .mp4 or .m4a).
    """

    source: Path
    keys: tuple[str, ...]
    names: tuple[str, ...]
    line: int | None
    has_video: bool
    subtitles: tuple[str, ...]  # languages with a NAME.LANG.vtt beside the clip
    installed_name: str


@dataclass
class Inspection:
    """What checking an interview directory found: the interview (None if it does not load),
    its clips, and every problem, each worded as `FILE:LINE: key: what is wrong (expected)`."""

    directory: Path
    interview: Interview | None = None
    clips: list[Clip] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)
    codes_text: str | None = None  # codes.csv given on standard input, never written in clear

    @property
    def ok(self) -> bool:
        return self.interview is not None and not self.problems

    def summary(self) -> str:
        """The one line printed when the interview is valid."""
        iv = self.interview
        assert iv is not None
        subtitles = sum(len(c.subtitles) for c in self.clips)
        return (
            f"OK: interview {iv.id} ({iv.employer}) in {self.directory}: "
            f"{len(iv.questions)} questions, {len(iv.codes)} invitations, "
            f"{len(self.clips)} clips, {subtitles} subtitle files"
        )


@dataclass(frozen=True)
class ClipProgress:
    """How far converting clip `index` (1-based) of `count` is: `fraction` 0.0 … 1.0, and
    what was written once it is done."""

    name: str
    index: int
    count: int
    fraction: float
    converted: Converted | None = None


@dataclass(frozen=True)
class Installed:
    """An installed interview: where it is, whether it replaced one, the clips converted."""

    interview: Interview
    directory: Path
    replaced: bool
    clips: tuple[Converted, ...]


def _seconds(container: Any, stream: Any) -> float:
    """How long a stream lasts by its headers (the container's, else the stream's own)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _probe(path: Path, video: bool = False) -> tuple[bool, str | None]:
    """(has picture, why it cannot be played or None): opens the clip and decodes its first
    frames. With `video`, the clip must have a picture of at least `MIN_CLIP_SECONDS` (a still
    image opens as a video of one frame: it is not a clip)."""
    try:
        with av.open(str(path)) as container:
            streams = list(container.streams.video[:1]) + list(container.streams.audio[:1])
            if not streams:
                return False, "has neither picture nor sound"
            if video and not container.streams.video:
                return False, "has no picture"
            if video and _seconds(container, streams[0]) < MIN_CLIP_SECONDS:
                return False, f"is shorter than {MIN_CLIP_SECONDS:g} s (a still image?)"
            frames = 0
            for _ in container.decode(streams[0]):
                frames += 1
                if frames == 2 or not video:
                    return bool(container.streams.video), None
            if video and frames:
                return False, "has a single frame: a still image is not a clip"
            return False, "no picture or sound could be decoded"
    except (av.error.FFmpegError, OSError, ValueError, ZeroDivisionError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        return False, f"cannot be read as a video or sound file ({reason})"


def _clip_references(data: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Every (key path, file name) of a clip or sound file in a valid interview.toml."""
    for i, entry in enumerate(data.get("intro_clips", [])):
        if isinstance(entry, dict):  # a titled clip: { file = "intro.mp4", title = {...} }
            yield ("intro_clips", i, "file"), entry["file"]
        else:
            yield ("intro_clips", i), entry
    for i, question in enumerate(data.get("questions", [])):
        if "clip" in question:
            yield ("questions", i, "clip"), question["clip"]
        audio = question.get("audio")  # the question read aloud: one file, or one per language
        if isinstance(audio, str):
            yield ("questions", i, "audio"), audio
        elif isinstance(audio, dict):
            for language, name in audio.items():
                yield ("questions", i, "audio", language), name


def _subtitle_languages(clip: Path) -> list[str]:
    """The languages of the NAME.LANG.vtt files beside `clip`."""
    found = []
    for path in sorted(clip.parent.glob("*.vtt")):
        stem, _, language = path.stem.rpartition(".")
        if stem == clip.stem and LANGUAGE.fullmatch(language):
            found.append(language)
    return sorted(found)


def _installed_name(name: str, has_video: bool, taken: set[str]) -> str:
    """The clip's file name once converted: kept when already .mp4/.m4a, else NAME.mp4 (or
    NAME.m4a for sound only), with -2, -3 … when another clip has that name already."""
    path = PurePosixPath(name)
    if path.suffix.lower() in PLAYABLE_SUFFIXES and name.lower() not in taken:
        return name
    suffix = ".mp4" if has_video else ".m4a"
    candidate, n = path.with_suffix(suffix), 1
    while str(candidate).lower() in taken:
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{suffix}")
    return str(candidate)


def inspect_interview(
    directory: Path,
    booth_languages: Sequence[str] = (),
    installed_root: Path | None = None,
    codes_text: str | None = None,
) -> Inspection:
    """Check the interview in `directory` as `booth interviews add` would install it: it loads,
    shares a language with the booth (when `booth_languages` is given), shares no invitation
    code with another interview installed in `installed_root`, every clip plays and every subtitle
    file reads. `codes_text`: codes.csv read from elsewhere than the directory. Never raises
    for bad input: it becomes a problem."""
    result = Inspection(directory, codes_text=codes_text)
    toml_path = directory / INTERVIEW_FILE
    try:
        result.interview = load_interview(directory, codes_text)
    except ConfigError as err:
        result.problems.extend(err.problems)
        return result
    interview = result.interview
    if installed_root is not None and installed_root.is_dir():
        others, _ = load_interviews(installed_root)
        if (clash := code_clash(interview, others)) is not None:
            result.problems.append(clash)
    if booth_languages and not set(interview.languages) & set(booth_languages):
        result.problems.append(
            ConfigProblem(
                toml_path,
                1,
                "languages",
                "none of the interview's languages is a booth language",
                "at least one of " + ", ".join(booth_languages),
            )
        )
    text = toml_path.read_text(encoding="utf-8")
    lines = KeyLines(text)
    by_source: dict[Path, list[tuple[KeyPath, str]]] = {}
    for key, name in _clip_references(tomllib.loads(text)):
        by_source.setdefault((directory / name).resolve(), []).append((key, name))
    taken = {name.lower() for refs in by_source.values() for _, name in refs}
    taken = {n for n in taken if PurePosixPath(n).suffix in PLAYABLE_SUFFIXES}
    for source, refs in by_source.items():
        keys = tuple(format_key(key) for key, _ in refs)
        line = lines.line_of(refs[0][0])
        video = any(key[0] == "intro_clips" or key[-1] == "clip" for key, _ in refs)
        has_video, reason = _probe(source, video)
        if reason is not None:
            expected = VIDEO_EXPECTED if video else CLIP_EXPECTED
            result.problems.append(
                ConfigProblem(toml_path, line, keys[0], f"{refs[0][1]!r} {reason}", expected)
            )
            continue
        languages = _subtitle_languages(source)
        for language in languages:
            vtt_name = str(subtitle_path(source, language).relative_to(directory.resolve()))
            if (outside := inside(directory, vtt_name)) is not None:
                result.problems.append(outside)
                continue
            result.problems.extend(_subtitle_problems(source, language, interview.languages))
        name = refs[0][1]
        installed = _installed_name(name, has_video, taken - {name.lower()})
        taken.add(installed.lower())
        names = tuple(dict.fromkeys(n for _, n in refs))
        result.clips.append(Clip(source, keys, names, line, has_video, tuple(languages), installed))
    return result


def _subtitle_problems(clip: Path, language: str, languages: Sequence[str]) -> list[ConfigProblem]:
    path = subtitle_path(clip, language)
    if language not in languages:
        return [
            ConfigProblem(
                path,
                None,
                "subtitles",
                f"language {language} is not one of the interview's languages",
                "NAME.LANG.vtt with LANG one of " + ", ".join(languages),
            )
        ]
    try:
        load_subtitles(clip, language)
    except SubtitleError as err:
        m = _SUBTITLE_PROBLEM.match(str(err))
        line, what = (int(m.group(1)), m.group(2)) if m else (None, str(err))
        return [ConfigProblem(path, line, "subtitles", what, "a WebVTT file")]
    return []


def rewrite_clip_names(text: str, renames: dict[str, str]) -> str:
    """interview.toml's text with each clip file name in `renames` replaced, comments and
    layout untouched. Raises ValueError when the result would not read as intended."""
    if not renames:
        return text
    token = re.compile(
        r"#[^\n]*"
        r'|"""(?:\\[\s\S]|[^\\])*?"{3,5}'
        r"|'''[\s\S]*?'{3,5}"
        r'|(?P<string>"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\')'
    )
    pieces, last = [], 0
    for m in token.finditer(text):
        if m.group("string") is None:
            continue
        value = tomllib.loads(f"v = {m.group('string')}")["v"]
        is_key = re.match(r"[ \t]*[=.]", text[m.end() :]) is not None
        if value in renames and not is_key:
            pieces += [text[last : m.start()], json.dumps(renames[value], ensure_ascii=False)]
            last = m.end()
    rewritten = "".join(pieces) + text[last:]
    expected = tomllib.loads(text)
    for key, name in list(_clip_references(expected)):
        if name in renames:
            target: Any = expected
            for part in key[:-1]:
                target = target[part]
            target[key[-1]] = renames[name]
    if tomllib.loads(rewritten) != expected:
        raise ValueError("a clip's file name is also used as a text")
    return rewritten


@contextmanager
def _install_lock(root: Path) -> Iterator[None]:
    """One install or removal at a time; leftovers of one that was cut off are removed."""
    with open(root / _LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for leftover in root.iterdir():
            if leftover.is_dir() and _WORK_DIR.fullmatch(leftover.name):
                shutil.rmtree(leftover, ignore_errors=True)
        yield


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE), so a kiosk starting
    at that moment sees the old interview or the new one, never none."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    at_fdcwd, rename_exchange = -100, 2
    if renameat2 is not None:
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: no exchange here
            raise OSError(errno, os.strerror(errno), str(b))
    parked = b.with_name(f".{b.name}.replaced-parked")
    os.rename(b, parked)
    os.rename(a, b)
    os.rename(parked, a)


def _owned_like(tree: Path, root: Path) -> None:
    """Make the installed files the booth's and nobody else's (0600, folders 0700, as all it
    writes): when installed by root (`sudo booth interviews add`), owned like
    `paths.interviews` itself."""
    owner = root.stat()
    for path in [tree, *tree.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
        if os.geteuid() == 0:
            os.chown(path, owner.st_uid, owner.st_gid)


def install_interview(
    inspection: Inspection,
    root: Path,
    progress: Callable[[ClipProgress], None] | None = None,
    seal_ref: Callable[[str], str] | None = None,
) -> Installed:
    """Install the interview `inspection` found valid into `root`/<id>/; `seal_ref` seals each
    candidate reference (a booth with recipients, booth.privacy.seal.Sealing).

    Raises ConfigError when a clip cannot be converted or the id is installed under another
    directory name; then nothing changes in `root`. OSError when `root` cannot be written.
    """
    assert inspection.ok and inspection.interview is not None
    interview = inspection.interview
    root.mkdir(parents=True, exist_ok=True)
    with _install_lock(root):
        _refuse_same_id_elsewhere(root, interview.id)
        others, _ = load_interviews(root)
        others = [iv for iv in others if iv.id != interview.id]
        if (clash := code_clash(interview, others)) is not None:  # installed meanwhile
            raise ConfigError([clash])
        code_hash = booth_code_hash([iv.codes for iv in others])
        staging = Path(tempfile.mkdtemp(prefix=f".{interview.id}.installing-", dir=root))
        try:
            converted = _build(inspection, staging, progress, code_hash, seal_ref)
            load_interview(staging)  # the copy must load as it is, before it goes live
            _owned_like(staging, root)
            os.sync()  # on an SD card, a power cut after the swap must not find empty files
            target = root / interview.id
            replaced = target.exists()
            if replaced:
                _exchange(staging, target)
            else:
                os.rename(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Installed(load_interview(target), target, replaced, tuple(converted))


def _refuse_same_id_elsewhere(root: Path, interview_id: str) -> None:
    """An interview copied in by hand under another directory name would make two with the
    same id, and `<id>/` holding another interview must not be replaced by this one."""
    ids = installed_ids(root)
    target = root / interview_id
    holder = ids.get(interview_id, target)
    if holder != target:
        where, what = holder, f"{interview_id!r} is already installed in {holder}"
    elif target.exists() and target not in ids.values():
        where, what = target, f"{target} holds another interview"
    else:
        return
    raise ConfigError(
        [
            ConfigProblem(
                where / INTERVIEW_FILE,
                1,
                "id",
                what,
                "remove it (booth interviews remove ID), or give the new interview another id",
            )
        ]
    )


def _build(
    inspection: Inspection,
    staging: Path,
    progress: Callable[[ClipProgress], None] | None,
    code_hash: CodeHash,
    seal_ref: Callable[[str], str] | None = None,
) -> list[Converted]:
    source = inspection.directory
    hash_codes(
        source / CODES_FILE, staging / CODES_FILE, code_hash, inspection.codes_text, seal_ref
    )
    renames = {n: c.installed_name for c in inspection.clips for n in c.names}
    renames = {old: new for old, new in renames.items() if old != new}
    text = (source / INTERVIEW_FILE).read_text(encoding="utf-8")
    try:
        text = rewrite_clip_names(text, renames)
    except ValueError as err:
        clip = next(c for c in inspection.clips if set(c.names) & set(renames))
        raise ConfigError(
            [
                ConfigProblem(
                    source / INTERVIEW_FILE,
                    clip.line,
                    clip.keys[0],
                    f"cannot rename {clip.names[0]!r} to {clip.installed_name!r}: {err}",
                    f"the clip saved as {clip.installed_name!r}, named so in interview.toml",
                )
            ]
        ) from None
    (staging / INTERVIEW_FILE).write_text(text, encoding="utf-8")
    converted = []
    count = len(inspection.clips)
    for index, clip in enumerate(inspection.clips, start=1):
        name = clip.names[0]
        dst = staging / clip.installed_name
        dst.parent.mkdir(parents=True, exist_ok=True)

        def report(fraction: float, name: str = name, index: int = index) -> None:
            if progress:
                progress(ClipProgress(name, index, count, fraction))

        try:
            done = convert_clip(clip.source, dst, report)
        except ConversionError as err:
            what = str(err).removeprefix(f"{clip.source}: ")
            raise ConfigError(
                [
                    ConfigProblem(
                        source / INTERVIEW_FILE,
                        clip.line,
                        clip.keys[0],
                        f"{name!r}: {what}",
                        CLIP_EXPECTED,
                    )
                ]
            ) from None
        converted.append(done)
        if progress:
            progress(ClipProgress(name, index, count, 1.0, done))
        for language in clip.subtitles:
            shutil.copyfile(subtitle_path(clip.source, language), subtitle_path(dst, language))
    return converted


class UnknownInterview(LookupError):
    """No installed interview has the id; `installed` lists the ids there are."""

    def __init__(self, interview_id: str, installed: list[str]) -> None:
        super().__init__(interview_id)
        self.interview_id = interview_id
        self.installed = installed


def installed_ids(root: Path) -> dict[str, Path]:
    """The installed interviews by id (by directory name when interview.toml does not read)."""
    ids: dict[str, Path] = {}
    if not root.is_dir():
        return ids
    for directory in sorted(root.iterdir()):
        toml = directory / INTERVIEW_FILE
        if directory.name.startswith(".") or not toml.is_file():
            continue
        try:
            found = read_toml(toml).data.get("id")
        except ConfigError:  # unreadable, damaged, too large or too deep: named by directory
            found = None
        ids.setdefault(found if isinstance(found, str) else directory.name, directory)
    return ids


def remove_interview(root: Path, interview_id: str) -> Path:
    """Remove the installed interview `interview_id` from `root`; returns where it was.

    It is first renamed out of sight, so a removal cut off half-way leaves no half interview.
    """
    with _install_lock(root):
        ids = installed_ids(root)
        if interview_id not in ids:
            raise UnknownInterview(interview_id, sorted(ids))
        directory = ids[interview_id]
        doomed = Path(tempfile.mkdtemp(prefix=f".{directory.name}.removing-", dir=root))
        os.rename(directory, doomed / "interview")
        shutil.rmtree(doomed)
    return directory


def replace_codes(
    root: Path,
    interview_id: str,
    source: Path,
    codes_text: str | None,
    seal_ref: Callable[[str], str] | None = None,
) -> bool:
    """Install new invitations for the installed interview `interview_id`: codes.csv from
    `source` (or `codes_text`, reported as `source`), hashed with the booth's parameters, its
    references sealed by `seal_ref` when given. Returns False when they are the invitations
    installed already (nothing written).

    Raises UnknownInterview, or ConfigError for a broken file or a code another interview uses.
    """
    with _install_lock(root):
        ids = installed_ids(root)
        if interview_id not in ids:
            raise UnknownInterview(interview_id, sorted(ids))
        directory = ids[interview_id]
        current = load_interview(directory)
        others, _ = load_interviews(root)
        others = [iv for iv in others if iv.id != interview_id]
        code_hash = current.codes.code_hash or booth_code_hash([iv.codes for iv in others])
        staging = Path(tempfile.mkdtemp(prefix=f".{interview_id}.installing-", dir=root))
        try:
            new = staging / CODES_FILE
            hash_codes(source, new, code_hash, codes_text, seal_ref)
            if _invitations(new) == _invitations(directory / CODES_FILE):
                return False
            candidate = dataclasses.replace(current, codes=load_codes(new))
            if (clash := code_clash(candidate, others)) is not None:
                raise ConfigError([clash])
            _owned_like(staging, root)
            os.replace(new, directory / CODES_FILE)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return True


def _invitations(codes_csv: Path) -> set[tuple[bytes, str, int, int]] | None:
    """What an installed codes.csv invites: per code its hash, the keyed hash of its reference
    (a sealed reference's encryption differs each time it is made), and the accommodations."""
    try:
        book = load_codes(codes_csv)
    except ConfigError:
        return None
    return {
        (digest, reference_identity(inv.candidate_ref), inv.extra_time_percent, inv.extra_takes)
        for digest, inv in book.entries()
    }


def _clear_references(root: Path) -> list[str]:
    """The installed interviews whose codes.csv names a candidate in clear. A recruiter's
    folder (codes in clear: `booth simulate --interviews` of a source folder) is not one."""
    found = []
    for interview_id, directory in sorted(installed_ids(root).items()):
        try:
            if names_in_clear(load_codes(directory / CODES_FILE)):
                found.append(interview_id)
        except ConfigError:
            continue
    return found


def seal_installed_references(root: Path, seal_ref: Callable[[str], str]) -> list[str]:
    """Seal the references in clear of every interview installed in `root` (installed before
    the booth had recipients); returns the ids of those it rewrote. An interview that cannot
    be read or rewritten is left as it is, with an error in the log."""
    done: list[str] = []
    if not root.is_dir() or not _clear_references(root):
        return done  # nothing to do: not even a lock file is written
    try:
        with _install_lock(root):
            for interview_id in _clear_references(root):
                if _seal_references_of(root, interview_id, seal_ref):
                    done.append(interview_id)
    except OSError as error:  # the folder cannot be written: the booth still runs
        log.error("interviews: cannot seal the references in %s: %s", root, error)
    return done


def _seal_references_of(root: Path, interview_id: str, seal_ref: Callable[[str], str]) -> bool:
    path = installed_ids(root)[interview_id] / CODES_FILE
    try:
        book = load_codes(path)
        staging = Path(tempfile.mkdtemp(prefix=f".{interview_id}.installing-", dir=root))
        try:
            hash_codes(path, staging / CODES_FILE, book.code_hash, None, seal_ref)
            _owned_like(staging, root)
            os.replace(staging / CODES_FILE, path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except (ConfigError, OSError, ValueError) as error:
        log.error("interviews: cannot seal the references of %s: %s", interview_id, error)
        return False
    return True
