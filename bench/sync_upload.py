"""Sync agent: upload throughput against curl, bytes re-sent after an interruption, time to
pause when a candidate arrives, and the agent's memory.

Everything runs against the real @tus/server (tests/tus) on loopback. Throughput is a ratio to
curl streaming the same 500 MB take to the same server in the same run (one PATCH, no
checksum), measured both with the server offering sha1 (as a booth would use it: one checksum
per chunk) and without. Targets: ratio >= 0.9, re-sent <= one chunk, pause <= 1 s, RSS <= 80 MB.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from booth.config.settings import load_settings
from booth.media.mux import TakeResult
from booth.media.spool import Spool
from booth.state import KioskState
from booth.sync.agent import SyncAgent
from booth.sync.config import sync_settings
from booth.sync.local_server import LocalTusServer
from booth.sync.tus import RateLimit

TAKE_BYTES = 500_000_000
CHUNK = 8 * 1024 * 1024
ROUNDS = 2


def _config(root: Path, url: str, **extra: object) -> Path:
    lines = ["[paths]", f'spool = "{root / "spool"}"', f'state = "{root / "state"}"', "[sync]"]
    values = {"url": url, "chunk_bytes": CHUNK, "idle_seconds": 0, "retention_hours": 1000}
    values.update(extra)
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (root / "booth.toml").write_text("\n".join(lines) + "\n")
    return root / "booth.toml"


def _agent(config: Path, **kwargs) -> SyncAgent:
    settings = load_settings(config)
    return SyncAgent(sync_settings(settings), settings.paths.spool, settings.paths.state, **kwargs)


def _session(spool: Path, take: Path) -> None:
    session = Spool(spool).open_session("bench", "bench", "bench")
    path = session.take_path("q1", 1)
    os.link(take, path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    size = path.stat().st_size
    session.keep_take("q1", 1, TakeResult(path, size, digest.hexdigest(), 1.0, 30, False))
    session.finish("complete", datetime.now(UTC))


def _random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def _create(server: LocalTusServer, length: int) -> str:
    request = urllib.request.Request(
        server.url,
        method="POST",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
                 "Upload-Metadata": "filename Y3VybA=="},
    )  # fmt: skip
    with urllib.request.urlopen(request) as response:
        return response.headers["Location"]


def _curl_seconds(server: LocalTusServer, take: Path, chunks: list[Path] | None) -> float:
    """curl sending `take` in one PATCH, or as the same chunk PATCHes (with the same sha1
    headers when the server offers them) over one connection, as the agent sends them."""
    url = _create(server, take.stat().st_size)
    common = ["-sS", "-f", "-o", "/dev/null", "-X", "PATCH", "-H", "Tus-Resumable: 1.0.0",
              "-H", "Expect:", "-H", "Content-Type: application/offset+octet-stream"]  # fmt: skip
    command = ["curl"]
    offset = 0
    for part in chunks or [take]:
        if len(command) > 1:
            command.append("--next")
        command += [*common, "-T", str(part), "-H", f"Upload-Offset: {offset}", url]
        if chunks and server.checksum:
            digest = base64.b64encode(hashlib.sha1(part.read_bytes()).digest()).decode()
            command += ["-H", f"Upload-Checksum: sha1 {digest}"]
        offset += part.stat().st_size
    started = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - started


def _split(take: Path, into: Path) -> list[Path]:
    into.mkdir()
    parts = []
    with open(take, "rb") as f:
        while block := f.read(CHUNK):
            parts.append(into / f"{len(parts):05d}")
            parts[-1].write_bytes(block)
    return parts


def _agent_seconds(root: Path, server: LocalTusServer, take: Path) -> float:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _session(root / "spool", take)
    agent = _agent(_config(root, server.url))
    started = time.monotonic()
    result = agent.run_once()
    elapsed = time.monotonic() - started
    agent.close()
    assert result.ok, result.reason
    return elapsed


def _throughput(work: Path, take: Path, chunks: list[Path], checksum: bool) -> dict:
    """Best of ROUNDS, in MB/s: curl with one PATCH, curl with the agent's chunks, the agent."""
    store = work / f"server-{checksum}"
    seconds: dict[str, list[float]] = {"curl_one_patch": [], "curl_chunks": [], "agent": []}
    with LocalTusServer(store, checksum=checksum) as server:
        for _ in range(ROUNDS):
            seconds["curl_one_patch"].append(_curl_seconds(server, take, None))
            seconds["curl_chunks"].append(_curl_seconds(server, take, chunks))
            seconds["agent"].append(_agent_seconds(work / "booth", server, take))
            for blob in store.iterdir():
                blob.unlink()
    mb = take.stat().st_size / 1e6
    result = {f"{k}_mb_s": round(mb / min(v), 1) for k, v in seconds.items()}
    result["ratio"] = round(min(seconds["curl_chunks"]) / min(seconds["agent"]), 3)
    result["ratio_to_one_patch"] = round(min(seconds["curl_one_patch"]) / min(seconds["agent"]), 3)
    return result


