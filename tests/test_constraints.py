"""Reproducible installs: deploy/constraints.txt against pyproject, pip's resolver, the packages
apt serves to the venv, and booth's tests in a venv of exactly the pinned versions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "deploy" / "constraints.txt"
INSTALL = ROOT / "deploy" / "install.sh"
PINNED_VENV = ROOT / ".venv-pinned"
# Pinned for pip's build environments (pyalsaaudio and booth are built), not run by booth.
BUILD_ONLY = {"wheel"}


def pins() -> dict[str, str]:
    found = {}
    for raw in CONSTRAINTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"not an exact pin: {raw!r}"
        found[canonicalize_name(name)] = version.strip()
    return found


def runtime_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [Requirement(text) for text in pyproject["project"]["dependencies"]]


def apt_python() -> dict[str, str]:
    """install.sh's APT_PYTHON: distribution name -> the Debian package that serves it."""
    match = re.search(r"^APT_PYTHON=\(([^)]*)\)", INSTALL.read_text(), re.M)
    assert match, "install.sh has no APT_PYTHON"
    return dict(entry.split(":") for entry in match.group(1).split())


def test_every_runtime_dependency_is_pinned_within_pyproject() -> None:
    pinned = pins()
    for requirement in runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not pinned in deploy/constraints.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} does not satisfy pyproject's {requirement}"
        )


@pytest.mark.timeout(240)
def test_pips_resolver_installs_exactly_the_pins(tmp_path: Path) -> None:
    """pip resolves booth from pyproject with the constraints: every package it would install
    is pinned, at that version, and every pin is used (build back-ends aside)."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--constraint",
            str(CONSTRAINTS),
            str(ROOT),
        ],
        env={**os.environ, "PIP_CONSTRAINT": str(CONSTRAINTS)},
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    resolved = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    resolved.pop("booth")
    expected = {name: v for name, v in pins().items() if name not in BUILD_ONLY}
    assert resolved == expected


def test_packages_apt_serves_are_pinned_to_the_debian_versions() -> None:
    # The versions install.sh replaces with apt's on a booth: the file holds the ones Raspberry
    # Pi OS Bookworm ships, so CI and the pinned venv test what a booth runs.
    served = apt_python()
    assert served == {
        "av": "python3-av",
        "numpy": "python3-numpy",
        "systemd-python": "python3-systemd",
    }
    pinned = pins()
    assert {name: pinned[name] for name in served} == {
        "av": "14.0.1",
        "numpy": "1.24.2",
        "systemd-python": "235",
    }


def test_the_pygame_install_sh_builds_is_the_pinned_one() -> None:
    # install.sh builds pygame from source first (the system SDL has KMSDRM), by its own name.
    match = re.search(r'^PYGAME_REQUIREMENT="pygame==([^"]+)"', INSTALL.read_text(), re.M)
    assert match and match.group(1) == pins()["pygame"]


def install(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["bash", str(INSTALL), *args],
        env={**os.environ, "BOOTH_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def pi(tmp_path: Path) -> Path:
    root = tmp_path / "pi"
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    return root


def release_pins(root: Path) -> dict[str, str]:
    text = (root / "opt/booth/releases/0.1.0/constraints.txt").read_text()
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            found[name] = version
    return found


def test_install_pins_what_apt_installed_to_apt_versions(pi: Path) -> None:
    site = pi / "usr/lib/python3/dist-packages"
    for meta in ("numpy-1.24.2.egg-info", "systemd_python-235.egg-info", "av-14.2.0.dist-info"):
        (site / meta).mkdir(parents=True)
    out = install(pi)
    assert "Python package av 14.2.0: from apt (python3-av), shared with the system" in out
    pinned = release_pins(pi)
    assert pinned["av"] == "14.2.0  # from apt (python3-av), not pip"
    assert pinned["numpy"] == "1.24.2  # from apt (python3-numpy), not pip"
    assert pinned["pygame"] == pins()["pygame"]
    release = "/opt/booth/releases/0.1.0"
    constrained = f"env PIP_CONSTRAINT={release}/constraints.txt {release}/bin/pip install --quiet"
    assert f"{constrained} --no-binary pygame pygame=={pins()['pygame']}\n" in out
    assert f"{constrained} {ROOT}\n" in out


def test_install_without_apt_copies_uses_the_files_pins(pi: Path) -> None:
    install(pi)
    assert release_pins(pi) == pins()


def test_install_takes_picamera2_and_its_pyav_from_the_pi_archive(pi: Path) -> None:
    out = install(pi, "--dry-run")
    assert "--no-install-recommends python3-picamera2 python3-av python3-lgpio python3-venv" in out
    assert "python3-numpy python3-systemd" in out
    assert "libsystemd-dev" not in out, "systemd-python comes from apt: nothing to build"
    skipped = install(pi, "--dry-run", "--without-pi-archive")
    assert (
        "Skipping the Raspberry Pi archive packages (--without-pi-archive): "
        "python3-picamera2 python3-av python3-lgpio" in skipped
    )
    assert "python3-picamera2" not in skipped.split("Skipping")[1].split("\n", 1)[1]


def test_the_ansible_role_installs_through_install_sh_with_the_shipped_constraints() -> None:
    tasks = (ROOT / "deploy/ansible/roles/booth/tasks/install.yml").read_text()
    assert "cmd: /opt/booth/src/{{ booth_version }}/deploy/install.sh" in tasks
    assert "archive --format=tar.gz" in tasks and "HEAD" in tasks
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "deploy/constraints.txt"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert tracked.strip() == "deploy/constraints.txt", "git archive ships tracked files only"


# The modules that touch PyAV, numpy, pygame and the sound and GPIO libraries most directly.
PINNED_TESTS = [
    "tests/test_media.py",
    "tests/test_take_video.py",
    "tests/test_convert.py",
    "tests/test_av_drift.py",
    "tests/test_analyze.py",
    "tests/test_player.py",
    "tests/test_devices_microphone.py",
    "tests/test_devices_gpio.py",
    "tests/test_ui_render.py",
]


@pytest.mark.timeout(300)
def test_booth_works_with_exactly_the_pinned_versions() -> None:
    """The second venv (make venv builds .venv-pinned from deploy/constraints.txt alone): booth
    with Raspberry Pi OS Bookworm's PyAV and Debian 12's numpy, as on a booth."""
    python = PINNED_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{PINNED_VENV} is missing: make venv builds it")
    versions = subprocess.run(
        [str(python), "-c", "import av, numpy; print(av.__version__, numpy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions == [pins()["av"], pins()["numpy"]]
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *PINNED_TESTS],
        cwd=ROOT,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
        capture_output=True,
        text=True,
        timeout=290,
    )
    assert result.returncode == 0, result.stdout[-4000:]
