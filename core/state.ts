// The canonical state document (docs/protocol.md §7), its initial value from genesis, the
// statechart configuration it stands for, and projections.
//
// The document stays bounded whatever the length of history (hashing cost must not grow
// with it): lists hold the current values only (sources, members, this beat's approvals,
// the latest findings); counts and last hashes stand for anything that accumulates.

import { H } from './hash';
import type { Genesis, GenesisSigner, Hash, Json, MigrationRegion, MigrationRoutes, PolicyFinding, RouteMode, SignerId } from './types';

export type BootPhase = 'UNINITIALIZED' | 'LICENSE_CHECK' | 'LICENSED' | 'GRACE' | 'EXPIRED';
export type IngestionPhase = 'DISCOVER' | 'FETCH' | 'VALIDATE' | 'INDEX' | 'READY';
export type CouncilPhase = 'PLAN_ROLES' | 'ELECT' | 'TOOLING_SYNC' | 'READY';
export type EnvironmentPhase = 'ALLOCATE' | 'PROVISION' | 'HEALTHCHECK' | 'READY' | 'DEGRADED';
export type ExecutionPhase = 'PLAN' | 'WORK' | 'REVIEW' | 'REVERB';
export type ControlMode = null | 'PAUSED' | 'RECOVERY' | 'DEGRADED';

export const REGION_KEYS = ['boot', 'ingestion', 'council', 'environment', 'execution', 'control', 'policy', 'migration'] as const;
export type RegionKey = (typeof REGION_KEYS)[number];

export function isRegionKey(key: string): key is RegionKey {
  return (REGION_KEYS as readonly string[]).includes(key);
}

export interface LicenseState {
  licensee: string;
  issued_ms: number;
  expires_ms: number;
  grace_ms: number;
  token_hash: Hash;
}

export interface BootState {
  phase: BootPhase;
  /** H(genesis), confirmed by Boot_ConfigOk. */
  config_hash: Hash | null;
  identities: GenesisSigner[];
  kaching_signer: SignerId;
  license: LicenseState | null;
}

export interface IngestionState {
  phase: IngestionPhase;
  sources: string[];
  /** Bytes fetched (Ingestion_BytesOk). */
  fetched_hash: Hash | null;
  /** Findings of the last validation (bounded by the input size limit). */
  findings: PolicyFinding[];
  /** Pinned by Ingestion_CorpusBuilt: the corpus EXECUTION runs against. */
  content_hash: Hash | null;
  version: string | null;
  rollbacks: number;
  last_reason: string | null;
}

export interface QuorumCert {
  member_set_hash: Hash;
  council_epoch: number;
  voters: SignerId[];
}

export interface CouncilState {
  phase: CouncilPhase;
  roles: string[];
  members: SignerId[];
  member_set_hash: Hash | null;
  quorum_cert: QuorumCert | null;
  threshold: number;
  ejected: SignerId[];
  mcp: { signer: SignerId; max_age_ms: number; pins: Record<string, string> };
  tooling: { registry: string; observed_ms: number; report_hash: Hash } | null;
  last_reason: string | null;
}

export interface EnvironmentState {
  phase: EnvironmentPhase;
  allocations: Json[];
  assets: Json[];
  env_hash: Hash | null;
  health_reasons: string[];
  deprovisions: number;
  last_reason: string | null;
}

export interface Approval {
  signer: SignerId;
  beat: number;
}

export interface ExecutionState {
  phase: ExecutionPhase | null;
  backbeat: Genesis['backbeat'];
  /** Pins checked by Execution_AllReady; fixed for the whole EXECUTION stay. */
  pins: { content_hash: Hash; version: string; member_set_hash: Hash; env_hash: Hash } | null;
  plan_hash: Hash | null;
  /** Completed REVERB loops (Execution_NextWindow). */
  loop: number;
  /** Beat index and window of the last gated transition. */
  beat: number | null;
  window_id: string | null;
  approvals: Approval[];
  submissions: number;
  last_artifact_hash: Hash | null;
  last_reason: string | null;
}

export interface ControlState {
  mode: ControlMode;
  paused: boolean;
  recovery: boolean;
  terminated: boolean;
  last_reason: string | null;
}

