// Conformance vectors: a scripted project driven through the pure reducer, recorded step
// by step so that other implementations can replay it and compare every outcome and every
// state hash. `generateVectors(spec)` is pure (the test calls it and compares bytes);
// scripts/write-vectors.ts writes genesis.json, keys.json and vectors.json next to it
// (npm run vectors): the file I/O lives there, so core/ stays pure (docs/architecture.md §2).
//
// The format is documented in core/testdata/README.md.

import { bytesToHex } from '@noble/hashes/utils.js';
import { H } from '../hash';
import { parseHlc } from '../hlc';
import type { Head } from '../reduce';
import type { Spec } from '../spec';
import { initialState, type State } from '../state';
import type { NamedKey } from '../fixtures/cast';
import { happyStep, StreamDriver, type Intent } from '../workload/driver';
import { applyFault, type FaultKind } from '../workload/faults';
import type { Genesis, Hash, Json, JsonObject, RecordBody, WalRecord } from '../types';

/** PRNG seed of the script (clock jitter, vote subsets, fault variants left to chance). */
export const VECTOR_SEED = 20260101;
/** PRNG seed of the migration script (a second project, whose genesis declares routes). */
export const MIGRATION_SEED = 20260102;
export const FORMAT = 'swoosh-conformance-vectors/1';

export interface VectorFiles {
  'genesis.json': string;
  'keys.json': string;
  'vectors.json': string;
  /** A project migrating from WHOOSH: its genesis carries `migration.routes` (same keys). */
  'genesis-migration.json': string;
  'vectors-migration.json': string;
}

type VectorExpect =
  | {
      accepted: true;
      index: number;
      state_post_hash: Hash;
      branch?: string;
      guard_outcomes: RecordBody['guard_outcomes'];
      accepted_at_ms: number;
      prev_record_hash: Hash;
      record_hash: Hash;
    }
  | { accepted: false; code: string; guard?: string; reason: string };

interface VectorStep {
  step: number;
  /** What the step exercises (`happy` or a fault name) and the transition it names. */
  note: string;
  proposal: unknown;
  now_ms: number;
  expect: VectorExpect;
  state_hash_after: Hash;
  state_after?: State;
}

/** The full WAL record the host would write, with accepted_at_ms fixed to the HLC wall time. */
export function walRecord(body: RecordBody, index: number, prev_record_hash: Hash): WalRecord {
  const accepted_at_ms = (parseHlc(body.hlc) as { wall_ms: number }).wall_ms;
  const record = { ...body, index, prev_record_hash, accepted_at_ms };
  return { ...record, record_hash: H(record) };
}

