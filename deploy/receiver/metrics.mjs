// The receiver's Prometheus metrics (prom-client), served at /metrics. Alert rules: alerts.yml.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  constructor() {
    this.registry = new Registry();
    collectDefaultMetrics({ register: this.registry, prefix: 'receiver_' });
    const registers = [this.registry];
    this.inProgress = new Gauge({ name: 'receiver_uploads_in_progress', help: 'PATCH requests (uploads) being received now', registers });
    this.bytes = new Counter({ name: 'receiver_received_bytes_total', help: 'Bytes of uploads received and stored', labelNames: ['booth'], registers });
    this.verifications = new Counter({ name: 'receiver_verifications_total', help: 'Finished uploads read back from the store and checked against their sha256', labelNames: ['booth', 'result'], registers });
    this.sessions = new Counter({ name: 'receiver_sessions_completed_total', help: 'Sessions whose manifest and every file arrived verified (receipt.json written)', labelNames: ['booth'], registers });
    this.lastUpload = new Gauge({ name: 'receiver_last_upload_timestamp_seconds', help: 'When a booth last uploaded a verified file (Unix seconds)', labelNames: ['booth'], registers });
    this.quarantinedManifests = new Counter({ name: 'receiver_manifests_quarantined_total', help: 'Manifests set aside in quarantine/ because they are not JSON or not shaped like a manifest', labelNames: ['booth'], registers });
    this.erasures = new Counter({ name: 'receiver_erasures_total', help: 'Sessions erased on a booth\'s request (booth takes forget)', labelNames: ['booth'], registers });
    this.contentType = this.registry.contentType;
  }

  patchStarted() { this.inProgress.inc(); }
  patchEnded() { this.inProgress.dec(); }
  received(booth, bytes) { this.bytes.inc({ booth }, bytes); }

  verified(booth, passed) {
    this.verifications.inc({ booth, result: passed ? 'passed' : 'failed' });
    if (passed) this.lastUpload.set({ booth }, Date.now() / 1000);
  }

  sessionCompleted(booth) { this.sessions.inc({ booth }); }
  manifestQuarantined(booth) { this.quarantinedManifests.inc({ booth }); }
  erased(booth) { this.erasures.inc({ booth }); }

  text() { return this.registry.metrics(); }
}
