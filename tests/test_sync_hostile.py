"""The uploader against servers that misbehave (tests/hostile_tus.py): issue 11, points 4-6.

Whatever the server does, the token and the takes go only to sync.url's origin, every request
that brings no progress is followed by a jittered, capped wait, a file that gets nowhere is set
aside after a bounded number of requests (and named in `booth status`), `booth sync --once`
returns, and nothing is deleted that the booth did not provably deliver. Waits are recorded, not
slept: the tests assert what the booth sends and keeps, never how long it took.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys

import pytest
from hostile_tus import MODES, HostileTus
from sync_support import CHUNK, TOKEN, booth_config, finished_session, make_agent

from booth.config.settings import load_settings
from booth.sync.sender import MAX_RESTARTS, MAX_UNANSWERED_CREATES, STALL_REQUESTS
from booth.sync.status import status_lines, sync_status
from booth.sync.store import SET_ASIDE, UploadStore

pytestmark = pytest.mark.external

# Three chunks per take: a lie about completion shows after the first.
TAKE = 3 * CHUNK


def run(agent, waits=None):
    """`run_once` with its backoff waits recorded instead of slept."""
    waits = [] if waits is None else waits
    return agent.run_once(sleep=waits.append)


def test_a_location_on_another_port_is_refused_and_the_token_never_goes_there(tmp_path):
    with HostileTus() as thief, HostileTus("other-origin", elsewhere=thief.url) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        agent = make_agent(config)
        result = run(agent)
        assert not result.ok
        assert thief.url in result.reason and "another origin" in result.reason
        assert f"http://127.0.0.1:{thief.port}" in result.reason
        assert thief.requests() == []  # not one request, so not the token either
        # Counted against the file like any answer a tus server cannot mean: set aside after
        # the usual bound, and the URL never stored.
        assert "set-aside" in result.reason
        assert [r.method for r in server.requests()] == ["OPTIONS"] + ["POST"] * STALL_REQUESTS
        assert agent.store.records() == {}
        assert session.dir.exists()


def test_a_location_on_https_after_an_http_endpoint_is_another_origin_too(tmp_path):
    with HostileTus("other-scheme") as server:
        config = booth_config(tmp_path, server.url)
        finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        result = run(make_agent(config))
        assert not result.ok and "another origin (https://127.0.0.1:" in result.reason
        assert [r.method for r in server.requests()] == ["OPTIONS"] + ["POST"] * STALL_REQUESTS


def test_a_redirect_is_not_followed_and_the_token_never_leaves(tmp_path):
    with HostileTus() as thief, HostileTus("redirect", elsewhere=thief.url) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        result = run(make_agent(config))
        assert not result.ok and "307" in result.reason and thief.url in result.reason
        assert thief.requests() == []
        assert session.dir.exists()


def test_a_redirect_on_the_same_origin_is_not_followed_either(tmp_path):
    with HostileTus("redirect") as server:
        server.elsewhere = f"http://127.0.0.1:{server.port}/moved/"
        config = booth_config(tmp_path, server.url)
        finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        waits: list[float] = []
        result = run(make_agent(config), waits)
        assert not result.ok and "follow no redirects" in result.reason
        assert not any(r.path.startswith("/moved/") for r in server.requests())


def test_a_stored_upload_url_on_another_origin_is_dropped_when_loaded(tmp_path):
    with HostileTus() as thief, HostileTus() as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        take = session.manifest["takes"][0]
        # A store from before the check, or from when sync.url named another server.
        store = UploadStore(tmp_path / "state")
        store.created(session.session_id, take["file"], thief.url + "x", TAKE, take["sha256"])
        store.close()
        data = (session.dir / "q1-take1.mp4").read_bytes()
        result = run(make_agent(config))
        assert result.ok, result.reason
        assert thief.requests() == []
        arrived = {u.metadata["filename"]: bytes(u.data) for u in server.uploads.values()}
        assert arrived["q1-take1.mp4"] == data
        assert all(r.authorization == f"Bearer {TOKEN}" for r in server.requests()[1:])


@pytest.mark.parametrize(
    "mode", ["409", "never-advances", "500", "garbage-offset", "lies-complete", "beyond-length"]
)
def test_a_file_that_gets_nowhere_is_set_aside_after_a_bounded_number_of_requests(tmp_path, mode):
    with HostileTus(mode) as server:
        config = booth_config(tmp_path, server.url, backoff_seconds=1, backoff_max_seconds=4)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE, TAKE))
        before = {p.name: p.read_bytes() for p in session.dir.iterdir()}
        beats: list[None] = []
        agent = make_agent(
            config, rng=random.Random(11).random, heartbeat=lambda: beats.append(None)
        )
        waits: list[float] = []
        result = run(agent, waits)
        # --once returned, with both takes set aside and the reason.
        assert not result.ok
        assert (
            "q1-take1.mp4 set-aside" in result.reason and "q2-take1.mp4 set-aside" in result.reason
        )
        # A bounded number of requests per file: no endless loop, no gigabytes.
        per_file = STALL_REQUESTS + 3
        assert len(server.requests()) <= 1 + 2 * per_file
        sent = sum(r.bytes for r in server.requests())
        assert sent <= 2 * per_file * CHUNK
        # Every failure was followed by a wait, jittered between half and all of a doubling
        # ceiling that never passes backoff_max_seconds.
        assert len(waits) >= 4 and all(0.5 <= w <= 4.0 for w in waits)
        assert len(set(waits)) == len(waits)
        # The manifest was held back (the server must not see the session as complete), and
        # nothing was deleted.
        assert not any(u.metadata["filename"] == "manifest.json" for u in server.uploads.values())
        assert {p.name: p.read_bytes() for p in session.dir.iterdir()} == before
        # No progress, no watchdog: the agent's attempts never fed it.
        assert beats == []
        # `booth status` names the files set aside, with the reason.
        status = sync_status(load_settings(config))
        assert [h["file"] for h in status["set_aside"]] == ["q1-take1.mp4", "q2-take1.mp4"]
        text = "\n".join(status_lines(status))
        assert "set aside until" in text and "q1-take1.mp4" in text
        assert status["sessions"]["confirmed"] == 0


def test_a_set_aside_file_is_tried_again_in_the_next_window(tmp_path):
    with HostileTus("409") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        now = [1_000_000.0]
        agent = make_agent(config, clock=lambda: now[0])
        assert not run(agent).ok
        hold = agent.store.holds()[(session.session_id, "q1-take1.mp4")]
        assert hold.kind == SET_ASIDE and "409" in hold.reason
        seen = len(server.requests())
        assert not run(agent).ok  # still set aside: nothing is sent
        assert len(server.requests()) == seen  # nothing else to send: not even an OPTIONS
        server.mode = "honest"  # the server was fixed
        now[0] = hold.until + 1
        result = run(agent)
        assert result.ok, result.reason
        assert not session.dir.exists()


def test_a_server_that_claims_more_than_it_was_sent_never_gets_the_session_deleted(tmp_path):
    with HostileTus("lies-complete") as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        agent = make_agent(config)
        result = run(agent)
        assert not result.ok
        records = agent.store.records()
        assert not any(r.confirmed for r in records.values())
        assert agent.delete_confirmed() == []
        assert session.dir.exists()
        error = agent.store.last("error").message
        assert "set aside" in error and "more than it was sent" in error
        # Each start from zero began a new upload: a bounded number of them.
        assert 1 < len(server.uploads) <= MAX_RESTARTS


def test_a_creation_whose_answer_is_lost_leaves_one_empty_duplicate_marked_as_such(tmp_path):
    with HostileTus("hang-create", hang_seconds=2.5, hang_count=1) as server:
        config = booth_config(tmp_path, server.url, timeout_seconds=0.5)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        data = (session.dir / "q1-take1.mp4").read_bytes()
        result = run(make_agent(config))
        assert result.ok, result.reason
        takes = [u for u in server.uploads.values() if u.metadata["filename"] == "q1-take1.mp4"]
        # The lost answer's upload stays empty; the second carries the file; both have the
        # same upload_key, so the receiver can tell the empty one is a duplicate.
        assert sorted(len(u.data) for u in takes) == [0, TAKE]
        assert next(bytes(u.data) for u in takes if u.data) == data
        assert len({u.metadata["upload_key"] for u in takes}) == 1


def test_creations_that_are_never_answered_stop_after_a_bound(tmp_path):
    with HostileTus("hang-create", hang_seconds=1.0, hang_count=100) as server:
        config = booth_config(tmp_path, server.url, timeout_seconds=0.2)
        finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        result = run(make_agent(config))
        assert not result.ok and "set-aside" in result.reason and "unanswered" in result.reason
        posts = [u for u in server.uploads.values() if u.metadata["filename"] == "q1-take1.mp4"]
        assert len(posts) == MAX_UNANSWERED_CREATES


def test_the_watchdog_is_fed_per_acknowledged_chunk(tmp_path):
    with HostileTus() as server:
        config = booth_config(tmp_path, server.url)
        finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        beats: list[None] = []
        result = run(make_agent(config, heartbeat=lambda: beats.append(None)))
        assert result.ok, result.reason
        patches = [r for r in server.requests("PATCH") if r.status == 204]
        assert len(beats) == len(patches) == 3 + 1  # the take's chunks and the manifest


def test_sync_once_returns_at_its_time_limit_even_while_a_request_hangs(tmp_path):
    with HostileTus("hang-create", hang_seconds=20, hang_count=100) as server:
        config = booth_config(tmp_path, server.url, timeout_seconds=30, once_seconds=1)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        result = run(make_agent(config))
        assert not result.ok and "time limit" in result.reason and "once_seconds" in result.reason
        assert [r.status for r in server.requests("POST")] == [0]  # cut off, never answered
        assert session.dir.exists()


SIZES = {"one small take": (10,), "two takes": (TAKE, 50_000), "one long take": (5 * CHUNK + 7,)}


@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("mode", MODES)
def test_whatever_the_server_does_nothing_is_lost_or_sent_elsewhere_and_once_returns(
    tmp_path, mode, sizes
):
    """The sweep behind issue 11's closing note: every mode of the hostile server against
    sessions of several shapes. `booth sync --once` returns (no exception: a traceback would
    fail the test), the thief on another port gets nothing, the requests are bounded, and a
    session leaves the booth only when the server holds every file byte for byte."""
    with (
        HostileTus() as thief,
        HostileTus(mode, elsewhere=thief.url, hang_seconds=1.0) as server,
    ):
        config = booth_config(tmp_path, server.url, timeout_seconds=0.5)
        session = finished_session(tmp_path / "spool", take_sizes=sizes)
        before = {p.name: p.read_bytes() for p in session.dir.iterdir()}
        result = run(make_agent(config, rng=random.Random(3).random))
        assert thief.requests() == []
        files = len(before)
        assert len(server.requests()) <= 1 + files * (STALL_REQUESTS + 4)
        if session.dir.exists():
            assert {p.name: p.read_bytes() for p in session.dir.iterdir()} == before
            assert not result.ok or mode == "honest"
        else:
            assert result.ok
            whole = {
                u.metadata["filename"]: bytes(u.data)
                for u in server.uploads.values()
                if len(u.data) == u.length
            }
            assert whole == before


def test_the_sync_service_pings_its_watchdog_from_the_agent_not_from_a_thread(tmp_path):
    """`booth sync` as systemd runs it, with a real NOTIFY_SOCKET: ready, then watchdog pings
    that come from the agent (acknowledged chunks, deliberate waits), and it stops on SIGTERM."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    with HostileTus() as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}
        env.pop("WATCHDOG_PID", None)
        service = subprocess.Popen(
            [sys.executable, "-m", "booth", "sync", "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            messages = []
            while not any(m.startswith("READY=1") for m in messages):
                messages.append(sock.recv(4096).decode())
            while session.dir.exists():
                messages.append(sock.recv(4096).decode())
            assert "WATCHDOG=1" in messages
            # Every take's bytes arrived before the session went.
            assert sorted(len(u.data) for u in server.uploads.values())[-1] == TAKE
        finally:
            service.send_signal(signal.SIGTERM)
            assert service.wait(timeout=20) == 0
            sock.close()
