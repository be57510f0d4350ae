"""The maintainability figures of issue 28, measured on the working tree.

`python -m tools.code_figures` prints the largest modules, classes and functions of `booth/`, the
functions over cyclomatic complexity 10 and 15 (ruff's C901), the `Any` annotations, the files
mypy checks and the pairs the `duplicates` command finds. Run it before and after a refactoring:
the figures are counts of the tree, so they do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "booth"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _definitions(kind: type[ast.AST]) -> list[tuple[int, str]]:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, kind) and hasattr(node, "end_lineno"):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[attr-defined]
                found.append((lines, f"{_rel(path)}:{node.lineno} {node.name}"))  # type: ignore[attr-defined]
    return sorted(found, reverse=True)


def _functions() -> list[tuple[int, str]]:
    return sorted(_definitions(ast.FunctionDef) + _definitions(ast.AsyncFunctionDef), reverse=True)


def _any_annotations() -> int:
    """Annotations (parameters, returns, variables) that mention `Any` anywhere inside them."""
    count = 0
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        annotations: list[ast.expr] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                annotations.append(node.annotation)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
                annotations.append(node.returns)
            elif isinstance(node, ast.AnnAssign):
                annotations.append(node.annotation)
        for annotation in annotations:
            text = ast.unparse(annotation)
            if re.search(r"\bAny\b", text):
                count += 1
    return count


def _complexity_over(limit: int) -> list[str]:
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or "ruff"
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            # A function kept whole on purpose (a flat dispatch) still counts here.
            "--ignore-noqa",
            "--select",
            "C901",
            "--config",
            f"lint.mccabe.max-complexity={limit}",
            "--output-format",
            "json",
            "booth",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = json.loads(result.stdout or "[]")
    return sorted(f"{_rel(Path(row['filename']))}: {row['message']}" for row in rows)


def _mypy_files() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    total = 0
    for entry in config["tool"]["mypy"]["files"]:
        path = ROOT / entry
        total += len(list(path.rglob("*.py"))) if path.is_dir() else 1
    return total


def _duplicates() -> str:
    if shutil.which("duplicates") is None:
        return "(the duplicates command is not installed)"
    result = subprocess.run(
        ["duplicates", "--repo", str(PACKAGE), "--seconds", "120"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.splitlines()[0] if result.stdout else "(no answer)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="rows of each largest-list")
    args = parser.parse_args(argv)

    modules = sorted(((_line_count(p), _rel(p)) for p in _modules()), reverse=True)
    print(f"modules: {len(modules)}, lines: {sum(n for n, _ in modules)}")
    print("largest modules:")
    for lines, name in modules[: args.top]:
        print(f"  {lines:5d} {name}")
    print("largest classes:")
    for lines, name in _definitions(ast.ClassDef)[: args.top]:
        print(f"  {lines:5d} {name}")
    print("largest functions:")
    for lines, name in _functions()[: args.top]:
        print(f"  {lines:5d} {name}")
    classes_over = [row for row in _definitions(ast.ClassDef) if row[0] > 300]
    print(f"classes over 300 lines: {len(classes_over)}")
    for limit in (10, 15):
        over = _complexity_over(limit)
        print(f"functions over complexity {limit}: {len(over)}")
        if limit == 15:
            for row in over:
                print(f"  {row}")
    print(f"annotations mentioning Any: {_any_annotations()}")
    print(f"files under mypy: {_mypy_files()} of {len(modules)}")
    print(f"duplicates in booth/: {_duplicates()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
