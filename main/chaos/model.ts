// The model of the system under test: the pure reducer wrapped in exactly the host
// semantics a client can observe over HTTP (main/engine/engine.ts BatchWork.judge):
// schema → idem lookup (200 duplicate / idem_key_conflict) → reduce with an admission
// clock → 202 with the next index. It runs in this process, in the order the writer
// receives the proposals, so every answer the writer gives can be predicted exactly and
// every state hash compared. Core invariants are checked after every accepted transition.
//
// Time: the chaos project's BACKBEAT epoch is far in the past (CHAOS_EPOCH_MS) and every
// stream HLC stays before MODEL_NOW_MS, itself in the past of any real clock. So the live
// writer (admission = its real clock, max_drift_ms 1000) and the model (admission =
// MODEL_NOW_MS) judge `hlc_from_future` identically: never for stream HLCs, always for
// the far-future fault (year 9999).

import { createPrivateKey, sign as edSign } from 'node:crypto';
import { b64uEncode } from '../../core/b64u';
import { checkInvariants } from '../../core/invariants';
import { reduce, type ReduceResult } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import type { Verifier } from '../../core/crypto';
import type { Cast, NamedKey } from '../../core/fixtures/cast';
import type { Genesis, Hash } from '../../core/types';
import { validateProposal } from '../../core/wire';
import { genesisHead, type ReplayHead } from '../engine/replay';
import { hashStateNative } from '../engine/hashing';
import { proposalHashOf } from '../store/store';

/** BACKBEAT epoch of every chaos project: 2020-01-01T00:00:00Z. */
export const CHAOS_EPOCH_MS = Date.UTC(2020, 0, 1);
/** The model's admission clock: 2025-01-01T00:00:00Z (after every stream HLC, before any real now). */
export const MODEL_NOW_MS = Date.UTC(2025, 0, 1);

export type Answer = { status: 202 | 200; index: number; state_post_hash: Hash } | { status: 400 | 409; code: string; guard?: string };

export interface ModelViolation {
  step: number;
  index: number;
  invariant: string;
  detail: string;
}

interface IdemEntry {
  proposal_hash: string;
  index: number;
  state_post_hash: Hash;
}

export class ModelHost {
  head: ReplayHead;
  /** hashes[i] = state hash after WAL index i (hashes[0] = state 0). */
  readonly hashes: Hash[];
  /** idem_keys[i] = idem key of WAL index i (idem_keys[0] unused). */
  readonly idem_keys: string[] = [''];
  readonly violations: ModelViolation[] = [];
  private readonly idem = new Map<string, IdemEntry>();

  constructor(
    private readonly spec: Spec,
    genesis: Genesis,
    private readonly verifier: Verifier,
  ) {
    this.head = genesisHead(genesis, spec);
    this.hashes = [this.head.hash];
  }

  get index(): number {
    return this.head.index;
  }

  /** Judges `raw` as the writer would after receiving its JSON text; `reduced` is null when reduce did not run. */
  judge(raw: unknown, step: number): { answer: Answer; reduced: ReduceResult | null } {
    const wire: unknown = JSON.parse(JSON.stringify(raw) ?? 'null');
    const parsed = validateProposal(wire);
    if (!parsed.ok) return { answer: { status: 400, code: 'malformed' }, reduced: null };
    const proposal = parsed.proposal;
    const hash = proposalHashOf(proposal);
    const seen = this.idem.get(proposal.idem_key);
    if (seen) {
      if (seen.proposal_hash !== hash) return { answer: { status: 400, code: 'idem_key_conflict' }, reduced: null };
      return { answer: { status: 200, index: seen.index, state_post_hash: seen.state_post_hash }, reduced: null };
    }
    const r = reduce(
      this.head,
      proposal,
      { spec: this.spec, verifier: this.verifier, hashState: hashStateNative },
      { now_ms: MODEL_NOW_MS },
    );
    if (!r.ok) {
      const status = r.rejection.code === 'stale_state_hash' ? 409 : 400;
      const answer: Answer =
        r.rejection.guard === undefined ? { status, code: r.rejection.code } : { status, code: r.rejection.code, guard: r.rejection.guard };
      return { answer, reduced: r };
    }
    const index = this.head.index + 1;
    for (const v of checkInvariants(this.head.state, r.state, r.body)) this.violations.push({ step, index, ...v });
    this.head = { state: r.state, hash: r.hash, index, record_hash: '' };
    this.hashes.push(r.hash);
    this.idem_keys.push(proposal.idem_key);
    this.idem.set(proposal.idem_key, { proposal_hash: hash, index, state_post_hash: r.hash });
    return { answer: { status: 202, index, state_post_hash: r.hash }, reduced: r };
  }
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The same named keys, signing through node:crypto instead of pure-JS noble: Ed25519 is
 * deterministic, so every signature is byte-identical (a test checks it), about 20× faster.
 */
export function fastCast(c: Cast): Cast {
  const fast = (k: NamedKey): NamedKey => {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(k.secret)]), format: 'der', type: 'pkcs8' });
    return { name: k.name, secret: k.secret, signer: k.signer, sign: (m: Uint8Array) => b64uEncode(edSign(null, m, key)) };
  };
  return {
    operators: c.operators.map(fast),
    agents: c.agents.map(fast),
    council: c.council.map(fast),
    kaching: fast(c.kaching),
    mcp: fast(c.mcp),
    stranger: fast(c.stranger),
  };
}
