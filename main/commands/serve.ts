// swoosh serve.

import type { Genesis } from '../../core/types';
import { ApiServer } from '../api/server';
import { consoleStatic } from '../api/console-static';
import { Host } from '../host';
import { createLogger, logEngine } from '../observe/log';
import { createMetrics } from '../observe/metrics';
import { traceEngine, type TraceExporterKind } from '../observe/trace';
import { parse, readJsonFile, UsageError } from '../cli';
import { demoCast, demoGenesis, writeDemoOperatorKey } from '../demo';
import { dirname, resolve } from 'node:path';
import { startDemo, type Demo } from '../sim/demo';
import { systemClock } from '../host';
import { AgentRuntime } from '../facts/runtime';
import { anyProviderFlag, ConfigError, describeConfig, neededEntries, providersConfig, runtimeOptions, type ProviderFlags, type ProvidersConfig } from '../facts/config';
import { processPassphraseSource, unlockVault } from '../keys/unlock';
import { VaultError, type Vault } from '../keys/vault';

export interface Running {
  host: Host;
  api: ApiServer;
  url: string;
  stop: () => Promise<void>;
}

export interface ServeSettings {
  db: string;
  genesis?: Genesis;
  host: string;
  port: number;
  durability: 'FULL' | 'NORMAL';
  snapshot_every?: number;
  trace?: TraceExporterKind;
  check_invariants?: boolean;
  quiet?: boolean;
  /** Extra facts for GET /health (the demo's provider breakers). */
  health?: () => Record<string, unknown>;
  /** Serve the operator console (dist/console) beside the API. */
  console?: boolean;
}

/** Opens the host and its API; used by the CLI, the tests and the Electron shell. */
export async function startServer(s: ServeSettings): Promise<Running> {
  const log = createLogger(s.quiet ? 'warn' : undefined);
  const host = Host.open({ db: s.db, genesis: s.genesis, durability: s.durability, snapshot_every: s.snapshot_every, check_invariants: s.check_invariants });
  const metrics = createMetrics(host.engine);
  metrics.recoveryTime.set(host.recovery.duration_ms / 1000);
  const unlog = logEngine(host.engine, log);
  const tracing = traceEngine(host.engine, s.trace ?? 'none');
  const api = new ApiServer({ host, metrics, health: s.health, fallback: s.console ? consoleStatic() : undefined });
  let address;
  try {
    address = await api.listen(s.port, s.host);
  } catch (err) {
    host.close();
    throw new UsageError(`cannot listen on ${s.host}:${s.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ event: 'listening', url, db: s.db, index: host.head.index, hash: host.head.hash, recovery: host.recovery }, `swoosh listening on ${url}`);
  return {
    host, api, url,
    stop: async () => {
      unlog();
      await api.close();
      await tracing.stop();
      host.close();
    },
  };
}

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
  'check-invariants': { type: 'boolean', default: false },
  // --sim only: the demo project's beat period, whether op-1 is left to the human at the
  // console, and when the operator bot releases a quarantine on its own (0 = never).
  'beat-ms': { type: 'string', default: '60000' },
  'human-operator': { type: 'boolean', default: false },
  'auto-release-s': { type: 'string', default: '0' },
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
} as const;

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${raw}`);
  return n;
}

export function portOf(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${raw}`);
  return port;
}

type ServeValues = ReturnType<typeof parse<typeof SERVE_OPTIONS>>;

function providerFlags(v: ServeValues): ProviderFlags {
  return {
    kaching: v.kaching, backbeat: v.backbeat, mcp: v.mcp, shhh: v.shhh, slurp: v.slurp, provisioner: v.provisioner,
    council: v.council, agent_key: v['agent-key'], operator_keys: v['operator-key'],
  };
}

/** The real-provider configuration, or null when serve runs without providers (or with --sim). */
function realProviders(v: ServeValues): ProvidersConfig | null {
  const flags = providerFlags(v);
  const real = v.providers !== undefined || anyProviderFlag(flags);
  if (!real) {
    if (v.vault !== undefined && !v.sim) throw new UsageError('--vault is for real providers: add --providers FILE or the service URL flags (--kaching URL, …)');
    if (v['agent-key'] !== undefined || v['operator-key'] !== undefined) throw new UsageError('--agent-key and --operator-key are for real providers (--providers FILE or --kaching URL, …)');
    return null;
  }
  if (v.sim) throw new UsageError('--sim runs simulators with demo keys; it cannot be combined with --providers or a service URL flag');
  if (!v.vault) throw new UsageError('real providers need --vault FILE: the agent and operator keys and the credentials come from it (swoosh vault init)');
  try {
    return providersConfig(v.providers ? readJsonFile(v.providers, 'providers file') : null, flags, v.providers ?? 'providers');
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** Unlocks the vault and checks every entry the config names, before the database opens. */
async function unlockFor(path: string, config: ProvidersConfig): Promise<Vault> {
  const vault = await unlockVault(path, processPassphraseSource());
  try {
    const need = neededEntries(config);
    for (const name of need.keys) vault.signerId(name);
    for (const name of need.credentials) vault.credential(name);
  } catch (err) {
    vault.lock();
    throw err;
  }
  return vault;
}

export async function serveCommand(args: string[]): Promise<number> {
  const v = parse(args, SERVE_OPTIONS);
  try {
    return await serveWith(v);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    process.stderr.write(`swoosh serve: ${err.message}\n`);
    return 1;
  }
}

async function serveWith(v: ServeValues): Promise<number> {
  if (!v.db) throw new UsageError('--db PATH is required');
  if (v.durability !== 'FULL' && v.durability !== 'NORMAL') throw new UsageError('--durability is FULL or NORMAL');
  if (!['none', 'console', 'memory'].includes(v.trace)) throw new UsageError('--trace is none, console or memory');
  const snapshot_every = v['snapshot-every'] === undefined ? undefined : positiveInt(v['snapshot-every'], '--snapshot-every');
  const period_ms = positiveInt(v['beat-ms'], '--beat-ms');
  const auto_release_s = Number(v['auto-release-s']);
  if (!Number.isInteger(auto_release_s) || auto_release_s < 0) throw new UsageError('--auto-release-s must be a non-negative integer');
  const genesis = v.genesis ? (readJsonFile(v.genesis, 'genesis') as Genesis) : v.sim ? demoGenesis({ period_ms }) : undefined;
  const real = realProviders(v);
  const vault = real && v.vault ? await unlockFor(v.vault, real) : null;
  const withDemo = v.sim ? demoHealth({ human_operator: v['human-operator'], auto_release_after_ms: auto_release_s > 0 ? auto_release_s * 1000 : null }) : null;
  let runtime: AgentRuntime | null = null;
  let running: Running;
  try {
    running = await startServer({
      db: v.db, genesis, host: v.host, port: portOf(v.port), durability: v.durability, snapshot_every,
      trace: v.trace as TraceExporterKind, check_invariants: v['check-invariants'], console: v.console,
      health: withDemo?.health ?? (real ? () => (runtime ? providersHealth(runtime) : {}) : undefined),
    });
    if (real && vault) runtime = attachRuntime(running, new AgentRuntime(runtimeOptions(real, vault, running.url, systemClock)));
  } finally {
    // The signers and request headers hold what they need; the vault's own copies go now.
    vault?.lock();
  }
  if (real) printProviders(real);
  if (withDemo) {
    await withDemo.attach(running);
    const key = writeDemoOperatorKey(dirname(resolve(v.db)));
    process.stdout.write(`swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
    printSimulators(withDemo.simulators());
  }
  process.stdout.write(`swoosh: serving ${v.db} on ${running.url} (index ${running.host.head.index})\n`);
  return untilSignal(running);
}

