"""The fleet role leaves no code on the booth at any time (issue 24.5): while the role's
interviews tasks run locally, a poller reads every file in the booth's data folder (incoming
among them) and in every temp folder Ansible or its modules use, as fast as it can, and finds
no invitation code in any of them. The same poller finds the codes in AnsiballZ_command.py
when a command gets them as its stdin without pipelining, the leak the role had: so its 0 is
not a blind search. Codes-like files beside an interview (editor backups, a second codes
file) never reach the booth, and what the role writes there is 0700/0600."""

from __future__ import annotations

import os
import pwd
import subprocess
import threading
import time
from pathlib import Path

import pytest
from test_ansible_codes import CLEAR_CODES, recruiter_folder
from test_deploy_ansible import (
    ANSIBLE,
    ansible,
    ansible_env,  # noqa: F401 (fixture)
    tool,
)

from booth.config.interview import load_interview

pytestmark = [pytest.mark.deploy, pytest.mark.slow]

CODES_LIKE = ("codes.csv~", "codes-backup.csv", ".codes.csv.swp", "#codes.csv#", "codes.csv.bak")


class Poller:
    """Reads every file under `roots` again and again on a thread of its own, and keeps each
    (file, code) it ever saw."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots
        self.found: set[tuple[str, str]] = set()
        self.scans = 0
        self.names: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.scan()  # and what stays

    def _run(self) -> None:
        # A module's files live for its whole run (a second and more for `booth interviews
        # add`); 2 ms between scans catches them without taking a core from the others.
        while not self._stop.wait(0.002):
            self.scan()

    def scan(self) -> None:
        for root in self.roots:
            for folder, _dirs, files in os.walk(root):
                for name in files:
                    path = os.path.join(folder, name)
                    try:
                        with open(path, "rb") as f:
                            data = f.read()
                    except OSError:  # gone between listing and reading
                        continue
                    self.names.add(name)
                    for code in CLEAR_CODES:
                        if code in data:
                            self.found.add((path, code.decode()))
        self.scans += 1


def watched(tmp_path: Path, env: dict[str, str]) -> tuple[dict[str, str], list[Path]]:
    """The environment of a run and the folders to watch: the booth's data folder, Ansible's
    home (its remote_tmp, ~/.ansible/tmp, is in it), its local temp and the system temp
    folder the modules' payloads are unpacked in."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**env, "TMPDIR": str(temp), "ANSIBLE_REMOTE_TEMP": str(tmp_path / "remote-tmp")}
    roots = [tmp_path / "data", tmp_path / "remote-tmp", temp]
    roots += [Path(env["ANSIBLE_HOME"]), Path(env["ANSIBLE_LOCAL_TEMP"])]
    for root in roots:
        root.mkdir(exist_ok=True)
    return env, roots


def run_interviews_role(
    tmp_path: Path, env: dict[str, str], source: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """The role's interviews tasks, run locally as test_ansible_codes runs them."""
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
        f'state = "{data}/state"\n'
    )
    user = pwd.getpwuid(os.getuid()).pw_name
    args = [tool("ansible-playbook"), "-i", "inventory.example.yml", str(play)]
    for var in (
        f'{{"booth_interviews": ["{source}"]}}',
        f"booth_settings_file={settings}",
        f"booth_command={tool('booth')}",
        f"booth_data_dir={data}",
        f"booth_user={user}",
        f"booth_group={os.getgid()}",
        "booth_become=false",
    ):
        args += ["-e", var]
    env = {
        **env,
        "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles"),
        "PYTHONPATH": str(ANSIBLE.parents[1]),
    }
    return ansible([*args, *extra], env)


def with_codes_like_files(tmp_path: Path) -> Path:
    source = recruiter_folder(tmp_path)
    for name in CODES_LIKE:
        (source / name).write_text("code,candidate_ref\n987123,C3\n")
    return source


@pytest.mark.timeout(120)
def test_a_poller_finds_no_code_on_the_booth_while_the_role_runs(ansible_env, tmp_path):  # noqa: F811
    source = with_codes_like_files(tmp_path)
    env, roots = watched(tmp_path, ansible_env)
    started = time.monotonic()
    with Poller(roots) as poller:
        result = run_interviews_role(tmp_path, env, source)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert poller.found == set()
    # It watched the whole run, many times a second, and read what Ansible's modules unpack
    # in the temp folder while they run, and what the role copied.
    assert poller.scans >= 10 * elapsed, (poller.scans, elapsed)
    assert any(name.endswith("command_payload.zip") for name in poller.names), poller.names
    assert "interview.toml" in poller.names
    data = tmp_path / "data"
    assert load_interview(data / "interviews" / "example").codes.lookup("123456") is not None
    incoming = data / "incoming"
    assert [p.name for p in (incoming / source.name).iterdir()] == ["interview.toml"]
    for path in [incoming, *incoming.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == want, path


@pytest.mark.timeout(120)
def test_codes_like_files_an_older_role_copied_are_removed(ansible_env, tmp_path):  # noqa: F811
    source = recruiter_folder(tmp_path)
    env, _ = watched(tmp_path, ansible_env)
    incoming = tmp_path / "data" / "incoming" / source.name
    (incoming / "sub").mkdir(parents=True)
    for name in CODES_LIKE:
        (incoming / name).write_text("code,candidate_ref\n987123,C3\n")
    (incoming / "sub" / "codes.csv~").write_text("987123,C3\n")
    result = run_interviews_role(tmp_path, env, source)
    assert result.returncode == 0, result.stdout + result.stderr
    left = sorted(str(p.relative_to(incoming)) for p in incoming.rglob("*") if p.is_file())
    assert left == ["interview.toml"]


@pytest.mark.timeout(120)
def test_the_role_refuses_to_send_codes_without_pipelining(ansible_env, tmp_path):  # noqa: F811
    source = recruiter_folder(tmp_path)
    env, roots = watched(tmp_path, ansible_env)
    with Poller(roots) as poller:
        result = run_interviews_role(tmp_path, env, source, "-e", "ansible_pipelining=false")
    assert result.returncode != 0
    assert "ansible_pipelining is off" in result.stdout
    assert poller.found == set()
    assert not (tmp_path / "data" / "interviews").exists()


@pytest.mark.timeout(120)
def test_without_pipelining_the_poller_finds_codes_in_ansiballz_files(ansible_env, tmp_path):  # noqa: F811
    """The leak the role had, made on purpose: a command given the codes on stdin, as the
    role's install tasks are, with pipelining off."""
    env, roots = watched(tmp_path, ansible_env)
    play = tmp_path / "leak.yml"
    play.write_text(
        "- name: Send codes the old way\n"
        "  hosts: booth-lund-1\n  connection: local\n  gather_facts: false\n"
        "  tasks:\n    - name: A command reading codes on stdin\n"
        "      ansible.builtin.command:\n        argv: [sleep, '1']\n"
        '        stdin: "code,candidate_ref\\n123456,C1\\n"\n'
        "      changed_when: false\n"
    )
    with Poller(roots) as poller:
        result = ansible(
            [tool("ansible-playbook"), "-i", "inventory.example.yml", str(play)],
            {**env, "ANSIBLE_PIPELINING": "false"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    # On the booth: the module with its arguments in its remote temp folder (on the
    # controller, Ansible's local temp copy of it as well).
    leaked = {Path(p) for p, code in poller.found if code == "123456"}
    remote = tmp_path / "remote-tmp"
    assert [p.name for p in leaked if remote in p.parents] == ["AnsiballZ_command.py"]
