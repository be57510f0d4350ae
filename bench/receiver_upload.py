"""Receiver: throughput from the booth through the reference receiver into Swift, as ratios to
the bare @tus/s3-store on the same Swift and to @tus/server's file store, in the same run.

One session with one take of TAKE_BYTES random bytes, sent by the real sync agent
(`SyncAgent.run_once`, in this process) in CHUNK chunks, ROUNDS times to each server in
rotating order:
- receiver: deploy/receiver (@tus/server + @tus/s3-store) in front of a one-node Swift with
  s3api (tests/swift_support.py, Debian's packages) on loopback. Its time includes what makes
  it the receiver: every PATCH becomes S3 part uploads, the last byte completes the multipart
  upload, and the final PATCH is answered only after the object is read back, its sha256
  checked, and copied to sessions/; then the manifest, and the receipt, which the booth
  fetches and checks before it may delete (`[sync] proof = "receipt"`).
- bare s3-store: bench/bare_s3_tus.mjs, @tus/server + @tus/s3-store and nothing else, on the
  same Swift (its own bucket); the booth deletes on its word (`proof = "upload"`).
- file store: tools/tus (@tus/server + @tus/file-store) writing to a local directory, no
  checksum extension: the plain tus server a booth was tested against.
`ratio` is the median over rounds of bare-s3-store seconds / receiver seconds: what completion,
verification, sessions and the receipt cost on the same store (1.0: nothing; paired within a
round, as the shared machine drifts). `ratio_file_store` is the same against the file store
(the figure this bench gave before the bare baseline). `receipt_requests` counts the booth's
receipt requests per session (the receipt check adds at most one). The receiver's own log
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
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from booth.config.settings import load_settings
from booth.media.spool import Spool
from booth.media.take_result import TakeResult
from booth.sync import receipts as receipts_module
from booth.sync.agent import SyncAgent
from booth.sync.config import sync_settings
from tests.receiver_support import RECEIVER_DIR, LocalReceiver
from tests.swift_support import ACCESS_KEY, SECRET_KEY, LocalSwift
from tools.tus_server import LocalTusServer, node_command

TAKE_BYTES = 100_000_000
CHUNK = 8 * 1024 * 1024
ROUNDS = 3
TOKEN = "bench-booth-token-0123456789abcdef"
_CHECKED = re.compile(r"read back in (\d+) ms, moved in (\d+) ms")


BARE = Path(__file__).with_name("bare_s3_tus.mjs")
_BARE_LISTENING = re.compile(r"listening on (http://\S+/)")
RECEIPT_REQUESTS = [0]


def _counting(fetch):
    def counted(*args, **kwargs):
        RECEIPT_REQUESTS[0] += 1
        return fetch(*args, **kwargs)

    return counted


class BareS3Tus:
    """bench/bare_s3_tus.mjs on a free port, storing in `bucket` of `swift`."""

    def __init__(self, root: Path, swift: LocalSwift, bucket: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        # ESM resolves packages from the script's folder: give it the receiver's.
        shutil.copy(BARE, root / BARE.name)
        (root / "node_modules").symlink_to(RECEIVER_DIR / "node_modules")
        swift.create_bucket(bucket)
        env = {"PATH": "/usr/bin:/bin", "S3_BUCKET": bucket, "S3_ENDPOINT": swift.endpoint,
               "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY}  # fmt: skip
        self.process = subprocess.Popen(
            [node_command(), str(root / BARE.name)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        m = _BARE_LISTENING.search(line)
        if not m:
            self.process.kill()
            raise RuntimeError(f"bare_s3_tus.mjs did not start: {line}")
        self.url = m.group(1)
        stdout = self.process.stdout
        threading.Thread(target=lambda: stdout.read(), daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _upload(root: Path, url: str, take: Path, proof: str) -> float:
    """Seconds for the agent to send one session holding `take` to `url`."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "token").write_text(TOKEN + "\n")
    (root / "token").chmod(0o600)
    values = {"url": url, "token_file": str(root / "token"), "chunk_bytes": CHUNK,
              "idle_seconds": 0, "retention_hours": 1000, "timeout_seconds": 120,
              "proof": proof}  # fmt: skip
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
        bare = BareS3Tus(base / "bare", swift, "bench-bare")
        plain = LocalTusServer(base / "filestore", checksum=False).start()
        times: dict[str, list[float]] = {"receiver": [], "bare s3-store": [], "file store": []}
        receipts_module.fetch_receipt = _counting(receipts_module.fetch_receipt)
        try:
            for round_ in range(ROUNDS):
                order = [
                    ("receiver", receiver.url, "receipt"),
                    ("bare s3-store", bare.url, "upload"),
                    ("file store", plain.url, "upload"),
                ]
                for name, url, proof in order[round_ % 3 :] + order[: round_ % 3]:
                    times[name].append(_upload(base / "booth", url, take, proof))
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
            bare.stop()
            receiver.stop()
            swift.stop()
    ratios = [b / r for b, r in zip(times["bare s3-store"], times["receiver"], strict=True)]
    plain_ratios = [p / r for p, r in zip(times["file store"], times["receiver"], strict=True)]
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
        "ratio_file_store": round(statistics.median(plain_ratios), 2),
        "receipts": receipts,
        "receipt_requests_per_session": round(RECEIPT_REQUESTS[0] / ROUNDS, 2),
        "read_back_seconds": [round(c[0], 2) for c in checks],
        "move_seconds": [round(c[1], 2) for c in checks],
        "table": [
            ["path", "MiB/s per round"],
            ["booth -> receiver -> Swift", rates["receiver"]],
            ["booth -> bare @tus/s3-store -> Swift", rates["bare s3-store"]],
            ["booth -> @tus/server file store", rates["file store"]],
            ["receiver seconds per round", [round(t, 2) for t in times["receiver"]]],
            ["of which read back + sha256 (s)", [round(c[0], 2) for c in checks]],
            ["of which copy to sessions/ (s)", [round(c[1], 2) for c in checks]],
            [
                "ratio to bare s3-store (median, min-max)",
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            ],  # fmt: skip
            ["ratio to file store (median)", f"{statistics.median(plain_ratios):.2f}"],
            ["receipt requests per session", RECEIPT_REQUESTS[0] / ROUNDS],
        ],
    }
