// Canonical texts of a proposal and of its WAL record, computed once per proposal.
//
// JCS of an object is `{` + its members sorted by key, each `"key":JCS(value)`, joined by
// commas + `}`, and JCS is compositional (a member's text does not depend on where it
// sits). So one pass over the proposal's members gives both the text that is hashed for
// the idem index (JCS(proposal)) and the text that is signed (domain + JCS(proposal
// without signature and inputs)); and the record's text embeds the proposal's text as
// is. The tests check each against canonicalize / proposalSigningBytes.

import { canonicalize } from '../../core/canonical';
import { DOMAIN } from '../../core/crypto';
import type { Hash, Proposal, WalRecord } from '../../core/types';
import { recordHashOf } from '../store/store';

export interface EncodedProposal {
  /** JCS(proposal). */
  text: string;
  /** sha256 of `text`: the idem index's proposal_hash. */
  hash: Hash;
  /** DOMAIN.proposal + JCS(proposal without signature and inputs): what the signature covers. */
  signing_text: string;
}

/** Keys left out of the signed text (docs/protocol.md §2). */
const UNSIGNED = new Set(['signature', 'inputs']);

function member(key: string, value: unknown): string {
  return `${JSON.stringify(key)}:${canonicalize(value)}`;
}

/** Throws CanonicalError (as canonicalize does) if the proposal is not plain JSON; validated ones are. */
export function encodeProposal(p: Proposal): EncodedProposal {
  const keys = Object.keys(p).sort();
  const all: string[] = [];
  const signed: string[] = [];
  for (const key of keys) {
    const m = member(key, (p as unknown as Record<string, unknown>)[key]);
    all.push(m);
    if (!UNSIGNED.has(key)) signed.push(m);
  }
  const text = `{${all.join(',')}}`;
  return { text, hash: recordHashOf(text), signing_text: `${DOMAIN.proposal}{${signed.join(',')}}` };
}

/** JCS of a record without record_hash, with the proposal's text already known. */
export function recordText(record: Omit<WalRecord, 'record_hash'>, proposalText: string): string {
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    if (key === 'record_hash') continue;
    parts.push(key === 'proposal' ? `"proposal":${proposalText}` : member(key, (record as unknown as Record<string, unknown>)[key]));
  }
  return `{${parts.join(',')}}`;
}
