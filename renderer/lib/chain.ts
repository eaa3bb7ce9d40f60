// Hash-chain status of WAL records as the console sees them (docs/protocol.md §9): each record
// links to its predecessor (prev_record_hash, state_pre_hash) and hashes to its own
// record_hash = H(record without record_hash). The host refuses to replay past a broken
// link; the console shows where one is.

import { H } from '../../core/hash';
import type { WalRecord } from '../../core/types';

export type ChainMark = 'ok' | 'bad_hash' | 'bad_link' | 'unknown';

export interface ChainStatus {
  mark: ChainMark;
  detail: string;
}

export function recordHashOk(r: WalRecord): boolean {
  const { record_hash, ...body } = r;
  try {
    return H(body) === record_hash;
  } catch {
    return false;
  }
}

/** Status of `r` given its predecessor (null when not loaded; index 1 links to state 0). */
export function chainStatus(r: WalRecord, prev: WalRecord | null, genesisStateHash: string | null): ChainStatus {
  if (!recordHashOk(r)) return { mark: 'bad_hash', detail: `record_hash does not match H(record) at #${r.index}` };
  if (r.index === 1) {
    if (genesisStateHash === null) return { mark: 'unknown', detail: 'state 0 hash not loaded' };
    if (r.prev_record_hash !== genesisStateHash || r.state_pre_hash !== genesisStateHash) {
      return { mark: 'bad_link', detail: 'record 1 does not link to state 0' };
    }
    return { mark: 'ok', detail: 'links to state 0; record hash verified' };
  }
  if (prev === null) return { mark: 'unknown', detail: 'previous record not loaded; record hash verified' };
  if (r.prev_record_hash !== prev.record_hash) return { mark: 'bad_link', detail: `prev_record_hash ≠ record_hash of #${prev.index}` };
  if (r.state_pre_hash !== prev.state_post_hash) return { mark: 'bad_link', detail: `state_pre_hash ≠ state_post_hash of #${prev.index}` };
  return { mark: 'ok', detail: `links to #${prev.index}; record hash verified` };
}
