"""A one-node OpenStack Swift with the S3 API, from Debian's packages, for the receiver tests
and bench.

Everything lives in one temporary directory: swift.conf (`swift_dir` points the servers at it,
so /etc/swift is never read for it), one-replica rings, the account, container and object
servers' devices, a memcached (tempauth needs it) and the proxy with s3api. Every port is a
free one picked at start. `LocalSwift.restart()` stops and starts every server on the same
ports and data, as a rebooted storage node would.

S3 credentials: access key `test:tester`, secret `testing`, path-style addressing. The tests read
and write objects with Swift's own API (`get`, `put`, `list`), which needs no S3 client here.

    python -m tests.swift_support DIR   # run one until interrupted (bench, by hand)
"""

from __future__ import annotations

import getpass
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PACKAGES = "swift swift-proxy swift-object swift-container swift-account memcached"
ACCESS_KEY = "test:tester"
SECRET_KEY = "testing"
ACCOUNT = "AUTH_test"
# Only a bound on a hang: five Python servers start in seconds alone, but in minutes on two
# cores shared with other test runs.
START_SECONDS = 180.0

_PIPELINE = (
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api "
    "tempauth copy slo dlo versioned_writes proxy-logging proxy-server"
)


class SwiftError(Exception):
    """The local Swift cannot run or did not answer; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalSwift:
    """A one-node Swift in `root` (created): `endpoint` is its S3 (and Swift) URL."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.ports: dict[str, int] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._token: str | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy']}"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalSwift:
        binaries = ("swift-proxy-server", "swift-object-server", "swift-ring-builder", "memcached")
        missing = [b for b in binaries if shutil.which(b) is None]
        if missing:
            raise SwiftError(
                f"{', '.join(missing)} not found: install Debian's {PACKAGES} "
                "(deploy/dev-deps.sh does, `make venv` runs it)"
            )
        if not self.ports:
            self._configure()
        memcached = ["memcached", "-l", "127.0.0.1", "-p", str(self.ports["memcached"]), "-U", "0"]
        self._spawn("memcached", memcached + ["-m", "32"] + (["-u", "root"] if _root() else []))
        for server in ("account", "container", "object", "proxy"):
            self._spawn(server, [f"swift-{server}-server", str(self.root / f"{server}.conf"), "-v"])
        self._wait_ready()
        return self

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()
        self._token = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> LocalSwift:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def processes_log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def logs(self) -> str:
        """The last lines of every server's log, for a failure message."""
        parts = []
        for name in ("memcached", "account", "container", "object", "proxy"):
            path = self.processes_log(name)
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-15:]
                parts.append(f"--- {name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def _spawn(self, name: str, command: list[str]) -> None:
        with open(self.processes_log(name), "ab") as log:
            self.processes[name] = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def _configure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name in ("memcached", "account", "container", "object", "proxy"):
            self.ports[name] = free_port()
        (self.root / "swift.conf").write_text(
            "[swift-hash]\nswift_hash_path_prefix = booth\nswift_hash_path_suffix = tests\n"
            "[storage-policy:0]\nname = Policy-0\ndefault = yes\n",
            encoding="utf-8",
        )
        devices = self.root / "devices"
        (devices / "d1").mkdir(parents=True, exist_ok=True)
        user = "root" if _root() else getpass.getuser()
        common = (
            f"[DEFAULT]\nbind_ip = 127.0.0.1\nworkers = 0\nuser = {user}\n"
            f"swift_dir = {self.root}\ndevices = {devices}\nmount_check = false\n"
            "log_level = WARNING\n"
        )
        for server in ("account", "container", "object"):
            builder = self.root / f"{server}.builder"
            run = [
                ["swift-ring-builder", str(builder), "create", "10", "1", "1"],
                ["swift-ring-builder", str(builder), "add",
                 f"r1z1-127.0.0.1:{self.ports[server]}/d1", "1"],
                ["swift-ring-builder", str(builder), "rebalance"],
            ]  # fmt: skip
            for command in run:
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode not in (0, 1):  # 1: a warning (one replica) but done
                    raise SwiftError(f"{' '.join(command)}: {done.stdout}{done.stderr}")
            (self.root / f"{server}.conf").write_text(
                common + f"bind_port = {self.ports[server]}\n"
                f"[pipeline:main]\npipeline = {server}-server\n"
                f"[app:{server}-server]\nuse = egg:swift#{server}\n"
                + ("[object-replicator]\n[object-updater]\n[object-auditor]\n" if server == "object"
                   else f"[{server}-replicator]\n[{server}-auditor]\n"),
                encoding="utf-8",
            )  # fmt: skip
        (self.root / "proxy.conf").write_text(
            f"[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {self.ports['proxy']}\nworkers = 0\n"
            f"user = {user}\nswift_dir = {self.root}\nlog_level = WARNING\n"
            f"[pipeline:main]\npipeline = {_PIPELINE}\n"
            "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
            "[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n"
            "[filter:s3api]\nuse = egg:swift#s3api\n"
            f"[filter:cache]\nuse = egg:swift#memcache\n"
            f"memcache_servers = 127.0.0.1:{self.ports['memcached']}\n"
            + "".join(f"[filter:{f}]\nuse = egg:swift#{f.replace('-', '_')}\n" for f in
                      ("catch_errors", "gatekeeper", "healthcheck", "proxy-logging",
                       "listing_formats", "bulk", "copy", "slo", "dlo", "versioned_writes")),
            encoding="utf-8",
        )  # fmt: skip

    def _wait_ready(self) -> None:
        """Wait (bounded) until the proxy answers a Swift request with a token."""
        deadline = time.monotonic() + START_SECONDS
        last = ""
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    self.stop()
                    raise SwiftError(
                        f"swift's {name} server exited at start ({process.returncode}):\n"
                        + self.logs()
                    )
            try:
                for port in self.ports.values():
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self._token = None
                # A round trip through every server: account, container and object.
                self.request("PUT", "swift-ready")
                self.request("PUT", "swift-ready/probe", data=b"ok")
                return
            except (OSError, SwiftError) as err:
                last = str(err)
            time.sleep(0.2)
        self.stop()
        raise SwiftError(
            f"swift did not answer within {START_SECONDS:g} s ({last}):\n{self.logs()}"
        )

    # -- Swift's own API (no S3 client needed) ------------------------------------------------

    def token(self) -> str:
        if self._token is None:
            request = urllib.request.Request(
                f"{self.endpoint}/auth/v1.0",
                headers={"X-Auth-User": ACCESS_KEY, "X-Auth-Key": SECRET_KEY},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                self._token = response.headers["X-Auth-Token"]
        assert self._token is not None
        return self._token

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        url = f"{self.endpoint}/v1/{ACCOUNT}/{urllib.parse.quote(path)}".rstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            url, data=data, method=method, headers={"X-Auth-Token": self.token(), **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return 404, b""
            raise SwiftError(f"{method} {url}: {err.code} {err.read()[:300]!r}") from None

    def create_bucket(self, bucket: str) -> None:
        self.request("PUT", bucket)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        status, body = self.request("GET", bucket, query={"format": "json", "prefix": prefix})
        return [o["name"] for o in json.loads(body)] if status == 200 else []

    def get(self, bucket: str, key: str) -> bytes | None:
        status, body = self.request("GET", f"{bucket}/{key}")
        return body if status == 200 else None

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.request("PUT", f"{bucket}/{key}", data=data)


def _root() -> bool:
    import os

    return os.geteuid() == 0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m tests.swift_support DIR", file=sys.stderr)
        return 2
    with LocalSwift(Path(args[0])) as swift:
        print(f"swift with s3api: {swift.endpoint} (access key {ACCESS_KEY}, secret "
              f"{SECRET_KEY})", flush=True)  # fmt: skip
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
