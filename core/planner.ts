// What a project calls for next, decided once. `nextIntents(state, spec)` lists the
// proposals that could be made in `state`: which transition, what its inputs are made of,
// which roles may sign it, and which BACKBEAT window (if any) its HLC must fall in. It
// decides *what* is next; each caller fills the inputs its own way and signs:
//
//   - the agent runtime (main/facts/runtime.ts) from real facts, one lane per region;
//   - the seeded workload (core/workload/driver.ts: chaos suite, conformance vectors,
//     property tests) from generated data and a seeded PRNG;
//   - the scripted scenario of the test kit (core/testing/scenario.ts).
//
// The list is ordered by precedence, the order a single proposer should prefer: the licence
// at boot or when it lapsed, then a quarantine, a pause, a recovery, and only then progress
// (EXECUTION, or the three PROJECT_LIFECYCLE regions, ingestion first). Intents that only an
// outside fact calls for (a newer licence or policy, an alert, lost council agents, a failed
// install, amber health) come last, marked `due: false`; a generator that invents no facts
// skips them.
//
// Pure: the state, the spec and the wall time the proposal will carry, nothing else.

import { parseHlc } from './hlc';
import type { Spec } from './spec';
import { signersWithRole, type State } from './state';
import type { JsonObject, Role, SignerId } from './types';
import { beatPosition } from './window';

/** Which part of the project an intent moves (the runtime runs one lane per region). */
export type Region = 'license' | 'control' | 'policy' | 'ingestion' | 'council' | 'environment' | 'execution';

export interface NextIntent {
  transition: string;
  region: Region;
  /** Roles the statechart lets sign it, in the statechart's order. */
  roles: readonly Role[];
  /** Input fields the caller supplies (real facts or generated data). */
  needs: readonly string[];
  /** Input fields the state alone fixes: the caller sends them as they are. */
  given: JsonObject;
  /** Window classes of which one must be open at the proposal's HLC; null: not time-gated. */
  window: readonly string[] | null;
  /** True when the state calls for it; false when only an outside fact would. */
  due: boolean;
  /** Execution_Approve only: operators who have not approved in the beat of `now_ms`. */
  approvers?: readonly SignerId[];
}

export interface PlanOptions {
  /** Wall time (ms) the proposal will carry: approvals count per beat. */
  now_ms?: number;
}

type Draft = Omit<NextIntent, 'roles' | 'window'>;

/** The proposals that could be made next in `s`, by precedence (see the head of the file). */
export function nextIntents(s: State, spec: Spec, opts: PlanOptions = {}): NextIntent[] {
  if (s.control.terminated) return [];
  const drafts = [...licenseIntents(s), ...holdIntents(s), ...progressIntents(s, opts), ...factIntents(s)];
  const listed = [...drafts.filter((d) => d.due), ...drafts.filter((d) => !d.due)].map((d) => withSpec(d, spec));
  // Past its grace period the licence admits only what renews it (the reducer's licence gate).
  return s.boot.phase === 'EXPIRED' ? listed.filter((i) => spec.transitions[i.transition]?.license_exempt) : listed;
}

function withSpec(d: Draft, spec: Spec): NextIntent {
  const t = spec.transitions[d.transition];
  if (!t) throw new RangeError(`the planner names ${d.transition}, which the statechart does not have`);
  return { ...d, roles: t.roles, window: t.window };
}

function intent(transition: string, region: Region, needs: readonly string[] = [], given: JsonObject = {}, due = true): Draft {
  return { transition, region, needs, given, due };
}

/** Boot, then keeping a licence in force. */
function licenseIntents(s: State): Draft[] {
  switch (s.boot.phase) {
    case 'UNINITIALIZED':
      return [intent('Boot_ConfigOk', 'license', [], { config_hash: s.meta.genesis_hash })];
    case 'LICENSE_CHECK':
      return [intent('Boot_Licensed', 'license', ['token'])];
    case 'GRACE':
    case 'EXPIRED':
      return [intent('License_Refresh', 'license', ['token'])];
    default:
      return [];
  }
}

/** What holds the project: a quarantine, then a pause, then a recovery. */
function holdIntents(s: State): Draft[] {
  if (s.policy.quarantined) {
    // A release, or a newer policy that no longer denies what was found.
    return [intent('Quarantine_Release', 'policy', ['justification']), intent('Policy_Update', 'policy', ['policy'])];
  }
  if (s.control.paused) return [intent('Control_Resume', 'control', ['reason'])];
  if (s.control.recovery) return [intent('Control_Recover', 'control', ['reason'])];
  return [];
}

/** Forward steps of the flow, only while nothing holds the project and a licence is usable. */
function progressIntents(s: State, opts: PlanOptions): Draft[] {
  if (!moving(s)) return [];
  return s.execution.phase === null ? lifecycleIntents(s) : executionIntents(s, opts);
}

/** Nothing holds the project and its licence is in force (valid or in grace). */
function moving(s: State): boolean {
  if (s.policy.quarantined || s.control.paused || s.control.recovery) return false;
  return s.boot.phase === 'LICENSED' || s.boot.phase === 'GRACE';
}

