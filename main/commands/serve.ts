// swoosh serve: parses flags into main/app/ calls — openServer, then attachDemo (--sim)
// or attachProviders (--providers / service URL flags) — and prints what it started.

import type { Genesis } from '../../core/types';
import { dirname, join, resolve } from 'node:path';
import type { TraceExporterKind } from '../observe/trace';
import { demoGenesis, writeDemoOperatorKey } from '../demo';
import { systemClock } from '../host';
import { anyProviderFlag, ConfigError, describeConfig, providersConfig, type ProviderFlags, type ProvidersConfig } from '../facts/config';
import { processPassphraseSource } from '../keys/unlock';
import { attachDemo, type SimulatorUrls } from '../app/demo';
import { attachMigrationDemo, DEMO_KNOBS_PATH, MIGRATION_DEMO_LANES_OFF, migrationDemoGenesis } from '../app/migration-demo';
import { attachProviders, openProvidersVault } from '../app/providers';
import { attachShimProxy } from '../app/shim-proxy';
import { openServer, type Running } from '../app/server';
import { attachCluster } from '../app/cluster';
import { clusterSettings, type ClusterFlagSettings } from '../cluster/flags';
import { attachBackups, BACKUP_KEEP_MAX, durationMs, type BackupSettings } from '../app/backup';
import { nonNegativeInt, parse, portOf, positiveInt, readJsonFile, UsageError } from './args';

const SERVE_OPTIONS = {
  db: { type: 'string' },
  genesis: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '7420' },
  console: { type: 'boolean', default: false },
  sim: { type: 'boolean', default: false },
  durability: { type: 'string', default: 'FULL' },
  // No default here: the host's DEFAULT_SNAPSHOT_EVERY (250) applies.
  'snapshot-every': { type: 'string' },
  trace: { type: 'string', default: 'none' },
  // Invariants are checked after every accepted transition by default (≈ 46 µs each, measured);
  // --check-invariants is kept for old scripts, --no-invariants turns the checks off.
  'check-invariants': { type: 'boolean', default: false },
  'no-invariants': { type: 'boolean', default: false },
  // --sim only: the demo project's beat period, whether op-1 is left to the human at the
  // console, and when the operator bot releases a quarantine on its own (0 = never).
  'beat-ms': { type: 'string', default: '60000' },
  'human-operator': { type: 'boolean', default: false },
  'auto-release-s': { type: 'string', default: '0' },
  // Scheduled, verified backups inside the writer (main/app/backup.ts).
  'backup-dir': { type: 'string' },
  'backup-every': { type: 'string' },
  'backup-keep': { type: 'string' },
  // --sim only: also the legacy WHOOSH simulator and the migration shim, on a genesis whose
  // council is shadowed (main/app/migration-demo.ts). --shim URL: a shim of your own whose
  // divergences the console's Migration view reads through this host.
  'sim-migration': { type: 'boolean', default: false },
  shim: { type: 'string' },
  // Real CHORUS services instead of simulators (docs/providers.md): a JSON file and/or one
  // URL per service (flags win), keys and credentials from the age vault.
  vault: { type: 'string' },
  providers: { type: 'string' },
  kaching: { type: 'string' },
  backbeat: { type: 'string' },
  mcp: { type: 'string' },
  shhh: { type: 'string' },
  slurp: { type: 'string' },
  provisioner: { type: 'string' },
  council: { type: 'string' },
  'agent-key': { type: 'string' },
  'operator-key': { type: 'string', multiple: true },
  // A node of a cluster on etcd (docs/cluster.md).
  etcd: { type: 'string' },
  'node-id': { type: 'string' },
  advertise: { type: 'string' },
  'lease-ms': { type: 'string' },
  'keep-records': { type: 'string' },
} as const;

const SERVE_USAGE = `usage: swoosh serve --db PATH [--genesis FILE] [--host 127.0.0.1] [--port 7420] [--console] [--durability FULL|NORMAL]
                    [--snapshot-every K] [--trace none|console|memory] [--no-invariants] [--check-invariants]
  demo:  --sim [--beat-ms 60000] [--human-operator] [--auto-release-s 0] [--sim-migration] [--shim URL]
  backups: --backup-dir DIR --backup-every 15m|6h|1d [--backup-keep 24]   (verified; on /health and /metrics)
  cluster: --etcd URL[,URL…] --node-id ID [--advertise URL] [--lease-ms 3000]   (docs/cluster.md)
           [--keep-records 10000]   (records kept in etcd behind the newest snapshot, see --snapshot-every)
  real providers: --vault FILE [--providers FILE] [--kaching URL] [--backbeat URL] [--mcp URL] [--shhh URL]
         [--slurp URL] [--provisioner URL] [--council URL,URL,…] [--agent-key NAME] [--operator-key NAME]…
`;

type ServeValues = ReturnType<typeof parse<typeof SERVE_OPTIONS>>;

