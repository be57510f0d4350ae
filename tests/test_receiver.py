"""The reference receiver (deploy/receiver: @tus/server + @tus/s3-store) in front of a real
one-node Swift with s3api, receiving from the real booth sync agent."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from booth.config.settings import load_settings
from booth.media.spool import Spool
from booth.privacy.age import parse_recipients
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing
from booth.sync.sender import MAX_RESTARTS
from booth.sync.status import status_lines, sync_status
from booth.sync.tus import TusClient
from tests.privacy_support import age_decrypt, make_org_key
from tests.receiver_support import BUCKET, RECEIVER_DIR, LocalReceiver, ReceiverError
from tests.sync_support import TOKEN, booth_config, finished_session, local_files, make_agent
from tests.test_spool import FINISHED, new_take, open_session
from tools.tus_server import LocalServerError, node_command

# Starting Swift (five servers) takes seconds, and far longer on a loaded machine: the module's
# Swift starts within its first test's limit.
pytestmark = [pytest.mark.external, pytest.mark.timeout(300)]

OTHER_TOKEN = "another-booths-token-0123456789"
METRICS_TOKEN = "the-metrics-scrapers-token-0123"


@pytest.fixture
def receiver(tmp_path, swift):
    try:
        server = LocalReceiver(
            tmp_path / "receiver",
            swift,
            {"booth-7": TOKEN, "booth-8": OTHER_TOKEN},
            METRICS_TOKEN=METRICS_TOKEN,
        ).start()
    except (ReceiverError, LocalServerError) as err:
        pytest.fail(f"the receiver did not start: {err}", pytrace=False)
    yield server
    server.stop()


def request(url: str, method: str, token: str | None, headers: dict | None = None, body=b""):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    all_headers = {"Tus-Resumable": "1.0.0", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    conn.request(method, parts.path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def session_keys(receiver: LocalReceiver, booth: str, session: str) -> dict[str, bytes | None]:
    prefix = f"sessions/{booth}/{session}/"
    return {k[len(prefix) :]: receiver.object(k) for k in receiver.keys(prefix)}


def test_a_session_from_the_booth_is_assembled_with_a_receipt(tmp_path, receiver):
    config = booth_config(tmp_path, receiver.url, proof="receipt")
    session = finished_session(tmp_path / "spool")
    sent = local_files(session.dir)

    result = make_agent(config).run_once()

    assert result.ok, result.reason
    stored = session_keys(receiver, "booth-7", session.session_id)
    assert sorted(stored) == sorted([*sent, "receipt.json"])
    for name, data in sent.items():
        assert stored[name] == data, f"{name} is not byte for byte what the booth sent"
    receipt = json.loads(stored["receipt.json"])
    manifest = json.loads(sent["manifest.json"])
    assert receipt["booth"] == "booth-7"
    assert receipt["session"] == session.session_id
    assert receipt["interview"] == manifest["interview_id"]
    assert receipt["time"]
    assert sorted(f["file"] for f in receipt["files"]) == sorted(sent)
    for f in receipt["files"]:
        assert f["verified"] is True
        assert f["bytes"] == len(sent[f["file"]])
        assert f["sha256"] == hashlib.sha256(sent[f["file"]]).hexdigest()
    assert receiver.keys(f"quarantine/booth-7/{session.session_id}/") == []


def test_wrong_tokens_are_refused_and_nothing_is_stored(tmp_path, receiver):
    before = receiver.keys()
    create = {
        "Upload-Length": "5",
        "Upload-Metadata": metadata(
            booth="booth-7", session="s1", filename="q1-take1.mp4", sha256="0" * 64
        ),
    }

    no_token, _ = request(receiver.url, "POST", None, create)
    unknown, _ = request(receiver.url, "POST", "not-a-token-of-any-booth", create)
    other_booth, body = request(receiver.url, "POST", OTHER_TOKEN, create)

    assert (no_token.status, unknown.status, other_booth.status) == (401, 401, 403)
    assert b"booth-8" in body
    assert receiver.keys() == before

    mine, _ = request(receiver.url, "POST", TOKEN, create)
    assert mine.status == 201
    upload = urlsplit(receiver.url)._replace(path=mine.getheader("Location")).geturl()
    stored = receiver.keys()
    patch = {
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }
    assert request(upload, "HEAD", OTHER_TOKEN)[0].status == 403
    assert request(upload, "PATCH", OTHER_TOKEN, patch, b"hello")[0].status == 403
    assert request(upload, "DELETE", OTHER_TOKEN)[0].status == 403
    assert request(upload, "PATCH", None, patch, b"hello")[0].status == 401
    assert receiver.keys() == stored, "a refused request changed the store"
    head, _ = request(upload, "HEAD", TOKEN)
    assert (head.status, head.getheader("Upload-Offset")) == (200, "0")


def start_with(tmp_path: Path, env: dict[str, str], tokens: str = "booth-7 " + TOKEN + "\n"):
    (tmp_path / "tokens").write_text(tokens, encoding="utf-8")
    settings = {
        "RECEIVER_PORT": "0",
        "S3_ENDPOINT": "http://127.0.0.1:9",
        "S3_REGION": "us-east-1",
        "S3_BUCKET": "booth-answers",
        "S3_ACCESS_KEY_ID": "k",
        "S3_SECRET_ACCESS_KEY": "s",
        "BOOTH_TOKENS_FILE": str(tmp_path / "tokens"),
        **env,
    }
    env_file = tmp_path / "receiver.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items() if v is not None))
    return subprocess.run(
        [str(RECEIVER_DIR / "start"), str(env_file)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"NODE": node_command(), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("env", "tokens", "message"),
    [
        ({"S3_BUCKET": None}, None, "S3_BUCKET not set"),
        ({"S3_BUCKET": '"Booth answers"'}, None, 'S3_BUCKET "Booth answers" is not a bucket'),
        ({"RECEIVER_PORT": "http"}, None, 'RECEIVER_PORT "http" is not a port'),
        ({"S3_ENDPOINT": "s3.example.org"}, None, "S3_ENDPOINT"),
        ({}, "booth-7\n", 'line 1: want "booth_id token"'),
        ({}, "booth-7 short\n", "shorter than 16"),
        ({}, f"booth-7 {TOKEN}\nbooth-8 {TOKEN}\n", "line 2: this token is already booth b"),
        ({}, "", "lists no booth"),
        ({}, None, "cannot be reached"),  # nothing listens on port 9
    ],
)
def test_a_missing_or_bad_setting_is_a_clear_error_at_start(tmp_path, env, tokens, message):
    done = start_with(tmp_path, env, tokens if tokens is not None else f"booth-7 {TOKEN}\n")
    assert done.returncode == 2
    assert message in done.stderr, done.stderr


def test_a_bad_settings_line_is_named_by_number_and_key_never_by_its_value(tmp_path):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    for n, line in enumerate([f"S3_SECRET_ACCESS_KEY {secret}", f"s3_secret_access_key={secret}"]):
        env_file = tmp_path / f"receiver-{n}.env"
        env_file.write_text(f"# settings\nRECEIVER_PORT=0\n{line}\n", encoding="utf-8")
        done = subprocess.run(
            [str(RECEIVER_DIR / "start"), str(env_file)],
            capture_output=True,
            text=True,
            timeout=30,
            env={"NODE": node_command(), "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 2
        assert f"{env_file} line 3:" in done.stderr, done.stderr
        assert secret not in done.stderr + done.stdout
        assert secret[:8] not in done.stderr + done.stdout


class StoreSaboteur:
    """Watches the receiver's test hold (RECEIVER_TEST_HOLD_DIR): before each finished upload
    is verified, overwrites the stored object of the uploads named in `corrupt` (each time, up
    to `times` per file) with other bytes, as a failing disk or a buggy store would, then lets
    the verification go on."""

    def __init__(self, receiver: LocalReceiver, hold: Path, corrupt: str, times: int) -> None:
        self.receiver = receiver
        self.hold = hold
        self.corrupt = corrupt
        self.left = times
        self.corrupted: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StoreSaboteur:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stop.is_set():
            for held in sorted(self.hold.glob("*.held")):
                try:
                    key = json.loads(held.read_text())["key"]
                except ValueError:  # the receiver is still writing it: read it next round
                    continue
                info = json.loads(self.receiver.object(f"{key}.info") or b"{}")
                if info.get("metadata", {}).get("filename") == self.corrupt and self.left > 0:
                    stored = self.receiver.object(key) or b""
                    bad = bytes([stored[0] ^ 0xFF]) + stored[1:]
                    self.receiver.swift.put(BUCKET, key, bad)
                    self.corrupted.append(bad)
                    self.left -= 1
                held.rename(held.with_suffix(".go"))
            time.sleep(0.02)


@pytest.fixture
def held_receiver(tmp_path, swift):
    hold = tmp_path / "hold"
    hold.mkdir()
    server = LocalReceiver(tmp_path / "receiver", swift, {"booth-7": TOKEN}, hold_dir=hold)
    try:
        server.start()
    except (ReceiverError, LocalServerError) as err:
        pytest.fail(f"the receiver did not start: {err}", pytrace=False)
    yield server, hold
    server.stop()


def test_a_file_corrupted_in_the_store_before_verification_is_quarantined_and_sent_again(
    tmp_path, held_receiver
):
    receiver, hold = held_receiver
    config = booth_config(tmp_path, receiver.url, proof="receipt")
    session = finished_session(tmp_path / "spool")
    sent = local_files(session.dir)

    with StoreSaboteur(receiver, hold, "q1-take1.mp4", times=1) as saboteur:
        result = make_agent(config).run_once()

    assert result.ok, result.reason
    assert len(saboteur.corrupted) == 1
    quarantined = receiver.keys(f"quarantine/booth-7/{session.session_id}/q1-take1.mp4.")
    assert [receiver.object(k) for k in quarantined] == saboteur.corrupted
    stored = session_keys(receiver, "booth-7", session.session_id)
    assert stored["q1-take1.mp4"] == sent["q1-take1.mp4"]
    receipt = json.loads(stored["receipt.json"] or b"")
    assert all(f["verified"] for f in receipt["files"])


def test_a_file_found_damaged_every_time_is_set_aside_and_booth_status_says_so(
    tmp_path, held_receiver
):
    receiver, hold = held_receiver
    config = booth_config(tmp_path, receiver.url, proof="receipt")
    session = finished_session(tmp_path / "spool")

    with StoreSaboteur(receiver, hold, "q2-take1.mp4", times=10) as saboteur:
        result = make_agent(config).run_once()

    assert not result.ok
    assert len(saboteur.corrupted) == MAX_RESTARTS
    status = sync_status(load_settings(config))
    assert [(h["session"], h["file"]) for h in status["set_aside"]] == [
        (session.session_id, "q2-take1.mp4")
    ]
    assert "found the stored upload damaged" in status["set_aside"][0]["reason"]
    assert any("q2-take1.mp4" in line for line in status_lines(status))
    assert len(receiver.keys(f"quarantine/booth-7/{session.session_id}/")) == MAX_RESTARTS
    assert receiver.receipt("booth-7", session.session_id) is None
    assert session.dir.exists(), "the booth deleted a file the store does not hold"


def upload_until_done(
    config: Path, attempts: int = 8, sleep: Callable[[float], None] = time.sleep, **kwargs
) -> None:
    """`booth sync --once` again until everything is confirmed (bounded), as the long-running
    agent would go on after a server came back. `sleep` is the agent's wait between retries."""
    reasons = []
    for _ in range(attempts):
        result = make_agent(config, **kwargs).run_once(sleep=sleep)
        if result.ok:
            return
        reasons.append(result.reason)
    pytest.fail(f"not uploaded after {attempts} runs: {reasons}", pytrace=False)


