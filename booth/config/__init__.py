"""Booth settings and interview definitions, parsed and checked, with errors staff can act on.

- settings.py: `/etc/booth/booth.toml` → `Settings` (config/booth.example.toml shows every key)
- interview.py: an interview directory → `Interview` with its `Question`s and `Practice`
- codes.py: `codes.csv` → `CodeBook` of `Invitation`s; `hash_codes` makes the installed form
- hours.py: opening hours, `is_open` / `next_opening`
- check.py: everything at once, for `booth config check`
- errors.py: `ConfigProblem` (`FILE:LINE: key: what is wrong (what is expected)`), `ConfigError`
"""

from booth.config.codes import hash_codes, load_codes
from booth.config.errors import ConfigError, ConfigProblem
from booth.config.hours import OpeningHours, is_open, next_opening
from booth.config.interview import load_interview, load_interviews
from booth.config.settings import Settings, load_settings
from booth.session.interview import Interview, Practice, Question
from booth.session.invitation import CodeBook, Invitation

__all__ = [
    "CodeBook",
    "ConfigError",
    "ConfigProblem",
    "Interview",
    "Invitation",
    "OpeningHours",
    "Practice",
    "Question",
    "Settings",
    "hash_codes",
    "is_open",
    "load_codes",
    "load_interview",
    "load_interviews",
    "load_settings",
    "next_opening",
]