/** Resolves when SIGINT or SIGTERM has stopped `running`; the exit code is 0. */
export function untilSignal(running: Running): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.stop().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function providerFlags(v: ServeValues): ProviderFlags {
  return {
    kaching: v.kaching,
    backbeat: v.backbeat,
    mcp: v.mcp,
    shhh: v.shhh,
    slurp: v.slurp,
    provisioner: v.provisioner,
    council: v.council,
    agent_key: v['agent-key'],
    operator_keys: v['operator-key'],
  };
}

/** The real-provider configuration, or null when serve runs without providers (or with --sim). */
function realProviders(v: ServeValues): ProvidersConfig | null {
  const flags = providerFlags(v);
  const real = v.providers !== undefined || anyProviderFlag(flags);
  if (!real) {
    if (v.vault !== undefined && !v.sim)
      throw new UsageError('--vault is for real providers: add --providers FILE or the service URL flags (--kaching URL, …)');
    if (v['agent-key'] !== undefined || v['operator-key'] !== undefined)
      throw new UsageError('--agent-key and --operator-key are for real providers (--providers FILE or --kaching URL, …)');
    return null;
  }
  if (v.sim) throw new UsageError('--sim runs simulators with demo keys; it cannot be combined with --providers or a service URL flag');
  if (!v.vault)
    throw new UsageError(
      'real providers need --vault FILE: the agent and operator keys and the credentials come from it (swoosh vault init)',
    );
  try {
    return providersConfig(v.providers ? readJsonFile(v.providers, 'providers file') : null, flags, v.providers ?? 'providers');
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

interface ServePlan {
  db: string;
  genesis: Genesis | undefined;
  snapshot_every: number | undefined;
  period_ms: number;
  auto_release_after_ms: number | null;
  real: ProvidersConfig | null;
  cluster: ClusterFlagSettings | undefined;
  backups: BackupSettings | null;
  shim_url: string | null;
}

/** A day of hourly backups, or six hours of 15-minute ones. */
const BACKUP_KEEP_DEFAULT = 24;

/** --backup-dir and --backup-every go together; --backup-keep (default 24) bounds the files kept. */
function backupsOf(v: ServeValues): BackupSettings | null {
  if (v['backup-dir'] === undefined && v['backup-every'] === undefined && v['backup-keep'] === undefined) return null;
  if (!v['backup-dir'] || !v['backup-every']) throw new UsageError('--backup-dir DIR and --backup-every DURATION go together');
  const every_ms = durationMs(v['backup-every']);
  if (every_ms === null || every_ms < 1000)
    throw new UsageError(`--backup-every is a duration of at least 1s (30s, 15m, 6h, 1d), got ${v['backup-every']}`);
  const keep = v['backup-keep'] === undefined ? BACKUP_KEEP_DEFAULT : positiveInt(v['backup-keep'], '--backup-keep');
  if (keep > BACKUP_KEEP_MAX) throw new UsageError(`--backup-keep must be at most ${BACKUP_KEEP_MAX}`);
  return { dir: v['backup-dir'], every_ms, keep };
}

/** Every flag checked before anything opens. */
function planOf(v: ServeValues): ServePlan {
  if (!v.db) throw new UsageError('--db PATH is required');
  if (v.durability !== 'FULL' && v.durability !== 'NORMAL') throw new UsageError('--durability is FULL or NORMAL');
  if (!['none', 'console', 'memory'].includes(v.trace)) throw new UsageError('--trace is none, console or memory');
  const snapshot_every = v['snapshot-every'] === undefined ? undefined : positiveInt(v['snapshot-every'], '--snapshot-every');
  const period_ms = positiveInt(v['beat-ms'], '--beat-ms');
  const auto_release_s = nonNegativeInt(v['auto-release-s'], '--auto-release-s');
  if (v['sim-migration'] && !v.sim) throw new UsageError('--sim-migration adds WHOOSH and the shim to the demo: it needs --sim');
  if (v['sim-migration'] && v.shim !== undefined) throw new UsageError('--sim-migration starts its own shim: drop --shim URL');
  const demo = v['sim-migration'] ? migrationDemoGenesis({ period_ms }) : demoGenesis({ period_ms });
  const genesis = v.genesis ? (readJsonFile(v.genesis, 'genesis') as Genesis) : v.sim ? demo : undefined;
  return {
    db: v.db,
    genesis,
    snapshot_every,
    period_ms,
    auto_release_after_ms: auto_release_s > 0 ? auto_release_s * 1000 : null,
    real: realProviders(v),
    cluster: clusterSettings({
      etcd: v.etcd,
      node_id: v['node-id'],
      advertise: v.advertise,
      lease_ms: v['lease-ms'],
      keep_records: v['keep-records'],
    }),
    shim_url: v.shim === undefined ? null : shimUrlOf(v.shim),
    backups: backupsOf(v),
  };
}

function shimUrlOf(raw: string): string {
  let u: URL | null = null;
  try {
    u = new URL(raw);
  } catch {
    u = null;
  }
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new UsageError(`--shim must be an http(s) URL, got ${raw}`);
  return raw.replace(/\/+$/, '');
}

export async function serveCommand(args: string[]): Promise<number> {
  const v = parse(args, SERVE_OPTIONS, SERVE_USAGE);
  const plan = planOf(v);
  const vault = plan.real && v.vault ? await openProvidersVault(v.vault, plan.real, processPassphraseSource()) : null;
  let running: Running;
  try {
    running = await openServer({
      db: plan.db,
      genesis: plan.genesis,
      host: v.host,
      port: portOf(v.port),
      durability: v.durability as 'FULL' | 'NORMAL',
      snapshot_every: plan.snapshot_every,
      trace: v.trace as TraceExporterKind,
      check_invariants: !v['no-invariants'],
      console: v.console,
      writes_closed: plan.cluster !== undefined,
      allowed_hosts: plan.cluster?.allowed_hosts,
    });
    const real = plan.real;
    if (real && vault) await orStop(running, () => attachProviders(running, real, vault, systemClock));
    const backups = plan.backups;
    if (backups) await orStop(running, () => attachBackups(running, backups));
  } finally {
    // The signers and request headers hold what they need; the vault's own copies go now.
    vault?.lock();
  }
  if (plan.real) printProviders(plan.real);
  if (v.sim)
    await orStop(running, () =>
      startSim(running, plan.db, {
        human_operator: v['human-operator'],
        auto_release_after_ms: plan.auto_release_after_ms,
        // WHOOSH's callers form the council in the migration demo; the bots leave it to them.
        lanes_off: v['sim-migration'] ? MIGRATION_DEMO_LANES_OFF : [],
      }),
    );
  const cluster = plan.cluster;
  if (cluster) await orStop(running, () => attachCluster(running, cluster));
  if (v['sim-migration']) await orStop(running, () => startMigrationSim(running, plan.db));
  if (plan.shim_url !== null) {
    attachShimProxy(running, plan.shim_url);
    process.stdout.write(`swoosh: migration shim ${plan.shim_url} (console: GET /migration/*)\n`);
  }
  process.stdout.write(`swoosh: serving ${plan.db} on ${running.url} (index ${running.host.head.index})\n`);
  return untilSignal(running);
}

/** Runs an attachment; if it fails, the server stops before the error goes on (no half-started process). */
async function orStop<T>(running: Running, attach: () => T | Promise<T>): Promise<T> {
  try {
    return await attach();
  } catch (err) {
    await running.stop();
    throw err;
  }
}

async function startSim(
  running: Running,
  db: string,
  d: { human_operator: boolean; auto_release_after_ms: number | null; lanes_off: readonly 'council'[] },
): Promise<void> {
  const demo = await attachDemo(running, d);
  const key = writeDemoOperatorKey(dirname(resolve(db)));
  process.stdout.write(`swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
  printSimulators(demo.simulators());
}

async function startMigrationSim(running: Running, db: string): Promise<void> {
  const m = await attachMigrationDemo(running, { shim_db: join(dirname(resolve(db)), 'swoosh-shim.db') });
  const u = m.urls();
  process.stdout.write(`swoosh: simulator whoosh ${u.whoosh} knobs ${u.whoosh_knobs}\n`);
  process.stdout.write(`swoosh: migration shim ${u.shim} (legacy ${u.whoosh}; console: GET /migration/*)\n`);
  process.stdout.write(
    `swoosh: make WHOOSH split-brain: curl -X POST ${running.url}${DEMO_KNOBS_PATH} -d '{"split_brain_council":true}'\n`,
  );
}

/** One line per provider (URL and credential name, never its value), then one JSON line. */
function printProviders(c: ProvidersConfig): void {
  const d = describeConfig(c);
  for (const [name, spec] of Object.entries(d)) {
    if (name === 'agent_key' || name === 'operator_keys') continue;
    const specs = Array.isArray(spec) ? spec.map((x, i) => [`${name}-${i + 1}`, x] as const) : [[name, spec] as const];
    for (const [label, x] of specs) {
      const s = x as { url: string; credential?: string } | null;
      process.stdout.write(`swoosh: provider ${label} ${s ? `${s.url}${s.credential ? ` (credential ${s.credential})` : ''}` : 'off'}\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ event: 'providers', ...d })}\n`);
}

/** One line per simulator with its knobs URL, then the same as one JSON line for scripts. */
export function printSimulators(sims: SimulatorUrls): void {
  for (const [name, s] of Object.entries(sims)) process.stdout.write(`swoosh: simulator ${name} ${s.url} knobs ${s.knobs}\n`);
  process.stdout.write(`${JSON.stringify({ event: 'simulators', simulators: sims })}\n`);
}