export interface PolicyState {
  version: number;
  deny: string[];
  quarantined: boolean;
  rationale: string[];
  /** Findings that caused the quarantine (re-judged by Policy_Update). */
  findings: PolicyFinding[];
  quarantines: number;
  last_justification: string | null;
}

/**
 * Routing of a migration from WHOOSH (statechart/README.md, "Migration from WHOOSH").
 * Always present: a project born on SWOOSH has every route "swoosh" and no bypass
 * (docs/decisions/0101-migration-state-always-present.md).
 */
export interface MigrationState {
  routes: MigrationRoutes;
  /** Emergency rollback: while true every region is served as "legacy", whatever its route. */
  bypass: boolean;
  bypass_reason: string | null;
  /** Justification of the last Migration_Route or Migration_Restore. */
  last_justification: string | null;
}

/** Regions in the order they must reach "swoosh": a region is "swoosh" only when all before it are. */
export const MIGRATION_ORDER: readonly MigrationRegion[] = ['council', 'ingestion', 'execution'];
/** Route modes in migration order; a route moves one step along it at a time. */
export const ROUTE_MODES: readonly RouteMode[] = ['legacy', 'shadow', 'swoosh'];
export const BORN_ON_SWOOSH: Readonly<MigrationRoutes> = { council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' };

/** How a region is served right now: its route, or "legacy" for every region while bypassed. */
export function effectiveRoute(m: MigrationState, region: MigrationRegion): RouteMode {
  return m.bypass ? 'legacy' : m.routes[region];
}

/**
 * The order rule over a whole set of routes: the "swoosh" regions are a prefix of
 * MIGRATION_ORDER. Returns what breaks it, or null. Genesis validation, the
 * migration_order guard and the invariants share it.
 */
export function routeOrderProblem(routes: MigrationRoutes): string | null {
  for (let i = 1; i < MIGRATION_ORDER.length; i += 1) {
    const region = MIGRATION_ORDER[i] as MigrationRegion;
    if (routes[region] !== 'swoosh') continue;
    const behind = MIGRATION_ORDER.slice(0, i).filter((r) => routes[r] !== 'swoosh');
    if (behind.length > 0) {
      return `${region} is "swoosh" while ${behind.map((r) => `${r} is "${routes[r]}"`).join(' and ')}; regions reach "swoosh" in the order ${MIGRATION_ORDER.join(' → ')}`;
    }
  }
  return null;
}

export type Epochs = Record<RegionKey, number>;

export interface State {
  meta: {
    machine: string;
    spec_hash: Hash;
    genesis_hash: Hash;
    project: string;
    max_drift_ms: number;
    /** With hlc_last: the (hlc, signer, idem_key) order key of the last applied proposal. */
    last_signer: SignerId | null;
    last_idem_key: string | null;
  };
  boot: BootState;
  ingestion: IngestionState;
  council: CouncilState;
  environment: EnvironmentState;
  execution: ExecutionState;
  control: ControlState;
  policy: PolicyState;
  migration: MigrationState;
  epoch: Epochs;
  hlc_last: string | null;
}

/** State 0 (`BOOT.UNINITIALIZED`): a pure function of the genesis and the machine. */
export function initialState(genesis: Genesis, specHash: Hash): State {
  return {
    meta: {
      machine: 'swoosh',
      spec_hash: specHash,
      genesis_hash: H(genesis),
      project: genesis.project,
      max_drift_ms: genesis.max_drift_ms,
      last_signer: null,
      last_idem_key: null,
    },
    boot: {
      phase: 'UNINITIALIZED',
      config_hash: null,
      identities: genesis.signers.map((s) => ({ id: s.id, signer: s.signer, roles: [...s.roles] })),
      kaching_signer: genesis.kaching.signer,
      license: null,
    },
    ingestion: {
      phase: 'DISCOVER',
      sources: [],
      fetched_hash: null,
      findings: [],
      content_hash: null,
      version: null,
      rollbacks: 0,
      last_reason: null,
    },
    council: {
      phase: 'PLAN_ROLES',
      roles: [],
      members: [],
      member_set_hash: null,
      quorum_cert: null,
      threshold: genesis.quorum.threshold,
      ejected: [],
      mcp: { signer: genesis.mcp.signer, max_age_ms: genesis.mcp.max_age_ms, pins: { ...genesis.mcp.pins } },
      tooling: null,
      last_reason: null,
    },
    environment: {
      phase: 'ALLOCATE',
      allocations: [],
      assets: [],
      env_hash: null,
      health_reasons: [],
      deprovisions: 0,
      last_reason: null,
    },
    execution: {
      phase: null,
      backbeat: {
        epoch_ms: genesis.backbeat.epoch_ms,
        period_ms: genesis.backbeat.period_ms,
        windows: Object.fromEntries(Object.entries(genesis.backbeat.windows).map(([k, v]) => [k, [v[0], v[1]]])),
      },
      pins: null,
      plan_hash: null,
      loop: 0,
      beat: null,
      window_id: null,
      approvals: [],
      submissions: 0,
      last_artifact_hash: null,
      last_reason: null,
    },
    control: { mode: null, paused: false, recovery: false, terminated: false, last_reason: null },
    policy: {
      version: genesis.policy.version,
      deny: [...genesis.policy.deny],
      quarantined: false,
      rationale: [],
      findings: [],
      quarantines: 0,
      last_justification: null,
    },
    migration: {
      routes: { ...(genesis.migration?.routes ?? BORN_ON_SWOOSH) },
      bypass: false,
      bypass_reason: null,
      last_justification: null,
    },
    epoch: { boot: 0, ingestion: 0, council: 0, environment: 0, execution: 0, control: 0, policy: 0, migration: 0 },
    hlc_last: null,
  };
}

/** control.mode is derived: PAUSED over RECOVERY over DEGRADED (licence in grace or expired). */
export function deriveMode(s: Pick<State, 'control' | 'boot'>): ControlMode {
  if (s.control.paused) return 'PAUSED';
  if (s.control.recovery) return 'RECOVERY';
  if (s.boot.phase === 'GRACE' || s.boot.phase === 'EXPIRED') return 'DEGRADED';
  return null;
}

/**
 * The active atomic states of the statechart that this document stands for, one or more
 * per root region (FLOW, CONTROL, POLICY, LICENSE), sorted. The model-check test holds
 * this against the xstate machine generated from the same YAML.
 */
export function activeLeaves(s: State): string[] {
  const leaves = [...flowLeaves(s)];
  leaves.push(s.control.paused ? 'CONTROL.PAUSED' : 'CONTROL.RUNNING');
  leaves.push(s.policy.quarantined ? 'POLICY.QUARANTINED' : 'POLICY.CLEAR');
  leaves.push(`LICENSE.${licenseLeaf(s.boot.phase)}`);
  return leaves.sort();
}

function flowLeaves(s: State): string[] {
  if (s.control.terminated) return ['FLOW.TERMINATED'];
  if (s.boot.phase === 'UNINITIALIZED' || s.boot.phase === 'LICENSE_CHECK') return [`FLOW.BOOT.${s.boot.phase}`];
  if (s.control.recovery) return ['FLOW.RECOVERY'];
  if (s.execution.phase !== null) return [`FLOW.EXECUTION.${s.execution.phase}`];
  return [
    `FLOW.PROJECT_LIFECYCLE.Ingestion.${s.ingestion.phase}`,
    `FLOW.PROJECT_LIFECYCLE.Council.${s.council.phase}`,
    `FLOW.PROJECT_LIFECYCLE.Environment.${s.environment.phase}`,
  ];
}

function licenseLeaf(phase: BootPhase): string {
  if (phase === 'UNINITIALIZED' || phase === 'LICENSE_CHECK') return 'UNLICENSED';
  return phase;
}

/** Region projection names accepted by GET /state?projection= (case-insensitive). */
export function projectState(
  s: State,
  names: readonly string[],
): { ok: true; projection: Record<string, Json> } | { ok: false; unknown: string } {
  const projection: Record<string, Json> = {};
  for (const raw of names) {
    const key = raw.trim().toLowerCase();
    if (!(REGION_KEYS as readonly string[]).includes(key)) return { ok: false, unknown: raw };
    projection[key] = s[key as RegionKey] as unknown as Json;
  }
  return { ok: true, projection };
}

/** Signers of the genesis holding `role`, sorted byte-wise. */
export function signersWithRole(s: State, role: string): SignerId[] {
  return s.boot.identities
    .filter((i) => i.roles.includes(role as never))
    .map((i) => i.signer)
    .sort();
}
