"""Receipts: the server's proof that its object store holds a session, checked by the booth.

A tus server's "offset = length" says only that it received the bytes; deploy/receiver goes on
to read every file back from its object store, and when a session's manifest and every file it
lists are there, verified, it writes a receipt. With `[sync] proof = "receipt"` (the default)
the booth deletes a finished session only when that receipt, fetched with
`GET <sync.url>/receipts/<booth>/<session>`, lists every file of the session's manifest with
the same sha256, its size, and `"verified": true`: the booth checks it itself. With
`proof = "upload"` (a plain tus server, which writes no receipt) it deletes on the server's
word, and `booth doctor` warns that deletions are unproven.

`ReceiptBook` remembers, in the state directory, which sessions' receipts were checked (so a
session kept for `retention_hours` is asked about once) and why the others still wait.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from booth.config.errors import ConfigError
from booth.config.reader import parse_json, read_json
from booth.sync.queue import CONFIRMED, FinishedSession, session_state
from booth.sync.store import UploadRecord
from booth.sync.tus import Refused, TusClient, TusError, Unavailable, shown

log = logging.getLogger(__name__)

RECEIPT = "receipt"
UPLOAD = "upload"
PROOFS = (RECEIPT, UPLOAD)
BOOK_FILE = "receipts.json"
# A receipt lists a session's files: a few kB. Anything much bigger is not one.
_MAX_RECEIPT_BYTES = 1 << 20
# A session whose receipt was missing or wrong is asked about again after this long, not at
# every poll of the agent: a receipt is written when the manifest is verified, so a missing
# one waits for the receiver's recovery or staff, not for seconds.
ASK_AGAIN_SECONDS = 300.0


def session_url(sync_url: str, kind: str, booth_id: str, session_id: str) -> str:
    """`<sync.url>/<kind>/<booth>/<session>`: where deploy/receiver answers for a session
    (`receipts` for its receipt, `sessions` to erase it)."""
    return f"{sync_url.rstrip('/')}/{kind}/{quote(booth_id, safe='')}/{quote(session_id, safe='')}"


def fetch_receipt(client: TusClient, url: str) -> Mapping[str, Any] | None:
    """The receipt at `url`, or None when the server has none (404). Raises Refused (401/403),
    Unavailable (anything else, or an answer that is not a JSON object)."""
    # TusClient sends only to the endpoint's origin, with the booth's token.
    response, data = client.get(url)
    if response.status == 404:
        return None
    if response.status in (401, 403):
        raise Refused(f"GET {url}: the server answered {response.status}: not this booth's")
    if response.status != 200:
        raise Unavailable(
            f"GET {url}: the server answered {response.status} {shown(response.reason, 60)}"
        )
    if len(data) > _MAX_RECEIPT_BYTES:
        raise Unavailable(f"GET {url}: {len(data)} bytes is not a receipt")
    try:
        # The guarded parse (depth, number sizes): a hostile server's nesting must not end the
        # agent with a RecursionError.
        receipt = parse_json(data.decode("utf-8"), Path(url))
    except ValueError:  # UnicodeDecodeError, DamagedFile
        raise Unavailable(f"GET {url}: the answer is not a receipt's JSON") from None
    if not isinstance(receipt, dict):
        raise Unavailable(f"GET {url}: the answer is not a JSON object")
    return receipt


def receipt_problem(
    receipt: Mapping[str, Any], session: FinishedSession, booth_id: str
) -> str | None:
    """Why `receipt` does not prove that the server holds `session` whole, or None: it must be
    this booth's and this session's, and list every file the booth uploaded (the manifest's
    files and the manifest) with the same sha256 and size, verified."""
    if receipt.get("booth") != booth_id or receipt.get("session") != session.session_id:
        return (
            f"the receipt is for {shown(str(receipt.get('booth')), 40)}/"
            f"{shown(str(receipt.get('session')), 40)}"
        )
    listed: dict[str, Mapping[str, Any]] = {}
    files = receipt.get("files")
    if not isinstance(files, list):
        return "the receipt lists no files"
    for entry in files:
        if isinstance(entry, dict) and isinstance(entry.get("file"), str):
            listed[entry["file"]] = entry
    for f in session.files:
        entry = listed.get(f.name)
        if entry is None:
            return f"the receipt does not list {f.name}"
        if entry.get("sha256") != f.sha256:
            return f"the receipt lists {f.name} with another sha256"
        if entry.get("bytes") != f.length:
            said = shown(str(entry.get("bytes")), 24)
            return f"the receipt lists {f.name} with {said} bytes, not {f.length}"
        if entry.get("verified") is not True:
            return f"the receipt does not say {f.name} was verified"
    return None


@dataclass(frozen=True)
class Waiting:
    """A session every file of which the server took, still without a receipt that proves it."""

    session_id: str
    since: float  # when the server took its last file (Unix seconds)
    problem: str


class ReceiptBook:
    """`state/receipts.json`: sessions whose receipt the booth checked (`proven`: session id ->
    when), and the problem of those still waiting. Written whole and atomically; one that
    cannot be read counts as empty, which costs only requests for receipts again."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / BOOK_FILE

    def read(self) -> tuple[dict[str, float], dict[str, str]]:
        proven, problems, _ = self.read_all()
        return proven, problems

    def read_all(self) -> tuple[dict[str, float], dict[str, str], dict[str, float]]:
        """(proven: session -> when, waiting: session -> problem, asked: session -> when the
        server was last asked for a receipt it did not have)."""
        try:
            data = read_json(self.path)
            proven = {str(k): float(v) for k, v in dict(data.get("proven", {})).items()}
            problems = {str(k): str(v) for k, v in dict(data.get("waiting", {})).items()}
            asked = {str(k): float(v) for k, v in dict(data.get("asked", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}, {}, {}
        return proven, problems, asked

    def write(
        self,
        proven: Mapping[str, float],
        problems: Mapping[str, str],
        asked: Mapping[str, float] | None = None,
    ) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"proven": dict(proven), "waiting": dict(problems), "asked": dict(asked or {})}
        text = json.dumps(data, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".receipts-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def waiting_for_receipts(
    sessions: Iterable[FinishedSession],
    records: Mapping[tuple[str, str], UploadRecord],
    book: ReceiptBook,
) -> list[Waiting]:
    """Finished sessions whose every file the server took, but whose receipt has not been
    checked yet (oldest first): what `booth status` and the metrics count."""
    proven, problems = book.read()
    waiting = []
    for session in sessions:
        mine = {f.name: records[(session.session_id, f.name)] for f in session.files
                if (session.session_id, f.name) in records}  # fmt: skip
        if session.session_id in proven or session_state(session, mine) != CONFIRMED:
            continue
        since = max((r.confirmed_at or 0.0) for r in mine.values())
        problem = problems.get(session.session_id, "not asked yet")
        waiting.append(Waiting(session.session_id, since, problem))
    return sorted(waiting, key=lambda w: w.since)


class Prover:
    """The receipt check of one deletion pass of the sync agent: a session the server took
    whole is proven when its receipt lists every file with the same sha256, verified. Each
    session is asked about at most once per pass, again only ASK_AGAIN_SECONDS after an
    answer that did not prove it, and once proven never again; the answers are kept in the
    ReceiptBook for `booth status` and the metrics. `client` makes a client with the booth's
    token (raises ConfigError when the token file is unsafe); `clock` gives Unix seconds."""

    def __init__(
        self,
        state_dir: Path,
        sync_url: str,
        client: Callable[[], TusClient],
        clock: Callable[[], float],
    ) -> None:
        self.sync_url = sync_url
        self.new_client = client
        self.clock = clock
        self.book = ReceiptBook(state_dir)
        self.proven_at, self.problems, self.asked = self.book.read_all()
        self._client: TusClient | None = None
        self._changed = False

    def proven(self, session: FinishedSession, mine: dict[str, UploadRecord]) -> bool:
        if session.session_id in self.proven_at:
            return True
        if session_state(session, mine) != CONFIRMED:
            return False
        now = self.clock()
        last = self.asked.get(session.session_id)
        if last is not None and 0 <= now - last < ASK_AGAIN_SECONDS:
            return False
        booth_id = session.files[-1].metadata.get("booth", "")
        problem = self._check(session, booth_id)
        self.asked[session.session_id] = now
        if problem is None:
            self.proven_at[session.session_id] = now
            self.problems.pop(session.session_id, None)
            self.asked.pop(session.session_id, None)
            log.info("sync: the server's receipt proves session %s whole", session.session_id)
        elif self.problems.get(session.session_id) != problem:
            self.problems[session.session_id] = problem
            log.warning("sync: %s: kept on the booth: %s", session.session_id, problem)
        self._changed = True
        return problem is None

    def _check(self, session: FinishedSession, booth_id: str) -> str | None:
        url = session_url(self.sync_url, "receipts", booth_id, session.session_id)
        try:
            if self._client is None:
                self._client = self.new_client()
            receipt = fetch_receipt(self._client, url)
        except (TusError, OSError, ConfigError) as err:
            return f"its receipt could not be fetched ({err})"
        if receipt is None:
            return "the server has written no receipt for it (yet)"
        return receipt_problem(receipt, session, booth_id)

    def close(self, present: set[str]) -> None:
        """Save what this pass learnt; sessions gone from the spool leave the book."""
        if self._client is not None:
            self._client.close()
        gone = (set(self.proven_at) | set(self.problems) | set(self.asked)) - present
        if self._changed or gone:
            for session_id in gone:
                self.proven_at.pop(session_id, None)
                self.problems.pop(session_id, None)
                self.asked.pop(session_id, None)
            self.book.write(self.proven_at, self.problems, self.asked)
