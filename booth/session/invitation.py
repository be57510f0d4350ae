"""Invitations: who may record, with which accommodations, and the book that finds one by its
code without keeping codes in clear.

The domain's own types (issue 28): the flow looks codes up in a `CodeBook` and applies an
`Invitation`'s accommodations; booth.config.codes reads `codes.csv` into them and makes the
installed (hashed) form.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# An invitation code: 6 to 12 digits. The code screen takes at most CODE_MAX_DIGITS.
CODE_MIN_DIGITS, CODE_MAX_DIGITS = 6, 12
CODE = re.compile(rf"[0-9]{{{CODE_MIN_DIGITS},{CODE_MAX_DIGITS}}}")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**13, 8, 1  # 8 MiB of memory per lookup
SALT_BYTES = 16


@dataclass(frozen=True)
class Invitation:
    """One candidate's invitation: their reference for the recruiter and their accommodations.

    `extra_time_percent` lengthens think and answer time (50 = half as long again);
    `extra_takes` adds takes to every question that has a limit.
    """

    candidate_ref: str
    extra_time_percent: int = 0
    extra_takes: int = 0

    def seconds(self, base_seconds: int) -> int:
        """A think or answer time in seconds with the extra time, rounded up to whole seconds."""
        return -(-base_seconds * (100 + self.extra_time_percent) // 100)

    def takes(self, max_takes: int) -> int:
        """Takes allowed on a question with `max_takes` (0 = unlimited stays unlimited)."""
        return 0 if max_takes == 0 else max_takes + self.extra_takes


@dataclass(frozen=True)
class CodeHash:
    """The booth's code hash: scrypt with fixed cost parameters and the booth's salt."""

    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)

    @classmethod
    def new(cls) -> CodeHash:
        """The booth's parameters with a fresh salt (the first interview a booth installs)."""
        return cls(SCRYPT_N, SCRYPT_R, SCRYPT_P, os.urandom(SALT_BYTES))

    def digest(self, code: str) -> bytes:
        return hashlib.scrypt(
            code.encode(), salt=self.salt, n=self.n, r=self.r, p=self.p, maxmem=64 << 20, dklen=32
        )

    def encode(self, digest: bytes) -> str:
        b64 = base64.b64encode
        return f"scrypt${self.n}${self.r}${self.p}${b64(self.salt).decode()}${b64(digest).decode()}"


class CodeBook:
    """The invitations of one interview, looked up by code without keeping codes in clear.

    Entries are keyed by a digest of the code: scrypt for the installed form, and for the source
    form an HMAC under a key made at load time. So a lookup compares digests, never codes, and
    the dictionary's timing says nothing about the code.
    """

    def __init__(
        self,
        entries: dict[bytes, Invitation],
        digest: Callable[[str], bytes],
        code_hash: CodeHash | None = None,
        clear: tuple[str, ...] = (),
        lengths: frozenset[int] = frozenset(),
    ) -> None:
        self._entries = entries
        self._digest = digest
        self.code_hash = code_hash  # the installed form's hash; None for the source form
        self._clear = clear  # the source form's codes, only to compare with other interviews
        self._lengths = lengths | {len(code) for code in clear}

    @property
    def code_lengths(self) -> frozenset[int]:
        """How many digits the codes have (empty when a hashed file did not record it)."""
        return self._lengths

    @classmethod
    def empty(cls) -> CodeBook:
        return cls({}, lambda code: b"")

    def lookup(self, code: object) -> Invitation | None:
        """The invitation for `code`, or None when no invitation has it. Never raises: a code
        check that fails in any way is a code that opens nothing."""
        try:
            if not self._entries or not isinstance(code, str) or not CODE.fullmatch(code):
                return None
            return self._entries.get(self._digest(code))
        except (ValueError, MemoryError, OverflowError, TypeError):
            return None

    def entries(self) -> list[tuple[bytes, Invitation]]:
        """Each invitation with the digest of its code (never the code)."""
        return list(self._entries.items())

    @property
    def invitations(self) -> list[Invitation]:
        """Every invitation, in no particular order (codes not included)."""
        return list(self._entries.values())

    def _digests(self, code_hash: CodeHash) -> set[bytes] | None:
        """The digests of every code under `code_hash`, or None when they cannot be had."""
        if self._clear:
            return {code_hash.digest(code) for code in self._clear}
        if self.code_hash == code_hash:
            return set(self._entries)
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<CodeBook of {len(self)} invitations>"
