"""A hostile server's receipt and erasure answers are data (issues 23 and 24): nesting that
would exhaust Python's recursion, huge numbers and control characters give an answer that
proves nothing, never an exception that ends the agent or text that drives staff's terminal."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from booth.sync.erasure import _erase
from booth.sync.receipts import fetch_receipt, receipt_problem
from booth.sync.tus import TusClient, Unavailable


@contextmanager
def answering(body: bytes, status: int = 200) -> Iterator[str]:
    """A real HTTP server on loopback that answers every GET and DELETE with `body`."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_DELETE = _answer

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/files/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,  # RecursionError in a plain json.loads (under 64 KiB)
        b'{"booth": ' + b"9" * 5000 + b"}",  # a 5000-digit integer
        b'{"booth": NaN}',
        b"\xff\xfe not UTF-8",
        b"[1, 2, 3]",
    ],
    ids=["deep", "huge-number", "nan", "not-utf8", "not-an-object"],
)
def test_a_receipt_that_is_not_a_receipts_json_is_unavailable_not_a_crash(body):
    with answering(body) as url:
        client = TusClient(url, token="t" * 32, timeout_seconds=5)
        with pytest.raises(Unavailable, match="not a (receipt|JSON object)"):
            fetch_receipt(client, url + "receipts/booth-7/s1")


def test_a_receipt_for_someone_else_is_named_with_its_control_characters_escaped():
    class Session:
        session_id = "s1"
        files: list = []

    problem = receipt_problem({"booth": "\x1b[2Jevil", "session": "s1"}, Session(), "booth-7")
    assert problem is not None and "\x1b" not in problem and "\\x1b" in problem


def test_an_erasure_answer_cannot_drive_the_terminal_or_end_forget():
    body = b'{"files": ["sessions/booth-7/s1/q1.mp4\\u001b[2J", 7]}'
    with answering(body) as url:
        client = TusClient(url, token="t" * 32, timeout_seconds=5)
        erased = _erase(client, url, "booth-7", "s1")
    assert erased.erased == ["sessions/booth-7/s1/q1.mp4\\x1b[2J", "7"]
    with answering(b"[" * 30_000 + b"]" * 30_000) as url:
        client = TusClient(url, token="t" * 32, timeout_seconds=5)
        erased = _erase(client, url, "booth-7", "s1")
    assert erased.problem and "not the receiver's" in erased.problem
