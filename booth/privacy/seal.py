"""Sealing a finished session: its takes and manifest encrypted, a clear manifest naming nobody.

A sealed session directory `<spool>/<session_id>/` holds:

- `<question>-take<k>.mp4.age`: each kept take, encrypted to the recipients;
- `manifest.json.age`: the session's full manifest (candidate reference, times, per take its
  plaintext size, sha256 and duration), encrypted the same way;
- `manifest.json`: in clear, only what uploading needs and what names nobody: booth id,
  session id, interview id, status, how many takes were recovered after a crash (for the
  fleet's metrics) and, per encrypted file, its name, size and the sha256 of its encrypted
  bytes (what the server receives, so it can check them without the key).

A seal is built in `<spool>/.seal-<session_id>/` and committed by renames: the plaintext
directory becomes `.plain-<session_id>` (when it is in the spool), the sealed one takes its
name, then the plaintext is deleted. Dot-names are invisible to the spool's readers, so the
sync agent sees the plaintext session (never finished) or the sealed one, never half of
either; `finish_interrupted` completes or undoes a seal a crash cut short.

Without recipients a session is "sealed" in clear: this only moves it from the scratch
directory (`[paths] scratch`) to the spool.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyrage import x25519

from booth.config.settings import Settings
from booth.privacy.age import SUFFIX, encrypt, parse_recipients
from booth.privacy.files import FILE_MODE, fsync_dir, json_bytes, private_dir, write_json_private
from booth.privacy.refs import RefIndex
from booth.privacy.scratch import choose_scratch

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SEALED_MANIFEST = MANIFEST + SUFFIX
SEALED = "age"
"""The clear manifest's `sealed` value: its files are age-encrypted."""
CLEAR_FIELDS = ("booth_id", "session_id", "interview_id", "status")
STAGING = ".seal-"
PLAIN = ".plain-"


@dataclass(frozen=True)
class Sealing:
    """How a booth keeps finished sessions.

    recipients: the organisation's age X25519 recipients; none: sessions stay in clear.
    scratch: where running sessions live, when not in the spool (a tmpfs), else None.
    refs: the keyed hashes of candidate references, for `booth takes forget`.
    room: asked as each session starts: whether the scratch folder has room for it now
      (booth.privacy.scratch); when not, the session goes to the spool on the card. None: it
      always has. Sessions already in the scratch folder are found either way.
    """

    recipients: tuple[x25519.Recipient, ...] = ()
    scratch: Path | None = None
    refs: RefIndex | None = field(default=None, compare=False)
    room: Callable[[], bool] | None = field(default=None, compare=False)

    @property
    def encrypts(self) -> bool:
        return bool(self.recipients)

    @property
    def moves(self) -> bool:
        """Whether finishing a session writes it anew in the spool (encrypted, or from scratch)."""
        return self.encrypts or self.scratch is not None

    @property
    def seals_references(self) -> Callable[[str], str] | None:
        """What installing an interview makes of each candidate reference: sealed, when
        sessions are encrypted (see booth.privacy.refs); None: kept as it is."""
        refs = self.refs
        if not self.encrypts or refs is None:
            return None
        recipients = self.recipients
        return lambda ref: refs.seal(ref, recipients)

    @classmethod
    def for_settings(
        cls, settings: Settings, state_dir: Path | None = None, need_bytes: int = 0
    ) -> Sealing:
        """The sealing a booth's settings ask for; `state_dir` overrides `paths.state`.
        `need_bytes`: what a running session may hold in clear, which the RAM scratch must
        have room for when the session starts (booth.privacy.scratch)."""

        def room() -> bool:
            now = choose_scratch(settings, need_bytes)
            if now.on_card is not None:
                log.warning(
                    "scratch: a session starts on the card: %s (fix: %s)", now.on_card, now.fix
                )
            return now.on_card is None

        choice = choose_scratch(settings, need_bytes)
        return cls(
            recipients=tuple(parse_recipients(settings.privacy.recipients)),
            scratch=choice.folder,
            refs=RefIndex(state_dir or settings.paths.state),
            room=room if choice.folder is not None else None,
        )


def is_sealed(manifest: Mapping | None) -> bool:
    """Whether a (clear) manifest is a sealed session's."""
    return manifest is not None and manifest.get("sealed") == SEALED


