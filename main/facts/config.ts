// Where the providers of `swoosh serve` point when they talk to the real CHORUS services:
// a JSON file (`--providers FILE`) and/or one flag per service (`--kaching URL`, …, flags
// win). Secrets are never in this file: it names vault entries (`credential`, the agent
// and operator keys) and the vault holds them (docs/providers.md).

import type { Clock } from '../../core/hlc';
import type { Signer } from '../../core/crypto';
import type { Vault } from '../keys/vault';
import type { ClientTuning } from './http';
import type { RuntimeOptions, ServiceTuning, ServiceUrls } from './runtime';

export const SINGLE_SERVICES = ['kaching', 'backbeat', 'mcp', 'slurp', 'shhh', 'provisioner'] as const;
export type SingleService = (typeof SINGLE_SERVICES)[number];

export interface ServiceSpec {
  url: string;
  /** Name of a vault credential sent as `authorization: Bearer <value>`. */
  credential?: string;
  timeout_ms?: number;
}

export interface ProvidersConfig {
  kaching: ServiceSpec;
  /** null: no BACKBEAT service (amplitude 0). */
  backbeat: ServiceSpec | null;
  mcp: ServiceSpec;
  slurp: ServiceSpec;
  shhh: ServiceSpec;
  provisioner: ServiceSpec;
  council: ServiceSpec[];
  /** Vault key the runtime proposes with as agent (ingestion, council, environment, execution). */
  agent_key: string;
  /** Vault keys of bot operators (boot, Policy_Update, recovery); may be empty. */
  operator_keys: string[];
  auto_approve: boolean;
  auto_release_s: number;
  watch_quorum: boolean;
}

/** A precise reason naming the field at fault (`providers.json: council[1].url: …`). */
export class ConfigError extends Error {
  readonly code = 'bad_providers_config';
}

const TOP_FIELDS = new Set([...SINGLE_SERVICES, 'council', 'agent_key', 'operator_keys', 'auto_approve', 'auto_release_s', 'watch_quorum']);
const SPEC_FIELDS = new Set(['url', 'credential', 'timeout_ms']);
const COUNCIL_MAX = 64;

/** Flags of `swoosh serve` that override the file (undefined: not given). */
export interface ProviderFlags {
  kaching?: string;
  backbeat?: string;
  mcp?: string;
  slurp?: string;
  shhh?: string;
  provisioner?: string;
  /** Comma-separated URLs. */
  council?: string;
  agent_key?: string;
  operator_keys?: string[];
}

export function anyProviderFlag(f: ProviderFlags): boolean {
  return [...SINGLE_SERVICES, 'council'].some((k) => f[k as keyof ProviderFlags] !== undefined);
}

/** Merges the file (already parsed JSON, or null) and the flags, and checks the result. */
export function providersConfig(file: unknown, flags: ProviderFlags, where = 'providers'): ProvidersConfig {
  const doc = file === null ? {} : file;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`${where}: expected a JSON object`);
  const raw = { ...(doc as Record<string, unknown>) };
  for (const key of Object.keys(raw))
    if (!TOP_FIELDS.has(key)) throw new ConfigError(`${where}: unknown field ${key} (known: ${[...TOP_FIELDS].join(', ')})`);
  for (const s of SINGLE_SERVICES) if (flags[s] !== undefined) raw[s] = overrideUrl(raw[s], flags[s] as string);
  if (flags.council !== undefined)
    raw.council = flags.council
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
  if (flags.agent_key !== undefined) raw.agent_key = flags.agent_key;
  if (flags.operator_keys !== undefined && flags.operator_keys.length > 0) raw.operator_keys = flags.operator_keys;
  const spec = (s: SingleService) => serviceSpec(raw[s], `${where}: ${s}`);
  const council = raw.council;
  if (!Array.isArray(council) || council.length === 0)
    throw new ConfigError(`${where}: council needs at least one agent URL (--council URL,URL,…)`);
  if (council.length > COUNCIL_MAX) throw new ConfigError(`${where}: council has ${council.length} agents, at most ${COUNCIL_MAX}`);
  return {
    kaching: spec('kaching'),
    backbeat: raw.backbeat === undefined || raw.backbeat === null ? null : spec('backbeat'),
    mcp: spec('mcp'),
    slurp: spec('slurp'),
    shhh: spec('shhh'),
    provisioner: spec('provisioner'),
    council: council.map((c, i) => serviceSpec(c, `${where}: council[${i}]`)),
    agent_key: vaultName(raw.agent_key ?? 'agent', `${where}: agent_key`),
    operator_keys: stringList(raw.operator_keys ?? [], `${where}: operator_keys`).map((n, i) =>
      vaultName(n, `${where}: operator_keys[${i}]`),
    ),
    auto_approve: bool(raw.auto_approve ?? false, `${where}: auto_approve`),
    auto_release_s: nonNegativeInt(raw.auto_release_s ?? 0, `${where}: auto_release_s`),
    watch_quorum: bool(raw.watch_quorum ?? true, `${where}: watch_quorum`),
  };
}

