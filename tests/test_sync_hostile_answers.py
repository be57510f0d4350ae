"""Every answer from a server is data (issue 24, point 1): hostile Locations and headers.

A real HTTP server on loopback (tests/hostile_tus.py) bends one header of its otherwise honest
answers, byte for byte. Whatever it sends, `booth sync --once` returns (an exception would fail
the test), the bent answer counts against the file like any answer a tus server cannot mean (the
usual bound and set-aside), no URL that is not a well-formed ASCII URL on sync.url's origin is
ever stored or asked, nothing reaches another origin, what staff read is plain ASCII, and once
the server behaves the queue moves on: the session reaches the server byte for byte.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from hostile_tus import HostileTus, Twist
from sync_support import CHUNK, booth_config, finished_session, make_agent

from booth.sync.sender import STALL_REQUESTS
from booth.sync.store import STORE_FILE, UploadStore
from booth.sync.tus import url_problem  # noqa

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

TAKE = 2 * CHUNK

# Locations the booth must refuse: not a well-formed ASCII URL, or not on sync.url's origin.
HOSTILE_LOCATIONS: dict[str, bytes | list[bytes] | None] = {
    "non-ASCII, UTF-8": b"/files/caf\xc3\xa9",
    "non-ASCII, Latin-1": b"/files/caf\xe9",
    "non-ASCII, CJK": "/files/文件".encode(),
    "non-ASCII host, ideographic dots": "http://127。0。0。1:{port}/files/{id}".encode(),
    "non-ASCII host, circled digits": "http://①②⑦.0.0.1:{port}/files/{id}".encode(),
    "space": b"/files/a b",
    "trailing space": b"/files/{id} ",
    "tab": b"/files/a\tb",
    "NUL": b"/files/a\x00b",
    "DEL": b"/files/a\x7f",
    "terminal escapes": b"/files/\x1b[2J\x1b]0;pwned\x07",
    "backslash": b"/files/a\\b",
    "quote and angle brackets": b'/files/"<script>',
    "braces and pipe": b"/files/{{a|b}}",
    "over-long, 4 KiB": b"/files/" + b"a" * 4096,
    "over-long, beyond a 64 KiB header line": b"/files/" + b"a" * 70_000,
    "empty": b"",
    "missing": None,
    "lone percent": b"/files/%",
    "percent with one hex digit": b"/files/%4",
    "percent with no hex digits": b"/files/%zz",
    "percent-encoded host": b"http://127.0.0.%31:{port}/files/{id}",
    "IPv6 loopback (another origin)": b"http://[::1]:{port}/files/{id}",
    "IPv6 unclosed bracket": b"http://[::1/files/{id}",
    "IPv4 in brackets": b"http://[127.0.0.1]:{port}/files/{id}",
    "IPv6 with zone": b"http://[fe80::1%25lo]:{port}/files/{id}",
    "IPv4-mapped IPv6": b"http://[::ffff:127.0.0.1]:{port}/files/{id}",
    "brackets in the path": b"/files/[{id}]",
    "another port": b"http://127.0.0.1:{thief}/files/{id}",
    "scheme-relative, another host": b"//thief.example/files/{id}",
    "userinfo that hides another port": b"http://127.0.0.1:{port}@127.0.0.1:{thief}/files/x",
    "userinfo on the origin": b"http://user:pw@127.0.0.1:{port}/files/{id}",
    "port out of range": b"http://127.0.0.1:99999/files/{id}",
    "port not a number": b"http://127.0.0.1:port/files/{id}",
    "https on the same port": b"https://127.0.0.1:{port}/files/{id}",
    "file scheme": b"file:///etc/passwd",
    "javascript scheme": b"javascript:alert(1)",
    "fragment": b"/files/{id}#x",
    "two Locations": [b"/files/{id}", b"/files/other"],
}

# Other headers and answers bent for the first two answers to a method; then honest.
FIVE_THOUSAND_DIGITS = b"9" * 5000
HOSTILE_ANSWERS: dict[str, Twist] = {
    "HEAD Upload-Length superscript two": Twist("HEAD", "Upload-Length", b"\xb2"),
    "HEAD Upload-Length 5000 digits": Twist("HEAD", "Upload-Length", FIVE_THOUSAND_DIGITS),
    "HEAD Upload-Length negative": Twist("HEAD", "Upload-Length", b"-1"),
    "HEAD Upload-Length exponent": Twist("HEAD", "Upload-Length", b"1e5"),
    "HEAD Upload-Offset superscript three": Twist("HEAD", "Upload-Offset", b"\xb3"),
    "HEAD Upload-Offset 5000 digits": Twist("HEAD", "Upload-Offset", FIVE_THOUSAND_DIGITS),
    "HEAD Upload-Offset missing": Twist("HEAD", "Upload-Offset", None),
    "PATCH Upload-Offset hex": Twist("PATCH", "Upload-Offset", b"0x10000"),
    "PATCH Upload-Offset non-ASCII": Twist("PATCH", "Upload-Offset", "６５５３６".encode()),
    "PATCH Upload-Offset twice": Twist("PATCH", "Upload-Offset", [b"65536", b"65536"]),
    "PATCH Upload-Offset 5000 digits": Twist("PATCH", "Upload-Offset", FIVE_THOUSAND_DIGITS),
    "PATCH status line is none": Twist("PATCH", "status-line", b"\x00\xffgarbage"),
    "PATCH status code of four digits": Twist("PATCH", "status-line", b"HTTP/1.1 2040 OK"),
    "PATCH reason with terminal escapes": Twist(
        "PATCH", "status-line", b"HTTP/1.1 500 \x1b]0;pwned\x07\x1b[2J"
    ),
    "PATCH redirect to a hostile Location": Twist(
        "PATCH", "status-line", b"HTTP/1.1 307 Moved", extra=[b"Location: /f/\xc3\xa9\x1b[2J"]
    ),
    # Bodies on POST: http.client reads none after a 204 or a HEAD.
    "POST chunked body, size no number": Twist(
        "POST", "body", b"zz\r\nhello\r\n0\r\n\r\n", extra=[b"Transfer-Encoding: chunked"]
    ),
    "POST Content-Length of 100 TB": Twist("POST", "Content-Length", b"99999999999999"),
    "POST Content-Length not a number": Twist("POST", "Content-Length", b"lots"),
    "POST endless chunked body": Twist(
        "POST",
        "body",
        b"10000\r\n" + b"x" * 0x10000 + b"\r\n" + b"10000\r\n" + b"x" * 10,
        extra=[b"Transfer-Encoding: chunked"],
    ),
    "PATCH 150 headers": Twist("PATCH", "X-Filler", [b"x"] * 150),
    "PATCH a header line over 64 KiB": Twist("PATCH", "X-Long", b"a" * 70_000),
    "POST 201 with a non-ASCII reason": Twist("POST", "status-line", b"HTTP/1.1 201 Cr\xe9\xe9"),
    "OPTIONS Tus-Extension bytes": Twist("OPTIONS", "Tus-Extension", b"\xff\x00creation,,,"),
    "OPTIONS Tus-Checksum-Algorithm bytes": Twist(
        "OPTIONS", "Tus-Checksum-Algorithm", b"sha1\x1b[31m"
    ),
}


def plain(text: str) -> bool:
    """Whether staff can read `text` in a terminal without it driving the terminal."""
    return all(32 <= ord(c) < 127 for c in text)


def stored_urls(state_dir) -> list[str]:
    with sqlite3.connect(state_dir / STORE_FILE) as db:
        return [row[0] for row in db.execute("SELECT url FROM uploads")]


def assert_arrived_whole(server: HostileTus, before: dict[str, bytes]) -> None:
    whole = {
        u.metadata["filename"]: bytes(u.data)
        for u in server.uploads.values()
        if len(u.data) == u.length and u.data
    }
    assert whole == before


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS.values(), ids=HOSTILE_LOCATIONS.keys())
def test_a_hostile_location_is_counted_against_the_file_never_stored_and_the_queue_moves_on(
    tmp_path, location
):
    twist = Twist("POST", "Location", location, count=STALL_REQUESTS)
    with HostileTus() as thief, HostileTus(elsewhere=thief.url, twists=[twist]) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        before = {p.name: p.read_bytes() for p in session.dir.iterdir()}
        now = [1_000_000.0]
        agent = make_agent(config, clock=lambda: now[0], rng=random.Random(5).random)
        waits: list[float] = []
        result = agent.run_once(sleep=waits.append)
        # Counted against the file: set aside after the usual bound, with a wait after each.
        assert not result.ok and "set-aside" in result.reason
        assert len(server.requests("POST")) == STALL_REQUESTS
        assert len(waits) >= STALL_REQUESTS - 1
        # Never stored, never asked, and staff read it escaped.
        assert stored_urls(tmp_path / "state") == []
        assert [r.method for r in server.requests()] == ["OPTIONS"] + ["POST"] * STALL_REQUESTS
        assert thief.requests() == []
        assert plain(result.reason) and plain(agent.store.last("error").message)
        # The server behaves again; in the next window the file goes, and the session with it.
        hold = agent.store.holds()[(session.session_id, "q1-take1.mp4")]
        now[0] = hold.until + 1
        result = agent.run_once(sleep=waits.append)
        assert result.ok, result.reason
        assert not session.dir.exists()
        assert_arrived_whole(server, before)
        assert all(r.authorization is not None for r in server.requests())
        agent.close()


@pytest.mark.parametrize("twist", HOSTILE_ANSWERS.values(), ids=HOSTILE_ANSWERS.keys())
def test_a_hostile_header_ends_nothing_and_the_queue_moves_on_once_the_server_behaves(
    tmp_path, twist
):
    twist.count = 2
    with HostileTus(twists=[twist]) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        before = {p.name: p.read_bytes() for p in session.dir.iterdir()}
        agent = make_agent(config, rng=random.Random(5).random)
        result = agent.run_once(sleep=lambda s: None)
        assert server.twisted >= 1  # the bent answer was sent
        assert result.ok, result.reason
        assert not session.dir.exists()
        assert_arrived_whole(server, before)
        error = agent.store.last("error")
        assert error is None or plain(error.message)
        agent.close()


def test_a_stored_upload_url_that_no_longer_parses_is_dropped_when_the_store_opens(tmp_path):
    """Issue 24's restart loop: `/files/café` was stored, and every start raised again."""
    with HostileTus() as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        take = session.manifest["takes"][0]
        store = UploadStore(tmp_path / "state")
        for name, url in ((take["file"], server.url + "café"), ("manifest.json", "x y")):
            store.created(session.session_id, name, url, TAKE, take["sha256"])
        store.close()
        reopened = UploadStore(tmp_path / "state")
        assert sorted(reopened.dropped) == sorted(
            [(session.session_id, take["file"]), (session.session_id, "manifest.json")]
        )
        assert "dropped, the file is uploaded again" in reopened.last("error").message
        assert plain(reopened.last("error").message)
        reopened.close()
        assert stored_urls(tmp_path / "state") == []
        result = make_agent(config).run_once(sleep=lambda s: None)
        assert result.ok, result.reason
        assert not session.dir.exists()


