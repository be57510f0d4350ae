"""Files only the booth's own user can read: 0600 files in 0700 folders.

Candidate video is personal data, and a booth's commands are run by hand as well as by
systemd (`booth simulate`, `booth takes recover`), under whatever umask the shell has. So the
booth does not trust the umask: the CLI sets 077 at start (`private_umask`), and the writers
of the spool and the state create files with explicit modes as well, for callers that are
not the CLI (tests, the benchmarks).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


def private_umask() -> int:
    """Make everything this process creates private to its user; returns the old umask."""
    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents as 0700 folders.

    Folders that exist keep their mode: the spool and state folders themselves are made by
    the installer and systemd (0750, group booth, no access for others).
    """
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        try:
            p.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(p, DIR_MODE)  # mkdir's mode is cut by the umask
    return path


def make_private(path: Path) -> None:
    """Set a file written by a library that takes no mode (PyAV, SQLite) to 0600."""
    os.chmod(path, FILE_MODE)


def fsync_dir(path: Path) -> None:
    """fsync a directory so that entries created or renamed in it are durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_atomic(path: Path, data: bytes) -> None:
    """Write `data` so that readers see the old or the new file, never a torn one; 0600.

    Temporary name in the same directory, fsync, os.replace, then fsync of the directory so
    the rename itself survives a power cut.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a leftover temporary file keeps its old mode otherwise
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def json_bytes(data: dict) -> bytes:
    """The booth's JSON form: indented, UTF-8, a final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json_private(path: Path, data: dict) -> None:
    """`write_private_atomic` of `data` as JSON."""
    write_private_atomic(path, json_bytes(data))
