"""A reading in Prometheus's text format, built and written by prometheus-client.

`render` gives the text `booth metrics` prints; `write_textfile` writes the same text into
node_exporter's textfile directory with prometheus-client's `write_to_textfile` (a temporary
file beside it, renamed over `booth.prom`), so node_exporter never reads half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from booth.media.spool import FINAL_STATUSES
from booth.metrics.reading import Reading, UploadQueue
from booth.timesync import WAITING_FOR_CLOCK

TEXTFILE = "booth.prom"
OUT_OF_ORDER_REASONS = ("camera", "microphone", "disk", "software", "kiosk")


class ReadingCollector(Collector):
    """The metric families of one reading."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def collect(self) -> Iterator[Metric]:
        r = self.reading
        info = GaugeMetricFamily(
            "booth_info",
            "The booth's id and software version (always 1).",
            labels=["booth_id", "version"],
        )
        info.add_metric([r.booth_id, r.version], 1)
        yield info
        yield GaugeMetricFamily(
            "booth_kiosk_up",
            "1 while the kiosk runs (live process, fresh heartbeat).",
            value=int(r.kiosk_up),
        )
        yield GaugeMetricFamily(
            "booth_occupied",
            "1 while a candidate is in the booth (from the first touch until the booth is idle "
            "again: what the occupied light outside the door shows), 0 while it is free.",
            value=int(r.occupied),
        )
        if r.occupancy_since is not None:
            yield GaugeMetricFamily(
                "booth_occupancy_since_timestamp_seconds",
                "When the booth last became occupied or free (booth_occupied), Unix seconds.",
                value=r.occupancy_since,
            )
        out = GaugeMetricFamily(
            "booth_out_of_order",
            "1 for the reason the booth is out of order (camera, microphone, disk, software: "
            "an error of the kiosk's own; kiosk: the kiosk is not running), 0 for the others.",
            labels=["reason"],
        )
        reasons = list(OUT_OF_ORDER_REASONS)
        if r.out_of_order is not None and r.out_of_order not in reasons:
            reasons.append(r.out_of_order)
        for reason in reasons:
            out.add_metric([reason], int(r.out_of_order == reason))
        yield out
        sessions = CounterMetricFamily(
            "booth_sessions", "Finished candidate sessions, by how they ended.", labels=["status"]
        )
        # Every status from the start (0 until the first), so rate() has a series to work on.
        for status in sorted({*FINAL_STATUSES, *r.sessions}):
            sessions.add_metric([status], r.sessions.get(status, 0))
        yield sessions
        yield CounterMetricFamily(
            "booth_takes_recovered",
            "Takes rebuilt from their raw files after a crash or power cut.",
            value=r.takes_recovered,
        )
        yield CounterMetricFamily(
            "booth_code_lockouts",
            "Pauses of the code screen after too many wrong codes.",
            value=r.code_lockouts,
        )
        if r.queue is not None:
            yield from _queue_families(r.queue)
        blocked = GaugeMetricFamily(
            "booth_upload_blocked",
            "1 while uploads wait, for the reason in the label.",
            labels=["reason"],
        )
        blocked.add_metric([WAITING_FOR_CLOCK], int(r.upload_blocked == WAITING_FOR_CLOCK))
        yield blocked
        if r.clock_synchronized is not None:
            yield GaugeMetricFamily(
                "booth_clock_synchronized",
                "1 once NTP has set the clock (a Pi has no battery clock).",
                value=int(r.clock_synchronized),
            )
        yield GaugeMetricFamily(
            "booth_disk_free_bytes",
            "Free bytes on the spool's file system.",
            value=r.disk_free_bytes,
        )
        if r.session_budget_bytes is not None:
            yield GaugeMetricFamily(
                "booth_session_budget_bytes",
                "The disk one session of the largest installed interview can need; below it "
                "the booth is out of order (disk).",
                value=r.session_budget_bytes,
            )
        if r.throttled is not None:
            throttled = GaugeMetricFamily(
                "booth_throttled",
                "1 while the Pi reports the flag (its rpi_volt sensor for under-voltage, "
                "vcgencmd get_throttled for the others).",
                labels=["flag"],
            )
            for flag, is_set in r.throttled.items():
                throttled.add_metric([flag], int(is_set))
            yield throttled
        if r.under_voltage_events is not None:
            yield CounterMetricFamily(
                "booth_under_voltage_events",
                "Times the supply went under-voltage, seen within a second (a dip between two "
                "scrapes is counted too).",
                value=r.under_voltage_events,
            )
        if r.soc_celsius is not None:
            yield GaugeMetricFamily(
                "booth_soc_temperature_celsius", "The SoC's temperature.", value=r.soc_celsius
            )
        if r.root_read_only is not None:
            yield GaugeMetricFamily(
                "booth_root_read_only",
                "1 when the root file system is the read-only overlay (install.sh "
                "--read-only-root).",
                value=int(r.root_read_only),
            )
        if r.light is not None:
            yield GaugeMetricFamily(
                "booth_light_level",
                "The ring light's output, 0 (off) to 1 (full).",
                value=r.light.output,
            )
            if r.light.missing_light_pct is not None:
                yield GaugeMetricFamily(
                    "booth_light_missing_percent",
                    "How much more light the candidate's face needs than the room and the ring "
                    "at full give (0: the ring covers the room).",
                    value=r.light.missing_light_pct,
                )


