// The shim's side of SWOOSH: reads (from any node), signed proposals (to the writer,
// following 503 not_writer to `error.leader`), and the routing modes taken from state.

import { signProposal, SwooshClient } from '../../client/client';
import type { Signer } from '../../core/crypto';
import { formatHlc, HlcClock, parseHlc, type Clock } from '../../core/hlc';
import type { State } from '../../core/state';
import type { JsonObject, Proposal } from '../../core/types';
import { beatPosition } from '../../core/window';
import type { Region } from './map';

export type Mode = 'legacy' | 'shadow' | 'swoosh';
export const MODES: readonly Mode[] = ['legacy', 'shadow', 'swoosh'];

/** Leader hops followed for one proposal; a cluster mid-election must not bounce us forever. */
export const LEADER_HOPS_MAX = 3;
export const OVERLOADED_WAITS_MAX = 3;
export const RETRY_AFTER_MS_MAX = 2_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** A routed request's fresh read of the modes gives up after this and uses the last known state. */
export const MODE_READ_TIMEOUT_MS = 2_000;
/** After a failed fresh read, the last known state serves for this long before trying again. */
export const MODE_RETRY_MS = 1_000;

export interface MigrationView {
  routes: Record<Region, Mode>;
  bypass: boolean;
  bypass_reason: string | null;
}

/**
 * The routing of a SWOOSH state (docs/migration.md): no `migration` key means a project
 * born on SWOOSH (every region "swoosh"); `bypass` makes every region "legacy".
 */
export function migrationOf(state: unknown): MigrationView {
  const m = (state as { migration?: unknown } | null)?.migration as
    | Partial<{ routes: Partial<Record<Region, unknown>>; bypass: unknown; bypass_reason: unknown }>
    | undefined;
  const mode = (v: unknown): Mode => (MODES.includes(v as Mode) ? (v as Mode) : 'swoosh');
  if (!m || typeof m !== 'object')
    return { routes: { council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' }, bypass: false, bypass_reason: null };
  const routes = { council: mode(m.routes?.council), ingestion: mode(m.routes?.ingestion), execution: mode(m.routes?.execution) };
  return { routes, bypass: m.bypass === true, bypass_reason: typeof m.bypass_reason === 'string' ? m.bypass_reason : null };
}

export function effectiveMode(view: MigrationView, region: Region): Mode {
  return view.bypass ? 'legacy' : view.routes[region];
}

export interface StateRead {
  hash: string;
  index: number;
  hlc: string | null;
  state: State;
}

/** Where the shim learns each region's mode. Production reads SWOOSH; tests may fix it. */
export interface ModeSource {
  /** The mode for a request arriving now, or null when it cannot be known. */
  modeOf(region: Region): Promise<Mode | null>;
  /** The modes as last known, for /health and the comparison timer. */
  snapshot(): { view: MigrationView | null; index: number | null; connected: boolean };
  close(): void;
}

/** A fixed routing: a test seam for legacy/shadow before SWOOSH carries `migration`. */
export class FixedModeSource implements ModeSource {
  constructor(public view: MigrationView) {}
  async modeOf(region: Region): Promise<Mode> {
    return effectiveMode(this.view, region);
  }
  snapshot() {
    return { view: this.view, index: null, connected: true };
  }
  close(): void {}
}

export type SubmitAnswer =
  | { kind: 'accepted'; status: number; body: { index: number; state_post_hash: string; decision_id: string; duplicate: boolean } }
  | { kind: 'rejected'; status: number; error: { code: string; reason: string; guard?: string; reasons?: string[] } }
  | { kind: 'unavailable'; reason: string };

export interface ProposalDraft {
  transition: string;
  inputs: JsonObject;
  idem_key: string;
  hlc_hint: string | null;
  window_hint: string | null;
}

/** Reads and writes against one SWOOSH (one node or a cluster). */
export class SwooshLink {
  readonly urls: string[];
  private writer: string;
  private readonly hlc: HlcClock;
  private readonly gated: ReadonlySet<string>;

  constructor(
    urls: string[],
    private readonly signer: Signer,
    clock: Clock,
    gated: Iterable<string>,
  ) {
    if (urls.length === 0) throw new Error('at least one SWOOSH URL');
    this.urls = urls.map((u) => u.replace(/\/+$/, ''));
    this.writer = this.urls[0] as string;
    this.hlc = new HlcClock(clock);
    this.gated = new Set(gated);
  }

  /** GET /state from the first node that answers. */
  async state(timeout_ms = REQUEST_TIMEOUT_MS): Promise<StateRead> {
    return (await this.readAny('/state', timeout_ms)) as StateRead;
  }

  async stateAt(index: number): Promise<StateRead> {
    return (await this.readAny(`/state/at/${index}`)) as StateRead;
  }

  /** A client for the event stream of the first URL (reads are served by every node). */
  eventsClient(url: string): SwooshClient {
    return new SwooshClient({ url });
  }

  /**
   * Signs a proposal against `head`: the HLC merges SWOOSH's last HLC and the caller's
   * X-HLC (Kulkarni receive: strictly after both); the window id is the caller's
   * X-Window-Id when given, else the HLC's window for a time-gated transition.
   */
  build(d: ProposalDraft, head: StateRead): Proposal {
    const remote = head.hlc === null ? null : parseHlc(head.hlc);
    if (remote) this.hlc.receive(remote);
    const hint = d.hlc_hint === null ? null : parseHlc(d.hlc_hint);
    const hlc = hint ? this.hlc.receive(hint) : this.hlc.now();
    const gated = this.gated.has(d.transition);
    const window_id = !gated ? null : (d.window_hint ?? beatPosition(head.state.execution.backbeat, hlc.wall_ms).window_id);
    return signProposal(this.signer, {
      current_state_hash: head.hash,
      transition: d.transition,
      inputs: d.inputs,
      idem_key: d.idem_key,
      hlc: formatHlc(hlc),
      window_id,
      evidence: [],
    });
  }

  /** POST /transition to the writer; follows not_writer (bounded), waits out 429 (bounded). */
  async submit(p: Proposal): Promise<SubmitAnswer> {
    const body = JSON.stringify(p);
    let hops = 0;
    let waits = 0;
    let tried = 0;
    for (;;) {
      let res: Response;
      try {
        res = await fetch(`${this.writer}/transition`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        // Another node may be up (and may know the writer): try each once.
        tried += 1;
        if (tried >= this.urls.length) return { kind: 'unavailable', reason: `${this.writer}: ${(err as Error).message}` };
        this.writer = this.urls[(this.urls.indexOf(this.writer) + 1) % this.urls.length] as string;
        continue;
      }
      const json = (await res.json().catch(() => null)) as {
        error?: { code?: string; reason?: string; leader?: unknown; writer?: unknown };
      } | null;
      if (res.status === 200 || res.status === 202)
        return { kind: 'accepted', status: res.status, body: { duplicate: false, ...(json as object) } as never };
      const e = json?.error;
      if (res.status === 503 && e?.code === 'not_writer' && hops < LEADER_HOPS_MAX) {
        const leader = typeof e.leader === 'string' ? e.leader : typeof e.writer === 'string' ? e.writer : res.headers.get('location');
        if (leader) {
          hops += 1;
          this.writer = leader.replace(/\/+$/, '');
          continue;
        }
      }
      if (res.status === 429 && waits < OVERLOADED_WAITS_MAX) {
        waits += 1;
        const s = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((r) => setTimeout(r, Math.min(RETRY_AFTER_MS_MAX, Number.isFinite(s) ? s * 1000 : 1000)));
        continue;
      }
      if (res.status >= 500 || res.status === 429)
        return { kind: 'unavailable', reason: `${res.status} ${e?.code ?? ''} ${e?.reason ?? ''}`.trim() };
      const error = { code: e?.code ?? 'bad_response', reason: e?.reason ?? `HTTP ${res.status}` } as {
        code: string;
        reason: string;
        guard?: string;
        reasons?: string[];
      };
      const extra = e as { guard?: unknown; reasons?: unknown } | undefined;
      if (typeof extra?.guard === 'string') error.guard = extra.guard;
      if (Array.isArray(extra?.reasons)) error.reasons = extra.reasons.filter((r): r is string => typeof r === 'string');
      return { kind: 'rejected', status: res.status, error };
    }
  }

  private async readAny(path: string, timeout_ms = REQUEST_TIMEOUT_MS): Promise<unknown> {
    let last = '';
    for (const url of this.urls) {
      try {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeout_ms) });
        if (res.status === 200) return (await res.json()) as unknown;
        last = `${url}${path}: HTTP ${res.status}`;
      } catch (err) {
        last = `${url}${path}: ${(err as Error).message}`;
      }
    }
    throw new Error(`SWOOSH unreachable (${last})`);
  }
}

