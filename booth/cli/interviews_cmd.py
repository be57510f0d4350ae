"""`booth interviews list|add|check|remove`: the interviews installed on this booth."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from booth.cli.main import UserError, add_config_option
from booth.config.errors import ConfigError, ConfigProblem
from booth.config.interview import CODES_FILE, load_interviews
from booth.config.settings import Settings, load_settings
from booth.install.interviews import (
    ClipProgress,
    Inspection,
    UnknownInterview,
    inspect_interview,
    install_interview,
    installed_ids,
    remove_interview,
    replace_codes,
)
from booth.privacy.seal import Sealing
from booth.session.interview import Interview
from booth.state import InvitationStore, read_state

KIOSK_HINT = "The kiosk takes the change within a few seconds, once nobody is in the booth."


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "interviews",
        help="list, install, check or remove interviews",
        description="Work with the interviews installed on this booth (settings paths.interviews).",
    )
    codes_help = (
        "read codes.csv from FILE, or from standard input with -, instead of DIR/codes.csv: "
        "clear codes then never touch the booth's disk"
    )
    sub = parser.add_subparsers(dest="interviews_command", metavar="COMMAND")
    sub.required = True
    listing = sub.add_parser(
        "list",
        help="the installed interviews, and whether each is open now",
        description=(
            "List every installed interview: id, employer, title, languages, when invitations "
            "work (valid_from, deadline, and whether that is now), questions, and its "
            "invitations: used (their interview completed: spent), resumable (their session "
            "ended early) and unused."
        ),
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(func=run_list)
    add = sub.add_parser(
        "add",
        help="check, convert and install an interview directory",
        description=(
            "Check the interview in DIR, then install it as paths.interviews/ID: clips "
            "converted for smooth playback (H.264 at most 1280x720 and 30 fps, AAC 48 kHz), "
            "NAME.LANG.vtt subtitles copied beside them, and codes.csv with hashed codes only. "
            "A clear DIR/codes.csv is deleted once installed, so no clear code stays on the "
            "booth (--codes - reads them from standard input instead). "
            "An installed interview with the same id is replaced once the new one is complete; "
            "invitations already used stay used. "
            "On a problem nothing is installed: exit 2 with one line per problem, "
            "FILE:LINE: key: what is wrong (what is expected)."
        ),
    )
    add.add_argument("directory", metavar="DIR", type=Path, help="the interview to install")
    add.add_argument("--codes", metavar="FILE", help=codes_help)
    add.add_argument(
        "--keep-clear-codes",
        action="store_true",
        help="leave DIR/codes.csv in place (only where DIR is not on a booth, e.g. a developer's "
        "copy of the example)",
    )
    add.set_defaults(func=run_add)
    check = sub.add_parser(
        "check",
        help="check an interview directory without installing it",
        description=(
            "Check the interview in DIR as add would (interview.toml, codes.csv, that every "
            "clip plays, subtitles), without installing it. Exit 0, or 2 with one line per "
            "problem: FILE:LINE: key: what is wrong (what is expected)."
        ),
    )
    check.add_argument("directory", metavar="DIR", type=Path, help="the interview to check")
    check.add_argument("--codes", metavar="FILE", help=codes_help)
    check.set_defaults(func=run_check)
    codes = sub.add_parser(
        "codes",
        help="replace the invitations of an installed interview",
        description=(
            "Install new invitations (a codes.csv in clear, from FILE or standard input with "
            "-) for the installed interview ID, hashed like its others; clips are not touched. "
            "Prints 'unchanged' when they are the ones installed. Exit 2 with one line per "
            "problem, e.g. a code that another installed interview uses."
        ),
    )
    codes.add_argument("interview_id", metavar="ID", help="the interview's id")
    codes.add_argument("--codes", metavar="FILE", required=True, help=codes_help)
    codes.set_defaults(func=run_codes)
    remove = sub.add_parser(
        "remove",
        help="remove an installed interview (recorded takes stay)",
        description=(
            "Remove the installed interview ID. Sessions already recorded stay in the spool and "
            "are still uploaded. Asks first; --yes to skip the question (needed without a "
            "terminal)."
        ),
    )
    remove.add_argument(
        "interview_id", metavar="ID", help="the interview's id (booth interviews list)"
    )
    remove.add_argument("--yes", action="store_true", help="remove without asking")
    remove.set_defaults(func=run_remove)
    for p in (listing, add, check, codes, remove):
        add_config_option(p)


def _settings(config: str) -> Settings:
    path = Path(config)
    try:
        return load_settings(path if path.exists() else None)
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None


def _problems(problems: list[ConfigProblem]) -> int:
    for problem in problems:
        print(problem)
    return 2


def _seal_ref(settings: Settings) -> Callable[[str], str] | None:
    """How candidate references are installed: sealed on a booth with recipients."""
    return Sealing.for_settings(settings).seals_references


def _refuse_during_a_session(settings: Settings, what: str) -> None:
    # The kiosk reads clips from the installed directory while a candidate watches them.
    state = read_state(settings.paths.state)
    if state is not None and state.running and state.activity == "session":
        raise UserError(
            f"a candidate is in the booth (screen {state.screen}): {what} when `booth status` "
            "shows the kiosk idle"
        )


def validity(interview: Interview, now: datetime) -> str:
    """ "valid", "expired" or "not yet valid" at `now` (an aware datetime)."""
    if now < interview.valid_from:
        return "not yet valid"
    return "valid" if interview.is_valid_at(now) else "expired"


def describe(
    interview: Interview, now: datetime, store: InvitationStore | None = None
) -> dict[str, Any]:
    """What `booth interviews list` shows of one interview (never a code, only their count)."""
    refs = [inv.candidate_ref for inv in interview.codes.invitations]
    used = store.counts(interview.id, refs) if store is not None else {"unused": len(refs)}
    return {
        "id": interview.id,
        "directory": str(interview.directory),
        "employer": interview.employer,
        "title": interview.title,
        "languages": list(interview.languages),
        "valid_from": interview.valid_from.isoformat(),
        "deadline": interview.deadline.isoformat(),
        "validity": validity(interview, now),
        "questions": len(interview.questions),
        "invitations": len(interview.codes),
        "used": used.get("complete", 0),
        "resumable": used.get("resumable", 0),
        "unused": used["unused"],
    }


def run_list(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    root = settings.paths.interviews
    interviews, problems = load_interviews(root) if root.is_dir() else ([], [])
    now = datetime.now(UTC)
    store = InvitationStore(settings.paths.state)
    listed = [describe(iv, now, store) for iv in interviews]
    if args.json:
        report = {"directory": str(root), "interviews": listed}
        report["problems"] = [str(p) for p in problems]
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if not listed and not problems:
        print(f"No interviews installed in {root} (install one: booth interviews add DIR)")
    for iv, item in zip(interviews, listed, strict=True):
        title = iv.text_for(iv.title, iv.languages[0])
        print(
            f"{item['id']}: {item['employer']}, {title} [{', '.join(iv.languages)}]\n"
            f"    {item['validity']}: {iv.valid_from:%Y-%m-%d %H:%M} to "
            f"{iv.deadline:%Y-%m-%d %H:%M}; {item['questions']} questions, "
            f"{item['invitations']} invitations: {item['used']} used, "
            f"{item['resumable']} resumable, {item['unused']} unused"
        )
    for problem in problems:
        print(f"problem: {problem}")
    return 0


def _codes_text(codes: str | None) -> str | None:
    """The codes.csv given with --codes: standard input for -, else the file's text."""
    if codes is None:
        return None
    if codes == "-":
        return sys.stdin.read()
    try:
        return Path(codes).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise UserError(f"{codes}: cannot be read ({reason})") from None


