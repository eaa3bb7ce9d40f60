// Replays the conformance vectors through `reduce` and checks every expectation, every
// state hash and every WAL record hash; re-checks signatures, inputs hashes and record
// hashes with node:crypto as an independent implementation of the README's recipes; and
// regenerates the files to show they are exactly what generate.ts produces today.
// If this fails after an intended change to the reducer, the statechart or the state
// document, run `npm run vectors` and review the diff: other implementations test
// against these files.

import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { b64uDecode } from '../b64u';
import { canonicalize } from '../canonical';
import { nobleSigner, nobleVerifier } from '../crypto';
import { H } from '../hash';
import { reduce, type Head } from '../reduce';
import { initialState, type State } from '../state';
import { testKey } from '../testing/kit';
import type { Genesis, GuardOutcome, Proposal } from '../types';
import { loadMachine } from '../../main/machine';
import { FORMAT, generateVectors, type VectorFiles } from './generate';

const spec = loadMachine();
const read = (name: keyof VectorFiles): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

interface Step {
  step: number;
  note: string;
  proposal: unknown;
  now_ms: number;
  expect:
    | {
        accepted: true;
        index: number;
        state_post_hash: string;
        branch?: string;
        guard_outcomes: GuardOutcome[];
        accepted_at_ms: number;
        prev_record_hash: string;
        record_hash: string;
      }
    | { accepted: false; code: string; guard?: string; reason: string };
  state_hash_after: string;
  state_after?: State;
}

interface Vectors {
  format: string;
  spec_hash: string;
  genesis_hash: string;
  state0_hash: string;
  state0: State;
  steps: Step[];
  final: { index: number; state_hash: string; record_hash: string };
}

const vectors = JSON.parse(read('vectors.json')) as Vectors;
const genesis = JSON.parse(read('genesis.json')) as Genesis;
const migrationVectors = JSON.parse(read('vectors-migration.json')) as Vectors;
const migrationGenesis = JSON.parse(read('genesis-migration.json')) as Genesis;
/** Each vectors file with the genesis it starts from. */
const RUNS: Array<[string, Vectors, Genesis]> = [
  ['vectors.json', vectors, genesis],
  ['vectors-migration.json', migrationVectors, migrationGenesis],
];
const keys = JSON.parse(read('keys.json')) as { keys: Array<{ name: string; signer: string; secret_key_hex: string }> };

/** H per docs/protocol.md §1 with node:crypto's SHA-256 (independent of core/hash). */
const nodeH = (x: unknown): string => `sha256-${createHash('sha256').update(canonicalize(x), 'utf8').digest('hex')}`;

/** Ed25519 verification with node:crypto over the README's domain-separated bytes. */
function nodeVerifyProposal(p: Proposal): boolean {
  const { signature, inputs: _inputs, ...signed } = p;
  const message = Buffer.from(`SWOOSH-PROPOSAL-V1\n${canonicalize(signed)}`, 'utf8');
  const x = p.signer.slice('hmmm:ed25519:'.length);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  return nodeVerify(null, message, key, Buffer.from(b64uDecode(signature) as Uint8Array));
}

