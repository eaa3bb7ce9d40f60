// Council quorum certificates, checked again in the console (docs/protocol.md §6): every vote's
// signature is verified here with core's verifier, the member-set hash recomputed, and
// the members who did not vote listed. The same rules as core/guards/quorum.ts, but
// reporting each vote separately instead of the guard's first problems, and total over
// malformed input (refused certificates are shown too).

import type { Verifier } from '../../core/crypto';
import { voteSigningBytes } from '../../core/crypto';
import { memberSetHash } from '../../core/guards/quorum';
import type { WalRecord } from '../../core/types';

export interface VoteCheck {
  index: number;
  voter: string;
  member_set_hash: string;
  council_epoch: number | null;
  /** The voter is one of the certificate's members. */
  member: boolean;
  duplicate: boolean;
  /** Cast over the hash of the certificate's members. */
  hash_match: boolean;
  /** null when the expected epoch is unknown. */
  epoch_match: boolean | null;
  signature_ok: boolean;
  /** Counted towards the threshold (all of the above hold). */
  counted: boolean;
}

export interface CertCheck {
  members: string[];
  claimed_hash: string;
  computed_hash: string;
  hash_match: boolean;
  threshold: number;
  council_epoch: number | null;
  votes: VoteCheck[];
  counted: number;
  /** Members without a counted vote. */
  not_voted: string[];
  passes: boolean;
}

const str = (x: unknown): string => (typeof x === 'string' ? x : '');

/** Checks a Council_QuorumCert's inputs; `council_epoch` is the council epoch before it (null if unknown). */
export function checkCert(inputs: unknown, threshold: number, council_epoch: number | null, verifier: Verifier): CertCheck {
  const i = (typeof inputs === 'object' && inputs !== null ? inputs : {}) as Record<string, unknown>;
  const members = Array.isArray(i.members) ? i.members.filter((m): m is string => typeof m === 'string') : [];
  const claimed_hash = str(i.member_set_hash);
  const computed_hash = memberSetHash(members);
  const memberSet = new Set(members);
  const seen = new Set<string>();
  const rawVotes = Array.isArray(i.votes) ? i.votes : [];
  const votes = rawVotes.map((v, index): VoteCheck => {
    const vote = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const voter = str(vote.voter);
    const epoch = Number.isSafeInteger(vote.council_epoch) ? (vote.council_epoch as number) : null;
    let signature_ok = false;
    try {
      signature_ok = verifier.verify(voter, voteSigningBytes(vote), str(vote.signature));
    } catch {
      signature_ok = false;
    }
    const member = memberSet.has(voter);
    const duplicate = seen.has(voter);
    seen.add(voter);
    const hash_match = str(vote.member_set_hash) === computed_hash;
    const epoch_match = council_epoch === null ? null : epoch === council_epoch;
    const counted = member && !duplicate && hash_match && epoch_match !== false && signature_ok;
    return {
      index,
      voter,
      member_set_hash: str(vote.member_set_hash),
      council_epoch: epoch,
      member,
      duplicate,
      hash_match,
      epoch_match,
      signature_ok,
      counted,
    };
  });
  const voted = new Set(votes.filter((v) => v.counted).map((v) => v.voter));
  const counted = voted.size;
  return {
    members,
    claimed_hash,
    computed_hash,
    hash_match: claimed_hash === computed_hash,
    threshold,
    council_epoch,
    votes,
    counted,
    not_voted: members.filter((m) => !voted.has(m)),
    passes: claimed_hash === computed_hash && counted >= threshold && members.length >= threshold,
  };
}

/** The Council_QuorumCert records of a WAL page, newest first. */
export function certRecords(records: readonly WalRecord[]): WalRecord[] {
  return records.filter((r) => r.transition === 'Council_QuorumCert').sort((a, b) => b.index - a.index);
}
