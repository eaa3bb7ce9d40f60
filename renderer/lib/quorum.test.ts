// Quorum certificates re-checked in the console: each vote's signature, the member-set
// hash, the epoch, duplicates, and who has not voted.

import { describe, expect, it } from 'vitest';
import { nobleVerifier } from '../../core/crypto';
import { castVote, makeCast, quorumInputs } from '../../core/testing/kit';
import type { WalRecord } from '../../core/types';
import { certRecords, checkCert } from './quorum';

const cast = makeCast({ council: 3 });
const [c1, c2, c3] = cast.council as [(typeof cast.council)[0], (typeof cast.council)[0], (typeof cast.council)[0]];

describe('checkCert', () => {
  it('a good certificate: every vote verifies, hashes match, nobody missing', () => {
    const inputs = quorumInputs(cast.council, 4);
    const c = checkCert(inputs, 2, 4, nobleVerifier);
    expect(c.hash_match).toBe(true);
    expect(c.votes.map((v) => [v.signature_ok, v.counted])).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(c.counted).toBe(3);
    expect(c.not_voted).toEqual([]);
    expect(c.passes).toBe(true);
  });

  it('a forged signature, a duplicate, an old epoch and a missing member are each reported', () => {
    const inputs = quorumInputs(cast.council, 4) as { members: string[]; member_set_hash: string; votes: Array<Record<string, unknown>> };
    const v1 = inputs.votes[0]!;
    const forged = { ...inputs.votes[1]!, signature: v1.signature };
    const stale = castVote(c3, inputs.member_set_hash, 3);
    const c = checkCert({ ...inputs, votes: [v1, v1, forged, stale] }, 2, 4, nobleVerifier);
    expect(c.votes.map((v) => v.signature_ok)).toEqual([true, true, false, true]);
    expect(c.votes[1]?.duplicate).toBe(true);
    expect(c.votes[3]?.epoch_match).toBe(false);
    expect(c.counted).toBe(1);
    expect(c.not_voted).toEqual(inputs.members.filter((m) => m !== c1.signer));
    expect(c.passes).toBe(false);
  });

  it('a claimed member-set hash that is not H(sorted members) does not match; votes over it do not count', () => {
    const inputs = quorumInputs([c1, c2], 0) as { members: string[]; member_set_hash: string; votes: unknown[] };
    const c = checkCert({ ...inputs, members: [...inputs.members, c3.signer] }, 2, null, nobleVerifier);
    expect(c.hash_match).toBe(false);
    expect(c.votes.every((v) => !v.hash_match && !v.counted && v.epoch_match === null)).toBe(true);
    expect(c.not_voted.length).toBe(3);
  });

  it('is total over malformed inputs', () => {
    const c = checkCert({ members: 'x', votes: [null, 7, { voter: 1 }] }, 2, 0, nobleVerifier);
    expect(c.members).toEqual([]);
    expect(c.votes.every((v) => !v.signature_ok && !v.counted)).toBe(true);
    expect(checkCert(null, 1, 0, nobleVerifier).passes).toBe(false);
  });

  it('certRecords picks the certificates, newest first', () => {
    const rec = (index: number, transition: string) => ({ index, transition }) as WalRecord;
    expect(certRecords([rec(1, 'Boot_ConfigOk'), rec(5, 'Council_QuorumCert'), rec(9, 'Council_QuorumCert')]).map((r) => r.index)).toEqual([
      9, 5,
    ]);
  });
});