def assert_assembled(receiver: LocalReceiver, session_id: str, sent: dict[str, bytes]) -> None:
    stored = session_keys(receiver, "booth-7", session_id)
    assert sorted(stored) == sorted([*sent, "receipt.json"])
    for name, data in sent.items():
        assert stored[name] == data, f"{name} is not byte for byte what the booth sent"
    receipt = json.loads(stored["receipt.json"] or b"")
    assert sorted(f["file"] for f in receipt["files"]) == sorted(sent)


# Two restarts (Swift's takes seconds, far more on a loaded machine), each waited for.
@pytest.mark.timeout(600)
def test_receiver_and_storage_restarted_mid_upload_lose_nothing(tmp_path, receiver, swift):
    config = booth_config(tmp_path, receiver.url, proof="receipt")
    session = finished_session(tmp_path / "spool", take_sizes=(600_000, 400_000))
    sent = local_files(session.dir)
    acknowledged: list[tuple[str, int]] = []
    # Each outage starts its stopped service again, in another thread; its future raises what
    # the start raised.
    restarts = ThreadPoolExecutor(max_workers=2)
    outages: dict[str, Future[object]] = {}
    retries: list[int] = []  # how many outages there had been when the booth retried

    def outage_mid_upload(file, offset: int) -> None:
        # Down before the booth's next request, which therefore fails; up again while the
        # booth waits to retry.
        acknowledged.append((file.name, offset))
        if len(acknowledged) == 3:
            receiver.kill()
            outages["receiver"] = restarts.submit(receiver.start)
        elif file.name == "q2-take1.mp4" and "swift" not in outages:
            swift.stop()
            outages["swift"] = restarts.submit(swift.start)

    def retry_once_it_answers(_backoff: float) -> None:
        # The booth's retry after a failed request waits for the event, not for a backoff
        # long enough: the stopped service answering again (each start returns once its
        # server is ready, or raises). Bounded: a service that never comes back fails the
        # test instead of hanging it.
        for outage in outages.values():
            outage.result(timeout=240)
        retries.append(len(outages))

    try:
        upload_until_done(config, progress=outage_mid_upload, sleep=retry_once_it_answers)
    finally:
        restarts.shutdown(wait=True)

    assert list(outages) == ["receiver", "swift"]
    assert 1 in retries and 2 in retries, f"the booth retried after outages {retries}"
    assert_assembled(receiver, session.session_id, sent)
    assert not session.dir.exists(), "the booth kept a session the store holds whole"


