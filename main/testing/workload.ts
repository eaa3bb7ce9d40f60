// A client workload for a live `swoosh serve`: several concurrent clients, each an
// operator that reads HEAD and proposes the next Control_Pause / Control_Resume (valid and
// endlessly repeatable once the project has booted). Clients race each other, so most
// proposals lose to a concurrent one (409 stale_state_hash); the loser re-reads and
// retries, as a real client would.
//
// The workload remembers every answer it was given: each 202 / 200 names an index and a
// state hash that the WAL must still hold after any crash. A proposal whose answer was
// lost (connection reset by a kill) is "in doubt" and is re-sent, byte for byte, once the
// server is back: 200 duplicate means it had been committed, anything else that it had
// not. HLCs come from the real clock (the server refuses hlc_from_future), kept monotonic
// per client and merged with HEAD's HLC on every read (HlcClock).

import { H } from '../../core/hash';
import type { Signer } from '../../core/crypto';
import { HlcClock, formatHlc, parseHlc, type Clock } from '../../core/hlc';
import { signProposal } from '../../core/fixtures/documents';
import { mulberry32, type Prng } from '../../core/workload/rng';
import type { Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';

export const realClock: Clock = { now_ms: () => Date.now() };

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POST /transition; throws on a network failure (the outcome is then unknown). */
export async function postTransition(url: string, proposal: unknown, timeout_ms = 15_000): Promise<HttpAnswer> {
  const res = await fetch(`${url}/transition`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(proposal),
    signal: AbortSignal.timeout(timeout_ms),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson<T = Record<string, unknown>>(url: string, timeout_ms = 15_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeout_ms) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Where the server currently is; clients wait while it is down (being killed / restarted). */
export class Target {
  private url: string | null = null;
  private waiters: Array<(url: string | null) => void> = [];
  private closed = false;
  generation = 0;

  set(url: string): void {
    this.url = url;
    this.generation += 1;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(url);
  }

  down(): void {
    this.url = null;
  }

  /** Wakes every waiter with null: the workload is over. */
  close(): void {
    this.closed = true;
    this.url = null;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(null);
  }

  get current(): string | null {
    return this.url;
  }

  /** The live URL, or null once closed. */
  up(): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.url !== null) return Promise.resolve(this.url);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface Ack {
  idem_key: string;
  index: number;
  state_post_hash: string;
  status: 200 | 202;
  proposal: Proposal;
  client: number;
}

export interface WorkloadStats {
  sent: number;
  accepted: number;
  duplicates: number;
  stale: number;
  /** Other definite rejections by code (should stay empty for this workload). */
  rejected: Record<string, number>;
  /** Requests whose answer was lost to a kill (POST) — re-sent later. */
  in_doubt: number;
  /** In-doubt proposals that turned out committed before the crash (200 on re-send). */
  in_doubt_committed: number;
  /** In-doubt proposals that had not been committed (202, or a rejection, on re-send). */
  in_doubt_not_committed: number;
  read_errors: number;
  /** Acknowledged proposals re-sent after a restart, and answers that disagreed. */
  idem_checks: number;
  idem_mismatches: string[];
  unexpected: string[];
}

export interface WorkloadOptions {
  /** The scenario whose genesis the server runs (keys; must already be booted on the server). */
  scenario: Scenario;
  clients: number;
  seed: number;
  target: Target;
  /** Prefix of idem keys, unique per run. */
  prefix?: string;
  clock?: Clock;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Workload {
  readonly acks = new Map<string, Ack>();
  /** idem keys that got a definite rejection on every attempt: must never be in the WAL. */
  readonly rejectedKeys = new Set<string>();
  /** Proposals whose outcome is still unknown when the workload stops. */
  readonly inDoubt = new Map<string, Proposal>();
  readonly stats: WorkloadStats = {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    stale: 0,
    rejected: {},
    in_doubt: 0,
    in_doubt_committed: 0,
    in_doubt_not_committed: 0,
    read_errors: 0,
    idem_checks: 0,
    idem_mismatches: [],
    unexpected: [],
  };
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly rng: Prng;
  private readonly prefix: string;
  private readonly operators: Signer[];

  constructor(private readonly opts: WorkloadOptions) {
    this.rng = mulberry32(opts.seed ^ 0x5eed);
    this.prefix = opts.prefix ?? `load-${opts.seed}`;
    this.operators = opts.scenario.cast.operators;
  }

  start(): void {
    for (let i = 0; i < this.opts.clients; i += 1) this.loops.push(this.client(i));
  }

  /** Ends every client after its current request; resolves when all have returned. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async client(i: number): Promise<void> {
    const clock = new HlcClock(this.opts.clock ?? realClock);
    const by = this.operators[i % this.operators.length] as Signer;
    let seq = 0;
    let doubt: Proposal | null = null;
    while (!this.stopping) {
      const url = await this.opts.target.up();
      if (url === null) return;
      if (doubt !== null) {
        doubt = await this.resolveDoubt(url, doubt, i);
        continue;
      }
      let head: { hash: string; hlc: string | null; projection: { control: { paused: boolean } } };
      try {
        head = await getJson(`${url}/state?projection=control`);
      } catch {
        this.stats.read_errors += 1;
        await sleep(5);
        continue;
      }
      if (this.stopping) return;
      const last = head.hlc === null ? null : parseHlc(head.hlc);
      if (last) clock.receive(last);
      seq += 1;
      const transition = head.projection.control.paused ? 'Control_Resume' : 'Control_Pause';
      const proposal = signProposal({
        state_hash: head.hash,
        transition,
        inputs: { reason: `client ${i} try ${seq}` },
        by,
        hlc: formatHlc(clock.now()),
        idem_key: `${this.prefix}:c${i}:${seq}`,
      });
      this.stats.sent += 1;
      let answer: HttpAnswer;
      try {
        answer = await postTransition(url, proposal);
      } catch {
        this.stats.in_doubt += 1;
        doubt = proposal;
        this.inDoubt.set(proposal.idem_key, proposal);
        continue;
      }
      this.record(answer, proposal, i, false);
    }
  }

  /** Re-sends an in-doubt proposal; returns it again if the answer is still lost. */
  private async resolveDoubt(url: string, proposal: Proposal, client: number): Promise<Proposal | null> {
    let answer: HttpAnswer;
    try {
      answer = await postTransition(url, proposal);
    } catch {
      await sleep(5);
      return proposal;
    }
    this.inDoubt.delete(proposal.idem_key);
    if (answer.status === 200) this.stats.in_doubt_committed += 1;
    else this.stats.in_doubt_not_committed += 1;
    this.record(answer, proposal, client, true);
    return null;
  }

  private record(answer: HttpAnswer, proposal: Proposal, client: number, resent: boolean): void {
    const key = proposal.idem_key;
    if (answer.status === 202 || answer.status === 200) {
      const index = answer.body.index as number;
      const state_post_hash = answer.body.state_post_hash as string;
      if (answer.status === 202) this.stats.accepted += 1;
      else this.stats.duplicates += 1;
      if (answer.status === 200 && !resent) this.stats.unexpected.push(`${key}: fresh proposal answered 200 duplicate`);
      const prior = this.acks.get(key);
      if (prior && (prior.index !== index || prior.state_post_hash !== state_post_hash)) {
        this.stats.unexpected.push(`${key}: acknowledged at ${prior.index} then at ${index}`);
      }
      if (!prior) this.acks.set(key, { idem_key: key, index, state_post_hash, status: answer.status, proposal, client });
      return;
    }
    if (answer.status === 409) this.stats.stale += 1;
    const code = (answer.body.error as { code?: string } | undefined)?.code ?? `http_${answer.status}`;
    if (answer.status !== 409) this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    // A 5xx says nothing about durability; anything else is a definite "not applied".
    if (answer.status >= 500) this.stats.unexpected.push(`${key}: ${answer.status} ${code}`);
    else this.rejectedKeys.add(key);
  }

  /**
   * Re-sends `n` acknowledged proposals (seeded choice) and checks the idem answer:
   * 200, duplicate, same index and state hash. Returns how many were checked.
   */
  async recheck(url: string, n: number): Promise<number> {
    const all = [...this.acks.values()];
    if (all.length === 0) return 0;
    let checked = 0;
    for (let k = 0; k < n; k += 1) {
      const ack = all[this.rng.int(all.length)] as Ack;
      let answer: HttpAnswer;
      try {
        answer = await postTransition(url, ack.proposal);
      } catch {
        continue;
      }
      checked += 1;
      this.stats.idem_checks += 1;
      const b = answer.body;
      if (answer.status !== 200 || b.duplicate !== true || b.index !== ack.index || b.state_post_hash !== ack.state_post_hash) {
        this.stats.idem_mismatches.push(`${ack.idem_key} (acked at ${ack.index}): got ${answer.status} ${JSON.stringify(b)}`);
      }
    }
    return checked;
  }
}

/**
 * Boots a fresh server with the scenario's own proposals (Boot_ConfigOk, Boot_Licensed),
 * with HLCs from the real clock, so that Control_Pause / Control_Resume are valid after.
 * The scenario must have been made with `start_ms` a little before now.
 */
export async function bootOverHttp(url: string, sc: Scenario): Promise<Proposal[]> {
  const sent: Proposal[] = [];
  const steps: Array<[string, () => Record<string, unknown>, Signer]> = [
    ['Boot_ConfigOk', () => ({ config_hash: H(sc.genesis) }), sc.operator],
    ['Boot_Licensed', () => sc.license(), sc.operator],
  ];
  for (const [transition, inputs, by] of steps) {
    const proposal = sc.build(transition, inputs() as never, by);
    const local = sc.submit(proposal);
    if (!local.ok) throw new Error(`${transition} rejected locally: ${local.rejection.code}: ${local.rejection.reason}`);
    sc.wall_ms += 10;
    const answer = await postTransition(url, proposal);
    if (answer.status !== 202) throw new Error(`${transition}: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.body.state_post_hash !== local.hash)
      throw new Error(`${transition}: server state ${String(answer.body.state_post_hash)} differs from the reducer's ${local.hash}`);
    sent.push(proposal);
  }
  return sent;
}