/** Runs the script; every step's note is the label passed to the driver. */
function script(d: StreamDriver): void {
  const fault = (kind: FaultKind, variant?: number): void => {
    if (!applyFault(d, kind, variant)) throw new Error(`vector script: fault ${kind} does not apply here`);
  };
  const happy = (): void => happyStep(d);
  const until = (what: string, done: (s: State) => boolean): void => {
    for (let n = 0; !done(d.state); n += 1) {
      if (n > 64) throw new Error(`vector script: never reached ${what}`);
      happy();
    }
  };
  const manual = (note: string, transition: string, inputs: JsonObject, by: NamedKey, expect: Intent['expect'], window?: string): void => {
    const t = d.draft();
    const i: Intent = { transition, inputs, by, at: window === undefined ? t : d.seek(t, window), expect };
    d.submit(note, d.build(i), expect);
  };
  const op = d.cast.operators[0] as NamedKey;

  // BOOT, with the envelope checks in docs/protocol.md §5 order.
  fault('malformed', 0); // null
  fault('malformed', 4); // no signature
  fault('malformed', 12); // __proto__ key
  fault('tamper_signature');
  fault('forged');
  fault('tamper_inputs', 0);
  fault('tamper_inputs', 1);
  fault('tamper_envelope', 0);
  fault('stranger');
  fault('unknown_transition');
  fault('wrong_role');
  fault('stale', 1);
  fault('future');
  fault('guard_fail'); // Boot_ConfigOk with another genesis hash
  happy(); // Boot_ConfigOk
  fault('hlc_regression', 0);
  fault('guard_fail', 1); // Boot_Licensed with a token already in grace
  happy(); // Boot_Licensed

  // PROJECT_LIFECYCLE: a breach quarantines, the operator releases.
  fault('invalid_from');
  until('Ingestion VALIDATE', (s) => s.ingestion.phase === 'VALIDATE');
  fault('breach');
  manual('quarantined', 'Control_Pause', { reason: 'while quarantined' }, op, { accepted: false, codes: ['quarantined'] });
  fault('duplicate');
  manual('release', 'Quarantine_Release', { justification: 'finding was a test fixture' }, op, { accepted: true });

  // Council: failed certificates (too few votes, votes of another epoch), failed MCP report.
  d.focus = 'Council_';
  until('Council ELECT', (s) => s.council.phase === 'ELECT');
  fault('guard_fail', 0);
  fault('guard_fail', 1);
  fault('guard_fail', 2);
  until('Council TOOLING_SYNC', (s) => s.council.phase === 'TOOLING_SYNC');
  fault('guard_fail', 0); // stale MCP report
  fault('guard_fail', 1); // tool at the wrong version

  // Environment: amber, then the compensation back to ALLOCATE.
  d.focus = 'Environment_';
  until('Environment HEALTHCHECK', (s) => s.environment.phase === 'HEALTHCHECK');
  manual('compensation', 'Environment_Amber', { reasons: ['disk 91% full'] }, d.agent, { accepted: true });
  happy(); // Environment_Deprovision (planner: DEGRADED → ALLOCATE)
  d.focus = null;
  fault('reorder');
  until('all READY', (s) => s.ingestion.phase === 'READY' && s.council.phase === 'READY' && s.environment.phase === 'READY');
  manual('compensation', 'Ingestion_RollbackIndex', { reason: 'index built from a stale snapshot' }, op, { accepted: true });
  until('all READY again', (s) => s.ingestion.phase === 'READY');
  fault('guard_fail'); // Execution_AllReady with a wrong pin
  happy(); // Execution_AllReady

  // REVERB loop 1, with window, approval and order faults.
  happy(); // Execution_PlanLocked
  fault('out_of_window', 0);
  fault('out_of_window', 1);
  happy(); // Execution_BeatReviewGate
  fault('guard_fail'); // no approval yet: ApprovalsThreshold too early
  happy(); // Execution_Approve
  fault('guard_fail'); // the same operator approves the same beat again
  until('REVERB', (s) => s.execution.phase === 'REVERB');
  fault('out_of_window', 0);
  manual('happy', 'Execution_Submit', { artifact_hash: H({ label: 'artifact 1' }) }, d.agent, { accepted: true }, 'reverb');
  fault('duplicate');
  fault('hlc_regression', 1); // same (hlc, signer, idem_key) as the last applied proposal
  until('loop 1 done', (s) => s.execution.phase === 'PLAN' && s.execution.loop === 1);

  // Pause: the flow waits for the operator.
  fault('pause');
  manual('paused', 'Execution_PlanLocked', { plan_hash: H({ label: 'while paused' }) }, d.agent, {
    accepted: false,
    codes: ['invalid_from_state'],
  });
  happy(); // Control_Resume

  // REVERB loop 2, plain.
  until('loop 2 done', (s) => s.execution.phase === 'PLAN' && s.execution.loop === 2);

  // Licence and policy.
  fault('license', 2); // into grace: control.mode DEGRADED
  happy(); // License_Refresh (valid)
  fault('policy_update');
  manual('policy_version', 'Policy_Update', { policy: { version: d.state.policy.version, deny: [] } }, op, {
    accepted: false,
    codes: ['guard_failed'],
    guard: 'policy_version',
  });

  // Quorum lost: RECOVERY, the operator recovers, old votes cannot be replayed.
  fault('quorum_loss');
  happy(); // Control_Recover
  fault('guard_fail', 1);
  fault('guard_fail', 3); // forged votes
  happy(); // Council_QuorumCert

  // The end: a violation, the block confirmed, and nothing after.
  fault('breach'); // Policy_Violation
  fault('confirm_block');
  happy();
  manual('terminated', 'License_Refresh', d.licenseInputs(d.now_ms + 1, 'valid'), d.agent, { accepted: false, codes: ['terminated'] });
}

function transitionOf(p: unknown): string {
  const t = p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>).transition : undefined;
  return typeof t === 'string' ? t : '(not a proposal)';
}

