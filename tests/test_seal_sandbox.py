"""The `age` command seals sessions from inside the kiosk (and `booth sync`'s rebuilds never run
it): every system call it makes must pass booth-kiosk.service's SystemCallFilter, or a booth
would fail every seal with EPERM. strace lists what it calls; systemd-analyze expands the
unit's groups."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from privacy_support import make_org_key

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "systemd" / "booth-kiosk.service"


def syscall_groups() -> dict[str, set[str]]:
    """systemd's system-call groups, each with the calls and groups it names."""
    text = subprocess.run(
        ["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True
    ).stdout
    groups: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.split()[0])
    return groups


def expand(names: list[str], groups: dict[str, set[str]]) -> set[str]:
    calls: set[str] = set()
    for name in names:
        calls |= expand(sorted(groups[name]), groups) if name.startswith("@") else {name}
    return calls


def unit_filter() -> tuple[set[str], set[str]]:
    """What booth-kiosk.service allows, and what it then takes away again (`~`)."""
    groups = syscall_groups()
    allowed: set[str] = set()
    denied: set[str] = set()
    for line in UNIT.read_text().splitlines():
        if line.startswith("SystemCallFilter="):
            value = line.split("=", 1)[1]
            names = value.lstrip("~").split()
            (denied if value.startswith("~") else allowed).update(expand(names, groups))
    assert allowed, "the kiosk unit has no SystemCallFilter"
    return allowed - denied, denied


def test_the_age_command_only_makes_calls_the_kiosk_unit_allows(tmp_path):
    org = make_org_key(tmp_path)
    plain = tmp_path / "take.mp4"
    plain.write_bytes(bytes(3 << 20))
    trace = tmp_path / "age.strace"
    command = ["age", "-r", org.recipient, "-o", str(tmp_path / "take.mp4.age"), str(plain)]
    subprocess.run(["strace", "-f", "-qq", "-o", str(trace), *command], check=True)
    made = set()
    for line in trace.read_text().splitlines():
        found = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
        if found:
            made.add(found.group(1))
    assert {"read", "write", "openat"} <= made  # the trace is of the real work
    allowed, denied = unit_filter()
    assert sorted(made - allowed) == [], f"refused by the kiosk unit: {sorted(made & denied)}"
