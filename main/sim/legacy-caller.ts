// WHOOSH's callers, simulated: the agents that formed councils through WHOOSH's API before
// the migration, now pointed at `swoosh shim` instead (docs/migration.md, "The demo's
// legacy callers"). They behave as the real ones do after the one change the migration
// asks of them: every mutation carries an Idempotency-Key, reused on a retry.
//
// The loop forms the council and then rotates it, the way WHOOSH was used:
//   PLAN_ROLES     POST council/roles
//   ELECT          POST council/elect   with the council agents' signed votes
//   TOOLING_SYNC   after hold_ms, POST council/reelect (the sitting council stands down)
// and again: an election every few seconds, so shadow mode has elections to compare, and
// a knob turned on WHOOSH shows within one rotation. The next call follows the phase in
// the last answer (WHOOSH's in legacy and shadow mode, the map's legacy-shaped answer in
// swoosh mode), never a read: in swoosh mode WHOOSH's own state is no longer current.
//
// The votes are SWOOSH's (WHOOSH ignored them): the council agents sign for SWOOSH's
// council epoch, which the caller reads from SWOOSH once the shim has settled its mirrors,
// so a mirrored election meets the epoch its votes name.
//
// Bounded: one call in flight, one step per pace_ms, fetches with timeouts, counters and
// the last few errors only.

import { randomUUID } from 'node:crypto';
import { memberSetHash } from '../../core/guards/quorum';

export interface LegacyCallerOptions {
  /** Where the callers send WHOOSH's API: the shim. */
  shim: string;
  /** SWOOSH's API, read for the council epoch the votes are cast for. */
  swoosh: string;
  /** The legacy project (the example map's `project`). */
  project: string;
  /** Council agents (POST /v1/vote {members, council_epoch}). */
  council: readonly string[];
  /** The members elected: the council agents' signers. */
  members: readonly string[];
  roles: readonly string[];
  /** One step per pace_ms. */
  pace_ms: number;
  /** How long an elected council sits before the rotation. */
  hold_ms: number;
  /** The callers start once this holds (the project exists in SWOOSH). */
  ready?: () => boolean;
}

type Phase = 'unknown' | 'PLAN_ROLES' | 'ELECT' | 'TOOLING_SYNC' | 'READY';
type Route = 'members' | 'roles' | 'elect' | 'reelect';

export interface LegacyAnswer {
  route: Route;
  status: number;
  body: unknown;
}

export interface LegacyCallerStats {
  calls: number;
  /** Answers by status class and route, e.g. "elect 200". */
  answers: Record<string, number>;
  elections: number;
  rotations: number;
  phase: Phase;
  last: LegacyAnswer | null;
  errors: string[];
}

const FETCH_TIMEOUT_MS = 10_000;
const ERRORS_KEPT = 8;
/** How long an election waits for the shim's mirrors to settle before trying next step. */
const SETTLE_WAIT_MS = 5_000;
/** Tries of one request (same Idempotency-Key; after 502/503/429 or no answer) before giving it up. */
const RETRIES_MAX = 5;

interface Pending {
  route: Route;
  body: Record<string, unknown>;
  key: string;
  tries: number;
}