def _queue_families(queue: UploadQueue) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "booth_upload_queue_files",
        "Files of finished sessions the server has not confirmed yet.",
        value=queue.files,
    )
    yield GaugeMetricFamily(
        "booth_upload_queue_bytes",
        "Bytes of those files the server has not acknowledged.",
        value=queue.bytes,
    )
    yield GaugeMetricFamily(
        "booth_upload_oldest_pending_seconds",
        "Age of the oldest finished session not wholly confirmed by the server (0: none waits).",
        value=queue.oldest_pending_seconds,
    )
    if queue.last_success is not None:
        yield GaugeMetricFamily(
            "booth_last_upload_success_timestamp_seconds",
            "When the server last confirmed a file (Unix seconds).",
            value=queue.last_success,
        )
    held = GaugeMetricFamily(
        "booth_upload_held_files",
        "Files the sync agent holds back: set-aside (until the next upload window) or damaged "
        "(their bytes differ from the manifest: staff, booth status).",
        labels=["kind"],
    )
    for kind, count in sorted(queue.held.items()):
        held.add_metric([kind], count)
    yield held
    yield GaugeMetricFamily(
        "booth_spool_unreadable_sessions",
        "Session directories whose manifest cannot be read (booth status names them).",
        value=queue.unreadable_sessions,
    )
    yield GaugeMetricFamily(
        "booth_upload_awaiting_receipt_sessions",
        "Sessions the server took whole that its receipt has not proven yet: kept on the booth "
        "(booth status says why).",
        value=queue.awaiting_receipt,
    )
    yield GaugeMetricFamily(
        "booth_upload_oldest_awaiting_receipt_seconds",
        "How long the oldest session waiting for its receipt has waited (0: none waits).",
        value=queue.oldest_awaiting_receipt_seconds,
    )
    yield GaugeMetricFamily(
        "booth_spool_unsealed_sessions",
        "Ended sessions not sealed yet (being sealed, or a seal failed): in clear on the booth, "
        "not uploaded (booth status, booth doctor).",
        value=queue.unsealed_sessions,
    )


def registry_of(reading: Reading) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReadingCollector(reading))
    return registry


def render(reading: Reading) -> str:
    """The reading in Prometheus's text exposition format."""
    return generate_latest(registry_of(reading)).decode("utf-8")


def write_textfile(reading: Reading, directory: Path) -> Path:
    """Write the reading to `directory/booth.prom` atomically; returns the path."""
    path = Path(directory) / TEXTFILE
    registry = registry_of(reading)
    # node_exporter reads it as its own user, and it names no candidate: world-readable, whatever
    # the private umask the booth command runs with (booth.cli.main). write_to_textfile creates
    # the file with the process's umask, and the metrics writer is the process's only thread.
    private = os.umask(0o022)
    try:
        write_to_textfile(str(path), registry)
    finally:
        os.umask(private)
    return path