/** The vectors document of a run: state 0, every step with its outcome, the final heads. */
function vectorsOf(spec: Spec, d: StreamDriver, genesis: Genesis, initial: Head): Json {
  const steps: VectorStep[] = [];
  let index = 0;
  let prev_record_hash = initial.hash;
  for (const [n, e] of d.entries.entries()) {
    const r = e.result;
    const ok = e.expect.accepted
      ? r.ok && (e.expect.branch === undefined || e.expect.branch === r.branch)
      : !r.ok && e.expect.codes.includes(r.rejection.code) && (e.expect.guard === undefined || e.expect.guard === r.rejection.guard);
    if (!ok)
      throw new Error(
        `vector script: step ${n + 1} (${e.label}) did not do what it was built for: ${JSON.stringify(r.ok ? r.branch : r.rejection)}`,
      );
    const after = d.heads[n + 1] as { state: State; hash: Hash };
    let expect: VectorExpect;
    if (r.ok) {
      index += 1;
      const rec = walRecord(r.body, index, prev_record_hash);
      prev_record_hash = rec.record_hash;
      expect = {
        accepted: true,
        index,
        state_post_hash: r.hash,
        ...(r.branch !== null ? { branch: r.branch } : {}),
        guard_outcomes: r.body.guard_outcomes,
        accepted_at_ms: rec.accepted_at_ms,
        prev_record_hash: rec.prev_record_hash,
        record_hash: rec.record_hash,
      };
    } else {
      expect = {
        accepted: false,
        code: r.rejection.code,
        ...(r.rejection.guard !== undefined ? { guard: r.rejection.guard } : {}),
        reason: r.rejection.reason,
      };
    }
    steps.push({
      step: n + 1,
      note: `${e.label} ${transitionOf(e.proposal)}`.trimEnd(),
      proposal: e.proposal,
      now_ms: e.now_ms as number,
      expect,
      state_hash_after: after.hash,
      ...(r.ok ? { state_after: after.state } : {}),
    });
  }

  const final = d.head;
  return {
    format: FORMAT,
    about: 'SWOOSH conformance vectors (test data only; keys in keys.json are public test keys). See README.md.',
    spec_hash: spec.hash,
    genesis_hash: H(genesis),
    state0_hash: initial.hash,
    state0: initial.state,
    steps,
    final: { index, state_hash: final.hash, record_hash: prev_record_hash },
  } as unknown as Json;
}

export function generateVectors(spec: Spec): VectorFiles {
  const d = new StreamDriver(spec, VECTOR_SEED);
  script(d);
  const vectors = vectorsOf(spec, d, d.genesis, d.initial);
  const migration = migrationRun(spec);

  const roles = new Map(d.genesis.signers.map((s) => [s.signer, s.roles as string[]]));
  const c = d.cast;
  const keyEntry = (k: NamedKey, role: string[]): Json => ({
    name: k.name,
    roles: role,
    signer: k.signer,
    secret_key_hex: bytesToHex(k.secret),
  });
  const keys = {
    WARNING: 'TEST-ONLY KEYS. Published on purpose so that anyone can re-sign the vectors. Never use them for anything real.',
    derivation:
      'secret_key = sha256(UTF-8 "swoosh-test-key\\n" + name), an RFC 8032 Ed25519 seed; signer = "hmmm:ed25519:" + b64u(public key)',
    keys: [
      ...[...c.operators, ...c.agents, ...c.council].map((k) => keyEntry(k, roles.get(k.signer) ?? [])),
      keyEntry(c.kaching, ['kaching (genesis.kaching.signer)']),
      keyEntry(c.mcp, ['mcp (genesis.mcp.signer)']),
      keyEntry(c.stranger, ['none (not in the genesis)']),
    ],
  };

  return {
    'genesis.json': `${JSON.stringify(d.genesis, null, 2)}\n`,
    'keys.json': `${JSON.stringify(keys, null, 2)}\n`,
    'vectors.json': `${JSON.stringify(vectors)}\n`,
    'genesis-migration.json': `${JSON.stringify(migration.genesis, null, 2)}\n`,
    'vectors-migration.json': `${JSON.stringify(migration.vectors)}\n`,
  };
}

