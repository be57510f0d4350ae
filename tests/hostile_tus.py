"""A misbehaving tus server on loopback: it plays the hostile or broken servers of issue 11.

It is not a fake of a library the booth uses (the normal paths are tested against the real
@tus/server in tools/tus): it is the other side of the wire, answering as a server that is
misconfigured, buggy or lying would. Uploads live in memory. Modes (`HostileTus(mode=...)`):

    honest           a correct tus 1.0 server (creation, core): the baseline
    other-origin     POST answers 201 with a Location on another origin (`elsewhere`)
    other-scheme     POST answers a Location on https:// with the same host and port
    redirect         every request but OPTIONS is answered 307 to `elsewhere`
    garbage-offset   PATCH stores the bytes, but PATCH and HEAD answer Upload-Offset "12abc"
    500              every PATCH is answered 500 Internal Server Error
    lies-complete    PATCH and HEAD claim the whole file once the first chunk arrived
    never-advances   PATCH reads the body, stores nothing, and answers the old offset
    409              every PATCH is answered 409 Conflict
    beyond-length    PATCH answers an Upload-Offset past the upload's length
    hang-create      POST creates the upload, then answers only after `hang_seconds`
                     (the first `hang_count` POSTs), as an answer lost on the way would

Beside the modes, `twists` bend single headers of otherwise honest answers, byte for byte as
no well-behaved HTTP library would send them (`Twist`): a Location with non-ASCII bytes or a
space, an Upload-Length of 5000 digits, a status line that is none, a chunked body whose size is
no number. Each twist applies to the first `count` answers to its method, then the server
behaves, so a test can check that the queue moves on.

Every request is logged (method, path, status, body bytes, whether it carried the token), so a
test can count what reached the server and assert that nothing reached `elsewhere`.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = (
    "honest",
    "other-origin",
    "other-scheme",
    "redirect",
    "garbage-offset",
    "500",
    "lies-complete",
    "never-advances",
    "409",
    "beyond-length",
    "hang-create",
)


@dataclass
class Twist:
    """Answer `method` requests with `header` set to the raw bytes `value` (a list: one header
    line per item; None: the header left out), for the first `count` answers.

    `header` may also be "status-line" (the whole first line) or "body" (raw bytes after the
    headers, which then say nothing of the body's length unless the twist's own `extra` lines
    do). In `value`, b"{port}" becomes the server's port, b"{thief}" the port of
    `HostileTus.elsewhere` and b"{id}" the id of the upload a POST created.
    """

    method: str
    header: str
    value: bytes | list[bytes] | None
    count: int = 1
    extra: list[bytes] = field(default_factory=list)


@dataclass
class Upload:
    id: str
    length: int
    metadata: dict[str, str]
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Seen:
    method: str
    path: str
    status: int
    bytes: int
    authorization: str | None


class HostileTus:
    """One server thread on 127.0.0.1; `url` is its endpoint (`http://127.0.0.1:PORT/files/`).

    elsewhere: the URL that other-origin and redirect point at (another HostileTus, say).
    """

    def __init__(
        self,
        mode: str = "honest",
        elsewhere: str = "",
        hang_seconds: float = 2.0,
        hang_count: int = 1,
        twists: list[Twist] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        self.mode = mode
        self.elsewhere = elsewhere
        self.hang_seconds = hang_seconds
        self.hang_count = hang_count
        self.twists = list(twists or [])
        self.twisted = 0
        """How many answers a twist bent."""
        self.uploads: dict[str, Upload] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/files/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileTus:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def twist_for(self, method: str) -> Twist | None:
        """The twist the next answer to `method` gets (counted), or None."""
        with self.lock:
            for twist in self.twists:
                if twist.method == method and twist.count > 0:
                    twist.count -= 1
                    self.twisted += 1
                    return twist
        return None

    def requests(self, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if method is None or s.method == method]


def _handler(server: HostileTus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test reads `server.seen`

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def parse_request(self) -> bool:
            # Logged on arrival (status 0 until answered), so a request the booth gave up on
            # still counts.
            if not super().parse_request():
                return False
            self.entry = Seen(self.command, self.path, 0, 0, self.headers.get("Authorization"))
            with server.lock:
                server.seen.append(self.entry)
            return True

        def _answer(self, status: int, headers: dict[str, str] | None = None, n: int = 0) -> None:
            with server.lock:
                self.entry.status, self.entry.bytes = status, n
            twist = server.twist_for(self.command)
            if twist is None:
                self.send_response(status)
                self.send_header("Tus-Resumable", "1.0.0")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.wfile.write(self._twisted(twist, status, headers or {}))
            self.wfile.flush()
            self.close_connection = True

        def _twisted(self, twist: Twist, status: int, headers: dict[str, str]) -> bytes:
            """The answer as raw bytes, with the twist applied."""
            ports = {b"{port}": str(server.port).encode()}
            ports[b"{id}"] = headers.get("Location", "").rsplit("/", 1)[-1].encode()
            if server.elsewhere:
                ports[b"{thief}"] = server.elsewhere.split(":")[2].split("/")[0].encode()

            def fill(raw: bytes) -> bytes:
                for key, port in ports.items():
                    raw = raw.replace(key, port)
                return raw

            values = twist.value if isinstance(twist.value, list) else [twist.value]
            status_line = f"HTTP/1.1 {status} {self.responses[status][0]}".encode()
            lines: list[bytes] = []
            named = {"Tus-Resumable": "1.0.0", **headers, "Content-Length": "0"}
            body = b""
            if twist.header == "status-line":
                status_line = fill(values[0] or b"")
            elif twist.header == "body":
                named.pop("Content-Length")
                body = fill(values[0] or b"")
            else:
                named.pop(twist.header, None)
                lines += [twist.header.encode() + b": " + fill(v) for v in values if v is not None]
            lines = [k.encode() + b": " + v.encode("latin-1") for k, v in named.items()] + lines
            lines += twist.extra
            return b"\r\n".join([status_line, *lines]) + b"\r\n\r\n" + body

        def _upload(self) -> Upload | None:
            return server.uploads.get(self.path.rstrip("/").rsplit("/", 1)[-1])

        def do_OPTIONS(self) -> None:
            self._body()
            self._answer(204, {"Tus-Version": "1.0.0", "Tus-Extension": "creation"})

        def _redirected(self) -> bool:
            if server.mode != "redirect":
                return False
            n = len(self._body())
            target = server.elsewhere.rstrip("/") + self.path[len("/files") :]
            self._answer(307, {"Location": target}, n)
            return True

        def do_POST(self) -> None:
            if self._redirected():
                return
            self._body()
            metadata = {}
            for pair in (self.headers.get("Upload-Metadata") or "").split(","):
                key, _, value = pair.strip().partition(" ")
                if key:
                    metadata[key] = base64.b64decode(value).decode("utf-8") if value else ""
            upload = Upload(uuid.uuid4().hex, int(self.headers["Upload-Length"]), metadata)
            with server.lock:
                server.uploads[upload.id] = upload
                hang = server.mode == "hang-create" and server.hang_count > 0
                server.hang_count -= hang
            if hang:
                time.sleep(server.hang_seconds)  # the booth gave up on this answer long ago
            location = f"http://127.0.0.1:{server.port}/files/{upload.id}"
            if server.mode == "other-origin":
                location = server.elsewhere.rstrip("/") + "/" + upload.id
            elif server.mode == "other-scheme":
                location = f"https://127.0.0.1:{server.port}/files/{upload.id}"
            self._answer(201, {"Location": location})

        def do_HEAD(self) -> None:
            if self._redirected():
                return
            upload = self._upload()
            if upload is None:
                return self._answer(404)
            offset: int | str = len(upload.data)
            if server.mode == "garbage-offset":
                offset = "12abc"
            elif server.mode == "lies-complete" and offset:
                offset = upload.length
            elif server.mode == "beyond-length" and offset:
                offset = upload.length + 1000
            self._answer(
                200,
                {"Upload-Offset": str(offset), "Upload-Length": str(upload.length),
                 "Cache-Control": "no-store"},
            )  # fmt: skip

        def do_PATCH(self) -> None:
            if self._redirected():
                return
            body = self._body()
            upload = self._upload()
            if upload is None:
                return self._answer(404, n=len(body))
            if server.mode == "500":
                return self._answer(500, n=len(body))
            if server.mode == "409":
                return self._answer(409, n=len(body))
            if int(self.headers.get("Upload-Offset", "-1")) != len(upload.data):
                return self._answer(409, n=len(body))
            if server.mode != "never-advances":
                upload.data += body
            offset = str(len(upload.data))
            if server.mode == "garbage-offset":
                offset = "12abc"
            elif server.mode == "lies-complete":
                offset = str(upload.length)
            elif server.mode == "beyond-length":
                offset = str(upload.length + 1000)
            self._answer(204, {"Upload-Offset": offset}, len(body))

    return Handler
