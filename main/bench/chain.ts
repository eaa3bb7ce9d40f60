// The workload of the host benchmarks: one endless, deterministic chain of correctly
// signed proposals, built with the project's own test kit (core/testing/scenario.ts)
// through the pure reducer: Boot → EXECUTION.PLAN (13 proposals), then Control_Pause /
// Control_Resume pairs, each proposal naming the HEAD it was built on. Every host
// benchmark replays a prefix of that chain from genesis against a fresh database, so
// every proposal must be accepted (the counts are asserted).

import { createPrivateKey, sign as edSign } from 'node:crypto';
import { b64uEncode } from '../../core/b64u';
import { reduce, type Accepted, type ReduceResult } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import { makeCast, type Cast, type NamedKey } from '../../core/fixtures/cast';
import { Scenario } from '../../core/workload/scenario';
import type { Genesis, Proposal } from '../../core/types';
import { hashStateNative } from '../engine/hashing';
import { chainTrustingVerifier } from '../engine/verifier';

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
export const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The same deterministic key, signing through node:crypto (RFC 8032 signatures are unique). */
function nodeSigned(key: NamedKey): NamedKey {
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key.secret]), format: 'der', type: 'pkcs8' });
  return { ...key, sign: (m: Uint8Array) => b64uEncode(edSign(null, m, priv)) };
}

function nodeCast(): Cast {
  const c = makeCast();
  const probe = new TextEncoder().encode('swoosh host bench signer probe');
  const k = c.operators[0] as NamedKey;
  if (nodeSigned(k).sign(probe) !== k.sign(probe)) throw new Error('node:crypto and noble signatures differ');
  return {
    operators: c.operators.map(nodeSigned),
    agents: c.agents.map(nodeSigned),
    council: c.council.map(nodeSigned),
    kaching: nodeSigned(c.kaching),
    mcp: nodeSigned(c.mcp),
    stranger: nodeSigned(c.stranger),
  };
}

export interface ChainStep {
  proposal: Proposal;
  result: Accepted;
}

/**
 * The Scenario, reducing with the host's state hasher and a trusting verifier (the
 * proposals are signed here; the engine benchmark verifies every one of them for real).
 */
class ChainScenario extends Scenario {
  readonly out: ChainStep[] = [];

  override submit(proposal: Proposal): ReduceResult {
    const result = reduce(this.head, proposal, { spec: this.spec, verifier: chainTrustingVerifier, hashState: hashStateNative });
    if (result.ok) {
      this.head = { state: result.state, hash: result.hash };
      this.out.push({ proposal, result });
    }
    return result;
  }
}

/** An endless, deterministic chain from genesis: boot to EXECUTION.PLAN, then Pause/Resume pairs. */
export class ProposalChain {
  private readonly sc: ChainScenario;
  private booted = false;
  private pairs = 0;
  private cursor = 0;
  produced = 0;

  constructor(readonly spec: Spec) {
    this.sc = new ChainScenario(spec, { cast: nodeCast() }, chainTrustingVerifier);
  }

  get genesis(): Genesis {
    return this.sc.genesis;
  }

  next(): ChainStep {
    if (this.cursor >= this.sc.out.length) {
      this.sc.out.length = 0;
      this.cursor = 0;
      if (!this.booted) {
        this.sc.toExecution();
        this.booted = true;
      } else {
        const i = this.pairs;
        this.pairs += 1;
        this.sc.step('Control_Pause', { reason: `bench pause ${i}` }, this.sc.operator);
        this.sc.step('Control_Resume', { reason: `bench resume ${i}` }, this.sc.operator);
      }
    }
    const step = this.sc.out[this.cursor] as ChainStep;
    this.cursor += 1;
    this.produced += 1;
    return step;
  }

  take(n: number): Proposal[] {
    const out: Proposal[] = [];
    for (let i = 0; i < n; i += 1) out.push(this.next().proposal);
    return out;
  }
}

/** The first n proposals of the chain, built once and shared by the benchmarks. */
const prefixCache = new WeakMap<ProposalChain, Proposal[]>();
export function chainPrefix(chain: ProposalChain, n: number): Proposal[] {
  let have = prefixCache.get(chain);
  if (!have) {
    have = [];
    prefixCache.set(chain, have);
  }
  if (have.length < n) {
    if (chain.produced !== have.length) throw new Error('the chain was consumed elsewhere');
    have.push(...chain.take(n - have.length));
  }
  return have.slice(0, n);
}
