"""A tus 1.0 client (core, creation and checksum extensions) on the standard library.

Why not wrap tuspy, the maintained Python client: it always sends an Upload-Metadata header
(harmless here, we always have metadata), but its requests have no timeout, so one dead
connection hangs the agent for good; it reads a whole chunk into memory; it pulls requests,
aiohttp and tinydb onto the booth; and its URL store would duplicate what our SQLite store
already persists. The protocol part the booth needs (OPTIONS, POST, HEAD, PATCH) is small, and
owning it lets every request carry a timeout, lets a PATCH stop between 64 KiB pieces within
a second of a candidate arriving, and lets the speed limit pace the bytes as they go out.
Memory stays at one piece whatever `chunk_bytes` is: a chunk is read once to compute its sha1
and once more, from the page cache, to send. Upload-Checksum is a header, so the sha1 must be
known before the body goes out. The checksum-trailer extension would let it follow a chunked
body, but @tus/server 2.x implements no checksum at all (tools/tus/server.mjs adds the plain
extension in front of it), so we cannot count on trailers. Instead `ChunkSha1` hashes the next
chunk on a worker thread while the current one goes out and is checked by the server.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

TUS_VERSION = "1.0.0"
PIECE_BYTES = 64 * 1024
_BURST_SECONDS = 0.25
# Servers close idle keep-alive connections (Node after 5 s); a fresh one avoids the race.
_IDLE_REUSE_SECONDS = 2.0
# The longest upload URL taken from a server. A tus upload URL is the endpoint and an id
# (@tus/s3-store's are about 100 characters); nothing longer is kept in the store or shown.
MAX_URL_CHARS = 2048
# The most of an answer's body that is read. tus answers carry no body the booth needs; reading
# a hostile Content-Length at once would allocate it (Python 3.11's http.client reads the
# whole announced length in one call), so the rest is left behind with the connection.
_MAX_BODY_BYTES = 64 * 1024
# What RFC 3986 lets a URL hold: unreserved and reserved characters, and "%" of a
# percent-encoding. Spaces, control characters, non-ASCII and \ " < > ^ ` { | } are not a URL
# (http.client raises on the first three, at the request, long after the URL was stored).
_URL_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# The name of the threads that hash the next chunk ahead, and how much nicer they are.
SHA1_THREAD = "booth-sync-sha1"
_SHA1_NICENESS = 10


class TusError(Exception):
    """An upload request failed; the message says what happened, in words for staff."""


class Refused(TusError):
    """401/403: the server does not accept this booth's token. Retrying cannot help."""


class Gone(TusError):
    """404/410 for an upload URL: the server has forgotten that upload."""


class ChecksumMismatch(TusError):
    """460: the chunk arrived different from what was sent; the server stored none of it."""


class Damaged(TusError):
    """422 to a PATCH: the server read back what it stored of the upload and it is not the
    bytes this booth described (their sha256); it has dropped the upload. The file must be
    sent again from zero (deploy/receiver answers so; @tus/server itself never sends 422)."""


class OffsetConflict(TusError):
    """409: the server holds a different number of bytes than the client thought."""


class Rejected(TusError):
    """The server answered another 4xx: it will not take this upload as it is."""


class Unavailable(TusError):
    """No usable answer (timeout, reset, refused connection, 5xx): worth trying again later."""


class NoAnswer(Unavailable):
    """No HTTP answer at all (timeout, reset, refused connection): the link, not the file."""


class ServerUnavailable(Unavailable):
    """503 Service Unavailable: the server (deploy/receiver: its object store) is down for
    now, whatever the file; worth trying again later, like no answer."""


class BadAnswer(TusError):
    """The server answered something a tus server cannot mean: an Upload-Offset that is no
    number, that does not advance by exactly the bytes sent, or that claims bytes this booth
    never sent. Nothing it says about this upload can be trusted."""


class BadLocation(BadAnswer):
    """The server named an upload URL (a Location, or a redirect's) that is not a well-formed
    ASCII http(s) URL on sync.url's origin. Nothing is stored or sent there; the attempt counts
    against the file like any other answer a tus server cannot mean."""


class OffOrigin(TusError):
    """The server pointed the booth at another origin (scheme, host or port) than sync.url,
    by a Location or a redirect. Refused: the token and the takes go only where staff pointed
    them."""


class Misconfigured(TusError):
    """The booth's own settings make every request fail (an unusable CA bundle, an upload
    URL without a host): retrying cannot help, staff must fix them."""