export class LegacyCaller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly run = randomUUID().slice(0, 8);
  private seq = 0;
  private nominated = false;
  private seated_ms = 0;
  private pending: Pending | null = null;
  private readonly s: LegacyCallerStats = { calls: 0, answers: {}, elections: 0, rotations: 0, phase: 'unknown', last: null, errors: [] };

  constructor(private readonly o: LegacyCallerOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      this.running ??= this.step()
        .catch((err: unknown) => this.error((err as Error).message))
        .finally(() => (this.running = null));
    }, this.o.pace_ms);
    this.timer.unref();
  }

  /** Stops the loop; resolves once the call in flight has had its answer. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  stats(): LegacyCallerStats {
    return structuredClone(this.s);
  }

  /** One step: a retry of the request in flight, or the call the last known phase asks for. */
  private async step(): Promise<void> {
    if (this.stopped || (this.o.ready && !this.o.ready())) return;
    if (this.pending) return this.send(this.pending);
    if (this.s.phase === 'unknown') return this.readPhase();
    if (!this.nominated) return this.send(this.fresh('members', { members: [...this.o.members] }));
    switch (this.s.phase) {
      case 'PLAN_ROLES':
        return this.send(this.fresh('roles', { roles: [...this.o.roles] }));
      case 'ELECT':
        return this.elect();
      default:
        if (Date.now() - this.seated_ms < this.o.hold_ms) return;
        return this.send(this.fresh('reelect', { reason: 'council rotation (WHOOSH legacy caller)' }));
    }
  }

  /** Where WHOOSH's council is, once at start (a read passes through the shim to WHOOSH). */
  private async readPhase(): Promise<void> {
    const res = await fetch(`${this.base()}/council`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const body = (await res.json()) as { phase?: unknown };
    if (res.status !== 200) throw new Error(`GET council: HTTP ${res.status}`);
    this.s.phase = phaseOf(body.phase) ?? 'PLAN_ROLES';
  }

  private async elect(): Promise<void> {
    if (!(await this.mirrorsSettled())) return;
    const epoch = await this.councilEpoch();
    const members = [...this.o.members];
    const votes = await Promise.all(this.o.council.map((url) => this.vote(url, members, epoch)));
    await this.send(this.fresh('elect', { members, member_set_hash: memberSetHash(members), votes: votes.filter((v) => v !== null) }));
  }

  private async mirrorsSettled(): Promise<boolean> {
    const deadline = Date.now() + SETTLE_WAIT_MS;
    while (!this.stopped && Date.now() < deadline) {
      const res = await fetch(`${this.o.shim}/health`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      const h = (await res.json()) as { mirror_pending?: unknown };
      if (h.mirror_pending === 0) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private async councilEpoch(): Promise<number> {
    const res = await fetch(`${this.o.swoosh}/state`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`SWOOSH GET /state: HTTP ${res.status}`);
    const body = (await res.json()) as { state?: { epoch?: { council?: unknown } } };
    const epoch = body.state?.epoch?.council;
    if (typeof epoch !== 'number') throw new Error('SWOOSH GET /state: no council epoch');
    return epoch;
  }

  private async vote(url: string, members: string[], council_epoch: number): Promise<unknown> {
    try {
      const res = await fetch(`${url}/v1/vote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ members, council_epoch }),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      const body = (await res.json()) as { vote?: unknown };
      return res.status === 200 ? (body.vote ?? null) : null;
    } catch {
      return null;
    }
  }

  private fresh(route: Route, body: Record<string, unknown>): Pending {
    this.seq += 1;
    return { route, body, key: `legacy-${this.run}-${this.seq}`, tries: 0 };
  }

  /** Sends a call; retries it later with the same key when the answer is not final. */
  private async send(p: Pending): Promise<void> {
    if (p.tries >= RETRIES_MAX) {
      // Unanswered that often (the shim or WHOOSH unreachable): give it up, start over from a read.
      this.pending = null;
      this.s.phase = 'unknown';
      return this.error(`${p.route}: no final answer after ${RETRIES_MAX} tries`);
    }
    this.pending = p;
    p.tries += 1;
    this.s.calls += 1;
    const res = await fetch(`${this.base()}/council/${p.route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': p.key },
      body: JSON.stringify(p.body),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => null)) as unknown;
    const label = `${p.route} ${res.status}`;
    this.s.answers[label] = (this.s.answers[label] ?? 0) + 1;
    this.s.last = { route: p.route, status: res.status, body };
    if (res.status === 502 || res.status === 503 || res.status === 429) return;
    this.pending = null;
    if (res.status >= 200 && res.status < 300) return this.answered(p.route, body);
    this.error(`${p.route}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    // A refusal (SWOOSH deciding, in swoosh mode) says the council is elsewhere than the
    // caller thought: try the other step of the rotation next.
    this.s.phase = p.route === 'elect' ? 'TOOLING_SYNC' : p.route === 'members' ? this.s.phase : 'ELECT';
    if (p.route === 'members') this.nominated = true;
  }

  private answered(route: Route, body: unknown): void {
    if (route === 'members') this.nominated = true;
    if (route === 'elect') {
      this.s.elections += 1;
      this.seated_ms = Date.now();
    }
    if (route === 'reelect') this.s.rotations += 1;
    const phase = phaseOf((body as { council?: { phase?: unknown } } | null)?.council?.phase);
    this.s.phase = phase ?? (route === 'elect' ? 'TOOLING_SYNC' : 'ELECT');
  }

  private base(): string {
    return `${this.o.shim}/api/projects/${this.o.project}`;
  }

  private error(message: string): void {
    this.s.errors = [...this.s.errors, message].slice(-ERRORS_KEPT);
  }
}

function phaseOf(v: unknown): Phase | null {
  return v === 'PLAN_ROLES' || v === 'ELECT' || v === 'TOOLING_SYNC' || v === 'READY' ? v : null;
}