def test_a_receiver_killed_before_it_verified_the_last_byte_verifies_when_it_is_back(
    tmp_path, held_receiver
):
    receiver, hold = held_receiver
    config = booth_config(tmp_path, receiver.url, proof="receipt", timeout_seconds=2)
    session = finished_session(tmp_path / "spool", take_sizes=(100_000,))
    sent = local_files(session.dir)
    killed = threading.Event()

    def kill_at_the_first_verification() -> None:
        while not killed.is_set():
            if any(hold.glob("*.held")):
                receiver.kill()  # the object is complete in the store, not verified
                killed.set()
            time.sleep(0.02)

    killer = threading.Thread(target=kill_at_the_first_verification, daemon=True)
    killer.start()
    first = make_agent(config).run_once()
    killer.join(timeout=30)
    assert killed.is_set() and not first.ok
    assert receiver.keys(f"sessions/booth-7/{session.session_id}/") == []
    for held in hold.glob("*.held"):
        held.unlink()

    with StoreSaboteur(receiver, hold, "none", times=0):
        receiver.start()  # verifies what finished while it was down, before it listens
        upload_until_done(config)

    assert_assembled(receiver, session.session_id, sent)


def test_health_and_metrics_say_what_was_received(tmp_path, receiver):
    config = booth_config(tmp_path, receiver.url, proof="receipt")
    session = finished_session(tmp_path / "spool", take_sizes=(70_000,))
    assert make_agent(config).run_once().ok
    root = urlsplit(receiver.url)._replace(path="").geturl()

    health, body = request(f"{root}/healthz", "GET", None)
    anyone, _ = request(f"{root}/metrics", "GET", None)
    a_booth, _ = request(f"{root}/metrics", "GET", TOKEN)
    metrics, text = request(f"{root}/metrics", "GET", METRICS_TOKEN)

    assert (health.status, body) == (200, b"ok\n")
    assert (anyone.status, a_booth.status, metrics.status) == (404, 404, 200)
    series = dict(
        line.rsplit(" ", 1) for line in text.decode().splitlines() if line.startswith("receiver_")
    )
    manifest = len(local_files(session.dir)["manifest.json"]) if session.dir.exists() else 0
    assert series['receiver_verifications_total{booth="booth-7",result="passed"}'] == "2"
    assert series['receiver_sessions_completed_total{booth="booth-7"}'] == "1"
    assert series["receiver_uploads_in_progress"] == "0"
    assert float(series['receiver_received_bytes_total{booth="booth-7"}']) >= 70_000 + manifest
    assert float(series['receiver_last_upload_timestamp_seconds{booth="booth-7"}']) > 0


