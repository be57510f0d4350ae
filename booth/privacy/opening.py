"""The recipient's side: turning a received sealed session back into MP4s and a manifest.

`booth takes open DIR --identity key.txt --out OUT` runs this on the organisation's own
computer, where the identity (the age secret key) lives; a booth never has it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyrage import DecryptError, x25519

from booth.config.reader import parse_json, read_json
from booth.privacy.age import SUFFIX, decrypt_bytes, decrypt_file, file_sha256
from booth.privacy.files import private_dir, write_private_atomic
from booth.privacy.refs import open_reference
from booth.privacy.seal import MANIFEST, SEALED_MANIFEST, is_sealed


class OpenError(Exception):
    """A received session cannot be opened whole: a file missing, damaged, or not ours."""


@dataclass
class OpenedSession:
    """What `open_sealed` wrote: the decrypted manifest and the MP4s, by file name."""

    manifest: dict
    out: Path
    takes: list[Path] = field(default_factory=list)


def open_sealed(folder: Path, identities: Sequence[x25519.Identity], out: Path) -> OpenedSession:
    """Decrypt the sealed session in `folder` into `out`, checking every hash.

    The clear manifest's sizes and sha256 (of the encrypted files, as uploaded) are checked
    first when it is there, then each take decrypted is checked against the size and sha256
    the decrypted manifest gives for it. Raises OpenError naming the file otherwise; nothing
    that failed its check is left in `out`.
    """
    sealed = folder / SEALED_MANIFEST
    if not sealed.is_file():
        raise OpenError(f"{folder}: no {SEALED_MANIFEST} (is this a sealed session folder?)")
    _check_as_uploaded(folder)
    manifest = _decrypted_manifest(sealed, identities)
    private_dir(out)
    opened = OpenedSession(manifest, out)
    for take in manifest.get("takes", []):
        opened.takes.append(_open_take(folder, sealed, take, identities, out))
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_private_atomic(out / MANIFEST, text.encode("utf-8"))
    return opened


def _check_as_uploaded(folder: Path) -> None:
    """The clear manifest's sizes and sha256 of the encrypted files, when it is there."""
    clear_path = folder / MANIFEST
    if not clear_path.is_file():
        return
    try:
        clear = read_json(clear_path)
    except (OSError, ValueError) as error:
        raise OpenError(f"{clear_path}: cannot be read: {error}") from None
    if isinstance(clear, dict) and is_sealed(clear):
        for f in clear.get("files", []):
            _check(folder / f["file"], int(f["bytes"]), str(f["sha256"]), "as uploaded")


def _decrypted_manifest(sealed: Path, identities: Sequence[x25519.Identity]) -> dict:
    """The session's manifest, decrypted, with its candidate reference opened."""
    try:
        text = decrypt_bytes(sealed, identities).decode("utf-8")
    except (DecryptError, OSError) as error:
        raise OpenError(f"{sealed}: cannot decrypt with this identity: {error}") from None
    except UnicodeDecodeError:
        raise OpenError(f"{sealed}: the decrypted manifest is not UTF-8 text") from None
    try:
        manifest = parse_json(text, sealed)
    except ValueError as error:
        raise OpenError(str(error)) from None
    if not isinstance(manifest, dict):
        raise OpenError(f"{sealed}: not a session manifest")
    if isinstance(manifest.get("candidate_ref"), str):  # sealed at install on the booth
        try:
            manifest["candidate_ref"] = open_reference(manifest["candidate_ref"], identities)
        except ValueError as error:
            raise OpenError(f"{sealed}: {error}") from None
    return manifest


def _open_take(
    folder: Path, sealed: Path, take: dict, identities: Sequence[x25519.Identity], out: Path
) -> Path:
    """Decrypt one take into `out` and check it against the manifest's size and sha256."""
    name = str(take["file"])
    if Path(name).name != name:
        raise OpenError(f"{sealed}: take file name {name!r} is not a plain name")
    source = folder / (name + SUFFIX)
    if not source.is_file():
        raise OpenError(f"{source}: missing")
    target = out / name
    try:
        size, sha256 = decrypt_file(source, target, identities)
    except (DecryptError, OSError) as error:  # pyrage: OSError for a cut or altered chunk
        raise OpenError(f"{source}: cannot decrypt (cut short or altered?): {error}") from None
    if size != int(take["bytes"]) or sha256 != take["sha256"]:
        target.unlink(missing_ok=True)
        raise OpenError(f"{source}: decrypted, but not the take the manifest names")
    return target


def _check(path: Path, length: int, sha256: str, what: str) -> None:
    if not path.is_file():
        raise OpenError(f"{path}: missing")
    if file_sha256(path) != (length, sha256):
        raise OpenError(f"{path}: its size or sha256 is not the clear manifest's ({what})")
