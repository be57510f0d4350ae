"""deploy/receiver on a server: its systemd unit, its start script and its alert rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_deploy import assert_unit_verifies, tool

RECEIVER = Path(__file__).resolve().parent.parent / "deploy" / "receiver"
UNIT = RECEIVER / "booth-receiver.service"

pytestmark = pytest.mark.deploy


def test_the_unit_verifies_cleanly(tmp_path: Path) -> None:
    assert_unit_verifies(UNIT, tmp_path)


def test_the_unit_is_hardened_like_the_booths() -> None:
    result = subprocess.run(
        [tool("systemd-analyze"), "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


def test_the_start_script_is_shellcheck_clean() -> None:
    result = subprocess.run(
        [tool("shellcheck"), "--shell=bash", str(RECEIVER / "start")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_the_alert_rules_fire_as_their_tests_say() -> None:
    result = subprocess.run(
        [tool("promtool"), "test", "rules", "receiver.rules.test.yml"],
        cwd=RECEIVER,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_npm_packages_are_pinned_exactly_and_locked() -> None:
    import json

    package = json.loads((RECEIVER / "package.json").read_text())
    lock = json.loads((RECEIVER / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not pinned"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
