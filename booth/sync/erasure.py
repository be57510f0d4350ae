"""Erasure on the server: `booth takes forget REF` asks the receiver to erase REF's sessions.

deploy/receiver answers `DELETE <sync.url>/sessions/<booth>/<session>` (this booth's sessions
only) by deleting the session's objects, its uploads' state and parts and any quarantined
copies, and by writing an erasure record that names no one (booth, session, time) under
erasures/. It answers with what it erased. A plain tus server (`[sync] proof = "upload"`) has
no such request: the booth says what remains there, for staff to erase by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from booth.config.errors import ConfigError
from booth.config.reader import parse_json
from booth.sync.config import SyncSettings
from booth.sync.receipts import RECEIPT, session_url
from booth.sync.tus import TusClient, TusError, printable

_MAX_ANSWER_BYTES = 1 << 20


@dataclass
class ServerErasure:
    """What the server did with one session: the file names it erased, or why it did not."""

    session: str
    erased: list[str] = field(default_factory=list)
    record: str | None = None  # the erasure record's key in the bucket
    problem: str | None = None  # None: erased (or the server held nothing of it)
    retry: bool = False  # the server may erase it when asked again (it did not answer)


def erase_on_server(
    sync: SyncSettings, booth_id: str, session_ids: list[str]
) -> list[ServerErasure]:
    """Ask the server to erase each session (see the module's docstring); never raises."""
    if not session_ids:
        return []
    if sync.url is None:
        return [ServerErasure(s) for s in session_ids]  # this booth uploads nowhere
    if sync.proof != RECEIPT:
        why = ('[sync] proof = "upload": a plain tus server has no erase request; erase its '
               "uploads of this session there by hand")  # fmt: skip
        return [ServerErasure(s, problem=why) for s in session_ids]
    try:
        client = TusClient(
            sync.url, sync.read_token(), timeout_seconds=sync.timeout_seconds, ca_file=sync.ca_file
        )
    except ConfigError as err:
        return [ServerErasure(s, problem=f"not asked: {err}") for s in session_ids]
    try:
        return [_erase(client, sync.url, booth_id, s) for s in session_ids]
    finally:
        client.close()


def _erase(client: TusClient, sync_url: str, booth_id: str, session_id: str) -> ServerErasure:
    url = session_url(sync_url, "sessions", booth_id, session_id)
    try:
        response, data = client.delete(url)
    except TusError as err:
        return ServerErasure(session_id, problem=f"the server was not reached ({err})", retry=True)
    if response.status != 200:
        return ServerErasure(
            session_id,
            problem=f"DELETE {url}: the server answered {response.status}",
            retry=response.status >= 500,
        )
    try:
        answer = parse_json(data[:_MAX_ANSWER_BYTES].decode("utf-8"), Path(url))
        # Printed on staff's terminal by `booth takes forget`: escaped, never raw.
        files = [printable(str(f), 200) for f in answer["files"]]
    except (ValueError, KeyError, TypeError):
        return ServerErasure(session_id, problem=f"DELETE {url}: the answer is not the receiver's")
    return ServerErasure(session_id, files, f"erasures/{booth_id}/{session_id}.json")