/**
 * Production modes: a fresh GET /state for every routed request (so a bypass takes effect
 * on the very next request), with the last state kept fresh through GET /events as the
 * fallback when SWOOSH is briefly unreachable, and for /health and the comparison timer.
 */
export class StateModeSource implements ModeSource {
  private last: StateRead | null = null;
  private connected = false;
  private readonly abort = new AbortController();
  private refreshing: Promise<void> | null = null;
  private retryAt_ms = 0;

  constructor(
    private readonly link: SwooshLink,
    private readonly clock: Clock,
  ) {}

  /** First read, then the event stream in the background. */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    void this.follow();
  }

  async modeOf(region: Region): Promise<Mode | null> {
    // While SWOOSH is failing, legacy traffic must not wait on it request after request:
    // the state the event stream last gave is used until the next retry is due.
    if (this.clock.now_ms() >= this.retryAt_ms) {
      try {
        this.last = await this.link.state(MODE_READ_TIMEOUT_MS);
        this.retryAt_ms = 0;
      } catch {
        this.retryAt_ms = this.clock.now_ms() + MODE_RETRY_MS;
      }
    }
    return this.last ? effectiveMode(migrationOf(this.last.state), region) : null;
  }

  snapshot() {
    return { view: this.last ? migrationOf(this.last.state) : null, index: this.last?.index ?? null, connected: this.connected };
  }

  close(): void {
    this.abort.abort();
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.link
      .state()
      .then((s) => {
        if (!this.last || s.index >= this.last.index) this.last = s;
      })
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Follows /events on each node in turn, reconnecting with a bounded backoff. */
  private async follow(): Promise<void> {
    let backoff_ms = 250;
    for (let i = 0; !this.abort.signal.aborted; i += 1) {
      const url = this.link.urls[i % this.link.urls.length] as string;
      try {
        for await (const e of this.link.eventsClient(url).events({ signal: this.abort.signal })) {
          this.connected = true;
          backoff_ms = 250;
          if (e.event === 'accepted' || e.event === 'health') await this.refresh().catch(() => undefined);
        }
      } catch {
        // reconnect below
      }
      this.connected = false;
      if (this.abort.signal.aborted) return;
      await new Promise((r) => setTimeout(r, backoff_ms));
      backoff_ms = Math.min(backoff_ms * 2, 5_000);
    }
  }
}
