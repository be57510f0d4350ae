"""Fleet metrics: what `booth metrics` prints and booth-metrics.service writes, from the
booth's own records (spool, state record, upload store) in a temporary booth."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS
from privacy_support import make_org_key
from prometheus_client.parser import text_string_to_metric_families

from booth.cli.main import main
from booth.config.errors import ConfigError
from booth.config.interview import load_interviews
from booth.config.settings import Metrics, Paths, Settings, load_settings
from booth.kiosk.health import session_budget_bytes
from booth.light.record import LIGHT_STATE_FILE, LightState
from booth.media.spool import Spool
from booth.media.take_result import TakeResult
from booth.media.takefiles import write_json_atomic
from booth.metrics.exposition import TEXTFILE, render
from booth.metrics.ledger import LEDGER_FILE, load_ledger
from booth.metrics.reading import Board, read_booth
from booth.metrics.writer import MetricsWriter
from booth.privacy.age import parse_recipients
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing
from booth.session.codes_entry import Lockout
from booth.state import LOCKOUT_FILE, KioskState, write_lockout
from booth.sync.store import DAMAGED, UploadStore
from booth.timesync import ClockState

SYNCED = Board(clock=lambda: ClockState(True, "systemd-timesyncd"))
UNSYNCED = Board(clock=lambda: ClockState(False, "kernel"))
FINISHED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a text exposition by (name, sorted labels), parsed by prometheus-client."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "textfile").mkdir()
    return Settings(
        booth_id="lund-1",
        paths=Paths(
            interviews=tmp_path / "interviews",
            spool=tmp_path / "spool",
            state=tmp_path / "state",
        ),
        metrics=Metrics(textfile_dir=tmp_path / "textfile", interval_seconds=30),
    )


def finished_session(
    spool: Path,
    session_id: str,
    status: str,
    takes: int = 1,
    recovered: int = 0,
    sealing: Sealing | None = None,
) -> Path:
    """A finished session in the spool through the kiosk's own Spool, with small take files
    (sealed at the end with a `sealing`)."""
    session = Spool(spool, sealing).open_session("lund-1", "example", "ref-1", session_id, FINISHED)
    for n in range(takes):
        path = session.take_path(f"q{n}", 1)
        data = f"take {n} of {session_id}".encode()
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        session.keep_take(f"q{n}", 1, TakeResult(path, len(data), digest, 1.0, 30, n < recovered))
    session.finish(status, FINISHED)
    return session.dir


def kiosk_record(state: Path, **fields: object) -> None:
    record = {
        "activity": "idle",
        "screen": "idle",
        "fault": None,
        "updated": FINISHED.isoformat(),
        "idle_since": None,
        "pid": os.getpid(),
        "heartbeat": time.time(),
        **fields,
    }
    KioskState(**record).write(state)  # type: ignore[arg-type]


def test_a_new_booth_says_who_it_is_and_that_its_kiosk_never_ran(settings: Settings) -> None:
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_info", booth_id="lund-1", version="0.1.0") == 1
    assert value(text, "booth_kiosk_up") == 0
    assert value(text, "booth_out_of_order", reason="kiosk") == 1
    assert value(text, "booth_out_of_order", reason="camera") == 0
    for status in ("complete", "ended-early", "declined"):
        assert value(text, "booth_sessions_total", status=status) == 0
    assert value(text, "booth_upload_queue_files") == 0
    assert value(text, "booth_upload_blocked", reason="waiting for clock") == 0
    assert value(text, "booth_disk_free_bytes") > 0
    names = {name for name, _ in samples(text)}
    # Never uploaded, no interview, not a Pi: left out rather than reported as 0.
    for absent in (
        "booth_last_upload_success_timestamp_seconds",
        "booth_session_budget_bytes",
        "booth_throttled",
        "booth_light_level",
    ):
        assert absent not in names


def test_a_running_kiosk_out_of_order_gives_its_reason_and_light(settings: Settings) -> None:
    kiosk_record(
        settings.paths.state,
        activity="out-of-order",
        screen="out-of-order",
        fault="camera: no frames (check its ribbon cable)",
        fault_id="camera",
    )
    write_json_atomic(
        settings.paths.state / LIGHT_STATE_FILE, asdict(LightState("session", 0.25, 12.5))
    )
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_kiosk_up") == 1
    assert value(text, "booth_out_of_order", reason="camera") == 1
    assert value(text, "booth_out_of_order", reason="kiosk") == 0
    assert value(text, "booth_light_level") == 0.25
    assert value(text, "booth_light_missing_percent") == 12.5


def test_a_record_without_fault_id_still_names_the_reason(settings: Settings) -> None:
    kiosk_record(
        settings.paths.state,
        activity="out-of-order",
        fault=f"only 0.1 GB free in {settings.paths.spool}, but a session needs 2.0 GB",
    )
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_out_of_order", reason="disk") == 1


def test_a_stale_heartbeat_is_a_kiosk_down(settings: Settings) -> None:
    kiosk_record(settings.paths.state, heartbeat=time.time() - 3600)
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_kiosk_up") == 0
    assert value(text, "booth_out_of_order", reason="kiosk") == 1


def test_sessions_are_counted_once_and_the_count_outlives_their_deletion(
    settings: Settings,
) -> None:
    spool = settings.paths.spool
    first = finished_session(spool, "20260302T100000Z-aaaa0001", "complete", takes=2, recovered=1)
    finished_session(spool, "20260302T110000Z-aaaa0002", "declined", takes=0)
    Spool(spool).open_session("lund-1", "example", "ref-3", "20260302T120000Z-aaaa0003")
    writer = MetricsWriter(settings, board=SYNCED)
    text = render(writer.write())
    assert value(text, "booth_sessions_total", status="complete") == 1
    assert value(text, "booth_sessions_total", status="declined") == 1
    assert value(text, "booth_takes_recovered_total") == 1
    render(writer.write())  # counted once, however often written
    # The sync agent deletes a confirmed session: the counter stays, the ledger forgets its id.
    for path in first.iterdir():
        path.unlink()
    first.rmdir()
    text = render(writer.write())
    assert value(text, "booth_sessions_total", status="complete") == 1
    assert value(text, "booth_takes_recovered_total") == 1
    ledger = json.loads((settings.paths.state / LEDGER_FILE).read_text())
    assert ledger["seen"] == ["20260302T110000Z-aaaa0002"]


def test_recovered_takes_of_sealed_sessions_are_counted_from_their_clear_manifest(
    settings: Settings, tmp_path: Path
) -> None:
    org = make_org_key(tmp_path)
    sealing = Sealing(tuple(parse_recipients([org.recipient])), None, RefIndex(tmp_path / "st"))
    spool = settings.paths.spool
    sealed = finished_session(spool, "20260302T100000Z-aaaa0001", "ended-early", 3, 2, sealing)
    assert json.loads((sealed / "manifest.json").read_text())["recovered_takes"] == 2
    text = render(MetricsWriter(settings, board=SYNCED).write())
    assert value(text, "booth_sessions_total", status="ended-early") == 1
    assert value(text, "booth_takes_recovered_total") == 2
    assert value(text, "booth_spool_unsealed_sessions") == 0
    # A session whose seal failed: in clear, counted apart from those being recorded.
    waiting = finished_session(spool, "20260302T110000Z-aaaa0002", "complete", 1, 0)
    manifest = json.loads((waiting / "manifest.json").read_text())
    write_json_atomic(waiting / "manifest.json", {**manifest, "status": "sealing"})
    text = render(MetricsWriter(settings, board=SYNCED).write())
    assert value(text, "booth_spool_unsealed_sessions") == 1


def test_booth_metrics_prints_without_counting_into_the_ledger(settings: Settings) -> None:
    finished_session(settings.paths.spool, "20260302T100000Z-aaaa0001", "ended-early")
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_sessions_total", status="ended-early") == 1
    assert not (settings.paths.state / LEDGER_FILE).exists()


def test_the_upload_queue_its_oldest_session_and_the_last_success(settings: Settings) -> None:
    spool, state = settings.paths.spool, settings.paths.state
    done = finished_session(spool, "20260302T100000Z-aaaa0001", "complete", takes=1)
    finished_session(spool, "20260302T110000Z-aaaa0002", "complete", takes=2)
    manifest = json.loads((done / "manifest.json").read_text())
    store = UploadStore(state)
    for name, length, sha in [(t["file"], t["bytes"], t["sha256"]) for t in manifest["takes"]] + [
        (
            "manifest.json",
            (done / "manifest.json").stat().st_size,
            hashlib.sha256((done / "manifest.json").read_bytes()).hexdigest(),
        )
    ]:
        store.created(manifest["session_id"], name, f"https://up/{name}", length, sha)
        store.confirm(manifest["session_id"], name, 1_772_450_000.0)
    store.note("success", 1_772_450_000.0, "uploaded")
    second_id = "20260302T110000Z-aaaa0002"
    store.hold(second_id, "q0-take1.mp4", DAMAGED, "sha256 differs", 1_772_450_000.0, None)
    store.close()
    now = (FINISHED + timedelta(hours=30)).timestamp()
    text = render(read_booth(settings, load_ledger(state), now, SYNCED))
    # The second session waits: two takes and its manifest.
    second = spool / "20260302T110000Z-aaaa0002"
    waiting = sum(p.stat().st_size for p in second.iterdir())
    assert value(text, "booth_upload_queue_files") == 3
    assert value(text, "booth_upload_queue_bytes") == waiting
    assert value(text, "booth_upload_oldest_pending_seconds") == 30 * 3600
    assert value(text, "booth_last_upload_success_timestamp_seconds") == 1_772_450_000.0
    assert value(text, "booth_upload_held_files", kind="damaged") == 1
    assert value(text, "booth_upload_held_files", kind="set-aside") == 0
    assert value(text, "booth_spool_unreadable_sessions") == 0


def test_until_ntp_answers_the_metrics_say_waiting_for_clock(settings: Settings) -> None:
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), UNSYNCED))
    assert value(text, "booth_upload_blocked", reason="waiting for clock") == 1
    assert value(text, "booth_clock_synchronized") == 0


def a_pi(tmp_path: Path, flags: str, alarm: str) -> Board:
    """The Pi's sysfs (a cpu-thermal zone after another zone, the rpi_volt sensor) and a
    vcgencmd that answers `flags`, in a temporary tree."""
    thermal = tmp_path / "thermal"
    for n, kind, temp in ((0, "gpu-thermal", "40000"), (1, "cpu-thermal", "61234")):
        (thermal / f"thermal_zone{n}").mkdir(parents=True)
        (thermal / f"thermal_zone{n}/type").write_text(kind + "\n")
        (thermal / f"thermal_zone{n}/temp").write_text(temp + "\n")
    sensor = tmp_path / "hwmon/hwmon2"
    sensor.mkdir(parents=True)
    (sensor / "name").write_text("rpi_volt\n")
    (sensor / "in0_lcrit_alarm").write_text(alarm + "\n")
    vcgencmd = tmp_path / "vcgencmd"
    vcgencmd.write_text(f"#!/bin/sh\necho throttled={flags}\n")
    vcgencmd.chmod(0o755)
    return Board(
        thermal=thermal, hwmon=tmp_path / "hwmon", vcgencmd=str(vcgencmd), clock=SYNCED.clock
    )


def test_the_pi_reports_temperature_and_throttling(settings: Settings, tmp_path: Path) -> None:
    board = a_pi(tmp_path, flags="0x50004", alarm="1")  # throttled now; under-voltage alarm
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), board))
    assert value(text, "booth_throttled", flag="under-voltage") == 1
    assert value(text, "booth_throttled", flag="throttled") == 1
    assert value(text, "booth_throttled", flag="arm-frequency-capped") == 0
    assert value(text, "booth_soc_temperature_celsius") == pytest.approx(61.234)


def test_every_under_voltage_is_counted_once_even_between_scrapes(
    settings: Settings, tmp_path: Path
) -> None:
    board = a_pi(tmp_path, flags="0x0", alarm="0")
    alarm = tmp_path / "hwmon/hwmon2/in0_lcrit_alarm"
    writer = MetricsWriter(settings, board=board)
    events = []
    for seen in ("0", "1", "1", "0", "1", "0", "0"):
        alarm.write_text(seen + "\n")
        writer.step()  # once a second in the service; the alarm changes the fingerprint
        textfile = (settings.metrics.textfile_dir / TEXTFILE).read_text()
        events.append(value(textfile, "booth_under_voltage_events_total"))
    assert events == [0, 1, 1, 1, 2, 2, 2]
    # The count is in the ledger: a restarted service goes on from it.
    assert load_ledger(settings.paths.state).under_voltage_events == 2


def test_the_session_budget_is_the_kiosks_disk_guard(settings: Settings) -> None:
    settings = Settings(
        booth_id="lund-1",
        paths=Paths(
            interviews=EXAMPLE_INTERVIEWS,
            spool=settings.paths.spool,
            state=settings.paths.state,
        ),
    )
    interviews, _ = load_interviews(EXAMPLE_INTERVIEWS)
    rec = settings.recording
    expected = max(
        session_budget_bytes(iv, rec.bitrate_bps, rec.audio_rate, rec.disk_margin_bytes)
        for iv in interviews
    )
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    assert value(text, "booth_session_budget_bytes") == expected


def test_the_writer_rewrites_at_once_on_a_change_and_else_every_interval(
    settings: Settings,
) -> None:
    monotonic = [1000.0]
    writer = MetricsWriter(settings, monotonic=lambda: monotonic[0], board=SYNCED)
    textfile = settings.metrics.textfile_dir / TEXTFILE
    assert writer.step() is not None and textfile.exists()
    assert writer.step() is None  # nothing changed, interval not over
    kiosk_record(settings.paths.state, activity="session", screen="recording")
    reading = writer.step()
    assert reading is not None and reading.kiosk_up
    assert value(textfile.read_text(), "booth_kiosk_up") == 1
    assert writer.step() is None
    finished_session(settings.paths.spool, "20260302T100000Z-aaaa0001", "complete")
    assert writer.step() is not None  # a session finished: the queue changed
    monotonic[0] += 29.0
    assert writer.step() is None
    monotonic[0] += 1.0
    assert writer.step() is not None  # the interval is over
    # Atomic: written beside and renamed, nothing else left in node_exporter's directory.
    assert [p.name for p in settings.metrics.textfile_dir.iterdir()] == [TEXTFILE]


def test_a_failed_write_is_logged_and_tried_again(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.metrics.textfile_dir.rmdir()
    writer = MetricsWriter(settings, board=SYNCED)
    stop = threading.Event()
    polls = []

    def tick() -> None:
        polls.append(1)
        if len(polls) == 2:
            settings.metrics.textfile_dir.mkdir()
        if len(polls) == 3:
            stop.set()

    writer.run(stop, poll_seconds=0.0, tick=tick)
    assert "cannot write" in caplog.text
    assert (settings.metrics.textfile_dir / TEXTFILE).exists()


def write_config(tmp_path: Path, textfile: Path) -> Path:
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "hall-2"\n'
        f'[paths]\nspool = "{tmp_path}/spool"\nstate = "{tmp_path}/state"\n'
        f'interviews = "{tmp_path}/interviews"\n'
        f'[metrics]\ntextfile_dir = "{textfile}"\ninterval_seconds = 15\n'
    )
    return config


def test_booth_metrics_prints_and_writes_the_same_text(tmp_path: Path, capsys) -> None:
    textfile = tmp_path / "textfile"
    config = write_config(tmp_path, textfile)
    assert load_settings(config).metrics == Metrics(textfile, 15)
    assert main(["metrics", "--write", "--config", str(config)]) == 2
    assert "textfile_dir" in capsys.readouterr().err
    textfile.mkdir()
    assert main(["metrics", "--write", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["metrics", "--config", str(config)]) == 0
    printed = samples(capsys.readouterr().out)
    written = samples((textfile / TEXTFILE).read_text())
    assert printed.keys() == written.keys()
    assert printed[("booth_info", (("booth_id", "hall-2"), ("version", "0.1.0")))] == 1


def test_metrics_settings_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "booth.toml"
    config.write_text("[metrics]\ninterval_seconds = 300\n")
    with pytest.raises(ConfigError, match="interval_seconds"):
        load_settings(config)
    config.write_text('[metrics]\ntextfile_dir = "prom"\n')
    assert load_settings(config).metrics.textfile_dir == tmp_path / "prom"


def test_the_read_only_root_shows_once_it_took(settings: Settings, tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/mmcblk0p2 /media/root-ro ext4 ro,noatime 0 0\n"
        "overlayroot / overlay rw,relatime,lowerdir=/media/root-ro 0 0\n"
        "/dev/mmcblk0p3 /var/lib/booth ext4 rw,noatime 0 0\n"
    )
    board = Board(mounts=mounts, clock=SYNCED.clock)
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), board))
    assert value(text, "booth_root_read_only") == 1
    mounts.write_text("/dev/mmcblk0p2 / ext4 rw,noatime 0 0\n")
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), board))
    assert value(text, "booth_root_read_only") == 0


def test_an_unreadable_upload_store_leaves_the_queue_out_rather_than_empty(
    settings: Settings,
) -> None:
    finished_session(settings.paths.spool, "20260302T100000Z-aaaa0001", "complete")
    settings.paths.state.mkdir(parents=True)
    (settings.paths.state / "uploads.sqlite3").write_bytes(b"not a database" * 100)
    text = render(read_booth(settings, load_ledger(settings.paths.state), time.time(), SYNCED))
    names = {name for name, _ in samples(text)}
    assert "booth_upload_queue_files" not in names
    assert "booth_upload_oldest_pending_seconds" not in names
    assert value(text, "booth_sessions_total", status="complete") == 1


def test_code_lockouts_are_counted_from_the_kiosks_wrong_code_record(settings: Settings) -> None:
    state = settings.paths.state
    writer = MetricsWriter(settings, board=SYNCED)
    attempts = settings.timing.code_attempts  # code entry waits from this wrong code on
    lockouts = []
    t = 1_772_450_000.0
    # (wrong codes in the bucket, waits started in the run) as the kiosk writes them.
    runs = ((attempts - 1, 0), (attempts, 1), (attempts + 1, 2), (1, 0), (attempts, 1))
    for wrong, waits in runs:
        t += 60
        write_lockout(state, Lockout(wrong, t, t + 60 if waits else 0.0, waits))
        writer.step()
        textfile = (settings.metrics.textfile_dir / TEXTFILE).read_text()
        lockouts.append(value(textfile, "booth_code_lockouts_total"))
    # Two waits in the first run of wrong codes; after the bucket emptied a new run, one more.
    assert lockouts == [0, 1, 2, 2, 3]
    # A spoiled record counts nothing (the kiosk itself treats it as a full wait).
    (state / LOCKOUT_FILE).write_text("{not json")
    writer.step()
    textfile = (settings.metrics.textfile_dir / TEXTFILE).read_text()
    assert value(textfile, "booth_code_lockouts_total") == 3


def test_node_exporter_can_read_the_textfile_whatever_the_private_umask(tmp_path: Path) -> None:
    """The booth command runs with umask 077 (candidate files are private); node_exporter reads
    booth.prom as its own user, and the file names nobody."""
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    config = write_config(tmp_path, textfile)
    before = os.umask(0o077)
    try:
        assert main(["metrics", "--write", "--config", str(config)]) == 0
        assert os.umask(0o077) == 0o077  # the private umask is back
    finally:
        os.umask(before)
    assert (textfile / TEXTFILE).stat().st_mode & 0o777 == 0o644
