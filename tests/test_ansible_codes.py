"""The fleet role installs interviews without leaving a clear codes.csv on the booth (issue
11.9): run locally, the role's interviews tasks install the example, and no file the booth
keeps holds a code in clear; a second run leaves the invitations alone, a changed codes.csv
replaces them."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest
from privacy_support import make_org_key
from test_config_interview import MINIMAL
from test_deploy_ansible import (
    ANSIBLE,
    ansible,
    ansible_env,  # noqa: F401 (fixture)
    tool,
)

from booth.config.interview import load_interview

pytestmark = pytest.mark.deploy

CLEAR_CODES = (b"123456", b"234567", b"345678", b"456789", b"987123")


def run_role(tmp_path: Path, env: dict[str, str], source: Path, extra: str = "") -> str:
    play = tmp_path / "interviews.yml"
    play.write_text(
        "- name: Push interviews\n"
        "  hosts: booth-lund-1\n  connection: local\n  gather_facts: false\n"
        "  tasks:\n    - name: Interviews\n      ansible.builtin.import_role:\n"
        "        name: booth\n        tasks_from: interviews\n"
    )
    data = tmp_path / "data"
    settings = tmp_path / "booth.toml"
    settings.write_text(
        f'[paths]\ninterviews = "{data}/interviews"\nspool = "{data}/spool"\n'
        f'state = "{data}/state"\n{extra}'
    )
    user = pwd.getpwuid(os.getuid()).pw_name
    result = ansible(
        [
            tool("ansible-playbook"),
            "-i",
            "inventory.example.yml",
            str(play),
            "-e",
            f'{{"booth_interviews": ["{source}"]}}',
            "-e",
            f"booth_settings_file={settings}",
            "-e",
            f"booth_command={tool('booth')}",
            "-e",
            f"booth_data_dir={data}",
            "-e",
            f"booth_user={user}",
            "-e",
            f"booth_group={os.getgid()}",
            "-e",
            "booth_become=false",
        ],
        # The booth command of this source tree, whichever checkout the venv was installed from.
        {
            **env,
            "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles"),
            "PYTHONPATH": str(ANSIBLE.parents[1]),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def recruiter_folder(tmp_path: Path) -> Path:
    """An interview as a recruiter hands it over: text questions (no clip to convert, so the
    role runs quickly) and a clear codes.csv."""
    source = tmp_path / "rec"
    source.mkdir()
    (source / "interview.toml").write_text(MINIMAL.replace('"mini"', '"example"'))
    (source / "codes.csv").write_text("code,candidate_ref\n123456,C1\n234567,C2\n")
    return source


def assert_no_clear_code(data: Path) -> None:
    for path in data.rglob("*"):
        if path.is_file():
            assert not any(code in path.read_bytes() for code in CLEAR_CODES), path


def test_the_role_leaves_no_clear_code_on_the_booth(ansible_env, tmp_path):  # noqa: F811
    source = recruiter_folder(tmp_path)
    out = run_role(tmp_path, ansible_env, source)
    data = tmp_path / "data"
    installed = load_interview(data / "interviews" / "example")
    assert installed.codes.lookup("123456") is not None
    assert_no_clear_code(data)
    assert not (data / "incoming" / "rec" / "codes.csv").exists()
    assert all(code.decode() not in out for code in CLEAR_CODES)  # no_log
    assert (source / "codes.csv").exists()  # the controller's copy stays


@pytest.mark.timeout(90)  # two runs of ansible-playbook
def test_a_second_run_changes_nothing_until_the_codes_change(ansible_env, tmp_path):  # noqa: F811
    source = recruiter_folder(tmp_path)
    data = tmp_path / "data"
    run_role(tmp_path, ansible_env, source)
    with (source / "codes.csv").open("a") as codes:
        codes.write("987123,C3\n")
    out = run_role(tmp_path, ansible_env, source)
    assert "changed=1" in out  # the invitations only: no file copied, no clip converted
    assert load_interview(data / "interviews" / "example").codes.lookup("987123") is not None
    assert_no_clear_code(data)


@pytest.mark.timeout(90)  # two runs of ansible-playbook
def test_with_recipients_references_are_sealed_and_a_second_run_changes_nothing(
    ansible_env,  # noqa: F811
    tmp_path,
):
    org = make_org_key(tmp_path)
    source = recruiter_folder(tmp_path)
    data = tmp_path / "data"
    recipients = f'[privacy]\nrecipients = ["{org.recipient}"]\n'
    run_role(tmp_path, ansible_env, source, recipients)
    installed = (data / "interviews" / "example" / "codes.csv").read_text()
    assert ",C1," not in installed and ",C2," not in installed
    # Sealing encrypts afresh each time, yet the same invitations are "unchanged".
    out = run_role(tmp_path, ansible_env, source, recipients)
    assert "changed=0" in out
    assert (data / "interviews" / "example" / "codes.csv").read_text() == installed
