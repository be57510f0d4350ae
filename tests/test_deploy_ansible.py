"""The fleet playbook: syntax, ansible-lint, the vault, and the settings it writes per booth."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booth.config.settings import load_settings

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE = ROOT / "deploy" / "ansible"
# The example vault (group_vars/booths/vault.yml) is encrypted with this documented password.
EXAMPLE_VAULT_PASSWORD = "example"


def tool(name: str) -> str:
    """A tool from the project's venv (dev extras); fails, not skips, when it is missing."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it comes with the dev extras (make venv)")
    return found


@pytest.fixture
def ansible_env(tmp_path: Path) -> dict[str, str]:
    password = tmp_path / "vault-password"
    password.write_text(EXAMPLE_VAULT_PASSWORD + "\n")
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_VAULT_PASSWORD_FILE": str(password),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
    }


def ansible(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_playbook_passes_the_syntax_check(ansible_env: dict[str, str]) -> None:
    result = ansible(
        [tool("ansible-playbook"), "--syntax-check", "-i", "inventory.example.yml", "site.yml"],
        ansible_env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_playbook_and_role_are_ansible_lint_clean(ansible_env: dict[str, str]) -> None:
    result = ansible(
        [tool("ansible-lint"), "--offline", "--profile", "production", "--nocolor"], ansible_env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Decryption failed" not in result.stderr


def test_upload_tokens_are_vault_encrypted_one_per_booth(ansible_env: dict[str, str]) -> None:
    vault = ANSIBLE / "group_vars" / "booths" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")
    shown = ansible([tool("ansible-vault"), "view", str(vault)], ansible_env)
    assert shown.returncode == 0, shown.stderr
    assert "booth-lund-1: " in shown.stdout and "booth-malmo-1: " in shown.stdout


def test_each_booth_gets_settings_the_booth_accepts(
    ansible_env: dict[str, str], tmp_path: Path
) -> None:
    # The role's own settings task, run locally for every inventory host; its `validate` runs
    # the real `booth config check` on each rendered file.
    play = tmp_path / "render.yml"
    play.write_text(
        "- name: Render the settings of every booth\n"
        "  hosts: booths\n  connection: local\n  gather_facts: false\n"
        "  tasks:\n    - name: Settings\n      ansible.builtin.import_role:\n"
        "        name: booth\n        tasks_from: settings\n"
    )
    data = tmp_path / "data"
    (data / "interviews").mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    result = ansible(
        [
            tool("ansible-playbook"),
            "-i",
            "inventory.example.yml",
            str(play),
            "-e",
            f"booth_settings_file={out}/{{{{ inventory_hostname }}}}.toml",
            "-e",
            f"booth_command={tool('booth')}",
            "-e",
            f"booth_group={os.getgid()}",
            "-e",
            f"booth_data_dir={data}",
            "-e",
            "booth_manage_services=false",
        ],
        {**ansible_env, "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lund = load_settings(out / "booth-lund-1.toml")
    malmo = load_settings(out / "booth-malmo-1.toml")
    assert (lund.booth_id, lund.language) == ("lund-library-1", "sv")
    assert (malmo.booth_id, malmo.language) == ("malmo-jobcenter-1", "en")
    assert malmo.paths.spool == data / "spool"
    assert malmo.sync["token_file"] == "/etc/booth/upload.token"
    assert "Location: Malmö job center" in (out / "booth-malmo-1.toml").read_text()


def test_the_role_starts_and_restarts_every_unit_install_sh_installs():
    import re

    import yaml

    units = re.search(r"^UNITS=\(([^)]*)\)", (ROOT / "deploy/install.sh").read_text(), re.M)
    assert units is not None
    installed = set(units.group(1).split())
    role = ANSIBLE / "roles" / "booth"
    for path, name in (
        (role / "tasks" / "configure.yml", "Start the booth services"),
        (role / "handlers" / "main.yml", "Restart the booth services"),
    ):
        (task,) = [t for t in yaml.safe_load(path.read_text()) if t.get("name") == name]
        assert set(task["loop"]) == installed, path
