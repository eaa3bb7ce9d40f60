// The live view of the host: HEAD, its frame (for the transition animation), health and
// the event link. Fed by the ConsoleApi event stream; HEAD refreshes are coalesced so a
// burst of thousands of accepted events costs a handful of requests, not thousands.

import type { ConsoleApi, ConsoleEvent, Health, RejectedEvent, StateAt } from '../api/ConsoleApi';
import { describeError } from '../api/ConsoleApi';
import { FrameLoader, type Frame } from './frames';

export interface LiveView {
  head: StateAt | null;
  /** Frame at HEAD (state, previous state, record). */
  frame: Frame | null;
  health: Health | null;
  link: 'connecting' | 'open' | 'down';
  error: string | null;
  accepted: number;
  rejected: number;
  lastRejected: RejectedEvent | null;
}

const HEALTH_POLL_MS = 5000;
const HEAD_POLL_MS = 10_000;

export class LiveStore {
  readonly loader: FrameLoader;
  private view: LiveView = {
    head: null,
    frame: null,
    health: null,
    link: 'connecting',
    error: null,
    accepted: 0,
    rejected: 0,
    lastRejected: null,
  };
  private readonly listeners = new Set<() => void>();
  private refreshing = false;
  private again = false;
  private stopFns: Array<() => void> = [];

  constructor(private readonly api: ConsoleApi) {
    this.loader = new FrameLoader(api);
  }

  start(): void {
    this.stopFns.push(this.api.subscribe((e) => this.onEvent(e)));
    const healthTimer = setInterval(() => void this.refreshHealth(), HEALTH_POLL_MS);
    const headTimer = setInterval(() => void this.refreshHead(), HEAD_POLL_MS);
    this.stopFns.push(
      () => clearInterval(healthTimer),
      () => clearInterval(headTimer),
    );
    void this.refreshHead();
    void this.refreshHealth();
  }

  stop(): void {
    for (const f of this.stopFns) f();
    this.stopFns = [];
  }

  getSnapshot = (): LiveView => this.view;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<LiveView>): void {
    this.view = { ...this.view, ...patch };
    for (const l of this.listeners) l();
  }

  private onEvent(e: ConsoleEvent): void {
    switch (e.type) {
      case 'accepted':
        this.set({ accepted: this.view.accepted + 1 });
        void this.refreshHead();
        break;
      case 'rejected':
        this.set({ rejected: this.view.rejected + 1, lastRejected: e });
        break;
      case 'health':
        if (this.view.health) this.set({ health: { ...this.view.health, status: e.status } });
        if (e.index !== undefined && this.view.head && e.index !== this.view.head.index) void this.refreshHead();
        break;
      case 'link':
        this.set({ link: e.status });
        if (e.status === 'open') void this.refreshHead();
        break;
    }
  }

  /** Coalesced: at most one request in flight, and one more queued behind it. */
  async refreshHead(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.again = false;
        const head = await this.api.getState();
        this.loader.remember(head);
        if (this.view.head?.hash !== head.hash) {
          this.set({ head, error: null });
          const frame = await this.loader.frame(head.index, head.index);
          if (this.view.head?.index === frame.index) this.set({ frame });
        } else if (this.view.error !== null) {
          this.set({ error: null });
        }
      } while (this.again);
    } catch (err) {
      this.set({ error: describeError(err) });
    } finally {
      this.refreshing = false;
    }
  }

  async refreshHealth(): Promise<void> {
    try {
      this.set({ health: await this.api.getHealth() });
    } catch (err) {
      this.set({ health: { status: 'unreachable', consensus: {}, lastSnapshotHLC: null, walLag: 0, reason: describeError(err) } });
    }
  }
}