def _inspect(directory: Path, settings: Settings, codes: str | None = None) -> Inspection:
    if not directory.is_dir():
        raise UserError(f"{directory}: no such directory (give the interview's directory)")
    text = _codes_text(codes)
    return inspect_interview(directory, settings.languages, settings.paths.interviews, text)


def _remove_clear_codes(inspection: Inspection) -> None:
    """No clear code stays on the booth: the source's codes.csv goes once it is installed."""
    assert inspection.interview is not None
    if inspection.codes_text is not None or inspection.interview.codes.code_hash is not None:
        return
    source = inspection.directory / CODES_FILE
    try:
        source.unlink()
    except OSError as err:
        print(
            f"warning: {source} holds the codes in clear and cannot be deleted "
            f"({err.strerror}): delete it by hand",
            file=sys.stderr,
        )
        return
    print(f"Deleted {source}: the booth keeps the codes hashed only.")


def run_check(args: argparse.Namespace) -> int:
    inspection = _inspect(args.directory, _settings(args.config), args.codes)
    if not inspection.ok:
        return _problems(inspection.problems)
    print(inspection.summary())
    return 0


class ProgressPrinter:
    """Conversion progress: a percentage rewritten in place on a terminal, else one line per
    finished clip (for logs and Ansible)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.terminal = stream.isatty()

    def __call__(self, p: ClipProgress) -> None:
        head = f"converting {p.name} ({p.index}/{p.count})"
        if p.converted is not None:
            c = p.converted
            picture = f"{c.width}x{c.height} {c.fps:g} fps, " if c.width else "sound only, "
            line = f"{head}: {picture}{c.seconds:.1f} s"
            self.stream.write(f"\r{line:<60}\n" if self.terminal else f"{line}\n")
        elif self.terminal:
            self.stream.write(f"\r{head} {p.fraction:4.0%}")
        self.stream.flush()


def run_add(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    inspection = _inspect(args.directory, settings, args.codes)
    if not inspection.ok:
        return _problems(inspection.problems)
    assert inspection.interview is not None
    root = settings.paths.interviews
    if inspection.interview.id in installed_ids(root):
        _refuse_during_a_session(settings, "replace the interview")
    try:
        installed = install_interview(
            inspection, root, ProgressPrinter(sys.stderr), _seal_ref(settings)
        )
    except ConfigError as err:
        return _problems(err.problems)
    except OSError as err:
        raise UserError(
            f"{getattr(err, 'filename', None) or root}: {err.strerror or err} (check "
            f"paths.interviews in {args.config}, and run as the booth user: "
            "sudo -u booth booth interviews add DIR)"
        ) from None
    iv = installed.interview
    verb = "Replaced" if installed.replaced else "Installed"
    print(
        f"{verb} interview {iv.id} ({iv.employer}) in {installed.directory}: "
        f"{len(iv.questions)} questions, {len(iv.codes)} invitations (codes stored hashed), "
        f"{len(installed.clips)} clips converted."
    )
    if not args.keep_clear_codes:
        _remove_clear_codes(inspection)
    print(KIOSK_HINT)
    return 0


def run_codes(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    root = settings.paths.interviews
    text = _codes_text(args.codes)
    source = Path("<stdin>") if args.codes == "-" else Path(args.codes)
    try:
        changed = replace_codes(root, args.interview_id, source, text, _seal_ref(settings))
    except UnknownInterview as err:
        raise UserError(
            f"no interview {args.interview_id!r} in {root} (installed: "
            f"{', '.join(err.installed) or 'none'}; see booth interviews list)"
        ) from None
    except ConfigError as err:
        return _problems(err.problems)
    if not changed:
        print(f"unchanged: the invitations of {args.interview_id} are the ones installed")
        return 0
    print(f"Replaced the invitations of {args.interview_id} (codes stored hashed).")
    print(KIOSK_HINT)
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask on: add --yes to remove the interview")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run_remove(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    root = settings.paths.interviews
    ids = installed_ids(root)
    if args.interview_id not in ids:
        installed = ", ".join(sorted(ids)) or "none"
        raise UserError(
            f"no interview {args.interview_id!r} in {root} (installed: {installed}; "
            "see booth interviews list)"
        )
    for kept in (settings.paths.spool, settings.paths.state):
        if kept.resolve().is_relative_to(ids[args.interview_id].resolve()):
            raise UserError(
                f"{kept} is inside {ids[args.interview_id]}: move paths.spool and paths.state "
                f"out of paths.interviews in {args.config} first"
            )
    if not args.yes and not _confirm(
        f"Remove interview {args.interview_id} from {ids[args.interview_id]}? "
        "Sessions already recorded stay in the spool."
    ):
        print("Nothing removed.")
        return 1
    _refuse_during_a_session(settings, "remove the interview")
    try:
        directory = remove_interview(root, args.interview_id)
    except UnknownInterview:  # removed by someone else meanwhile
        raise UserError(f"no interview {args.interview_id!r} in {root}") from None
    except OSError as err:
        raise UserError(
            f"{getattr(err, 'filename', None) or root}: cannot be removed "
            f"({err.strerror or err}); run as the booth user (sudo -u booth)"
        ) from None
    print(f"Removed interview {args.interview_id} ({directory}).")
    print(KIOSK_HINT)
    return 0