def clear_manifest(manifest: Mapping, files: Sequence[Mapping]) -> dict:
    """The manifest that stays in clear beside the encrypted files: nobody is named in it."""
    clear = {key: manifest.get(key) for key in CLEAR_FIELDS}
    clear["sealed"] = SEALED
    if "takes" in manifest:  # for the fleet's metrics (booth_takes_recovered_total)
        clear["recovered_takes"] = sum(1 for t in manifest["takes"] if t.get("recovered"))
    clear["files"] = [
        {"file": str(f["file"]), "bytes": int(f["bytes"]), "sha256": str(f["sha256"])}
        for f in files
    ]
    return clear


def seal_session(
    src: Path,
    manifest: Mapping,
    spool_root: Path,
    recipients: Sequence[x25519.Recipient],
) -> Path:
    """Seal the finished session in `src` into `<spool_root>/<session_id>` and delete `src`.

    `manifest` is its full manifest (final status). Every kept take is encrypted (its size
    checked against the manifest), then the manifest; each encrypted file is checked whole
    before the clear manifest is written and the seal committed. With no `recipients` the
    files are copied as they are (a session moving from scratch to the spool). Returns the
    sealed directory. A failure leaves `src` as it was.
    """
    session_id = str(manifest["session_id"])
    final = spool_root / session_id
    staging = spool_root / f"{STAGING}{session_id}"
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    try:
        if not recipients:
            _copy_clear(src, manifest, staging)
        else:
            files = _encrypt_all(src, manifest, staging, recipients)
            write_json_private(staging / MANIFEST, clear_manifest(manifest, files))
        fsync_dir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk gets its space back
        raise
    commit(src, staging, final)
    return final


def _encrypt_all(
    src: Path, manifest: Mapping, staging: Path, recipients: Sequence[x25519.Recipient]
) -> list[dict]:
    """Encrypt the takes, then the manifest (from memory: never written in clear), into
    `staging`; returns each encrypted file's name, size and sha256."""
    files = []
    for take in manifest.get("takes", []):
        name = str(take["file"]) + SUFFIX
        size, sha256 = encrypt(src / take["file"], staging / name, recipients, int(take["bytes"]))
        files.append({"file": name, "bytes": size, "sha256": sha256})
    size, sha256 = encrypt(json_bytes(dict(manifest)), staging / SEALED_MANIFEST, recipients)
    files.append({"file": SEALED_MANIFEST, "bytes": size, "sha256": sha256})
    return files


def _copy_clear(src: Path, manifest: Mapping, staging: Path) -> None:
    for take in manifest.get("takes", []):
        name = str(take["file"])
        fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with open(src / name, "rb") as f, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(f, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    write_json_private(staging / MANIFEST, dict(manifest))


def commit(src: Path, staging: Path, final: Path) -> None:
    """Put the finished seal in `staging` in place of the plaintext `src` (see the module)."""
    root = final.parent
    if final.exists():
        plain = root / f"{PLAIN}{final.name}"
        shutil.rmtree(plain, ignore_errors=True)
        os.rename(final, plain)
    os.rename(staging, final)
    fsync_dir(root)
    shutil.rmtree(root / f"{PLAIN}{final.name}", ignore_errors=True)
    if src.resolve() != final.resolve():
        shutil.rmtree(src, ignore_errors=True)


def finish_interrupted(spool_root: Path, scratch: Path | None) -> list[str]:
    """Complete or undo the seals a crash cut short; returns the session ids it touched.

    A staging directory with its clear manifest is a finished seal: it is committed. One
    without is deleted (the plaintext is still there and is sealed again). A `.plain-` left
    beside its sealed session is deleted; one without is renamed back.
    """
    touched: list[str] = []
    if not spool_root.is_dir():
        return touched
    for staging in sorted(spool_root.glob(f"{STAGING}*")):
        session_id = staging.name[len(STAGING) :]
        final = spool_root / session_id
        if (staging / MANIFEST).is_file():
            source = scratch / session_id if scratch is not None else final
            commit(source if source.exists() else final, staging, final)
            log.info("spool: finished sealing %s", session_id)
        else:
            shutil.rmtree(staging, ignore_errors=True)
        touched.append(session_id)
    for plain in sorted(spool_root.glob(f"{PLAIN}*")):
        session_id = plain.name[len(PLAIN) :]
        final = spool_root / session_id
        if final.exists():
            shutil.rmtree(plain, ignore_errors=True)
        else:
            os.rename(plain, final)
        touched.append(session_id)
    return touched