describe('conformance vectors (core/testdata)', () => {
  it.each(RUNS)('%s: state 0 is the pure function of its genesis and the statechart', (_, vectors, genesis) => {
    expect(vectors.format).toBe(FORMAT);
    expect(vectors.spec_hash).toBe(spec.hash);
    expect(H(genesis)).toBe(vectors.genesis_hash);
    const s0 = initialState(genesis, spec.hash);
    expect(canonicalize(s0)).toBe(canonicalize(vectors.state0));
    expect(H(s0)).toBe(vectors.state0_hash);
    expect(nodeH(s0)).toBe(vectors.state0_hash);
  });

  it('keys.json holds the kit test keys, and they are the genesis signers', () => {
    for (const k of keys.keys) {
      const derived = testKey(k.name);
      expect(Buffer.from(derived.secret).toString('hex')).toBe(k.secret_key_hex);
      expect(nobleSigner(Uint8Array.from(Buffer.from(k.secret_key_hex, 'hex'))).signer).toBe(k.signer);
    }
    const named = new Set(keys.keys.map((k) => k.signer));
    for (const s of [...genesis.signers, ...migrationGenesis.signers]) expect(named).toContain(s.signer);
    expect(named).toContain(genesis.kaching.signer);
    expect(named).toContain(genesis.mcp.signer);
  });

  it.each(RUNS)('%s: replays every step with the expected outcome, state hash and record hash', (_, vectors) => {
    let head: Head = { state: vectors.state0, hash: vectors.state0_hash };
    let index = 0;
    let prevRecord = vectors.state0_hash;
    for (const s of vectors.steps) {
      const where = `step ${s.step} (${s.note})`;
      const r = reduce(head, s.proposal, { spec, verifier: nobleVerifier }, { now_ms: s.now_ms });
      if (s.expect.accepted) {
        expect(r.ok ? 'accepted' : `${r.rejection.code}: ${r.rejection.reason}`, where).toBe('accepted');
        if (!r.ok) return;
        index += 1;
        expect(s.expect.index, where).toBe(index);
        expect(r.hash, where).toBe(s.expect.state_post_hash);
        expect(r.hash, where).toBe(s.state_hash_after);
        expect(r.branch ?? undefined, where).toBe(s.expect.branch);
        expect(r.body.guard_outcomes, where).toEqual(s.expect.guard_outcomes);
        expect(canonicalize(r.state), where).toBe(canonicalize(s.state_after));
        expect(nodeH(r.state), where).toBe(s.state_hash_after);
        // The WAL record of docs/protocol.md §9, accepted_at_ms fixed to the HLC wall time.
        expect(s.expect.prev_record_hash, where).toBe(prevRecord);
        const record = { ...r.body, index, prev_record_hash: prevRecord, accepted_at_ms: s.expect.accepted_at_ms };
        expect(nodeH(record), where).toBe(s.expect.record_hash);
        expect(record.state_pre_hash, where).toBe(head.hash);
        prevRecord = s.expect.record_hash;
        // Independent checks of the proposal: signature bytes, inputs binding.
        const p = s.proposal as Proposal;
        expect(nodeVerifyProposal(p), where).toBe(true);
        expect(nodeH(p.inputs), where).toBe(p.inputs_hash);
        head = { state: r.state, hash: r.hash };
      } else {
        expect(r.ok, where).toBe(false);
        if (r.ok) return;
        expect(r.rejection.code, `${where}: ${r.rejection.reason}`).toBe(s.expect.code);
        expect(r.rejection.guard, where).toBe(s.expect.guard);
        expect(s.state_hash_after, where).toBe(head.hash);
      }
    }
    expect(index).toBe(vectors.final.index);
    expect(head.hash).toBe(vectors.final.state_hash);
    expect(prevRecord).toBe(vectors.final.record_hash);
  });

  it('covers the lifecycle to EXECUTION, two REVERB loops and many rejection codes', () => {
    const accepted = vectors.steps.filter((s) => s.expect.accepted).map((s) => (s.proposal as Proposal).transition);
    for (const t of [
      'Boot_ConfigOk',
      'Boot_Licensed',
      'Execution_AllReady',
      'Execution_Submit',
      'Quarantine_Release',
      'Quarantine_ConfirmBlock',
    ]) {
      expect(accepted).toContain(t);
    }
    expect(accepted.filter((t) => t === 'Execution_NextWindow').length).toBeGreaterThanOrEqual(2);
    const codes = new Set(vectors.steps.flatMap((s) => (s.expect.accepted ? [] : [s.expect.code])));
    for (const code of [
      'malformed',
      'bad_signature',
      'inputs_hash_mismatch',
      'unknown_signer',
      'unknown_transition',
      'role_denied',
      'quarantined',
      'terminated',
      'stale_state_hash',
      'hlc_from_future',
      'hlc_regression',
      'invalid_from_state',
      'wrong_window',
      'guard_failed',
    ]) {
      expect(codes, code).toContain(code);
    }
    const guards = new Set(vectors.steps.flatMap((s) => (!s.expect.accepted && s.expect.guard ? [s.expect.guard] : [])));
    for (const g of ['window', 'config', 'license', 'quorum', 'mcp', 'all_ready', 'approval', 'approvals', 'policy_version'])
      expect(guards, g).toContain(g);
  });

  it('the migration run starts on WHOOSH and covers the three transitions, the order rule and the bypass rule', () => {
    expect(migrationGenesis.migration?.routes).toEqual({ council: 'legacy', ingestion: 'legacy', execution: 'legacy' });
    expect(migrationVectors.state0.migration.routes).toEqual(migrationGenesis.migration?.routes);
    const accepted = migrationVectors.steps.filter((s) => s.expect.accepted).map((s) => (s.proposal as Proposal).transition);
    for (const t of ['Migration_Route', 'Migration_Bypass', 'Migration_Restore']) expect(accepted).toContain(t);
    const refused = migrationVectors.steps.flatMap((s) => (s.expect.accepted ? [] : [`${s.expect.code}/${s.expect.guard ?? ''}`]));
    for (const r of ['guard_failed/migration_order', 'guard_failed/migration_bypass', 'role_denied/', 'malformed/', 'terminated/'])
      expect(refused).toContain(r);
    // Accepted while PAUSED and while QUARANTINED.
    const during = migrationVectors.steps.filter((s, i) => {
      const before =
        i === 0 ? migrationVectors.state0 : [...migrationVectors.steps.slice(0, i)].reverse().find((x) => x.state_after)?.state_after;
      return (
        s.expect.accepted &&
        (s.proposal as Proposal).transition.startsWith('Migration_') &&
        before !== undefined &&
        (before.control.paused || before.policy.quarantined)
      );
    });
    expect(during.length).toBeGreaterThanOrEqual(2);
  });

  it('regenerating gives byte-identical files', () => {
    const files = generateVectors(spec);
    for (const name of Object.keys(files) as Array<keyof VectorFiles>) {
      expect(files[name] === read(name), `${name} differs from generate.ts output: run npm run vectors`).toBe(true);
    }
    expect(Buffer.byteLength(files['vectors.json'])).toBeLessThan(1.5 * 1024 * 1024);
  });
});