def test_an_encrypted_session_is_assembled_on_its_ciphertext(tmp_path, receiver):
    # A sealed session as booth.privacy sends it: age files listed under `files` in a clear
    # manifest that names nobody, each upload's metadata with the sha256 of the bytes sent.
    ciphertext = {"q1-take1.mp4.age": os.urandom(120_000), "q2-take1.mp4.age": os.urandom(5)}
    files = [
        {"file": n, "bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for n, d in ciphertext.items()
    ]
    manifest = json.dumps(
        {
            "session_id": "sealed-1",
            "booth_id": "booth-7",
            "interview_id": "sales-2026",
            "sealed": "age",
            "files": files,
        }  # fmt: skip
    ).encode()
    client = TusClient(receiver.url, token=TOKEN, timeout_seconds=10)
    upload = {**ciphertext, "manifest.json": manifest}
    for name, data in upload.items():
        path = tmp_path / name
        path.write_bytes(data)
        meta = {"filename": name, "booth": "booth-7", "interview": "sales-2026",
                "session": "sealed-1", "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
        url = client.create(len(data), meta)
        assert client.send_chunk(url, path, 0, len(data)) == len(data)

    assert_assembled(receiver, "sealed-1", upload)
    receipt = receiver.receipt("booth-7", "sealed-1")
    assert receipt is not None and receipt["sealed"] is True
    assert {f["file"]: f["sha256"] for f in receipt["files"]} == {
        n: hashlib.sha256(d).hexdigest() for n, d in upload.items()
    }


def test_an_empty_file_is_verified_and_filed_too(tmp_path, receiver):
    client = TusClient(receiver.url, token=TOKEN, timeout_seconds=10)
    meta = {"filename": "q1-take1.mp4", "booth": "booth-7", "session": "empty-1",
            "sha256": hashlib.sha256(b"").hexdigest()}  # fmt: skip

    url = client.create(0, meta)

    assert client.offset(url) == (0, 0)
    assert receiver.object("sessions/booth-7/empty-1/q1-take1.mp4") == b""


def test_a_sealed_session_from_the_booth_is_assembled_on_its_ciphertext(tmp_path, receiver):
    org = make_org_key(tmp_path)
    sealing = Sealing(tuple(parse_recipients([org.recipient])), None, RefIndex(tmp_path / "state"))
    session = open_session(Spool(tmp_path / "spool", sealing))
    for question in ("q1", "q2"):
        new_take(session, question, 1)
        session.keep_take(question, 1, session.mux_take(question, 1))
    session.finish("complete", FINISHED)
    sent = local_files(session.dir)
    config = booth_config(tmp_path, receiver.url, proof="receipt")

    result = make_agent(config).run_once()

    assert result.ok, result.reason
    assert_assembled(receiver, session.session_id, sent)
    receipt = receiver.receipt("booth-7", session.session_id)
    assert receipt is not None and receipt["sealed"] is True
    assert all(f["file"].endswith(".age") or f["file"] == "manifest.json" for f in receipt["files"])
    stored = tmp_path / "stored.age"
    stored.write_bytes(receiver.object(f"sessions/booth-7/{session.session_id}/q1-take1.mp4.age"))
    assert age_decrypt(stored, org)[4:8] == b"ftyp", "the stored take does not decrypt to an MP4"
