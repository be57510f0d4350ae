"""Receiver: throughput from the booth through the reference receiver into Swift, as a ratio to
the booth straight into @tus/server's file store, in the same run.

One session with one take of TAKE_BYTES random bytes, sent by the real sync agent
(`SyncAgent.run_once`, in this process) in CHUNK chunks, ROUNDS times to each server in
alternating order:
- receiver: deploy/receiver (@tus/server + @tus/s3-store) in front of a one-node Swift with
  s3api (tests/swift_support.py, Debian's packages) on loopback. Its time includes what makes
  it the receiver: every PATCH becomes S3 part uploads, the last byte completes the multipart
  upload, and the final PATCH is answered only after the object is read back, its sha256
  checked, and copied to sessions/; then the manifest, and the receipt.
- file store: tools/tus (@tus/server + @tus/file-store) writing to a local directory, no
  checksum extension: the plain tus server a booth was tested against.
`ratio` is the median over rounds of file-store seconds / receiver seconds (1.0: the receiver
costs nothing; paired within a round, as the shared machine drifts). The receiver's own log
gives how long its read-back (sha256) and its copy to sessions/ took of each take's upload.
Both run on this machine,
so the figure says what the receiver and Swift cost in CPU and disk, not what a network adds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from booth.config.settings import load_settings
from booth.media.spool import Spool
from booth.media.take_result import TakeResult
from booth.sync.agent import SyncAgent
from booth.sync.config import sync_settings
from tests.receiver_support import LocalReceiver
from tests.swift_support import LocalSwift
from tools.tus_server import LocalTusServer

TAKE_BYTES = 100_000_000
CHUNK = 8 * 1024 * 1024
ROUNDS = 3
TOKEN = "bench-booth-token-0123456789abcdef"
_CHECKED = re.compile(r"read back in (\d+) ms, moved in (\d+) ms")


def _upload(root: Path, url: str, take: Path) -> float:
    """Seconds for the agent to send one session holding `take` to `url`."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "token").write_text(TOKEN + "\n")
    (root / "token").chmod(0o600)
    values = {"url": url, "token_file": str(root / "token"), "chunk_bytes": CHUNK,
              "idle_seconds": 0, "retention_hours": 1000, "timeout_seconds": 120}  # fmt: skip
    lines = ['booth_id = "bench"', "[paths]", f'spool = "{root / "spool"}"',
             f'state = "{root / "state"}"', "[sync]"]  # fmt: skip
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (root / "booth.toml").write_text("\n".join(lines) + "\n")
    session = Spool(root / "spool").open_session("bench", "bench", "bench")
    path = session.take_path("q1", 1)
    os.link(take, path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    session.keep_take("q1", 1, TakeResult(path, TAKE_BYTES, digest.hexdigest(), 1.0, 30, False))
    session.finish("complete", datetime.now(UTC))
    settings = load_settings(root / "booth.toml")
    agent = SyncAgent(sync_settings(settings), settings.paths.spool, settings.paths.state)
    started = time.perf_counter()
    result = agent.run_once()
    seconds = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"upload to {url} failed: {result.reason}")
    return seconds


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-receiver-") as tmp:
        base = Path(tmp)
        take = base / "take.bin"
        with open(take, "wb") as f:
            for _ in range(TAKE_BYTES // (10 << 20)):
                f.write(os.urandom(10 << 20))
            f.write(os.urandom(TAKE_BYTES % (10 << 20)))
        swift = LocalSwift(base / "swift").start()
        receiver = LocalReceiver(base / "receiver", swift, {"bench": TOKEN}).start()
        plain = LocalTusServer(base / "filestore", checksum=False).start()
        times: dict[str, list[float]] = {"receiver": [], "file store": []}
        try:
            for round_ in range(ROUNDS):
                order = [("receiver", receiver.url), ("file store", plain.url)]
                for name, url in order if round_ % 2 == 0 else order[::-1]:
                    times[name].append(_upload(base / "booth", url, take))
                    shutil.rmtree(base / "filestore", ignore_errors=True)
                    (base / "filestore").mkdir()
            receipts = len([k for k in receiver.keys("sessions/") if k.endswith("receipt.json")])
            checks = [
                (int(m.group(1)) / 1000, int(m.group(2)) / 1000)
                for line in receiver.output
                if (m := _CHECKED.search(line)) and "q1-take1.mp4" in line
            ]
        finally:
            plain.stop()
            receiver.stop()
            swift.stop()
    ratios = [p / r for p, r in zip(times["file store"], times["receiver"], strict=True)]
    mib = TAKE_BYTES / (1 << 20)
    rates = {k: [round(mib / s, 1) for s in v] for k, v in times.items()}
    return {
        "take_bytes": TAKE_BYTES,
        "chunk_bytes": CHUNK,
        "rounds": ROUNDS,
        "seconds": {k: [round(s, 2) for s in v] for k, v in times.items()},
        "mib_per_s": rates,
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
        "receipts": receipts,
        "read_back_seconds": [round(c[0], 2) for c in checks],
        "move_seconds": [round(c[1], 2) for c in checks],
        "table": [
            ["path", "MiB/s per round"],
            ["booth -> receiver -> Swift", rates["receiver"]],
            ["booth -> @tus/server file store", rates["file store"]],
            ["receiver seconds per round", [round(t, 2) for t in times["receiver"]]],
            ["of which read back + sha256 (s)", [round(c[0], 2) for c in checks]],
            ["of which copy to sessions/ (s)", [round(c[1], 2) for c in checks]],
            [
                "ratio (median, min-max)",
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            ],  # fmt: skip
        ],
    }
