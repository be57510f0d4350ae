"""Find the texts the ui code marks for translation, without running it.

Used by the tests (every text has a translation in every catalog) and handy when
updating catalogs: `python -m tools.msgids` prints them. A development tool: not installed
with the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI_DIR = Path(__file__).resolve().parent.parent / "booth" / "ui"
MARKERS = {"tr", "N_", "_"}


def _marker(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in MARKERS
    return isinstance(func, ast.Attribute) and func.attr == "tr"


def marked_msgids(paths: list[Path] | None = None) -> dict[str, str]:
    """msgid → "file:line" of its first use, for every `tr("…")`, `c.tr("…")`, `N_("…")`."""
    found: dict[str, tuple[str, int]] = {}
    for path in paths or sorted(UI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _marker(node.func) and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, (path.name, node.lineno))
    in_order = sorted(found.items(), key=lambda item: item[1])
    return {msgid: f"{name}:{line}" for msgid, (name, line) in in_order}


if __name__ == "__main__":
    for msgid, where in marked_msgids().items():
        print(f"{where}\t{msgid!r}")
