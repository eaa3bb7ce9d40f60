// Outbound HTTP for fact providers: a timeout on every call, a circuit breaker per
// service (closed → open after repeated failures → half-open probe after a cooldown that
// BACKBEAT pressure stretches), and the licence gate: past grace, no provider calls out.

import type { Clock } from '../../core/hlc';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSnapshot {
  state: BreakerState;
  consecutive_failures: number;
  opened_at_ms: number | null;
  last_error: string | null;
}

export class CircuitBreaker {
  private stateName: BreakerState = 'closed';
  private failures = 0;
  private openedAt: number | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly failures_to_open = 3,
    private readonly cooldown_ms = 2000,
    /** Multiplier ≥ 1 for the cooldown (BACKBEAT pressure). */
    private readonly scale: () => number = () => 1,
  ) {}

  /** May a call go out now? An open breaker lets one probe through after its cooldown. */
  allow(): boolean {
    if (this.stateName !== 'open') return true;
    if (this.clock.now_ms() - (this.openedAt ?? 0) >= this.cooldown_ms * this.scale()) {
      this.stateName = 'half-open';
      return true;
    }
    return false;
  }

  success(): void {
    this.stateName = 'closed';
    this.failures = 0;
    this.openedAt = null;
    this.lastError = null;
  }

  failure(reason: string): void {
    this.failures += 1;
    this.lastError = reason;
    if (this.stateName === 'half-open' || this.failures >= this.failures_to_open) {
      this.stateName = 'open';
      this.openedAt = this.clock.now_ms();
    }
  }

  snapshot(): BreakerSnapshot {
    return { state: this.stateName, consecutive_failures: this.failures, opened_at_ms: this.openedAt, last_error: this.lastError };
  }
}

/** Whether outbound calls are allowed at all (the licence gate). */
export interface NetGate {
  open(): boolean;
  why(): string;
}

export const alwaysOpen: NetGate = { open: () => true, why: () => '' };

export type CallResult<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; kind: 'blocked' | 'breaker_open' | 'timeout' | 'network' | 'http'; status?: number; reason: string; body?: unknown };

/** How a provider's client is tuned; every field has the documented default. */
export interface ClientTuning {
  /** Per-call timeout, ms (default 2000). */
  timeout_ms?: number;
  /** Consecutive failures that open the breaker (default 3). */
  failures_to_open?: number;
  /** Breaker cooldown before the half-open probe, ms (default 2000), times `scale()`. */
  cooldown_ms?: number;
  /** BACKBEAT pressure multiplier (≥ 1) for breaker cooldowns and retry delays. */
  scale?: () => number;
  /**
   * Extra request headers, e.g. `authorization: Bearer <credential from the vault>`. They
   * are sent and never logged or echoed in a reason.
   */
  headers?: Readonly<Record<string, string>>;
}

export interface FactClientOptions extends ClientTuning {
  clock: Clock;
  gate?: NetGate;
  breaker?: CircuitBreaker;
  fetch?: typeof fetch;
}

export class FactClient {
  readonly breaker: CircuitBreaker;
  calls = 0;
  blocked = 0;

  constructor(
    readonly service: string,
    readonly baseUrl: string,
    private readonly opts: FactClientOptions,
  ) {
    this.breaker =
      opts.breaker ?? new CircuitBreaker(opts.clock, opts.failures_to_open ?? 3, opts.cooldown_ms ?? 2000, opts.scale ?? (() => 1));
  }

  /** The pressure multiplier this client's retries use (1 without BACKBEAT). */
  scale(): number {
    return this.opts.scale?.() ?? 1;
  }

  get<T>(path: string): Promise<CallResult<T>> {
    return this.call<T>('GET', path, undefined);
  }

  post<T>(path: string, body: unknown): Promise<CallResult<T>> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body: unknown): Promise<CallResult<T>> {
    const gate = this.opts.gate ?? alwaysOpen;
    if (!gate.open()) {
      this.blocked += 1;
      return { ok: false, kind: 'blocked', reason: `${this.service}: outbound calls blocked: ${gate.why()}` };
    }
    if (!this.breaker.allow())
      return { ok: false, kind: 'breaker_open', reason: `${this.service}: circuit open (${this.breaker.snapshot().last_error ?? ''})` };
    this.calls += 1;
    const doFetch = this.opts.fetch ?? fetch;
    try {
      const res = await doFetch(`${this.baseUrl}${path}`, {
        method,
        headers: { ...this.opts.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeout_ms ?? 2000),
      });
      const parsed = (await res.json().catch(() => null)) as unknown;
      if (res.status >= 500) {
        this.breaker.failure(`HTTP ${res.status}`);
        return {
          ok: false,
          kind: 'http',
          status: res.status,
          reason: `${this.service}: HTTP ${res.status} ${describe(parsed)}`,
          body: parsed,
        };
      }
      this.breaker.success();
      if (res.status >= 400)
        return {
          ok: false,
          kind: 'http',
          status: res.status,
          reason: `${this.service}: HTTP ${res.status} ${describe(parsed)}`,
          body: parsed,
        };
      return { ok: true, status: res.status, body: parsed as T };
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      const reason = timeout ? `timed out after ${this.opts.timeout_ms ?? 2000} ms` : (err as Error).message;
      this.breaker.failure(reason);
      return { ok: false, kind: timeout ? 'timeout' : 'network', reason: `${this.service}: ${reason}` };
    }
  }
}

function describe(body: unknown): string {
  const e = (body as { error?: { code?: string; reason?: string } } | null)?.error;
  return e ? `${e.code ?? ''}: ${e.reason ?? ''}` : '';
}
