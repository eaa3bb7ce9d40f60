// openServer: the host, its HTTP API, logging, metrics and tracing, as one handle. Every
// process that runs a writer goes through here: `swoosh serve`/`start`, the Electron
// shell, the soak run, the benchmarks and the tests. Optional parts (the demo, real
// providers, later a cluster) attach to the returned handle and are stopped with it.

import type { Clock } from '../../core/hlc';
import type { Genesis } from '../../core/types';
import { ApiServer } from '../api/server';
import { consoleStatic } from '../api/console-static';
import { Host } from '../host';
import { createLogger, logEngine, type Logger } from '../observe/log';
import { createMetrics, type HostMetrics } from '../observe/metrics';
import { WRITES_CLOSED } from '../engine/engine';
import { traceEngine, type TraceExporterKind } from '../observe/trace';
import { AppError } from './errors';
import { demoRoutes, type DemoPanel } from './simulators-routes';

export interface ServerSettings {
  db: string;
  genesis?: Genesis;
  host: string;
  /** 0 asks the system for a free port; `Running.url` has the one bound. */
  port: number;
  durability: 'FULL' | 'NORMAL';
  snapshot_every?: number;
  trace?: TraceExporterKind;
  check_invariants?: boolean;
  /** Logs at warn and above only (tests, benchmarks, soak). */
  quiet?: boolean;
  /** Where the JSON logs go; default stdout (createLogger). `swoosh start` passes a file logger. */
  log?: Logger;
  /** Extra facts for GET /health; an attachment may replace it (Running.setHealth). */
  health?: HealthSource;
  /** Serve the operator console (dist/console) beside the API. */
  console?: boolean;
  /** A cluster node: writes are refused (503 no_leader) from the first request until attachCluster takes over. */
  writes_closed?: boolean;
  /** Host names besides loopback that requests may name (a cluster node's advertised URL). */
  allowed_hosts?: readonly string[];
  /** The host's physical clock (tests pass a ManualClock); default the system clock. */
  clock?: Clock;
}

export type HealthSource = () => Record<string, unknown>;

/** Something started beside the server and stopped before it. */
export interface Attachment {
  stop(): Promise<void>;
}

export interface Running {
  host: Host;
  api: ApiServer;
  url: string;
  /** The server's registry and logger, for attachments that add metrics or log (main/app/backup.ts). */
  metrics: HostMetrics;
  log: Logger;
  /** Stops the attachments (newest first), then the API, tracing and the host. Once. */
  stop(): Promise<void>;
  /** Registers an attachment to stop before the server; returns it. */
  adopt<T extends Attachment>(attachment: T): T;
  /** Where GET /health's extra facts come from from now on. */
  setHealth(source: HealthSource): void;
  /** The current source of GET /health's extra facts (to extend rather than replace it). */
  healthSource(): HealthSource | undefined;
  /** Facts merged into GET /health beside setHealth's (an attachment's own section, e.g. `backup`). */
  addHealth(source: HealthSource): void;
  /** Where /demo/* is answered from (attachDemo); null: 404 not_demo. */
  setDemoPanel(panel: DemoPanel | null): void;
}

/** Demo + providers + cluster with room to spare; a bound, not a tuning knob. */
export const ATTACHMENTS_MAX = 8;

/** Opens the host and its API and listens; AppError `listen_failed` if the address is unavailable. */
export async function openServer(s: ServerSettings): Promise<Running> {
  const log = s.log ?? createLogger(s.quiet ? 'warn' : undefined);
  const host = Host.open({
    db: s.db,
    genesis: s.genesis,
    durability: s.durability,
    snapshot_every: s.snapshot_every,
    check_invariants: s.check_invariants,
    clock: s.clock,
  });
  const metrics = createMetrics(host.engine);
  metrics.recoveryTime.set(host.recovery.duration_ms / 1000);
  const unlog = logEngine(host.engine, log);
  const tracing = traceEngine(host.engine, s.trace ?? 'none');
  if (s.writes_closed) host.engine.setReplicator(WRITES_CLOSED);
  let health = s.health;
  const extraHealth: HealthSource[] = [];
  const healthOf = () => Object.assign({}, health?.() ?? {}, ...extraHealth.map((h) => h()));
  const api = new ApiServer({
    host,
    metrics,
    health: healthOf,
    fallback: s.console ? consoleStatic() : undefined,
    allowed_hosts: s.allowed_hosts,
  });
  let address: Awaited<ReturnType<ApiServer['listen']>>;
  try {
    address = await api.listen(s.port, s.host);
  } catch (err) {
    unlog();
    await tracing.stop();
    host.close();
    throw new AppError(
      'listen_failed',
      `cannot listen on ${s.host}:${s.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let demoPanel: DemoPanel | null = null;
  api.addFallback(demoRoutes(() => demoPanel));
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  log.info(
    { event: 'listening', url, db: s.db, index: host.head.index, hash: host.head.hash, recovery: host.recovery },
    `swoosh listening on ${url}`,
  );
  const attachments: Attachment[] = [];
  let stopping: Promise<void> | null = null;
  const stopAll = async () => {
    for (const a of attachments.splice(0).reverse()) await a.stop();
    unlog();
    await api.close();
    await tracing.stop();
    host.close();
  };
  return {
    host,
    api,
    url,
    metrics,
    log,
    stop: () => (stopping ??= stopAll()),
    adopt: (attachment) => {
      if (attachments.length >= ATTACHMENTS_MAX)
        throw new AppError('too_many_attachments', `a server takes at most ${ATTACHMENTS_MAX} attachments`);
      attachments.push(attachment);
      return attachment;
    },
    setHealth: (source) => {
      health = source;
    },
    healthSource: () => health,
    addHealth: (source) => {
      if (extraHealth.length >= ATTACHMENTS_MAX)
        throw new AppError('too_many_attachments', `a server takes at most ${ATTACHMENTS_MAX} health sources`);
      extraHealth.push(source);
    },
    setDemoPanel: (panel) => {
      demoPanel = panel;
    },
  };
}
