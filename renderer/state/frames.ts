// Frames for time travel and for the live view: the state after record n, the state
// before it, and record n itself, so the chart can show where the transition went and
// the diff panel what it changed. Requests are cached (bounded) and shared.
//
// Stepping forward is replayed in the console: with state n-1 in hand and record n
// fetched, the pure reducer (core/reduce.ts) computes state n, and the result is used
// only if its hash equals the record's state_post_hash (the same check the host's own
// replay makes). Signatures are not re-verified here (the chain-trusting verifier, as in
// host recovery); any disagreement falls back to asking the host (GET /state/at/N).

import { reduce } from '../../core/reduce';
import type { Verifier } from '../../core/crypto';
import type { Spec } from '../../core/spec';
import type { ConsoleApi, StateAt, WalRecord } from '../api/ConsoleApi';
import { Lru } from './lru';

export interface Loaded extends StateAt {
  /** 'host': answered by GET /state or /state/at/N; 'replayed': computed here and hash-checked. */
  source: 'host' | 'replayed';
}

export interface Frame {
  index: number;
  at: Loaded;
  /** State at index-1 (null at index 0). */
  prev: Loaded | null;
  /** WAL record `index` (null at index 0: genesis). */
  record: WalRecord | null;
}

const STATES_MAX = 512;
const PAGES_MAX = 64;
export const PAGE_SIZE = 500;
const chainTrusting: Verifier = { verify: () => true };

export class FrameLoader {
  private readonly states = new Lru<number, Promise<Loaded>>(STATES_MAX);
  private readonly resolved = new Lru<number, Loaded>(STATES_MAX);
  private readonly pages = new Lru<number, Promise<WalRecord[]>>(PAGES_MAX);
  /** Pages that reach HEAD are still growing: cached per HEAD index, briefly. */
  private readonly tailPages = new Lru<string, Promise<WalRecord[]>>(4);
  private readonly singles = new Lru<number, Promise<WalRecord | null>>(64);
  private spec: Spec | null = null;

  constructor(private readonly api: ConsoleApi) {}

  /** Enables local replay (the spec arrives after the store is created). */
  setSpec(spec: Spec): void {
    this.spec = spec;
  }

  /** Seeds the cache with a state already in hand (GET /state). */
  remember(at: StateAt): void {
    const loaded: Loaded = { ...at, source: 'host' };
    this.states.set(at.index, Promise.resolve(loaded));
    this.resolved.set(at.index, loaded);
  }

  stateAt(n: number, headIndex: number): Promise<Loaded> {
    const hit = this.states.get(n);
    if (hit) return hit;
    const before = n > 0 ? this.resolved.get(n - 1) : undefined;
    const fromHost = (): Promise<Loaded> => this.api.getStateAt(n).then((at) => ({ ...at, source: 'host' as const }));
    const p = before && this.spec ? this.replayOne(before, n, headIndex).catch(fromHost) : fromHost();
    this.states.set(n, p);
    p.then(
      (at) => this.resolved.set(n, at),
      () => this.states.delete(n),
    );
    return p;
  }

  private async replayOne(before: Loaded, n: number, headIndex: number): Promise<Loaded> {
    const record = await this.record(n, headIndex);
    const spec = this.spec;
    if (!record || !spec || record.state_pre_hash !== before.hash) throw new Error('cannot replay locally');
    const r = reduce({ state: before.state, hash: before.hash }, record.proposal, { spec, verifier: chainTrusting });
    if (!r.ok || r.hash !== record.state_post_hash) throw new Error(`local replay disagrees at #${n}`);
    return { index: n, hash: r.hash, hlc: r.state.hlc_last, state: r.state, source: 'replayed' };
  }

  /** Page `pageNo` of records (PAGE_SIZE-aligned, starting at index 1). */
  page(pageNo: number, headIndex: number): Promise<WalRecord[]> {
    const from = pageNo * PAGE_SIZE + 1;
    const complete = from + PAGE_SIZE - 1 <= headIndex;
    const key = `${pageNo}@${headIndex}`;
    const hit = complete ? this.pages.get(pageNo) : this.tailPages.get(key);
    if (hit) return hit;
    const p = this.api.getWal(from, PAGE_SIZE).then((w) => w.records);
    if (complete) this.pages.set(pageNo, p);
    else this.tailPages.set(key, p);
    p.catch(() => (complete ? this.pages.delete(pageNo) : this.tailPages.delete(key)));
    return p;
  }

  /** Record n: from its page when the page is complete, else fetched alone (near HEAD). */
  async record(n: number, headIndex: number): Promise<WalRecord | null> {
    if (n < 1) return null;
    const pageNo = pageOf(n);
    if ((pageNo + 1) * PAGE_SIZE <= headIndex || this.tailPages.get(`${pageNo}@${headIndex}`)) {
      const records = await this.page(pageNo, headIndex);
      return records.find((r) => r.index === n) ?? null;
    }
    const hit = this.singles.get(n);
    if (hit) return hit;
    const p = this.api.getWal(n, 1).then((w) => w.records.find((r) => r.index === n) ?? null);
    this.singles.set(n, p);
    p.catch(() => this.singles.delete(n));
    return p;
  }

  async frame(n: number, headIndex: number): Promise<Frame> {
    // State n−1 first (so n can be replayed from it locally instead of asking the host a
    // second time), but its record is fetched meanwhile: one round trip saved per jump.
    const recordP = this.record(n, headIndex);
    recordP.catch(() => undefined); // handled below; not "unhandled" if state n−1 fails first
    const prev = n > 0 ? await this.stateAt(n - 1, headIndex) : null;
    const [at, record] = await Promise.all([this.stateAt(n, headIndex), recordP]);
    return { index: n, at, prev, record };
  }
}

export function pageOf(index: number): number {
  return Math.floor((index - 1) / PAGE_SIZE);
}
