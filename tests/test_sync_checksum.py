"""The sha1 of each chunk, computed one chunk ahead on a worker thread: the same digests as
hashing in line, no worker left behind, and every chunk verified by a real checksum server."""

from __future__ import annotations

import base64
import hashlib
import os
import threading

import pytest
from sync_support import (
    CHUNK,
    assert_server_holds_exactly,
    booth_config,
    expected_files,
    finished_session,
    make_agent,
    start_server,
)

from booth.sync.tus import SHA1_THREAD, ChunkSha1, Rejected, Stopped


def sha1_header(data: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


def hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == SHA1_THREAD]


def test_chunks_hashed_ahead_match_the_chunks_hashed_in_line(tmp_path):
    data = os.urandom(3 * CHUNK + 1234)
    path = tmp_path / "take.mp4"
    path.write_bytes(data)
    sha1 = ChunkSha1(path, len(data), CHUNK)
    offset = 0
    while offset < len(data):
        size = min(CHUNK, len(data) - offset)
        assert sha1.header(offset, size, lambda: False) == sha1_header(data[offset:][:size])
        sha1.prepare_next(offset, size)
        offset += size
    assert sha1._ahead is None  # nothing after the last chunk
    # A chunk the worker did not do (a resume from another offset) is hashed in line.
    sha1.prepare_next(0, CHUNK)
    assert sha1.header(100, 5000, lambda: False) == sha1_header(data[100:5100])
    assert hashing_threads() == []


def test_a_file_shorter_than_its_manifest_says_is_refused_by_the_worker_too(tmp_path):
    path = tmp_path / "take.mp4"
    path.write_bytes(os.urandom(CHUNK + 10))
    sha1 = ChunkSha1(path, 2 * CHUNK, CHUNK)
    sha1.prepare_next(0, CHUNK)
    with pytest.raises(Rejected, match="shorter than expected"):
        sha1.header(CHUNK, CHUNK, lambda: False)


def test_a_candidate_arriving_before_a_chunk_is_hashed_stops_the_hashing(tmp_path):
    path = tmp_path / "take.mp4"
    path.write_bytes(os.urandom(2 * CHUNK))
    sha1 = ChunkSha1(path, 2 * CHUNK, CHUNK)
    with pytest.raises(Stopped):
        sha1.header(0, CHUNK, lambda: True)
    sha1.prepare_next(0, CHUNK)  # the worker takes the second chunk
    with pytest.raises(Stopped):
        sha1.header(CHUNK, CHUNK, lambda: True)
    sha1.prepare_next(0, CHUNK)
    sha1.close()
    assert hashing_threads() == []


@pytest.mark.external
def test_every_chunk_of_a_take_is_verified_by_the_server_and_no_worker_outlives_the_upload(
    tmp_path,
):
    with start_server(tmp_path / "server", checksum=True) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(7 * CHUNK + 99, 3 * CHUNK))
        expected = expected_files(session)
        # One damaged chunk in the middle: its re-send is hashed again, in line.
        server.inject({"kind": "corrupt", "method": "PATCH", "count": 1})
        result = make_agent(config).run_once()
        assert result.ok, result.reason
        assert_server_holds_exactly(server, expected)
        patches = [r for r in server.requests() if r["method"] == "PATCH"]
        assert [r["status"] for r in patches].count(460) == 1
        assert all(r["status"] in (204, 460) for r in patches)
        assert len(patches) == 8 + 3 + 1 + 1  # the takes' chunks, the re-send, the manifest
        assert hashing_threads() == []
