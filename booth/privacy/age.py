"""Encrypting files to age X25519 recipients (and decrypting them on the recipient's side).

age (https://age-encryption.org/v1, C2SP) is the format: a header with the file key wrapped to
each recipient, then the payload in 64 KiB chunks, each sealed with ChaCha20-Poly1305 and the
last one flagged, so a cut or altered file fails to decrypt. `age -d -i key.txt`, rage or any
age library reads what this writes. pyrage (Rust's age crate) does the cryptography, a whole
file per call; this module makes the result durable and checks that it is whole.

The booth has no identity (it never needs to read a finished session), so "whole" is checked
without decrypting: after fsync, the file must start with a complete age header and be exactly
as long as age makes a file of the plaintext's length.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

from booth.privacy.files import FILE_MODE

MAGIC = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
NONCE = 16
HEAD_BYTES = 16 * 1024  # room for a hundred recipients
SUFFIX = ".age"


class SealError(OSError):
    """An encrypted file could not be written whole (a full disk, an I/O error), or a
    plaintext file is not the size its manifest says. An OSError: the disk is at fault."""


def parse_recipients(texts: Iterable[str]) -> list[x25519.Recipient]:
    """age X25519 recipients ("age1…"); raises ValueError naming the one that is not."""
    found = []
    for text in texts:
        try:
            found.append(x25519.Recipient.from_str(text))
        except pyrage.RecipientError as error:
            raise ValueError(f"{text!r} is not an age X25519 recipient: {error}") from None
    return found


def load_identities(path: Path) -> list[x25519.Identity]:
    """The X25519 identities in an age key file (as `age-keygen` writes it: comments and
    `AGE-SECRET-KEY-1…` lines). Raises ValueError when there is none."""
    identities = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise ValueError(f"{path}, line {number}: not an age X25519 identity") from None
    if not identities:
        raise ValueError(f"{path}: no AGE-SECRET-KEY-1… line (make one with age-keygen)")
    return identities


def encrypted_length(header_bytes: int, plain_bytes: int) -> int:
    """The size of an age file with this header over `plain_bytes` of plaintext: the nonce,
    then every 64 KiB chunk (at least one, even for nothing) with its 16-byte tag."""
    chunks = max(1, -(-plain_bytes // CHUNK))
    return header_bytes + NONCE + plain_bytes + TAG * chunks


@dataclass(frozen=True)
class Encrypted:
    """An encrypted file still under its temporary name, until `finish_encrypted` checks it."""

    tmp: Path
    dst: Path
    plain_bytes: int


def encrypt_to_temp(
    src: Path,
    dst: Path,
    recipients: Sequence[x25519.Recipient],
    expect_bytes: int | None = None,
) -> Encrypted:
    """Encrypt `src` into a temporary file (0600) beside `dst`; `finish_encrypted` makes it
    durable, checks it and gives it its name. `expect_bytes`, the plaintext's size in the
    manifest, is checked first. Raises SealError (leaving nothing behind) on failure."""
    if not recipients:
        raise ValueError("no recipients to encrypt to")
    plain = os.stat(src).st_size
    if expect_bytes is not None and plain != expect_bytes:
        raise SealError(f"{src}: is {plain} bytes, its manifest says {expect_bytes}")
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
        os.chmod(tmp, FILE_MODE)
        # The whole file in Rust: streaming through Python file objects costs twice as long.
        pyrage.encrypt_file(str(src), str(tmp), list(recipients))
    except pyrage.EncryptError as error:  # also what a full disk gives
        tmp.unlink(missing_ok=True)
        raise SealError(f"{dst}: {error}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Encrypted(tmp, dst, plain)


def finish_encrypted(encrypted: Encrypted) -> int:
    """fsync an `encrypt_to_temp` result, check it is whole, rename it to its name; returns
    its size.

    Whole: the file on disk, after fsync, starts with a complete age header and has exactly
    the length age gives for the plaintext's. Raises SealError (leaving no file) otherwise.
    It waits in fsync without the GIL, so it runs on another thread beside the next file's
    encryption; the file's sha256 (`sha256_of`) can be taken meanwhile from the open file.
    """
    tmp = encrypted.tmp
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
            on_disk = os.fstat(fd).st_size
            head = os.pread(fd, HEAD_BYTES, 0)
        finally:
            os.close(fd)
        want = encrypted_length(_header_length(head), encrypted.plain_bytes)
        if on_disk != want:
            raise SealError(f"{tmp}: {on_disk} bytes on disk, age needs {want}; not whole")
        os.replace(tmp, encrypted.dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return on_disk


def encrypt_file(
    src: Path,
    dst: Path,
    recipients: Sequence[x25519.Recipient],
    expect_bytes: int | None = None,
) -> tuple[int, str]:
    """Encrypt `src` to `dst` (0600, fsync'ed, via a temporary name) and check it is whole;
    returns its size and sha256 (see `encrypt_to_temp` and `finish_encrypted`)."""
    size = finish_encrypted(encrypt_to_temp(src, dst, recipients, expect_bytes))
    return size, file_sha256(dst)[1]


def decrypt_file(src: Path, dst: Path, identities: Sequence[x25519.Identity]) -> tuple[int, str]:
    """Decrypt `src` to `dst` (0600); returns the plaintext's size and sha256.

    Raises pyrage.DecryptError when no identity fits, OSError ("decryption error") when the
    file was cut or altered.
    """
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
        os.chmod(tmp, FILE_MODE)
        pyrage.decrypt_file(str(src), str(tmp), list(identities))
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return file_sha256(dst)


def decrypt_bytes(src: Path, identities: Sequence[x25519.Identity]) -> bytes:
    """The plaintext of a small encrypted file (a manifest)."""
    return pyrage.decrypt(Path(src).read_bytes(), list(identities))


def file_sha256(path: Path) -> tuple[int, str]:
    """A file's size and sha256, read from disk."""
    with open(path, "rb") as f:
        return sha256_of(f)


def sha256_of(f: BinaryIO) -> tuple[int, str]:
    """The size and sha256 of an open file (closed afterwards by its owner).

    One hashlib call over the mapped file: hashlib lets go of the GIL for the whole file, so
    another thread can encrypt meanwhile (pyrage holds the GIL while it works).
    """
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        return 0, hashlib.sha256().hexdigest()
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        return size, hashlib.sha256(mapped).hexdigest()


def _header_length(head: bytes) -> int:
    """The length of the age header at the start of `head`: the version line, the recipient
    stanzas, and the `--- <MAC>` line."""
    if not head.startswith(MAGIC):
        raise SealError("not an age file: the version line is missing")
    mac = head.find(b"\n--- ")
    end = head.find(b"\n", mac + 1) if mac >= 0 else -1
    if end < 0:
        raise SealError("not an age file: the header has no MAC line")
    return end + 1
