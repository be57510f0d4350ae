"""A fault-injecting HTTP proxy in front of the local Swift's S3 API, for the receiver's proof
tests: the receiver's S3_ENDPOINT points here, and every request passes through to Swift
unchanged (Host header included, so the SigV4 signature still holds) unless a fault is armed.

Faults, each for the next `times` requests of its kind:
- "complete": 503 to CompleteMultipartUpload (POST ?uploadId=...);
- "part": 503 to UploadPart (PUT ?partNumber=...&uploadId=...);
- "readback": 503 to a GetObject of an upload's object (the receiver's read-back);
- "cut": UploadPart's connection cut after half its body arrived.
`down = True` cuts every connection at its first request: a store that cannot be reached.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.swift_support import free_port

KINDS = ("complete", "part", "readback", "cut")
_UPLOAD_OBJECT = re.compile(r"^/[^/]+/uploads/[0-9a-f]{16}-[0-9a-f]{32}$")
_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}


def kind_of(method: str, target: str) -> str | None:
    """Which fault kind a request to the S3 API is exposed to, or None."""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    if method == "POST" and "uploadId" in query and "partNumber" not in query:
        return "complete"
    if method == "PUT" and "partNumber" in query and "uploadId" in query:
        return "part"
    if method == "GET" and _UPLOAD_OBJECT.match(parts.path) and "uploadId" not in query:
        return "readback"
    return None


class FaultProxy:
    """The proxy on a free loopback port: `url` for S3_ENDPOINT; `arm(kind, times)`; `hits`
    counts the faults injected, by kind."""

    def __init__(self, upstream: str) -> None:
        up = urlsplit(upstream)
        self.upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.armed: dict[str, int] = {}
        self.hits: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.down = False
        self.lock = threading.Lock()
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def arm(self, kind: str, times: int) -> None:
        with self.lock:
            self.armed[kind] = times

    def disarm(self) -> None:
        with self.lock:
            self.armed.clear()

    def _take(self, method: str, target: str) -> str | None:
        kind = kind_of(method, target)
        if kind == "part" and self.armed.get("cut", 0) > 0:
            kind = "cut"
        with self.lock:
            if kind is None or self.armed.get(kind, 0) <= 0:
                return None
            self.armed[kind] -= 1
            self.hits[kind] += 1
            return kind

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test's assertions say what happened

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _any(self) -> None:
                if proxy.down:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                fault = proxy._take(self.command, self.path)
                if fault == "cut":
                    length = int(self.headers.get("Content-Length") or 0)
                    self.rfile.read(length // 2)
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                body = self._body()
                if fault is not None:
                    message = b"<Error><Code>ServiceUnavailable</Code></Error>"
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in _HOP and k.lower() != "content-length"
                    }
                    if body or self.command in ("PUT", "POST"):
                        headers["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status, answer.reason)
                for k, v in answer.getheaders():
                    if k.lower() not in _HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                else:
                    length = answer.getheader("Content-Length")
                    if length is not None:
                        self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        return Handler