function attachRuntime(r: Running, runtime: AgentRuntime): AgentRuntime {
  runtime.start();
  const stop = r.stop;
  r.stop = async () => {
    await runtime.stop();
    await stop();
  };
  return runtime;
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

export interface SimulatorUrls {
  [name: string]: { url: string; knobs: string; stats: string };
}

/** One line per simulator with its knobs URL, then the same as one JSON line for scripts. */
export function printSimulators(sims: SimulatorUrls): void {
  for (const [name, s] of Object.entries(sims)) process.stdout.write(`swoosh: simulator ${name} ${s.url} knobs ${s.knobs}\n`);
  process.stdout.write(`${JSON.stringify({ event: 'simulators', simulators: sims })}\n`);
}

/** /health's view of a runtime: `blocked` past grace, `degraded` in grace or with a breaker not closed. */
export function providersHealth(runtime: AgentRuntime): Record<string, unknown> {
  const h = runtime.health();
  const open = Object.values(h.breakers).some((b) => b.state !== 'closed');
  const status = h.license.status === 'expired' ? 'blocked' : open || h.license.status === 'grace' ? 'degraded' : 'ok';
  return { status, providers: h };
}

/**
 * The simulated project beside a running host: created before the server (so /health can
 * report its breakers) and attached once the server's URL is known.
 */
export interface DemoSettings {
  /** op-1 is the human at the console: the bot neither approves nor releases with it. */
  human_operator?: boolean;
  auto_release_after_ms?: number | null;
}

export function demoHealth(d: DemoSettings = {}): { health: () => Record<string, unknown>; attach(r: Running): Promise<Demo>; simulators(): SimulatorUrls } {
  let demo: Demo | null = null;
  const simulators = (): SimulatorUrls => Object.fromEntries(Object.entries(demo?.sims ?? {}).map(([name, sim]) => [name, { url: sim.url, knobs: `${sim.url}/_knobs`, stats: `${sim.url}/_stats` }]));
  return {
    simulators,
    health: () => (demo ? { ...providersHealth(demo.runtime), simulators: simulators() } : {}),
    attach: async (r) => {
      demo = await startDemo({
        swoosh: r.url, cast: demoCast(), genesis: r.host.genesis, clock: systemClock,
        human_operator: d.human_operator ?? false, auto_release_after_ms: d.auto_release_after_ms ?? null,
      });
      const stop = r.stop;
      r.stop = async () => {
        await demo?.stop();
        await stop();
      };
      return demo;
    },
  };
}