def _resent_after_kill(work: Path) -> dict:
    root = work / "resend"
    root.mkdir()
    take = _random_file(work / "resend.bin", 6 * CHUNK + 12345)
    _session(root / "spool", take)
    server = LocalTusServer(work / "server-resend").start()
    sent = [0]

    class Counting(RateLimit):
        def take(self, n: int) -> None:
            sent[0] += n
            if sent[0] >= 2.5 * CHUNK and server.process is not None and sent[0] - n < 2.5 * CHUNK:
                server.kill()  # mid-chunk, as a power cut or a dropped link would
                threading.Timer(0.3, server.start).start()

    config = _config(root, server.url, backoff_seconds=0.2)
    agent = _agent(config)
    agent.rate = Counting(0)
    try:
        result = agent.run_once()
    finally:
        time.sleep(0.4)
        server.stop()
    manifest = next((root / "spool").glob("*/manifest.json"))
    total = take.stat().st_size + manifest.stat().st_size
    return {"ok": result.ok, "resent_bytes": sent[0] - total, "chunk_bytes": CHUNK}


def _pause_seconds(work: Path) -> float:
    root = work / "pause"
    root.mkdir()
    take = _random_file(work / "pause.bin", 50_000_000)
    _session(root / "spool", take)
    with LocalTusServer(work / "server-pause") as server:
        agent = _agent(_config(root, server.url, max_bytes_per_second=10_000_000))
        done = []
        runner = threading.Thread(target=lambda: done.append(agent.run_once()))
        runner.start()
        time.sleep(1.0)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        KioskState("session", "recording", None, now, None, os.getpid()).write(root / "state")
        started = time.monotonic()
        runner.join()
        return time.monotonic() - started


def _agent_rss_mb(work: Path, take: Path) -> float:
    root = work / "rss"
    root.mkdir()
    _session(root / "spool", take)
    with LocalTusServer(work / "server-rss") as server:
        config = _config(root, server.url)
        code = (
            "import resource, sys; from bench.sync_upload import _run; code = _run(sys.argv[1:]); "
            "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr); sys.exit(code)"
        )
        child = subprocess.run(
            [sys.executable, "-c", code, "--once", "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert child.returncode == 0, child.stderr
    line = next(x for x in child.stderr.splitlines() if x.startswith("maxrss_kb"))
    return int(line.split()[1]) / 1024


def _run(argv: list[str]) -> int:
    """`booth sync` as the CLI runs it (registered here, so the bench needs no CLI wiring)."""
    import argparse

    from booth.cli import sync_cmd

    parser = argparse.ArgumentParser()
    sync_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["sync", *argv])
    return args.func(args)


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        work = Path(tmp)
        take = _random_file(work / "take.bin", TAKE_BYTES)
        chunks = _split(take, work / "chunks")
        with_sha1 = _throughput(work, take, chunks, checksum=True)
        plain = _throughput(work, take, chunks, checksum=False)
        shutil.rmtree(work / "chunks")
        resend = _resent_after_kill(work)
        pause = _pause_seconds(work)
        rss = _agent_rss_mb(work, take)
    return {
        "throughput_sha1": with_sha1,
        "throughput_plain": plain,
        "resent_after_kill": resend,
        "pause_seconds": round(pause, 3),
        "agent_rss_mb": round(rss, 1),
        "table": [
            ("measure", "value", "target"),
            ("agent/curl same chunks, sha1 server", with_sha1["ratio"], ">= 0.9"),
            ("agent/curl same chunks, plain server", plain["ratio"], ">= 0.9"),
            ("agent/curl one PATCH, plain server", plain["ratio_to_one_patch"], "(ceiling)"),
            ("MB/s agent, sha1 server", with_sha1["agent_mb_s"], ""),
            ("MB/s agent, plain server", plain["agent_mb_s"], ""),
            ("bytes re-sent after a kill", resend["resent_bytes"], f"<= {CHUNK}"),
            ("seconds to pause", round(pause, 3), "<= 1"),
            ("agent RSS MB (500 MB take)", round(rss, 1), "<= 80"),
        ],
    }  # fmt: skip
