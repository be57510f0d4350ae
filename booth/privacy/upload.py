"""What the sync agent uploads of a finished session, and the tus metadata of each file.

A session in clear sends its kept takes in answer order, then its manifest; their metadata
says which booth, interview, candidate, question and take each file is. A sealed session
sends the encrypted files its clear manifest lists, then that clear manifest; their metadata
names nobody (booth, interview, session, file name, and the sha256 of the bytes sent, so the
server can check an upload without the key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from booth.privacy.seal import MANIFEST, is_sealed

AGE_TYPE = "application/octet-stream"
"""age has no registered media type; the `.age` name says what it is."""


@dataclass(frozen=True)
class UploadFile:
    """One file of a session to upload: its name in the session directory, its size, the
    sha256 of its bytes, and its tus Upload-Metadata."""

    name: str
    length: int
    sha256: str
    metadata: dict[str, str]


def upload_files(manifest: Mapping, manifest_length: int, manifest_sha256: str) -> list[UploadFile]:
    """The files of a finished session in upload order, the (clear) manifest last."""
    common = {
        "booth": str(manifest.get("booth_id", "")),
        "interview": str(manifest.get("interview_id", "")),
        "session": str(manifest["session_id"]),
    }
    files = []
    if is_sealed(manifest):
        for f in manifest.get("files", []):
            name, sha256 = str(f["file"]), str(f["sha256"])
            files.append(
                UploadFile(
                    name,
                    int(f["bytes"]),
                    sha256,
                    {"filename": name, "filetype": AGE_TYPE, **common, "sha256": sha256},
                )
            )
    else:
        common["candidate_ref"] = str(manifest.get("candidate_ref", ""))
        for take in manifest.get("takes", []):
            name, sha256 = str(take["file"]), str(take["sha256"])
            files.append(
                UploadFile(
                    name,
                    int(take["bytes"]),
                    sha256,
                    {
                        "filename": name,
                        "filetype": "video/mp4",
                        **common,
                        "question": str(take["question_id"]),
                        "take": str(take["take"]),
                        "sha256": sha256,
                    },
                )
            )
    manifest_metadata = {
        "filename": MANIFEST,
        "filetype": "application/json",
        **common,
        "sha256": manifest_sha256,
    }
    files.append(UploadFile(MANIFEST, manifest_length, manifest_sha256, manifest_metadata))
    return files
