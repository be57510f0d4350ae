"""What the installed package holds: booth's modules and the data it reads, nothing else."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "booth"
SOURCE_ONLY = {".po"}  # translation sources, compiled to the .mo files that ship
OUTSIDE = {"tools", "bench", "tests", "conftest", "sync_support"}


def package_data() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["setuptools"]["package-data"]["booth"]


def test_package_data_names_only_files_that_exist():
    for pattern in package_data():
        assert list(PACKAGE.glob(pattern)), f"package-data {pattern!r} matches no file"


def test_every_data_file_in_the_package_ships():
    shipped = {path for pattern in package_data() for path in PACKAGE.glob(pattern)}
    data = {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc", *SOURCE_ONLY}
    }
    assert data - shipped == set()


@pytest.mark.slow
def test_the_package_imports_nothing_from_the_source_tree():
    """tools/, bench/ and tests/ are not installed: booth must not need them."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in OUTSIDE]
    assert found == []


def test_numpy_stays_below_2_for_apts_picamera2_stack():
    # The booth's venv sees apt's python3-picamera2 and simplejpeg (--system-site-packages),
    # built against numpy 1.x: a numpy 2 installed into the venv would shadow apt's and break
    # their import (issue 16.12).
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    numpy = next(Requirement(r) for r in project["dependencies"] if Requirement(r).name == "numpy")
    assert not numpy.specifier.contains("2.0.0") and numpy.specifier.contains("1.26.4")
