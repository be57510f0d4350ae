"""Shared pieces of the privacy tests: an organisation's age key made by age-keygen, and a
scan of everything a booth wrote for what a thief could read."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from booth.privacy.age import MAGIC

# What a take in clear would show: an MP4's first box, an H.264 sequence parameter set, and
# the names of the raw take files.
MP4_BOX = b"ftyp"
H264_SPS = b"\x00\x00\x00\x01\x67"
RAW_NAMES = ("video.h264", "video.pts", "audio.pcm", "audio.ts", "take.json")


@dataclass(frozen=True)
class OrgKey:
    """The organisation's age key pair, as `age-keygen` writes it."""

    identity: Path
    recipient: str


def make_org_key(directory: Path) -> OrgKey:
    identity = directory / "key.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return OrgKey(identity, recipient)


def age_decrypt(path: Path, key: OrgKey) -> bytes:
    """Decrypt with the standard age command (not the booth's code)."""
    return subprocess.run(
        ["age", "-d", "-i", str(key.identity), str(path)], check=True, capture_output=True
    ).stdout


def age_open_reference(sealed: str, key: OrgKey) -> str:
    """A candidate reference sealed on the booth (`age:<keyed hash>:<base64url age file>`),
    opened with the standard age command."""
    prefix, _, encrypted = sealed.split(":")
    assert prefix == "age"
    data = base64.urlsafe_b64decode(encrypted + "=" * (-len(encrypted) % 4))
    return subprocess.run(
        ["age", "-d", "-i", str(key.identity)], input=data, check=True, capture_output=True
    ).stdout.decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clear_files(root: Path) -> list[Path]:
    """Every file under `root` that is not an age file (by its first line)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                found.append(path)
    return found


def leaks(root: Path, secrets: list[str]) -> list[str]:
    """What a thief reading every file under `root` finds: media in clear, raw take files,
    and any of `secrets` (candidate references, invitation codes) in any file."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name in RAW_NAMES or path.suffix in (".mp4", ".h264", ".pcm"):
            found.append(f"{path}: a take's file in clear")
        with open(path, "rb") as f:
            encrypted = f.read(len(MAGIC)) == MAGIC
        if not encrypted and (data[4:8] == MP4_BOX or H264_SPS in data):
            found.append(f"{path}: video in clear")
        for secret in secrets:
            if secret.encode() in data:
                found.append(f"{path}: contains {secret!r}")
    return found


def modes_not_private(root: Path) -> list[str]:
    """Files not 0600 and folders not 0700 under `root` (and `root` itself)."""
    bad = []
    for path in [root, *sorted(root.rglob("*"))]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o777
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            bad.append(f"{path}: {mode:o}")
    return bad


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