class OutOfTime(TusError):
    """The caller's deadline (`TusClient.deadline`) passed; the request was cut off."""


class Stopped(TusError):
    """The caller asked to stop in the middle of a chunk."""


@dataclass(frozen=True)
class ServerInfo:
    """What the server announced to OPTIONS."""

    extensions: frozenset[str]
    checksum_algorithms: frozenset[str]

    @property
    def sha1(self) -> bool:
        """Whether chunks can carry a sha1 Upload-Checksum."""
        return "checksum" in self.extensions and "sha1" in self.checksum_algorithms


class RateLimit:
    """Paces bytes to `bytes_per_second` on average (0 = unlimited), allowing a quarter second
    of burst so that short pauses do not turn into a flood afterwards."""

    def __init__(
        self,
        bytes_per_second: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bytes_per_second = bytes_per_second
        self._clock = clock
        self._sleep = sleep
        self._due = 0.0

    def take(self, n: int) -> None:
        """Wait until `n` more bytes may go out."""
        if self.bytes_per_second <= 0:
            return
        now = self._clock()
        self._due = max(self._due, now - _BURST_SECONDS) + n / self.bytes_per_second
        if self._due > now:
            self._sleep(self._due - now)


def encode_metadata(metadata: Mapping[str, str]) -> str:
    """tus Upload-Metadata: `key base64(value)` pairs, comma separated (empty value: key only)."""
    pairs = []
    for key, value in metadata.items():
        if not key or any(c in key for c in " ,") or not key.isascii():
            raise ValueError(f"tus metadata key {key!r} must be ASCII without spaces or commas")
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        pairs.append(f"{key} {encoded}" if value else key)
    return ",".join(pairs)


class TusClient:
    """Talks tus 1.0 to one endpoint (e.g. `https://example.org/files/`).

    token: sent as `Authorization: Bearer <token>` (None: no header).
    timeout_seconds: the longest a connect, a send or the wait for an answer may take.
    ca_file: CA bundle for https (None: the system's).
    rate: paces the bytes of PATCH bodies.
    """

    def __init__(
        self,
        endpoint: str,
        token: str | None = None,
        timeout_seconds: float = 30.0,
        ca_file: Path | None = None,
        rate: RateLimit | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout_seconds = timeout_seconds
        self.rate = rate or RateLimit(0)
        self.ca_file = ca_file
        self._ssl: ssl.SSLContext | None = None
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}
        self._last_used: dict[tuple[str, str], float] = {}
        self._info: ServerInfo | None = None
        self.origin = origin(endpoint)
        self.requests = 0
        """How many requests this client has made (the agent counts them per file)."""
        self.deadline: float | None = None
        """A time.monotonic() after which no request starts and one in flight is cut off."""

    def check_origin(self, url: str, what: str) -> None:
        """Raise OffOrigin unless `url` has the endpoint's scheme, host and port. `what` says
        where the URL came from, for the message."""
        if origin(url) != self.origin:
            raise OffOrigin(
                f"{what} {shown(url)} is on another origin ({_show(origin(url))}) than sync.url "
                f"({_show(self.origin)}): refused, nothing was sent there "
                "(the server must answer with upload URLs on its own scheme, host and port)"
            )

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    # -- requests -------------------------------------------------------------------------

    def server_info(self) -> ServerInfo:
        """OPTIONS on the endpoint (asked once per client)."""
        if self._info is None:
            response, _ = self._request("OPTIONS", self.endpoint)
            if response.status not in (200, 204):
                raise answer_error("OPTIONS", self.endpoint, response)
            self._info = ServerInfo(
                extensions=_words(response.getheader("Tus-Extension")),
                checksum_algorithms=_words(response.getheader("Tus-Checksum-Algorithm")),
            )
        return self._info

    def create(self, length: int, metadata: Mapping[str, str]) -> str:
        """POST a new upload of `length` bytes; returns its absolute URL."""
        headers = {"Upload-Length": str(length), "Upload-Metadata": encode_metadata(metadata)}
        response, _ = self._request("POST", self.endpoint, headers)
        if response.status != 201:
            raise answer_error("POST", self.endpoint, response)
        return self.upload_url(response.getheader("Location"), f"POST {self.endpoint}")

    def upload_url(self, location: str | None, what: str) -> str:
        """The absolute upload URL a server's `location` names (relative to the endpoint), once
        it is a well-formed ASCII URL on sync.url's origin; raises BadLocation if not. `what`
        says which request it answered, for the message."""
        problem = location_problem(self.endpoint, location)
        if problem is None:
            url = urljoin(self.endpoint, location or "")
            if origin(url) != self.origin:
                problem = (
                    f"is on another origin ({_show(origin(url))}) than sync.url "
                    f"({_show(self.origin)}): nothing was sent there"
                )
            else:
                return url
        raise BadLocation(
            f"{what}: the server answered Location {shown(location or '')}, which {problem} "
            "(the server must answer with upload URLs on its own scheme, host and port)"
        )

    def offset(self, url: str) -> tuple[int, int | None]:
        """HEAD an upload: (bytes the server holds, the upload's length if it knows it)."""
        response, _ = self._request("HEAD", url)
        if response.status != 200:
            raise answer_error("HEAD", url, response)
        return _offset(response, url), _length(response, url)

    def send_chunk(
        self,
        url: str,
        path: Path,
        offset: int,
        length: int,
        should_stop: Callable[[], bool] = lambda: False,
        sha1: ChunkSha1 | None = None,
    ) -> int:
        """PATCH `length` bytes of `path` from `offset`; returns the server's new offset.

        With `sha1` (this file's), the chunk carries its sha1 and the server verifies it (460
        if not); `sha1` starts on the next chunk's while this one goes out.
        `should_stop` is asked between 64 KiB pieces; when it says yes the connection is
        dropped and Stopped raised (the server keeps what it acknowledged, or nothing).
        """
        headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(length),
        }
        if sha1 is not None:
            headers["Upload-Checksum"] = sha1.header(offset, length, should_stop)
            sha1.prepare_next(offset, length)
        with open(path, "rb", buffering=0) as file:
            file.seek(offset)
            response, _ = self._request("PATCH", url, headers, file, length, should_stop)
        if response.status != 204:
            raise answer_error("PATCH", url, response)
        return _offset(response, url)

    # -- plumbing -------------------------------------------------------------------------

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, bool]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        conn = self._connections.get(key)
        idle = time.monotonic() - self._last_used.get(key, 0.0)
        if conn is not None and idle > _IDLE_REUSE_SECONDS:
            self._drop(url)
        elif conn is not None:
            return conn, True
        host = parts.hostname
        if not host:  # the settings check the endpoint; an upload's URL is the server's word
            raise Misconfigured(f"{url}: the URL names no server")
        if parts.scheme == "https":
            if self._ssl is None:  # loading the CA bundle takes tens of ms: only when needed
                self._ssl = self._ssl_context()
            conn = http.client.HTTPSConnection(
                host, parts.port, timeout=self.timeout_seconds, context=self._ssl
            )
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=self.timeout_seconds)
        self._connections[key] = conn
        return conn, False

    def _ssl_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (ssl.SSLError, OSError) as err:
            raise Misconfigured(
                f"sync.ca_file {self.ca_file}: not a usable CA bundle ({err})"
            ) from None

    def _drop(self, url: str) -> None:
        parts = urlsplit(url)
        conn = self._connections.pop((parts.scheme, parts.netloc), None)
        if conn is not None:
            conn.close()

    def get(self, url: str) -> tuple[http.client.HTTPResponse, bytes]:
        """GET `url` on the endpoint's origin, with the booth's token (a receipt)."""
        return self._request("GET", url)

    def delete(self, url: str) -> tuple[http.client.HTTPResponse, bytes]:
        """DELETE `url` on the endpoint's origin, with the booth's token (an erasure)."""
        return self._request("DELETE", url)

    def _request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: io.RawIOBase | None = None,
        length: int = 0,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """One request with the tus headers; a keep-alive connection the server closed while
        idle is reopened once at once (nothing reached the server, so nothing is repeated)."""
        self._check_sendable(method, url)
        self.requests += 1
        all_headers = _tus_headers(method, headers, self.token)
        start = body.tell() if body is not None else 0
        for attempt in (1, 2):
            conn, reused = self._connection(url)
            cutoff = None
            try:
                cutoff = self._arm_cutoff(conn, f"{method} {url}")
                conn.putrequest(method, _target(url), skip_accept_encoding=True)
                for name, value in all_headers.items():
                    conn.putheader(name, value)
                conn.endheaders()
                if body is not None:
                    body.seek(start)
                    self._send_body(conn, url, _pieces(body, length, url), should_stop)
                response = conn.getresponse()
                data = response.read(_MAX_BODY_BYTES)
            except (OSError, http.client.HTTPException, ValueError) as err:
                self._drop(url)
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise OutOfTime(f"{method} {url}: cut off at the time limit") from None
                error = _request_error(
                    err, f"{method} {url}", reused and attempt == 1, self.timeout_seconds
                )
                if error is None:
                    continue
                raise error from None
            finally:
                if cutoff is not None:
                    cutoff.cancel()
            if response.will_close or not response.isclosed():
                self._drop(url)  # closing, or a body longer than any tus answer: not reused
            else:
                self._last_used[(urlsplit(url).scheme, urlsplit(url).netloc)] = time.monotonic()
            return response, data
        raise AssertionError("unreachable")

    def _check_sendable(self, method: str, url: str) -> None:
        """Refuse a request to a URL that is no URL or off the endpoint's origin, or after the
        time limit."""
        # Every request passes here: a URL off the endpoint's origin (a Location, a stored
        # upload URL) never gets a connection, so the token cannot leave for another origin.
        if problem := url_problem(url):
            what = f"{method} {shown(url)}: the URL {problem}"
            if url == self.endpoint:
                raise Misconfigured(f"sync.url: {what}")
            raise BadLocation(what)
        self.check_origin(url, f"{method} to")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise OutOfTime(f"{method} {url}: not sent, the time limit has passed")

    def _send_body(
        self,
        conn: http.client.HTTPConnection,
        url: str,
        pieces: Iterator[memoryview],
        should_stop: Callable[[], bool],
    ) -> None:
        """Send the body's `pieces` at the upload rate, asking `should_stop` before each."""
        for piece in pieces:
            if should_stop():
                self._drop(url)
                raise Stopped("stopped in the middle of a chunk")
            self.rate.take(len(piece))
            conn.send(piece)

    def _arm_cutoff(self, conn: http.client.HTTPConnection, what: str) -> threading.Timer | None:
        """With a time limit, the timer that cuts `conn` at it (None without one)."""
        if self.deadline is None:
            return None
        if conn.sock is None:
            conn.connect()  # bounded by the timeout; the cut needs a socket
        return self._cutoff(conn, self.deadline, what)

    @staticmethod
    def _cutoff(conn: http.client.HTTPConnection, deadline: float, what: str) -> threading.Timer:
        """A timer that shuts the connection's socket at `deadline`, so a server that trickles
        its answer a byte at a time cannot hold a request past it."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime(f"{what}: not sent, the time limit has passed")

        def cut() -> None:
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed: nothing to cut

        timer = threading.Timer(left, cut)
        timer.daemon = True
        timer.start()
        return timer


def answer_error(method: str, url: str, response: http.client.HTTPResponse) -> TusError:
    """The error that an unexpected answer to `method url` stands for: its class decides what
    the sender and the agent do next (start again, set the file aside, back off, stop)."""
    status = response.status
    what = f"{method} {url}: the server answered {status} {printable(response.reason)}"
    what = what.rstrip()
    if 300 <= status < 400:
        # http.client follows no redirect, and neither does the booth: a tus endpoint that
        # moved is set in sync.url by staff, never taken from the server's word. The target
        # is only shown, never parsed into a request.
        target = response.getheader("Location") or ""
        return Rejected(f"{what}, a redirect to {shown(target)}: uploads follow no "
                        "redirects (set sync.url to the endpoint that answers)")  # fmt: skip
    if status in (401, 403):
        return Refused(f"{what}: it does not accept this booth's token (sync.token_file)")
    if status in (404, 410) and method in ("HEAD", "PATCH"):
        return Gone(f"{what}: the server no longer has this upload")
    if status == 460:
        return ChecksumMismatch(f"{what}: the chunk arrived damaged")
    if status == 422 and method == "PATCH":
        return Damaged(f"{what}: the server found the stored upload damaged")
    if status == 409:
        return OffsetConflict(f"{what}: the server holds a different offset")
    if status == 503:
        return ServerUnavailable(what)
    if 400 <= status < 500 and status not in (408, 429):
        return Rejected(what)
    return Unavailable(what)


def _tus_headers(
    method: str, headers: Mapping[str, str] | None, token: str | None
) -> dict[str, str]:
    """`headers` with the tus version, the `token`, and a zero length where there is no body."""
    all_headers = {"Tus-Resumable": TUS_VERSION, **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if method in ("POST", "HEAD", "OPTIONS"):
        all_headers.setdefault("Content-Length", "0")
    return all_headers


def _request_error(
    err: Exception, what: str, may_retry: bool, timeout_seconds: float
) -> TusError | None:
    """What a request (`what`: method and URL) that failed with `err` raises; None to send
    it again on a new connection (`may_retry`: the first try, on a reused connection)."""
    unreadable = (ValueError, http.client.LineTooLong, http.client.BadStatusLine)
    if isinstance(err, unreadable) and not isinstance(err, ConnectionError):
        # An answer came, but not one HTTP can carry: a status line that is not
        # one, a header line over 64 KiB, a chunk size that is no number (the
        # last raises ValueError from http.client). The server's doing.
        return BadAnswer(
            f"{what}: the server's answer is not readable HTTP ({shown(_why(err), 120)})"
        )
    if isinstance(err, http.client.HTTPException) and "headers" in str(err):
        return BadAnswer(f"{what}: {shown(str(err), 120)}")
    if isinstance(err, TimeoutError):
        return NoAnswer(f"{what}: no answer within {timeout_seconds:g} s")
    lost = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
    if isinstance(err, lost):
        if may_retry and isinstance(err, http.client.RemoteDisconnected):
            return None
        return NoAnswer(f"{what}: connection lost ({_why(err)})")
    return NoAnswer(f"{what}: {_why(err)}")


def _pieces(file: io.RawIOBase, length: int, name: object) -> Iterator[memoryview]:
    """Read `length` bytes from `file` (unbuffered) in pieces of at most 64 KiB, into one
    reused buffer: each piece is valid until the next one is read."""
    buffer = memoryview(bytearray(PIECE_BYTES))
    left = length
    while left > 0:
        n = file.readinto(buffer[: min(PIECE_BYTES, left)])
        if not n:
            raise Rejected(f"{name}: the file is shorter than expected")
        left -= n
        yield buffer[:n]


class ChunkSha1:
    """The sha1 of each chunk of one file, as Upload-Checksum headers, one chunk ahead.

    `length` is the file's size and `chunk_bytes` the size of every chunk but the last (bytes).
    While chunk n goes out and the server checks and stores it, a worker thread reads and hashes
    chunk n+1, so the client does not stop to hash between chunks. The worker starts with chunk
    n's body, not after it: a Pi 4 has no SHA instructions and reads from an SD card, so hashing
    a chunk can take longer than the server's answer, though hardly ever longer than sending a
    chunk. It runs 10 steps nicer, so on a busy CPU it only takes time that the sending thread,
    the kiosk and (on loopback) the server leave. Hashing releases the GIL; one 64 KiB piece per
    thread is in memory, whatever the chunk size.
    """

    def __init__(self, path: Path, length: int, chunk_bytes: int) -> None:
        self.path = Path(path)
        self.length = length
        self.chunk_bytes = chunk_bytes
        self._ahead: _Sha1Job | None = None

    def header(self, offset: int, size: int, should_stop: Callable[[], bool]) -> str:
        """`sha1 <base64>` of `size` bytes from `offset`: the worker's, if it hashed that
        chunk, else computed now. Raises Stopped when `should_stop` says so while waiting."""
        job, self._ahead = self._ahead, None
        if job is not None and (job.offset, job.size) == (offset, size):
            digest = job.result(should_stop)
        else:
            if job is not None:
                job.cancel()
            digest = _sha1(self.path, offset, size, should_stop)
        return "sha1 " + base64.b64encode(digest).decode("ascii")

    def prepare_next(self, offset: int, size: int) -> None:
        """Start hashing the chunk that follows `size` bytes from `offset`, if there is one."""
        start = offset + size
        if start >= self.length or (self._ahead and self._ahead.offset == start):
            return
        self.close()
        self._ahead = _Sha1Job(self.path, start, min(self.chunk_bytes, self.length - start))

    def close(self) -> None:
        """Stop the worker (it quits at its next 64 KiB piece)."""
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None


class _Sha1Job:
    """One chunk's sha1, computed on its own daemon thread."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        self.offset = offset
        self.size = size
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self._digest = b""
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path,), name=SHA1_THREAD, daemon=True
        )
        self._thread.start()

    def _run(self, path: Path) -> None:
        lower_priority()
        try:
            self._digest = _sha1(path, self.offset, self.size, self._cancelled.is_set)
        except BaseException as err:  # handed to whoever asks for the result
            self._error = err
        finally:
            self._done.set()

    def result(self, should_stop: Callable[[], bool]) -> bytes:
        while True:
            if should_stop():
                self.cancel()
                raise Stopped("stopped before sending a chunk")
            if self._done.wait(0.05):
                break
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest

    def cancel(self) -> None:
        self._cancelled.set()
        self._thread.join()


