"""deploy/prometheus/: the alert rules pass promtool's check and their own unit tests, name
only metrics the booth writes, and node_exporter's textfile collector serves booth.prom."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from booth.light.record import LightState
from booth.metrics.exposition import TEXTFILE, render, write_textfile
from booth.metrics.reading import Reading, UploadQueue

PROMETHEUS = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"
RULES = PROMETHEUS / "booth.rules.yml"
RULE_TESTS = PROMETHEUS / "booth.rules.test.yml"
# Debian's package installs it under this name; upstream's binary is node_exporter.
NODE_EXPORTER = ("prometheus-node-exporter", "node_exporter")

EVERYTHING = Reading(
    booth_id="lund-1",
    version="0.1.0",
    kiosk_up=True,
    out_of_order=None,
    sessions={"complete": 3},
    takes_recovered=1,
    code_lockouts=0,
    queue=UploadQueue(files=2, bytes=1000, oldest_pending_seconds=60.0, last_success=1.7e9),
    clock_synchronized=False,
    upload_blocked="waiting for clock",
    disk_free_bytes=10**10,
    session_budget_bytes=10**9,
    throttled={"under-voltage": False, "throttled": True},
    under_voltage_events=2,
    soc_celsius=55.0,
    light=LightState("idle", 0.3, 0.0),
)


def tool(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    pytest.fail(f"{names[0]} is not installed: run deploy/dev-deps.sh (make venv does)")


def test_the_rules_pass_promtools_check() -> None:
    done = subprocess.run(
        [tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 8 rules found" in done.stdout


def test_every_alert_passes_its_unit_tests() -> None:
    done = subprocess.run(
        [tool("promtool"), "test", "rules", RULE_TESTS.name],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    # Each alert in the rules has a test.
    alerts = set(re.findall(r"^\s+- alert: (\w+)$", RULES.read_text(), re.M))
    tested = set(re.findall(r"alertname: (\w+)$", RULE_TESTS.read_text(), re.M))
    assert alerts == tested
    assert {
        "BoothOutOfOrder",
        "BoothUploadBacklog",
        "BoothDiskLow",
        "BoothMetricsStale",
        "BoothUnderVoltage",
    } <= alerts


def test_the_rules_name_only_metrics_the_booth_writes() -> None:
    written = {
        sample.name
        for family in text_string_to_metric_families(render(EVERYTHING))
        for sample in family.samples
    }
    used = set(re.findall(r"\bbooth_[a-z_]+[a-z]", RULES.read_text()))
    assert used and used <= written, used - written


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_node_exporter_serves_booth_prom_with_its_age(tmp_path: Path) -> None:
    write_textfile(EVERYTHING, tmp_path)
    port = free_port()
    exporter = subprocess.Popen(
        [
            tool(*NODE_EXPORTER),
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            "--collector.textfile",
            f"--collector.textfile.directory={tmp_path}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        text = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
                break
            except OSError:
                assert exporter.poll() is None, exporter.stderr.read() if exporter.stderr else ""
                time.sleep(0.1)
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert samples[("node_textfile_scrape_error", ())] == 0
        mtime = [v for (name, _), v in samples.items() if name == "node_textfile_mtime_seconds"]
        assert mtime == [pytest.approx((tmp_path / TEXTFILE).stat().st_mtime, abs=1)]
        assert samples[("booth_kiosk_up", ())] == 1
        assert samples[("booth_sessions_total", (("status", "complete"),))] == 3
        assert samples[("booth_upload_blocked", (("reason", "waiting for clock"),))] == 1
    finally:
        exporter.terminate()
        exporter.wait(timeout=10)
