"""Fleet metrics: what a booth tells Prometheus (node_exporter's textfile collector).

`reading` gathers one `Reading` from the records the booth already keeps (the kiosk's state
record, the spool's manifests, the sync agent's upload store, the disk, the board's sysfs);
`ledger` keeps the counters that must outlive deleted sessions; `exposition` turns a reading
into Prometheus's text format; `writer` rewrites the textfile at least every interval and at
once when something changes (booth-metrics.service, `booth metrics --watch`).
"""
