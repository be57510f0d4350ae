"""Scripts for headless runs of the booth (`booth simulate --script FILE`).

One command per line; `#` starts a comment:

    press ACTION [VALUE]   an action, as if touched, typed or pressed on a button
    type TEXT              digits of an invitation code, one `digit` action each
    wait SECONDS           let virtual time pass
    expect SCREEN          stop with exit 1 unless this screen is showing
    screenshot NAME        write DIR/screens/NAME.png now
    clap                   flash the simulated scene white for one frame, with a click
    ambient LUX            the simulated room's light from now on, in lux
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from booth.session.view import ACTIONS, SCREENS
from booth.sim.scenarios import parse_ambient

COMMANDS = ("press", "type", "wait", "expect", "screenshot", "clap", "ambient")


class ScriptError(Exception):
    """A script line that cannot run; the message names the file and line."""


@dataclass(frozen=True)
class Command:
    line: int
    name: str
    arg: str | None = None
    value: str | None = None
    seconds: float = 0.0


def parse_script(text: str, source: str = "<script>") -> list[Command]:
    """Parse a whole script, reporting every bad line at once."""
    commands: list[Command] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            commands.append(_parse_line(number, line))
        except ValueError as err:
            problems.append(f"{source}:{number}: {err}")
    if problems:
        raise ScriptError("\n".join(problems))
    return commands


def load_script(path: Path) -> list[Command]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScriptError(f"{path}: no such script file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScriptError(f"{path}: cannot read the script ({err})") from None
    return parse_script(text, str(path))


def _parse_line(number: int, line: str) -> Command:
    name, _, rest = line.partition(" ")
    parse = _PARSERS.get(name)
    if parse is None:
        raise ValueError(f"unknown command {name!r} (known: {', '.join(COMMANDS)})")
    return parse(number, rest.strip())


def _press(number: int, rest: str) -> Command:
    parts = rest.split()
    if not parts or len(parts) > 2:
        raise ValueError("press: expected `press ACTION [VALUE]`")
    if parts[0] not in ACTIONS:
        raise ValueError(f"press: unknown action {parts[0]!r} (known: {', '.join(ACTIONS)})")
    return Command(number, "press", parts[0], parts[1] if len(parts) == 2 else None)


def _type(number: int, rest: str) -> Command:
    if not rest:
        raise ValueError("type: expected the text to type, e.g. `type 123456`")
    return Command(number, "type", rest)


def _wait(number: int, rest: str) -> Command:
    try:
        seconds = float(rest)
    except ValueError:
        raise ValueError(f"wait: {rest!r} is not a number of seconds") from None
    if not 0 <= seconds <= 24 * 3600:
        raise ValueError(f"wait: {rest} is out of range (0 to 86400 seconds)")
    return Command(number, "wait", seconds=seconds)


def _expect(number: int, rest: str) -> Command:
    if rest not in SCREENS:
        raise ValueError(f"expect: unknown screen {rest!r} (known: {', '.join(SCREENS)})")
    return Command(number, "expect", rest)


def _screenshot(number: int, rest: str) -> Command:
    if not rest or "/" in rest or rest.startswith("."):
        raise ValueError("screenshot: expected a plain NAME (letters, digits, - and _)")
    return Command(number, "screenshot", rest)


def _clap(number: int, rest: str) -> Command:
    if rest:
        raise ValueError("clap: takes no argument")
    return Command(number, "clap")


def _ambient(number: int, rest: str) -> Command:
    return Command(number, "ambient", str(parse_ambient(rest)))


_PARSERS: dict[str, Callable[[int, str], Command]] = {
    "press": _press,
    "type": _type,
    "wait": _wait,
    "expect": _expect,
    "screenshot": _screenshot,
    "clap": _clap,
    "ambient": _ambient,
}