def test_sync_once_with_a_hostile_server_exits_without_a_traceback_and_starts_again(tmp_path):
    """`booth sync --once` as staff and systemd run it: against a server whose Locations hold
    non-ASCII and spaces, it exits with a message, not a traceback, stores no URL, and the
    next start does the same (no restart loop)."""
    twists = [Twist("POST", "Location", b"/files/caf\xc3\xa9 x", count=100)]
    with HostileTus(twists=twists) as server:
        config = booth_config(tmp_path, server.url)
        finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        for _ in range(2):
            run = subprocess.run(
                [sys.executable, "-m", "booth", "sync", "--once", "--config", str(config)],
                capture_output=True,
                text=True,
                timeout=50,
            )
            assert "Traceback" not in run.stderr + run.stdout
            assert run.returncode == 1, run.stderr
            assert "set-aside" in run.stdout + run.stderr
            assert all(url_problem(u) is None for u in stored_urls(tmp_path / "state"))
            assert stored_urls(tmp_path / "state") == []


def test_the_sync_service_outlives_hostile_answers_and_uploads_once_the_server_behaves(tmp_path):
    """`booth sync` as systemd runs it: bent Locations, lengths and bodies end nothing; the
    session goes once the server behaves, and the service stops cleanly on SIGTERM."""
    twists = [
        Twist("POST", "Location", b"/files/caf\xc3\xa9", count=2),
        Twist("POST", "Location", b"http://[::1/files/x", count=1),
        Twist("POST", "body", b"zz\r\n", count=1, extra=[b"Transfer-Encoding: chunked"]),
        Twist("HEAD", "Upload-Length", b"\xb2", count=2),
        Twist("PATCH", "Upload-Offset", b"9" * 5000, count=1),
    ]
    with HostileTus(twists=twists) as server:
        config = booth_config(tmp_path, server.url)
        session = finished_session(tmp_path / "spool", take_sizes=(TAKE,))
        service = subprocess.Popen(
            [sys.executable, "-m", "booth", "sync", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 40
            while session.dir.exists() and time.monotonic() < deadline:
                assert service.poll() is None, service.communicate()
                time.sleep(0.1)
            assert not session.dir.exists()
            assert service.poll() is None  # still serving
        finally:
            service.send_signal(signal.SIGTERM)
            out, err = service.communicate(timeout=20)
        assert service.returncode == 0, err
        assert "Traceback" not in out + err
        assert all(t.count == 0 for t in twists)  # every bent answer was sent