function lifecycleIntents(s: State): Draft[] {
  const out = [...ingestionStep(s), ...councilStep(s), ...environmentStep(s)];
  if (out.length > 0) return out;
  return [
    intent('Execution_AllReady', 'execution', [], {
      content_hash: s.ingestion.content_hash as string,
      version: s.ingestion.version as string,
      member_set_hash: s.council.member_set_hash as string,
      env_hash: s.environment.env_hash as string,
    }),
  ];
}

function ingestionStep(s: State): Draft[] {
  switch (s.ingestion.phase) {
    case 'DISCOVER':
      return [intent('Ingestion_SourcesResolved', 'ingestion', ['sources'])];
    case 'FETCH':
      return [intent('Ingestion_BytesOk', 'ingestion', ['content_hash'])];
    case 'VALIDATE':
      return [intent('Ingestion_SchemaOk', 'ingestion', ['findings'])];
    case 'INDEX':
      return [intent('Ingestion_CorpusBuilt', 'ingestion', ['content_hash', 'version'])];
    default:
      return [];
  }
}

function councilStep(s: State): Draft[] {
  switch (s.council.phase) {
    case 'PLAN_ROLES':
      return [intent('Council_ProfilesLoaded', 'council', ['roles'])];
    case 'ELECT':
      return [intent('Council_QuorumCert', 'council', ['members', 'member_set_hash', 'votes'])];
    case 'TOOLING_SYNC':
      return [intent('Council_McpGreen', 'council', ['report'])];
    default:
      return [];
  }
}

function environmentStep(s: State): Draft[] {
  switch (s.environment.phase) {
    case 'ALLOCATE':
      return [intent('Environment_CapacityOk', 'environment', ['allocations'])];
    case 'PROVISION':
      return [intent('Environment_Installed', 'environment', ['assets'])];
    case 'HEALTHCHECK':
      return [intent('Environment_Green', 'environment', ['env_hash'])];
    // Amber health: tear down and allocate again.
    case 'DEGRADED':
      return [intent('Environment_Deprovision', 'environment', ['reason'])];
    default:
      return [];
  }
}

function executionIntents(s: State, opts: PlanOptions): Draft[] {
  switch (s.execution.phase) {
    case 'PLAN':
      return [intent('Execution_PlanLocked', 'execution', ['plan_hash'])];
    case 'WORK':
      return [intent('Execution_BeatReviewGate', 'execution')];
    case 'REVIEW':
      return reviewIntents(s, opts);
    case 'REVERB':
      return [intent('Execution_Submit', 'execution', ['artifact_hash']), intent('Execution_NextWindow', 'execution')];
    default:
      return [];
  }
}

/**
 * Approvals count per beat (the beat of `now_ms`, the beat of HEAD's last HLC without it):
 * approve until the threshold is met, then cross into REVERB. Operators who have not
 * approved yet may still add theirs once the threshold is met (not due, though).
 */
function reviewIntents(s: State, opts: PlanOptions): Draft[] {
  const beat = beatPosition(s.execution.backbeat, opts.now_ms ?? lastWall_ms(s)).beat;
  const approved = new Set(s.execution.approvals.filter((a) => a.beat === beat).map((a) => a.signer));
  const approvers = signersWithRole(s, 'operator').filter((o) => !approved.has(o));
  const approve = (due: boolean): Draft => ({ ...intent('Execution_Approve', 'execution', ['note'], {}, due), approvers });
  if (approved.size < s.council.threshold && approvers.length > 0) return [approve(true)];
  const cross = intent('Execution_ApprovalsThreshold', 'execution');
  return approvers.length > 0 ? [cross, approve(false)] : [cross];
}

function lastWall_ms(s: State): number {
  return s.hlc_last === null ? s.execution.backbeat.epoch_ms : (parseHlc(s.hlc_last)?.wall_ms ?? s.execution.backbeat.epoch_ms);
}

/** Proposals only an outside fact calls for; the runtime watches for those facts. */
function factIntents(s: State): Draft[] {
  const out: Draft[] = [];
  if (s.boot.phase === 'LICENSED') out.push(intent('License_Refresh', 'license', ['token'], {}, false));
  if (!s.policy.quarantined && s.boot.phase !== 'UNINITIALIZED' && s.boot.phase !== 'LICENSE_CHECK') {
    out.push(intent('Policy_Update', 'policy', ['policy'], {}, false));
    if (s.execution.phase !== null) out.push(intent('Policy_Violation', 'policy', ['rationale', 'findings'], {}, false));
  }
  if (!moving(s)) return out;
  if (s.execution.phase !== null) out.push(intent('Execution_QuorumLost', 'execution', ['reason'], {}, false));
  if (s.execution.phase === null && s.environment.phase === 'PROVISION')
    out.push(intent('Environment_Deprovision', 'environment', ['reason'], {}, false));
  if (s.execution.phase === null && s.environment.phase === 'HEALTHCHECK')
    out.push(intent('Environment_Amber', 'environment', ['reasons'], {}, false));
  return out;
}
