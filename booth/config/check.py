"""`booth config check`: the settings and every interview, checked in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from booth.config.errors import ConfigError, ConfigProblem
from booth.config.interview import INTERVIEW_FILE, load_interviews
from booth.config.settings import Settings, load_settings
from booth.session.interview import Interview


@dataclass
class CheckReport:
    """What a check found: the settings (None if broken), the valid interviews, all problems."""

    settings_file: Path
    settings: Settings | None
    interviews: list[Interview] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)
    # What works but leaves candidates worse off (no [help]): printed, exit 0.
    warnings: list[ConfigProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """The one line printed when everything is valid."""
        if self.settings is not None and self.settings.source is not None:
            settings = f"settings {self.settings_file}"
        else:
            settings = f"settings built-in defaults ({self.settings_file} not found)"
        n = len(self.interviews)
        ids = ", ".join(i.id for i in self.interviews)
        return f"OK: {settings}, {n} interview{'' if n == 1 else 's'}" + (
            f" ({ids})" if ids else ""
        )


HELP_FIX = (
    'set [help] text = { sv = "...", en = "..." } (how to reach staff here), and phone or '
    "location if there are any: see config/booth.example.toml"
)


def help_gaps(settings: Settings) -> list[str]:
    """What the help screen lacks: no [help] at all (candidates read only the built-in "Ask
    the staff here for help."), or no help text in some of the booth's languages."""
    help_ = settings.help
    if not (help_.text or help_.phone or help_.location):
        return [
            'not set: a candidate who presses Help reads only "Ask the staff here for help.", '
            "with no contact"
        ]
    if help_.text and "" not in help_.text:
        missing = [lang for lang in settings.languages if lang not in help_.text]
        if missing:
            return [f"text has no {', '.join(missing)}: those candidates read the built-in text"]
    return []


def check_config(config: Path, interviews_dir: Path | None = None) -> CheckReport:
    """Check the settings in `config` and the interviews in `interviews_dir` (default: the
    settings' `paths.interviews`). Never raises for malformed input: it becomes a problem."""
    report = CheckReport(config, None)
    try:
        report.settings = load_settings(config)
    except ConfigError as err:
        report.problems.extend(err.problems)
    except (OSError, ValueError) as err:  # a last guard: staff get a line, not a traceback
        report.problems.append(
            ConfigProblem(config, None, "file", str(err), "a readable TOML file")
        )
    if report.settings is not None:
        where = report.settings.source or config
        report.warnings += [ConfigProblem(where, None, "help", gap, HELP_FIX)
                            for gap in help_gaps(report.settings)]  # fmt: skip
    if interviews_dir is None:
        if report.settings is None:
            return report
        interviews_dir = report.settings.paths.interviews
    try:
        interviews, problems = load_interviews(interviews_dir)
    except (OSError, ValueError) as err:
        interviews = []
        problems = [ConfigProblem(interviews_dir, None, "interviews", str(err), "readable files")]
    report.interviews = interviews
    report.problems.extend(problems)
    if report.settings is not None:
        booth_languages = report.settings.languages
        for interview in interviews:
            if not set(interview.languages) & set(booth_languages):
                report.problems.append(
                    ConfigProblem(
                        interview.directory / INTERVIEW_FILE,
                        1,
                        "languages",
                        "none of the interview's languages is a booth language",
                        "at least one of " + ", ".join(booth_languages),
                    )
                )
    return report