def lower_priority() -> None:
    """Make the calling thread yield the CPU to the uploading thread, the kiosk and, on a
    loopback test, the server: on Linux the nice value is per thread. Hashing ahead only needs
    to be done before the current chunk is answered."""
    try:
        thread = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, nice + _SHA1_NICENESS))
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: hashing at normal priority is still correct


def _sha1(path: Path, offset: int, size: int, should_stop: Callable[[], bool]) -> bytes:
    digest = hashlib.sha1()
    with open(path, "rb", buffering=0) as file:
        file.seek(offset)
        for piece in _pieces(file, size, path):
            if should_stop():
                raise Stopped("stopped before sending a chunk")
            digest.update(piece)
    return digest.digest()


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _offset(response: http.client.HTTPResponse, url: str) -> int:
    text = response.getheader("Upload-Offset") or ""
    if not _count(text):
        raise BadAnswer(f"{url}: the server's answer has no valid Upload-Offset ({shown(text)})")
    return int(text)


def _length(response: http.client.HTTPResponse, url: str) -> int | None:
    """The Upload-Length of an answer: None when absent (deferred length), BadAnswer when it
    is there but no byte count ("²" is a digit to str.isdigit, and int() refuses more than
    4300 digits: either used to raise ValueError out of the agent)."""
    text = response.getheader("Upload-Length")
    if text is None:
        return None
    if not _count(text):
        raise BadAnswer(f"{url}: the server's answer has no valid Upload-Length ({shown(text)})")
    return int(text)


