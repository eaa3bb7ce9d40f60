// What each accepted transition does to the state document. Effects run only after every
// check and guard has passed, never fail, and replace just the regions they change
// (structural sharing keeps unchanged regions identical, which the epoch rule relies on).
// Bookkeeping common to all transitions (hlc_last, order key, epochs, control.mode) is
// the reducer's, not the effects'.

import { H } from './hash';
import { compareUtf8 } from './canonical';
import { breaches, describeBreach } from './guards/policy';
import type { GuardOutcome, Json, LicenseToken, McpReport, MigrationRegion, PolicyFinding, RouteMode, SignerId } from './types';
import type { BootPhase, CouncilState, State } from './state';

export interface EffectContext {
  inputs: Record<string, unknown>;
  signer: SignerId;
  wall_ms: number;
  beat: number;
  window_id: string | null;
  /** Branch chosen by a guard (licence status, policy breach), if any. */
  branch: string | null;
  guard_outcomes: readonly GuardOutcome[];
}

export interface EffectResult {
  state: State;
  branch: string | null;
}

type Effect = (s: State, ctx: EffectContext) => EffectResult;

const same = (state: State, ctx: EffectContext): EffectResult => ({ state, branch: ctx.branch });
const str = (x: unknown): string => x as string;
const sorted = (xs: readonly string[]): string[] => [...xs].sort(compareUtf8);

function withLicense(s: State, token: LicenseToken, phase: BootPhase): State {
  const license = {
    licensee: token.licensee,
    issued_ms: token.issued_ms,
    expires_ms: token.expires_ms,
    grace_ms: token.grace_ms,
    token_hash: H(token),
  };
  return { ...s, boot: { ...s.boot, phase, license } };
}

/** The council as it is when (re-)entering ELECT: no members, no certificate. */
function councilToElect(c: CouncilState, reason: string | null, eject: readonly SignerId[]): CouncilState {
  const ejected = sorted([...new Set([...c.ejected, ...eject])]);
  return { ...c, phase: 'ELECT', members: [], member_set_hash: null, quorum_cert: null, tooling: null, ejected, last_reason: reason };
}

function quarantine(s: State, rationale: string[], findings: PolicyFinding[]): State {
  return { ...s, policy: { ...s.policy, quarantined: true, rationale, findings, quarantines: s.policy.quarantines + 1 } };
}

const LICENSE_PHASE: Record<string, BootPhase> = { valid: 'LICENSED', grace: 'GRACE', expired: 'EXPIRED' };