/** A flag replaces the URL and keeps the file's credential and timeout for that service. */
function overrideUrl(current: unknown, url: string): unknown {
  if (typeof current === 'object' && current !== null && !Array.isArray(current)) return { ...current, url };
  return url;
}

function serviceSpec(v: unknown, where: string): ServiceSpec {
  if (v === undefined || v === null) throw new ConfigError(`${where}: missing (give a URL in the file or as a flag)`);
  if (typeof v === 'string') return { url: serviceUrl(v, where) };
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${where}: expected a URL or {url, credential?, timeout_ms?}`);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!SPEC_FIELDS.has(key)) throw new ConfigError(`${where}: unknown field ${key} (known: url, credential, timeout_ms)`);
  const out: ServiceSpec = { url: serviceUrl(o.url, `${where}.url`) };
  if (o.credential !== undefined) out.credential = vaultName(o.credential, `${where}.credential`);
  if (o.timeout_ms !== undefined) {
    const t = o.timeout_ms;
    if (!Number.isInteger(t) || (t as number) < 1 || (t as number) > 60_000)
      throw new ConfigError(`${where}.timeout_ms: an integer 1..60000, got ${JSON.stringify(t)}`);
    out.timeout_ms = t as number;
  }
  return out;
}

function serviceUrl(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${where}: expected a URL string`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${where}: not a URL: ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${where}: only http and https URLs, got ${u.protocol}`);
  // A password in a URL ends up in logs and process lists; the vault is where it belongs.
  if (u.username !== '' || u.password !== '')
    throw new ConfigError(`${where}: a URL must not carry credentials; put them in the vault and name them with "credential"`);
  return v.replace(/\/+$/, '');
}

function vaultName(v: unknown, where: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/.test(v))
    throw new ConfigError(`${where}: expected a vault entry name, got ${JSON.stringify(v)}`);
  return v;
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ConfigError(`${where}: expected an array of strings`);
  return v as string[];
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegativeInt(v: unknown, where: string): number {
  if (!Number.isInteger(v) || (v as number) < 0)
    throw new ConfigError(`${where}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Every vault entry the config needs, so a missing one is named before anything starts. */
export function neededEntries(c: ProvidersConfig): { keys: string[]; credentials: string[] } {
  const specs = [c.kaching, c.backbeat, c.mcp, c.slurp, c.shhh, c.provisioner, ...c.council].filter((s): s is ServiceSpec => s !== null);
  const credentials = [...new Set(specs.flatMap((s) => (s.credential ? [s.credential] : [])))];
  return { keys: [...new Set([c.agent_key, ...c.operator_keys])], credentials };
}

function tuningOf(s: ServiceSpec | null, vault: Vault): ClientTuning | undefined {
  if (!s) return undefined;
  const t: ClientTuning = {};
  if (s.timeout_ms !== undefined) t.timeout_ms = s.timeout_ms;
  if (s.credential !== undefined) t.headers = { authorization: `Bearer ${vault.credential(s.credential)}` };
  return t;
}

/** The runtime's options: URLs from the config, keys and credentials from the vault. */
export function runtimeOptions(c: ProvidersConfig, vault: Vault, swoosh: string, clock: Clock): RuntimeOptions {
  for (const name of neededEntries(c).keys) vault.signerId(name); // a missing or wrong-kind entry fails here, by name
  const services: ServiceUrls = {
    kaching: c.kaching.url,
    backbeat: c.backbeat?.url ?? null,
    mcp: c.mcp.url,
    slurp: c.slurp.url,
    shhh: c.shhh.url,
    provisioner: c.provisioner.url,
    council: c.council.map((s) => s.url),
  };
  const tuning: ServiceTuning = {
    kaching: tuningOf(c.kaching, vault),
    backbeat: tuningOf(c.backbeat, vault),
    mcp: tuningOf(c.mcp, vault),
    slurp: tuningOf(c.slurp, vault),
    shhh: tuningOf(c.shhh, vault),
    provisioner: tuningOf(c.provisioner, vault),
    council: c.council.map((s) => tuningOf(s, vault) ?? {}),
  };
  const agent: Signer = vault.signer(c.agent_key);
  return {
    swoosh,
    services,
    tuning,
    clock,
    agent,
    operators: c.operator_keys.map((n) => vault.signer(n)),
    auto_approve: c.auto_approve,
    auto_release_after_ms: c.auto_release_s > 0 ? c.auto_release_s * 1000 : null,
    watch_quorum: c.watch_quorum,
  };
}

/** What serve prints at start: where each provider points (URLs and credential names only). */
export function describeConfig(c: ProvidersConfig): Record<string, unknown> {
  const one = (s: ServiceSpec | null) => (s ? { url: s.url, ...(s.credential ? { credential: s.credential } : {}) } : null);
  return {
    kaching: one(c.kaching),
    backbeat: one(c.backbeat),
    mcp: one(c.mcp),
    slurp: one(c.slurp),
    shhh: one(c.shhh),
    provisioner: one(c.provisioner),
    council: c.council.map(one),
    agent_key: c.agent_key,
    operator_keys: c.operator_keys,
  };
}
