"""Encrypting files to age X25519 recipients (and decrypting them on the recipient's side).

age (https://age-encryption.org/v1, C2SP) is the format: a header with the file key wrapped to
each recipient, then the payload in 64 KiB chunks, each sealed with ChaCha20-Poly1305 and the
last one flagged, so a cut or altered file fails to decrypt. `age -d -i key.txt`, rage or any
age library reads what this writes. The booth encrypts with the `age` command (the format's
reference implementation, Debian's package `age`) in its own process, and hashes and writes back
its output meanwhile; this module makes the result durable and checks that it is whole. pyrage
(bindings to Rust's age crate) parses recipients and identities and decrypts on the recipient's
side, where speed matters less.

The booth has no identity (it never needs to read a finished session), so "whole" is checked
without decrypting: after fsync, the file must start with a complete age header and be exactly
as long as age makes a file of the plaintext's length.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyrage
from pyrage import x25519

from booth.privacy.files import FILE_MODE

MAGIC = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
NONCE = 16
HEAD_BYTES = 16 * 1024  # room for a hundred recipients
READ_BYTES = 1 << 20  # read back and hashed at a time while age writes
CATCH_UP_SECONDS = 0.002  # the longest wait for age to write more, once all it wrote is read
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


AGE_FIX = "sudo apt install age (deploy/install.sh installs it)"
"""How staff get the `age` command (said by booth doctor and the kiosk's out-of-order reason)."""


def age_installed() -> bool:
    """Whether the `age` command that seals sessions can be found."""
    return shutil.which("age") is not None


def age_command() -> str:
    """The path of the `age` command (Debian's package `age`), or SealError saying how to get it."""
    found = shutil.which("age")
    if found is None:
        raise SealError("the age command is not installed (apt install age)")
    return found


def encrypt(
    source: Path | bytes,
    dst: Path,
    recipients: Sequence[x25519.Recipient],
    expect_bytes: int | None = None,
) -> tuple[int, str]:
    """Encrypt `source` (a file, or bytes never written in clear) to `dst`: 0600, durable, checked
    whole, given its name only then. Returns its size and the sha256 of its bytes.

    The `age` command encrypts on its own core, writing straight into the temporary file; this
    thread meanwhile reads back what it has written, hashes it and starts the disk writing it
    (so the final fsync has little left). pyrage would hold the GIL for the whole file, so no
    hashing could run beside it. `expect_bytes`, a file's size in its manifest, is checked
    first. Raises SealError (leaving nothing behind) on failure: the command missing or failing
    (a full disk), or the result not whole.
    """
    if not recipients:
        raise ValueError("no recipients to encrypt to")
    command = [age_command()]
    for recipient in recipients:
        command += ["-r", str(recipient)]
    plain = len(source) if isinstance(source, bytes) else os.stat(source).st_size
    if expect_bytes is not None and plain != expect_bytes:
        what = dst.name if isinstance(source, bytes) else str(source)
        raise SealError(f"{what}: is {plain} bytes, its manifest says {expect_bytes}")
    tmp = dst.with_name(f".{dst.name}.tmp")
    out = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    process: subprocess.Popen[bytes] | None = None
    try:
        os.fchmod(out, FILE_MODE)
        if isinstance(source, bytes):
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE
            )
            assert process.stdin is not None
            try:  # age writes to the file, never blocks on us: no deadlock
                with process.stdin:
                    process.stdin.write(source)
            except BrokenPipeError:
                pass  # age failed early: its exit status and message say why
        else:
            with open(source, "rb") as reader:
                process = subprocess.Popen(
                    command, stdin=reader, stdout=out, stderr=subprocess.PIPE
                )
        size, sha256 = _hash_while_written(out, process)
        if process.returncode != 0:
            assert process.stderr is not None
            why = (
                process.stderr.read().decode("utf-8", "replace").strip()
                or f"exit {process.returncode}"
            )
            raise SealError(f"{dst}: age: {why}")
        os.fsync(out)
        on_disk = os.fstat(out).st_size
        want = encrypted_length(_header_length(os.pread(out, HEAD_BYTES, 0)), plain)
        if on_disk != want or size != on_disk:
            raise SealError(f"{tmp}: {on_disk} bytes on disk, age needs {want}; not whole")
        os.replace(tmp, dst)
    except BaseException:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(out)
        if process is not None and process.stderr is not None:
            process.stderr.close()
    return size, sha256


def _hash_while_written(fd: int, process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Read `fd` as `process` appends to it, until it has exited and all it wrote is read: the
    size and sha256 of what it wrote. What is hashed is handed to the disk at once (fadvise
    DONTNEED starts writing dirty pages back and drops them once written: nothing reads them
    again before the upload)."""
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(READ_BYTES))
    done = 0
    while True:
        count = os.preadv(fd, [buffer], done)
        if count:
            digest.update(buffer[:count])
            os.posix_fadvise(fd, done, count, os.POSIX_FADV_DONTNEED)
            done += count
        elif process.poll() is not None:
            if os.fstat(fd).st_size == done:  # it has exited: nothing more comes
                return done, digest.hexdigest()
        else:
            try:
                process.wait(CATCH_UP_SECONDS)
            except subprocess.TimeoutExpired:
                pass


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
        digest = hashlib.file_digest(f, "sha256")
        return f.tell(), digest.hexdigest()


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