export const EFFECTS: Readonly<Record<string, Effect>> = {
  Boot_ConfigOk: (s, c) => same({ ...s, boot: { ...s.boot, phase: 'LICENSE_CHECK', config_hash: str(c.inputs.config_hash) } }, c),
  Boot_Licensed: (s, c) => same(withLicense(s, c.inputs.token as LicenseToken, 'LICENSED'), c),
  License_Refresh: (s, c) => same(withLicense(s, c.inputs.token as LicenseToken, LICENSE_PHASE[c.branch ?? 'valid'] ?? 'LICENSED'), c),

  Ingestion_SourcesResolved: (s, c) =>
    same({ ...s, ingestion: { ...s.ingestion, phase: 'FETCH', sources: [...(c.inputs.sources as string[])] } }, c),
  Ingestion_BytesOk: (s, c) =>
    same({ ...s, ingestion: { ...s.ingestion, phase: 'VALIDATE', fetched_hash: str(c.inputs.content_hash) } }, c),
  Ingestion_SchemaOk: (s, c) => {
    const findings = c.inputs.findings as PolicyFinding[];
    if (c.branch === 'breach') {
      const rationale = c.guard_outcomes.find((g) => g.guard === 'policy')?.reasons ?? [];
      const next = quarantine(s, [...rationale], breaches(findings, s.policy.deny));
      return { state: { ...next, ingestion: { ...s.ingestion, findings: [...findings] } }, branch: 'breach' };
    }
    return { state: { ...s, ingestion: { ...s.ingestion, phase: 'INDEX', findings: [...findings] } }, branch: 'clean' };
  },
  Ingestion_CorpusBuilt: (s, c) =>
    same(
      { ...s, ingestion: { ...s.ingestion, phase: 'READY', content_hash: str(c.inputs.content_hash), version: str(c.inputs.version) } },
      c,
    ),
  Ingestion_RollbackIndex: (s, c) =>
    same(
      {
        ...s,
        ingestion: {
          ...s.ingestion,
          phase: 'VALIDATE',
          content_hash: null,
          version: null,
          rollbacks: s.ingestion.rollbacks + 1,
          last_reason: str(c.inputs.reason),
        },
      },
      c,
    ),

  Council_ProfilesLoaded: (s, c) => same({ ...s, council: { ...s.council, phase: 'ELECT', roles: [...(c.inputs.roles as string[])] } }, c),
  Council_QuorumCert: (s, c) => {
    const members = sorted(c.inputs.members as SignerId[]);
    const votes = c.inputs.votes as Array<{ voter: SignerId }>;
    const voters = sorted([...new Set(votes.map((v) => v.voter))].filter((v) => members.includes(v)));
    const member_set_hash = str(c.inputs.member_set_hash);
    const quorum_cert = { member_set_hash, council_epoch: s.epoch.council, voters };
    return same({ ...s, council: { ...s.council, phase: 'TOOLING_SYNC', members, member_set_hash, quorum_cert } }, c);
  },
  Council_McpGreen: (s, c) => {
    const report = c.inputs.report as McpReport;
    const tooling = { registry: report.registry, observed_ms: report.observed_ms, report_hash: H(report) };
    return same({ ...s, council: { ...s.council, phase: 'READY', tooling } }, c);
  },
  Council_ReElect: (s, c) => same({ ...s, council: councilToElect(s.council, str(c.inputs.reason), c.inputs.eject as SignerId[]) }, c),

  Environment_CapacityOk: (s, c) =>
    same({ ...s, environment: { ...s.environment, phase: 'PROVISION', allocations: [...(c.inputs.allocations as Json[])] } }, c),
  Environment_Installed: (s, c) =>
    same({ ...s, environment: { ...s.environment, phase: 'HEALTHCHECK', assets: [...(c.inputs.assets as Json[])] } }, c),
  Environment_Green: (s, c) =>
    same({ ...s, environment: { ...s.environment, phase: 'READY', env_hash: str(c.inputs.env_hash), health_reasons: [] } }, c),
  Environment_Amber: (s, c) =>
    same(
      { ...s, environment: { ...s.environment, phase: 'DEGRADED', env_hash: null, health_reasons: [...(c.inputs.reasons as string[])] } },
      c,
    ),
  Environment_Deprovision: (s, c) =>
    same(
      {
        ...s,
        environment: {
          ...s.environment,
          phase: 'ALLOCATE',
          allocations: [],
          assets: [],
          env_hash: null,
          health_reasons: [],
          deprovisions: s.environment.deprovisions + 1,
          last_reason: str(c.inputs.reason),
        },
      },
      c,
    ),

  Execution_AllReady: (s, c) => {
    const pins = {
      content_hash: str(c.inputs.content_hash),
      version: str(c.inputs.version),
      member_set_hash: str(c.inputs.member_set_hash),
      env_hash: str(c.inputs.env_hash),
    };
    return same({ ...s, execution: { ...s.execution, phase: 'PLAN', pins, plan_hash: null, approvals: [] } }, c);
  },
  Execution_PlanLocked: (s, c) => same({ ...s, execution: { ...s.execution, phase: 'WORK', plan_hash: str(c.inputs.plan_hash) } }, c),
  Execution_BeatReviewGate: (s, c) =>
    same({ ...s, execution: { ...s.execution, phase: 'REVIEW', beat: c.beat, window_id: c.window_id } }, c),
  Execution_Approve: (s, c) => {
    const approvals = [...s.execution.approvals.filter((a) => a.beat === c.beat), { signer: c.signer, beat: c.beat }];
    return same({ ...s, execution: { ...s.execution, approvals, beat: c.beat, window_id: c.window_id } }, c);
  },
  Execution_ApprovalsThreshold: (s, c) =>
    same({ ...s, execution: { ...s.execution, phase: 'REVERB', beat: c.beat, window_id: c.window_id } }, c),
  Execution_Submit: (s, c) =>
    same(
      {
        ...s,
        execution: {
          ...s.execution,
          submissions: s.execution.submissions + 1,
          last_artifact_hash: str(c.inputs.artifact_hash),
          beat: c.beat,
          window_id: c.window_id,
        },
      },
      c,
    ),
  Execution_NextWindow: (s, c) =>
    same(
      {
        ...s,
        execution: {
          ...s.execution,
          phase: 'PLAN',
          loop: s.execution.loop + 1,
          plan_hash: null,
          approvals: [],
          beat: c.beat,
          window_id: c.window_id,
        },
      },
      c,
    ),
  Execution_QuorumLost: (s, c) =>
    same(
      {
        ...s,
        execution: { ...s.execution, phase: null, pins: null, plan_hash: null, approvals: [], last_reason: str(c.inputs.reason) },
        control: { ...s.control, recovery: true, last_reason: str(c.inputs.reason) },
      },
      c,
    ),

  Control_Pause: (s, c) => same({ ...s, control: { ...s.control, paused: true, last_reason: str(c.inputs.reason) } }, c),
  Control_Resume: (s, c) => same({ ...s, control: { ...s.control, paused: false, last_reason: str(c.inputs.reason) } }, c),
  Control_Recover: (s, c) =>
    same(
      {
        ...s,
        council: councilToElect(s.council, str(c.inputs.reason), []),
        control: { ...s.control, recovery: false, last_reason: str(c.inputs.reason) },
      },
      c,
    ),

  Policy_Violation: (s, c) => same(quarantine(s, [str(c.inputs.rationale)], [...(c.inputs.findings as PolicyFinding[])]), c),
  Policy_Update: (s, c) => {
    const next = c.inputs.policy as { version: number; deny: string[] };
    const policy = { ...s.policy, version: next.version, deny: [...next.deny] };
    if (!s.policy.quarantined) return { state: { ...s, policy }, branch: 'keep' };
    const still = breaches(s.policy.findings, next.deny);
    // Only a quarantine whose findings breach the policy in force can be lifted by a
    // policy that no longer denies them ("no longer breach", docs/protocol.md §6). A bare
    // Policy_Violation (no findings), or one whose findings were never denied by policy,
    // has nothing to re-judge: only an operator's release lifts it.
    const breachedBefore = breaches(s.policy.findings, s.policy.deny).length > 0;
    if (breachedBefore && still.length === 0) {
      return { state: { ...s, policy: { ...policy, quarantined: false, rationale: [], findings: [] } }, branch: 'lift' };
    }
    const rationale = still.length > 0 ? still.map((f) => describeBreach(f, next.version)) : s.policy.rationale;
    return { state: { ...s, policy: { ...policy, rationale } }, branch: 'keep' };
  },
  Quarantine_Release: (s, c) =>
    same(
      { ...s, policy: { ...s.policy, quarantined: false, rationale: [], findings: [], last_justification: str(c.inputs.justification) } },
      c,
    ),
  Quarantine_ConfirmBlock: (s, c) =>
    same(
      {
        ...s,
        policy: { ...s.policy, last_justification: str(c.inputs.justification) },
        control: { ...s.control, terminated: true, last_reason: str(c.inputs.justification) },
      },
      c,
    ),

  // Migration: the guards have checked the step and the bypass flag, so each of these
  // changes the migration region (and so advances epoch.migration exactly once).
  Migration_Route: (s, c) => {
    const routes = { ...s.migration.routes, [str(c.inputs.region) as MigrationRegion]: str(c.inputs.mode) as RouteMode };
    return same({ ...s, migration: { ...s.migration, routes, last_justification: str(c.inputs.justification) } }, c);
  },
  Migration_Bypass: (s, c) => same({ ...s, migration: { ...s.migration, bypass: true, bypass_reason: str(c.inputs.reason) } }, c),
  Migration_Restore: (s, c) =>
    same({ ...s, migration: { ...s.migration, bypass: false, bypass_reason: null, last_justification: str(c.inputs.justification) } }, c),
};
