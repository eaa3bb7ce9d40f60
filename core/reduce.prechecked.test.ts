// The explicit shortcuts of the reducer give the same judgement as the full path:
// `Prechecked` (the host validated the proposal and verified its signature before
// queueing it) and `replayStored` (stored records that the hash chain authenticates).
// Over seeded streams with faults, so that rejections of every kind are covered.

import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical';
import { nobleVerifier, proposalSigningBytes, type Verifier } from './crypto';
import { H } from './hash';
import { reduce, replayStored, type ReduceDeps } from './reduce';
import { runStream } from './testing/streams';
import type { Proposal } from './types';
import { validateProposal } from './wire';
import { loadMachine } from '../main/machine';

const spec = loadMachine();

/** Ed25519 verification is a pure function: memoized to keep the test cheap. */
function memo(v: Verifier): Verifier {
  const seen = new Map<string, boolean>();
  return {
    verify(signer, message, signature) {
      const key = `${signer}|${signature}|${Buffer.from(message).toString('base64')}`;
      let r = seen.get(key);
      if (r === undefined) {
        r = v.verify(signer, message, signature);
        seen.set(key, r);
      }
      return r;
    },
  };
}

/** Checks that the shortcuts skip: replayStored assumes them, so it is not asked about proposals that fail them. */
const ENVELOPE = new Set(['malformed', 'bad_signature', 'inputs_hash_mismatch']);

describe('reduce with Prechecked, and replayStored', () => {
  for (const seed of [11, 12, 13]) {
    it(`agree with reduce on every proposal of stream ${seed}`, () => {
      const verifier = memo(nobleVerifier);
      const deps: ReduceDeps = { spec, verifier };
      const run = runStream(spec, seed, 150, { fault_pct: 40, verifier });
      const codes = new Set<string>();
      let accepted = 0;
      let stored = 0;
      for (let i = 0; i < run.proposals.length; i += 1) {
        const head = run.heads[i]!;
        const raw = run.proposals[i];
        const full = reduce(head, raw, deps);
        codes.add(full.ok ? 'ok' : full.rejection.code);
        const parsed = validateProposal(raw);
        if (!parsed.ok) continue;
        const p = parsed.proposal;
        expect(reduce(head, p, deps, undefined, { validated: true })).toEqual(full);
        const signed = verifier.verify(p.signer, proposalSigningBytes(p), p.signature);
        if (signed) expect(reduce(head, p, deps, undefined, { validated: true, signature_verified: true })).toEqual(full);
        if (full.ok) {
          accepted += 1;
          const r = replayStored(head, p as Proposal, deps);
          expect(r.ok).toBe(true);
          if (r.ok) expect(canonicalize(r.state)).toBe(canonicalize(full.state));
          if (r.ok) expect(H(r.state)).toBe(full.hash);
        } else if (!ENVELOPE.has(full.rejection.code)) {
          stored += 1;
          const r = replayStored(head, p, deps);
          expect(r.ok ? 'ok' : r.rejection).toEqual(full.rejection);
        }
      }
      expect(accepted).toBeGreaterThan(20);
      expect(stored).toBeGreaterThan(3);
      expect(codes.size).toBeGreaterThan(4);
    });
  }

  it('replayStored is total: garbage in a stored record is a rejection, not a throw', () => {
    const run = runStream(spec, 5, 10, { fault_pct: 0 });
    const r = replayStored(run.heads[0]!, { nope: true } as unknown as Proposal, { spec, verifier: nobleVerifier });
    expect(r.ok).toBe(false);
  });
});
