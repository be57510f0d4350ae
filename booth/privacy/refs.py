"""Finding a candidate's sessions without their reference in clear: a keyed hash per session.

Sealed manifests are encrypted to the organisation, so the booth cannot read the candidate
reference back. At the start of each session it stores HMAC-SHA256(booth secret, reference)
in `<state>/refs/<session_id>`; `booth takes forget REF` hashes REF the same way and finds
the sessions. The secret (`<state>/privacy.key`, 32 random bytes, 0600) never leaves the
booth, so the hashes cannot be compared with another booth's or looked up in a table made
elsewhere; someone holding the card and a list of candidates' references can still test them,
which is why the references themselves are the recruiter's to choose (no names, no emails).

On a booth with recipients, installed invitations hold each reference sealed
(booth.config.codes.SEALED_REF): its keyed hash, made here at install, and the reference
encrypted to the recipients. The booth carries the sealed form where it would carry the
reference (the session manifest, this index, the invitation records), and `digest` gives its
keyed hash; only the organisation's identity opens it (`open_reference`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

import pyrage
from pyrage import x25519

from booth.config.codes import CANDIDATE_REF, SEALED_REF
from booth.config.errors import one_line
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
        if not key:
            # Empty: its maker was cut off between creating it and its fsync (`_new_key`), and
            # that maker hashes nothing before the fsync returns, so no hash made with it was
            # kept (unless another process read it within that instant). Without this, every
            # code entry failed and put the booth out of order (issue 24).
            self.key_path.unlink(missing_ok=True)
            return self._new_key()
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
            if os.geteuid() == 0:  # made by root (sudo booth …): the kiosk's user must read it
                owner = os.stat(self.state_dir)
                os.fchown(fd, owner.st_uid, owner.st_gid)
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        return key

    def digest(self, candidate_ref: str) -> str:
        """The keyed hash of a reference (surrounding spaces are not part of it), or the one a
        sealed reference carries; makes the booth's key on first use."""
        if sealed := SEALED_REF.fullmatch(candidate_ref):
            return sealed.group(1)
        return hmac.new(self._key(), candidate_ref.strip().encode(), hashlib.sha256).hexdigest()

    def names(self, stored: str, candidate_ref: str) -> bool:
        """Whether a reference as the booth keeps it (in clear, or sealed) is `candidate_ref`."""
        sealed = SEALED_REF.fullmatch(stored)
        if sealed is None:
            return stored.strip() == candidate_ref.strip()
        want = self.lookup(candidate_ref)
        return want is not None and hmac.compare_digest(sealed.group(1), want)

    def seal(self, candidate_ref: str, recipients: Sequence[x25519.Recipient]) -> str:
        """`candidate_ref` sealed to `recipients`: its keyed hash and the reference encrypted
        (booth.config.codes.SEALED_REF). A sealed reference is returned as it is."""
        if SEALED_REF.fullmatch(candidate_ref):
            return candidate_ref
        ref = candidate_ref.strip()
        encrypted = pyrage.encrypt(ref.encode("utf-8"), list(recipients))
        text = base64.urlsafe_b64encode(encrypted).decode("ascii").rstrip("=")
        return f"age:{self.digest(ref)}:{text}"

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


def open_reference(text: str, identities: Sequence[x25519.Identity]) -> str:
    """The reference a sealed one holds (a reference in clear is returned as it is). Raises
    ValueError when the identities do not open it."""
    if not SEALED_REF.fullmatch(text):
        return text
    encrypted = text.rsplit(":", 1)[1]
    try:
        data = base64.urlsafe_b64decode(encrypted + "=" * (-len(encrypted) % 4))
        ref = pyrage.decrypt(data, list(identities)).decode("utf-8")
    except (pyrage.DecryptError, OSError, ValueError) as error:
        raise ValueError(f"a sealed candidate reference does not open: {error}") from None
    if not CANDIDATE_REF.fullmatch(ref):  # a booth installs only plain ones
        shown = one_line(ref)[:80]
        raise ValueError(f"a sealed candidate reference opens to {shown!r}: not a plain reference")
    return ref
