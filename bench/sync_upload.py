"""Sync agent: upload throughput against curl, bytes re-sent after an interruption, time to
pause when a candidate arrives, and the agent's memory.

Everything runs against the real @tus/server (tools/tus, started by tools.tus_server) on loopback.

Throughput: a 500 MB take of random bytes, sent in 8 MiB chunks, with the server offering sha1
checksums (as a booth uses it) and without. Each of ROUNDS rounds runs the first two below in
alternating order, then the third:
- curl (one process, one keep-alive connection, `--next` per chunk) PATCHes the same 8 MiB
  chunks, read from one file per chunk, with the same Upload-Offset headers and, when the server
  offers checksums, the same `Upload-Checksum: sha1 …` headers. Those sha1s are computed before
  the clock starts, and the upload is created (POST) before it too: only the PATCHes are timed,
  plus curl's start-up. `Expect:` is turned off, as the agent does not wait for 100-continue.
  This is the baseline: the same requests, with no hashing and no bookkeeping.
- the agent (`SyncAgent.run_once`, in this process) does all its own work inside the clock: it
  reads the kiosk state and the spool, asks OPTIONS, creates the upload (POST), reads and hashes
  each chunk (the next one on a worker thread while the current one is sent and answered), sends
  it in 64 KiB pieces checking for a candidate between them, records each acknowledged offset in
  SQLite, and confirms the upload with a final HEAD.
- curl sending the whole take in one PATCH (no checksum) shows the server's ceiling.
After each upload the server's files are deleted, so dirty pages never pile up across runs.
`ratio` is the median over rounds of curl's time / the agent's time for the same chunks (paired
within a round, since the machine is shared and its speed drifts); min and max give the spread.
CPU seconds (user + system) of curl, of the agent's process and of the server are reported too:
they show where the time goes on a machine with few cores.

Targets: ratio >= 0.9, re-sent <= one chunk, pause <= 1 s, RSS <= 80 MB.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from booth.config.settings import load_settings
from booth.media.spool import Spool
from booth.media.take_result import TakeResult
from booth.state import KioskState
from booth.sync.agent import SyncAgent
from booth.sync.config import sync_settings
from booth.sync.tus import RateLimit
from tools.tus_server import LocalTusServer

TAKE_BYTES = 500_000_000
CHUNK = 8 * 1024 * 1024
ROUNDS = 9


def _config(root: Path, url: str, **extra: object) -> Path:
    lines = ["[paths]", f'spool = "{root / "spool"}"', f'state = "{root / "state"}"', "[sync]"]
    # tools/tus is a plain @tus/server, which writes no receipts: the booth deletes on the
    # upload's word here (bench/receiver_upload measures the receipt's cost).
    values = {"url": url, "chunk_bytes": CHUNK, "idle_seconds": 0, "retention_hours": 1000,
              "proof": "upload"}  # fmt: skip
    values.update(extra)
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (root / "booth.toml").write_text("\n".join(lines) + "\n")
    return root / "booth.toml"


def _agent(config: Path) -> SyncAgent:
    settings = load_settings(config)
    return SyncAgent(sync_settings(settings), settings.paths.spool, settings.paths.state)


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


def _curl_seconds(
    server: LocalTusServer, take: Path, chunks: list[Path] | None
) -> tuple[float, float]:
    """curl sending `take` in one PATCH, or as the same chunk PATCHes (with the same sha1
    headers when the server offers them) over one connection, as the agent sends them.
    Returns (wall seconds, curl's CPU seconds)."""
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
    cpu = _cpu_seconds("children")
    started = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - started, _cpu_seconds("children") - cpu


def _split(take: Path, into: Path) -> list[Path]:
    into.mkdir()
    parts = []
    with open(take, "rb") as f:
        while block := f.read(CHUNK):
            parts.append(into / f"{len(parts):05d}")
            parts[-1].write_bytes(block)
    return parts


def _agent_seconds(root: Path, server: LocalTusServer, take: Path) -> tuple[float, float]:
    """The agent uploading `take` as a finished session: (wall seconds, CPU seconds of this
    process, every thread)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _session(root / "spool", take)
    agent = _agent(_config(root, server.url))
    cpu = _cpu_seconds("self")
    started = time.monotonic()
    result = agent.run_once()
    elapsed = time.monotonic() - started
    cpu = _cpu_seconds("self") - cpu
    agent.close()
    assert result.ok, result.reason
    return elapsed, cpu


def _cpu_seconds(who: str, pid: int = 0) -> float:
    """User + system CPU seconds so far: of this process ("self"), of its waited-for children
    ("children", e.g. curl), or of process `pid` ("pid", all its threads)."""
    if who == "pid":
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(server: LocalTusServer, send: Callable[[], tuple[float, float]]) -> tuple[float, ...]:
    """(wall seconds, client CPU seconds, server CPU seconds) of one upload."""
    assert server.process is not None
    served = _cpu_seconds("pid", server.process.pid)
    wall, client = send()
    served = _cpu_seconds("pid", server.process.pid) - served
    for blob in server.store_dir.iterdir():
        blob.unlink()
    return wall, client, served


def _throughput(work: Path, take: Path, chunks: list[Path], checksum: bool) -> dict:
    """ROUNDS paired runs of curl (same chunks), the agent and curl (one PATCH)."""
    runs: dict[str, list[tuple[float, ...]]] = {}
    with LocalTusServer(work / f"server-{checksum}", checksum=checksum) as server:
        sends = {
            "curl_chunks": lambda: _curl_seconds(server, take, chunks),
            "agent": lambda: _agent_seconds(work / "booth", server, take),
            "curl_one_patch": lambda: _curl_seconds(server, take, None),
        }
        _agent_seconds(work / "booth", server, take)  # warm up: imports, page cache
        for blob in server.store_dir.iterdir():
            blob.unlink()
        for i in range(ROUNDS):
            order = ["curl_chunks", "agent"][:: 1 if i % 2 == 0 else -1] + ["curl_one_patch"]
            for name in order:
                runs.setdefault(name, []).append(_timed(server, sends[name]))
    mb = take.stat().st_size / 1e6
    ratios = [c[0] / a[0] for c, a in zip(runs["curl_chunks"], runs["agent"], strict=True)]
    result: dict = {"rounds": ROUNDS}
    for name, values in runs.items():
        speeds = sorted(mb / v[0] for v in values)
        result[f"{name}_mb_s"] = {
            "median": round(statistics.median(speeds), 1),
            "min": round(speeds[0], 1),
            "max": round(speeds[-1], 1),
        }
        result[f"{name}_cpu_s"] = {
            "client": round(statistics.median(v[1] for v in values), 2),
            "server": round(statistics.median(v[2] for v in values), 2),
        }
    result["ratio"] = round(statistics.median(ratios), 3)
    result["ratio_min"] = round(min(ratios), 3)
    result["ratio_max"] = round(max(ratios), 3)
    one_patch = [c[0] / a[0] for c, a in zip(runs["curl_one_patch"], runs["agent"], strict=True)]
    result["ratio_to_one_patch"] = round(statistics.median(one_patch), 3)
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
        # VmHWM, not ru_maxrss: Linux keeps a process's ru_maxrss across execve, so a child
        # of a big benchmark process would report its parent's peak.
        code = (
            "import sys; from bench.sync_upload import _run; code = _run(sys.argv[1:]); "
            "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]; "
            "print('maxrss_kb', hwm[0], file=sys.stderr); sys.exit(code)"
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


def _spread(result: dict) -> str:
    return f"{result['ratio']} [{result['ratio_min']}-{result['ratio_max']}]"


def _speeds(result: dict) -> str:
    return f"{result['curl_chunks_mb_s']['median']} / {result['agent_mb_s']['median']}"


def _cpu(result: dict, name: str) -> str:
    return f"{result[f'{name}_cpu_s']['client']}, {result[f'{name}_cpu_s']['server']}"


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        work = Path(tmp)
        take = _random_file(work / "take.bin", TAKE_BYTES)
        chunks = _split(take, work / "chunks")
        os.sync()  # write the fresh test files back now, not during the measurements
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
            ("agent/curl same chunks, sha1 server: median [min-max]", _spread(with_sha1), ">= 0.9"),
            ("agent/curl same chunks, plain server", _spread(plain), ">= 0.9"),
            ("agent/curl one PATCH, plain server", plain["ratio_to_one_patch"], "(ceiling)"),
            ("MB/s curl / agent, sha1 server", _speeds(with_sha1), ""),
            ("MB/s curl / agent, plain server", _speeds(plain), ""),
            ("CPU s client, server: curl, sha1", _cpu(with_sha1, "curl_chunks"), ""),
            ("CPU s client, server: agent, sha1", _cpu(with_sha1, "agent"), ""),
            ("bytes re-sent after a kill", resend["resent_bytes"], f"<= {CHUNK}"),
            ("seconds to pause", round(pause, 3), "<= 1"),
            ("agent RSS MB (500 MB take)", round(rss, 1), "<= 80"),
        ],
    }  # fmt: skip
