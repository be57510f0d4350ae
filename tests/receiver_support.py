"""The reference receiver (deploy/receiver) on loopback in front of a local Swift, for the
receiver tests and bench: started with `deploy/receiver/start ENVFILE`, as on a server."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.swift_support import ACCESS_KEY, SECRET_KEY, LocalSwift, free_port
from tools.tus_server import LocalServerError, node_command

RECEIVER_DIR = Path(__file__).resolve().parent.parent / "deploy" / "receiver"
BUCKET = "booth-answers"
START_SECONDS = 30.0
_LISTENING = re.compile(r"listening on (http://\S+/)")


class ReceiverError(Exception):
    """The receiver did not start; the message holds what it printed."""


def check_installed() -> None:
    if not (RECEIVER_DIR / "node_modules" / "@tus" / "s3-store").is_dir():
        raise LocalServerError(
            f"the receiver's npm packages are not installed in {RECEIVER_DIR}: run `make venv` "
            "(it runs `npm ci` there with the venv's npm)"
        )


class LocalReceiver:
    """deploy/receiver on 127.0.0.1, storing in `swift`'s bucket BUCKET.

    tokens: booth id -> token (written to the tokens file). hold_dir: the test-only hold of
    every verification (RECEIVER_TEST_HOLD_DIR). `restart()` keeps the port.
    """

    def __init__(
        self,
        root: Path,
        swift: LocalSwift,
        tokens: dict[str, str],
        hold_dir: Path | None = None,
        **env: str,
    ) -> None:
        self.root = Path(root)
        self.swift = swift
        self.tokens = tokens
        self.hold_dir = hold_dir
        self.extra = env
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.url = ""

    def env_file(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        tokens = self.root / "tokens"
        tokens.write_text("".join(f"{b} {t}\n" for b, t in self.tokens.items()), encoding="utf-8")
        tokens.chmod(0o600)
        settings = {
            "RECEIVER_PORT": str(self.port),
            "S3_ENDPOINT": self.swift.endpoint,
            "S3_REGION": "us-east-1",
            "S3_BUCKET": BUCKET,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "BOOTH_TOKENS_FILE": str(tokens),
            **({"RECEIVER_TEST_HOLD_DIR": str(self.hold_dir)} if self.hold_dir else {}),
            **self.extra,
        }
        path = self.root / "receiver.env"
        path.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
        return path

    def start(self) -> LocalReceiver:
        check_installed()
        self.swift.create_bucket(BUCKET)
        env_file = self.env_file()
        self.process = subprocess.Popen(
            [str(RECEIVER_DIR / "start"), str(env_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={"NODE": node_command(), "PATH": "/usr/bin:/bin"},
        )
        assert self.process.stdout is not None
        found: list[str] = []
        stdout = self.process.stdout
        threading.Thread(target=self._drain, args=(stdout, found), daemon=True).start()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and not found and self.process.poll() is None:
            time.sleep(0.05)
        if not found:
            self.kill()
            raise ReceiverError(
                f"the receiver did not start within {START_SECONDS:g} s:\n" + "".join(self.output)
            )
        self.url = found[0]
        return self

    def _drain(self, stream, found: list[str]) -> None:
        for line in stream:
            self.output.append(line)
            del self.output[:-300]
            if not found and (m := _LISTENING.search(line)):
                found.append(m.group(1))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, kill: bool = False) -> None:
        self.kill() if kill else self.stop()
        self.start()

    def __enter__(self) -> LocalReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the store holds ----------------------------------------------------------------

    def keys(self, prefix: str = "") -> list[str]:
        return self.swift.list(BUCKET, prefix)

    def object(self, key: str) -> bytes | None:
        return self.swift.get(BUCKET, key)

    def receipt(self, booth: str, session: str) -> dict | None:
        data = self.object(f"sessions/{booth}/{session}/receipt.json")
        return json.loads(data) if data is not None else None
