// KACHING provider: fetches a signed licence token, caches it, and refreshes it with
// jitter before it expires. It is also the licence gate of every other provider: until a
// licence is in force, and again past grace, no provider calls out (the design brief's security rule: all network
// activity is blocked until LICENSE_CHECK passes). The KACHING call itself is never gated.

import type { Clock } from '../../core/hlc';
import type { LicenseToken } from '../../core/types';
import { licenseStatus, type LicenseStatus } from '../../core/guards/license';
import { FactClient, type CallResult, type ClientTuning, type NetGate } from './http';

/** Delay before re-asking KACHING after a refusal or an outage, ms (before pressure scaling). */
const RETRY_MS = 1000;

export class LicenseProvider implements NetGate {
  readonly client: FactClient;
  token: LicenseToken | null = null;
  /** Wall time at which the next refresh is due (jittered), ms. */
  private refreshAt_ms = 0;
  lastError: string | null = null;

  constructor(
    url: string,
    private readonly clock: Clock,
    private readonly jitter: () => number = Math.random,
    tuning: ClientTuning = {},
  ) {
    this.client = new FactClient('kaching', url, { ...tuning, clock });
  }

  status(now_ms = this.clock.now_ms()): LicenseStatus | 'none' {
    return this.token ? licenseStatus(this.token, now_ms) : 'none';
  }

  open(): boolean {
    const s = this.status();
    return s === 'valid' || s === 'grace';
  }

  why(): string {
    const s = this.status();
    if (s === 'none') return `no licence yet${this.lastError ? ` (${this.lastError})` : ''}`;
    return `licence ${s} (expires_ms ${this.token?.expires_ms}, grace_ms ${this.token?.grace_ms})`;
  }

  refreshDue(now_ms = this.clock.now_ms()): boolean {
    return this.token === null || now_ms >= this.refreshAt_ms;
  }

  /**
   * Re-asks KACHING at the next pass rather than at the scheduled refresh: the demo's
   * Simulators panel uses it so a KACHING knob change shows in seconds, not minutes.
   */
  refreshSoon(): void {
    this.refreshAt_ms = 0;
  }

  /** Asks KACHING for a token; keeps the previous one when refused or unreachable. */
  async fetch(project: string): Promise<CallResult<{ token: LicenseToken }>> {
    const r = await this.client.get<{ token: LicenseToken }>(`/v1/license?licensee=${encodeURIComponent(project)}`);
    if (!r.ok) {
      this.lastError = r.reason;
      // Retry a second later, stretched by BACKBEAT pressure like every provider's retries.
      this.refreshAt_ms = this.clock.now_ms() + Math.round(RETRY_MS * this.client.scale());
      return r;
    }
    this.lastError = null;
    this.token = r.body.token;
    // Refresh after 70–80% of the lifetime, so a fleet of providers does not stampede.
    const life_ms = r.body.token.expires_ms - r.body.token.issued_ms;
    this.refreshAt_ms = r.body.token.issued_ms + Math.floor(life_ms * (0.7 + 0.1 * this.jitter()));
    return r;
  }
}