/**
 * The migration script: a project that starts with every region on WHOOSH ("legacy")
 * and moves them to SWOOSH through shadow, region by region, with the order rule, the
 * bypass and the role, input and state checks around it.
 */
function migrationRun(spec: Spec): { genesis: Genesis; vectors: Json } {
  const d = new StreamDriver(spec, MIGRATION_SEED);
  const genesis: Genesis = { ...d.genesis, migration: { routes: { council: 'legacy', ingestion: 'legacy', execution: 'legacy' } } };
  const state = initialState(genesis, spec.hash);
  const initial: Head = { state, hash: H(state) };
  // The driver started from the genesis without routes; HEAD 0 becomes this project's.
  d.head = initial;
  d.heads[0] = initial;
  migrationScript(d, genesis);
  return { genesis, vectors: vectorsOf(spec, d, genesis, initial) };
}

function migrationScript(d: StreamDriver, genesis: Genesis): void {
  const op = d.cast.operators[0] as NamedKey;
  const send = (note: string, transition: string, inputs: JsonObject, by: NamedKey, expect: Intent['expect']): void => {
    d.submit(note, d.build({ transition, inputs, by, at: d.draft(), expect }), expect);
  };
  const ok: Intent['expect'] = { accepted: true };
  const order: Intent['expect'] = { accepted: false, codes: ['guard_failed'], guard: 'migration_order' };
  const bypassRule: Intent['expect'] = { accepted: false, codes: ['guard_failed'], guard: 'migration_bypass' };
  const route = (note: string, region: string, mode: string, expect: Intent['expect'], by = op): void =>
    send(note, 'Migration_Route', { region, mode, justification: `${region} to ${mode}: shadow comparisons clean` }, by, expect);

  // BOOT: routes move before the licence (migration is licence-exempt).
  route('skip_step', 'council', 'swoosh', order);
  route('route', 'council', 'shadow', ok);
  send('happy', 'Boot_ConfigOk', { config_hash: H(genesis) }, op, ok);
  happyStep(d); // Boot_Licensed

  // The order rule: council first, then ingestion, then execution; and back in reverse.
  route('route', 'ingestion', 'shadow', ok);
  route('order', 'ingestion', 'swoosh', order);
  route('route', 'council', 'swoosh', ok);
  route('route', 'ingestion', 'swoosh', ok);
  route('order_back', 'council', 'shadow', order);
  route('same_mode', 'ingestion', 'swoosh', order);
  route('wrong_role', 'execution', 'shadow', { accepted: false, codes: ['role_denied'] }, d.agent);
  send('blank_justification', 'Migration_Route', { region: 'execution', mode: 'shadow', justification: ' ' }, op, {
    accepted: false,
    codes: ['malformed'],
  });

  // Emergency bypass while PAUSED; routes still move while bypassed.
  send('restore_unbypassed', 'Migration_Restore', { justification: 'nothing to restore' }, op, bypassRule);
  send('happy', 'Control_Pause', { reason: 'incident 7: divergence storm' }, op, ok);
  send('bypass', 'Migration_Bypass', { reason: 'incident 7: serve everything from WHOOSH' }, op, ok);
  send('bypass_twice', 'Migration_Bypass', { reason: 'again' }, op, bypassRule);
  route('route', 'execution', 'shadow', ok);

  // While QUARANTINED too; then the last region reaches SWOOSH.
  send(
    'happy',
    'Policy_Violation',
    { rationale: 'SHHH flagged a secret', findings: [{ kind: 'secret', path: 'cfg/.env', detail: 'key' }] },
    d.agent,
    ok,
  );
  send('restore', 'Migration_Restore', { justification: 'incident 7 closed' }, op, ok);
  send('happy', 'Quarantine_Release', { justification: 'fixture, not a secret' }, op, ok);
  send('happy', 'Control_Resume', { reason: 'incident 7 closed' }, op, ok);
  route('route', 'execution', 'swoosh', ok);
  route('route', 'execution', 'shadow', ok);

  // TERMINATED accepts nothing, migration included.
  send('happy', 'Policy_Violation', { rationale: 'confirmed leak', findings: [] }, d.agent, ok);
  send('happy', 'Quarantine_ConfirmBlock', { justification: 'leak confirmed' }, op, ok);
  send('terminated', 'Migration_Bypass', { reason: 'too late' }, op, { accepted: false, codes: ['terminated'] });
}
