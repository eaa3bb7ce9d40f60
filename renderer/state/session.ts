// What the console remembers for the whole session, not per view: the actions signed from
// this console, the Metrics history and the cluster seen through /health (the nodes met
// and a bounded leader history: the host reports only who leads now). Views mount and unmount as the operator moves
// around; these used to live in the views' state and were lost on every visit.

import { describeError, type ConsoleApi, type Health } from '../api/ConsoleApi';
import { EMPTY_MEMORY, observeCluster, readCluster, type ClusterMemory } from '../lib/cluster';
import { parseProm, pointBetween, Ring, type MetricsPoint, type Scrape } from '../lib/prom';

/** One accepted action signed here (what the "Signed from this console" panel lists). */
export interface SignedAction {
  transition: string;
  index: number;
  duplicate: boolean;
  signer: string;
  at_ms: number;
}

export interface MetricsSeries {
  points: MetricsPoint[];
  last: Scrape | null;
  error: string | null;
  scrapes: number;
}

export interface SessionView {
  signed: SignedAction[];
  metrics: MetricsSeries;
  cluster: ClusterMemory;
}

/** Newest first; a bound, not a tuning knob. */
export const SIGNED_MAX = 50;
export const METRICS_POLL_MS = 2000;
/** 10 minutes at one scrape per 2 s. */
export const METRICS_SAMPLES_MAX = 300;

export class SessionStore {
  private view: SessionView = { signed: [], metrics: { points: [], last: null, error: null, scrapes: 0 }, cluster: EMPTY_MEMORY };
  private readonly listeners = new Set<() => void>();
  private readonly ring = new Ring<MetricsPoint>(METRICS_SAMPLES_MAX);
  private prev: Scrape | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly api: ConsoleApi) {}

  getSnapshot = (): SessionView => this.view;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  recordSigned(a: SignedAction): void {
    this.set({ signed: [a, ...this.view.signed].slice(0, SIGNED_MAX) });
  }

  /**
   * Every /health answer the console gets (the live store's poll, the Health view's) goes
   * through here; `self_url` is where this console reached its node (its address when the
   * host does not say it).
   */
  observeHealth(h: Health | null, now_ms: number = Date.now(), self_url: string | null = null): void {
    const next = observeCluster(this.view.cluster, readCluster(h), now_ms, self_url);
    if (next !== this.view.cluster) this.set({ cluster: next });
  }

  /** Starts scraping /metrics on the first visit to Metrics and keeps going for the session. */
  ensureMetrics(): void {
    if (this.timer !== null) return;
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), METRICS_POLL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One scrape of GET /metrics; a point needs two (rates are between consecutive scrapes). */
  async scrape(now_ms: number = Date.now()): Promise<void> {
    const m = this.view.metrics;
    try {
      const scrape = parseProm(await this.api.getMetricsText(), now_ms);
      if (this.prev) this.ring.push(pointBetween(this.prev, scrape));
      this.prev = scrape;
      this.set({ metrics: { points: this.ring.toArray(), last: scrape, error: null, scrapes: m.scrapes + 1 } });
    } catch (err) {
      this.set({ metrics: { ...this.view.metrics, error: describeError(err) } });
    }
  }

  private set(patch: Partial<SessionView>): void {
    this.view = { ...this.view, ...patch };
    for (const l of this.listeners) l();
  }
}

/** The node this console talks to, as the browser reached it (null where the page is not served over HTTP, e.g. Electron). */
export function consoleOrigin(): string | null {
  return typeof location !== 'undefined' && /^https?:$/.test(location.protocol) ? location.origin : null;
}