def _count(text: str) -> bool:
    """Whether `text` is a byte count: ASCII digits, at most 18 (below 2**63)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def url_problem(url: str) -> str | None:
    """Why `url` is not a well-formed absolute http(s) URL the booth may send a request to
    (in words that follow "the URL"), or None."""
    if problem := _characters_problem(url):
        return problem
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is no port)
    except ValueError as err:
        return f"does not parse ({err})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http or https URL"
    if not parts.hostname:
        return "names no server"
    if "@" in parts.netloc:
        return "carries a user name or password"
    if "[" in parts.path + parts.query or "]" in parts.path + parts.query or parts.fragment:
        return "has brackets or a fragment (#) where an upload URL has none"
    return None


def location_problem(endpoint: str, location: str | None) -> str | None:
    """Why a server's Location (absolute, or relative to `endpoint`) names no well-formed
    http(s) URL, or None. Its characters are checked as received: urlsplit silently drops
    tabs and newlines and strips leading spaces, so checking only the joined URL would pass
    what the server did not send."""
    if not location:
        return "is empty"
    if problem := _characters_problem(location):
        return problem
    try:
        url = urljoin(endpoint, location)
    except ValueError as err:
        return f"does not parse ({err})"
    return url_problem(url)


def _characters_problem(url: str) -> str | None:
    if len(url) > MAX_URL_CHARS:
        return f"is longer than {MAX_URL_CHARS} characters"
    if not url.isascii():
        return "has characters that are not ASCII (a URL carries them percent-encoded)"
    if not _URL_CHARS.fullmatch(url):
        return "has a space, a control character or another character no URL holds"
    if _LONE_PERCENT.search(url):
        return "has a % that starts no percent-encoding (% and two hex digits)"
    return None


def shown(text: str, limit: int = 100) -> str:
    """`text` as staff may see it in a log or `booth status`: quoted, control characters and
    non-ASCII escaped (a server's answer must not drive the terminal), and cut to `limit`."""
    cut = text[:limit]
    return ascii(cut) + (f" (+{len(text) - limit} characters)" if len(text) > limit else "")


def printable(text: str, limit: int = 60) -> str:
    """A server's text as plain ASCII (escaped, unquoted, cut to `limit` characters): a reason
    phrase, a file name the receiver reports."""
    return ascii(text[:limit])[1:-1]


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, lower case, with the scheme's default port filled in:
    what must match before a request may carry the token. A URL that does not parse has the
    origin ("", "", -1), never equal to a real one."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return "", "", -1
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # not a port: never equal to a real one
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (hostname or "").lower(), port


def _show(o: tuple[str, str, int | None]) -> str:
    return f"{o[0]}://{o[1]}:{o[2]}"


def _words(header: str | None) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in (header or "").split(",") if w.strip())


def _why(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__
