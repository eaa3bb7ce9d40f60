// BACKBEAT provider: the pressure amplitude that scales every provider's retry backoff,
// and window arithmetic over the schedule in state (pure core/window).

import type { Clock } from '../../core/hlc';
import { checkWindow, nextOpening_ms, type Schedule } from '../../core/window';
import { FactClient, type ClientTuning, type NetGate } from './http';

export class BackbeatProvider {
  readonly client: FactClient;
  amplitude_bp = 0;

  constructor(
    url: string | null,
    private readonly clock: Clock,
    gate: NetGate,
    tuning: ClientTuning = {},
  ) {
    // Its own breaker cools down by the last amplitude it read, like every other one.
    this.client = new FactClient('backbeat', url ?? 'http://127.0.0.1:9', { scale: () => this.scale(), ...tuning, clock, gate });
    this.enabled = url !== null;
  }

  private readonly enabled: boolean;

  async refresh(): Promise<void> {
    if (!this.enabled) return;
    const r = await this.client.get<{ amplitude_bp: number }>('/v1/pressure');
    if (r.ok && Number.isInteger(r.body.amplitude_bp)) this.amplitude_bp = r.body.amplitude_bp;
  }

  /** Backoff multiplier: 1 at no pressure, 2 at full amplitude. */
  scale(): number {
    return 1 + this.amplitude_bp / 10000;
  }

  /** Exponential backoff for the n-th consecutive failure, scaled by pressure, ms. */
  backoff_ms(failures: number): number {
    return Math.min(10_000, 250 * 2 ** Math.min(failures, 6)) * this.scale();
  }

  isOpen(schedule: Schedule, cls: string, wall_ms = this.clock.now_ms()): boolean {
    return checkWindow(schedule, [cls], wall_ms).open;
  }

  /** ms until the `cls` window next opens (0 when open now). */
  untilOpen_ms(schedule: Schedule, cls: string, wall_ms = this.clock.now_ms()): number | null {
    const at = nextOpening_ms(schedule, cls, wall_ms);
    return at === null ? null : Math.max(0, at - wall_ms);
  }
}
