"""Finding a candidate's sessions without their reference in clear: a keyed hash per session.

Sealed manifests are encrypted to the organisation, so the booth cannot read the candidate
reference back. At the start of each session it stores HMAC-SHA256(booth secret, reference)
in `<state>/refs/<session_id>`; `booth takes forget REF` hashes REF the same way and finds
the sessions. The secret (`<state>/privacy.key`, 32 random bytes, 0600) never leaves the
booth, so the hashes cannot be compared with another booth's or looked up in a table made
elsewhere; someone holding the card and a list of candidates' references can still test them,
which is why the references themselves are the recruiter's to choose (no names, no emails).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from booth.privacy.files import FILE_MODE, private_dir, write_private_atomic

KEY_FILE = "privacy.key"
REFS_DIR = "refs"
KEY_BYTES = 32


class RefIndex:
    """The keyed hashes of the candidate references of the sessions on this booth."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.key_path = self.state_dir / KEY_FILE
        self.dir = self.state_dir / REFS_DIR

    def _key(self) -> bytes:
        try:
            fd = os.open(self.key_path, os.O_RDONLY)
        except FileNotFoundError:
            return self._new_key()
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
            key = os.read(fd, KEY_BYTES + 1)
        finally:
            os.close(fd)
        if len(key) != KEY_BYTES:
            raise ValueError(f"{self.key_path}: not a {KEY_BYTES}-byte key")
        return key

    def _new_key(self) -> bytes:
        private_dir(self.state_dir)
        key = secrets.token_bytes(KEY_BYTES)
        try:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:  # another process made it first
            return self._key()
        try:
            os.fchmod(fd, FILE_MODE)
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        return key

    def digest(self, candidate_ref: str) -> str:
        """The keyed hash of a reference (surrounding spaces are not part of it); makes the
        booth's key on first use."""
        return hmac.new(self._key(), candidate_ref.strip().encode(), hashlib.sha256).hexdigest()

    def lookup(self, candidate_ref: str) -> str | None:
        """The keyed hash of a reference, or None while the booth has no key (then nothing was
        ever recorded under one). Never makes the key: a reader run by another user (root)
        must not leave a key the kiosk cannot read."""
        if not self.key_path.exists():
            return None
        return self.digest(candidate_ref)

    def add(self, session_id: str, candidate_ref: str) -> None:
        """Remember that `session_id` is `candidate_ref`'s (written durably, 0600)."""
        private_dir(self.dir)
        write_private_atomic(self.dir / session_id, (self.digest(candidate_ref) + "\n").encode())

    def sessions_of(self, candidate_ref: str) -> list[str]:
        """The ids of the sessions recorded for `candidate_ref`, oldest first."""
        want = self.lookup(candidate_ref)
        if not self.dir.is_dir() or want is None:
            return []
        found = []
        for path in sorted(self.dir.iterdir()):
            if path.name.startswith("."):
                continue
            try:
                if hmac.compare_digest(path.read_text(encoding="ascii").strip(), want):
                    found.append(path.name)
            except (OSError, UnicodeDecodeError):
                continue
        return found

    def remove(self, session_id: str) -> bool:
        """Forget a session's entry; whether there was one."""
        path = self.dir / session_id
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
