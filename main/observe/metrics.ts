// Prometheus metrics (docs/protocol.md §8 names), fed by engine events. One registry per host so
// several hosts in one process (tests, chaos replicas) never mix their counters.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, EngineEvent } from '../engine/engine';

export interface HostMetrics {
  registry: Registry;
  walLag: Gauge;
  recoveryTime: Gauge;
}

/** The region a transition advances, as the label of state_advance_latency. */
function regionOf(transition: string): string {
  return (transition.split('_')[0] ?? 'unknown').toLowerCase();
}

export function createMetrics(engine: Engine): HostMetrics {
  const registry = new Registry();
  const transitions = new Counter({
    name: 'swoosh_transition_total',
    help: 'Accepted transitions',
    labelNames: ['transition'],
    registers: [registry],
  });
  const guardFails = new Counter({
    name: 'swoosh_guard_fail_total',
    help: 'Proposals refused or diverted by a guard',
    labelNames: ['guard'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'swoosh_state_advance_latency_seconds',
    help: 'Time from receiving a proposal to its durable acceptance',
    labelNames: ['region'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'swoosh_retry_count',
    help: 'Re-sent proposals (duplicates answered 200, stale hashes answered 409)',
    labelNames: ['transition'],
    registers: [registry],
  });
  const quarantines = new Counter({ name: 'swoosh_quarantine_total', help: 'Transitions into QUARANTINED', registers: [registry] });
  const recoveryTime = new Gauge({
    name: 'swoosh_recovery_time_seconds',
    help: 'Duration of the last start-up recovery',
    registers: [registry],
  });
  const walLag = new Gauge({
    name: 'swoosh_wal_lag_records',
    help: 'Records this node is behind the writer (0 on the writer)',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'swoosh_rejection_total',
    help: 'Rejected proposals by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'swoosh_rejections_dropped_total',
    help: 'Rejections answered but not stored in the rejections log (reason="rate": the peer was past its per-peer rate)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const internal = new Counter({
    name: 'swoosh_internal_errors_total',
    help: 'Proposals the judge failed on (a bug; answered 500 internal, the writer continued)',
    registers: [registry],
  });
  const storeFailures = new Counter({
    name: 'swoosh_store_failures_total',
    help: 'Batches whose SQLite commit failed (disk full, I/O error); their proposals were answered 500',
    registers: [registry],
  });
  const queue = new Gauge({
    name: 'swoosh_queue_depth',
    help: 'Proposals waiting for the writer',
    registers: [registry],
    collect() {
      this.set(engine.queueDepth);
    },
  });
  void queue;
  walLag.set(0);

  engine.subscribe((e: EngineEvent) => {
    if (e.type === 'accepted') {
      transitions.inc({ transition: e.record.transition });
      latency.observe({ region: regionOf(e.record.transition) }, Math.max(0, e.latency_ms) / 1000);
      for (const g of e.record.guard_outcomes) if (!g.ok) guardFails.inc({ guard: g.guard });
      if (!e.state.policy.quarantined) return;
      if (e.branch === 'breach' || e.record.transition === 'Policy_Violation') quarantines.inc();
    } else if (e.type === 'rejected') {
      rejected.inc({ code: e.rejection.code });
      if (!e.stored) dropped.inc({ reason: 'rate' });
      if (e.rejection.guard) guardFails.inc({ guard: e.rejection.guard });
      if (e.rejection.code === 'stale_state_hash' && e.rejection.transition) retries.inc({ transition: e.rejection.transition });
    } else if (e.type === 'duplicate') {
      retries.inc({ transition: e.transition });
    } else if (e.type === 'internal') {
      internal.inc();
    } else if (e.type === 'store_failed') {
      storeFailures.inc();
    }
  });
  return { registry, walLag, recoveryTime };
}
