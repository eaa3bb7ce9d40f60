// The Migration view's data: the routes from HEAD's state, the Migration_* history from the
// WAL (read once from genesis, then only the new records), and the shim's health,
// counters and divergences through the host (GET /migration/*). A host without a shim
// answers 404 not_found there: the view says so and still shows routes and history.
// Every list is bounded; the logic is in lib/migration.ts.

import { useEffect, useRef, useState } from 'react';
import { describeError, isConsoleApiError, type ShadowDivergence, type ShimHealth, type WalRecord } from '../api/ConsoleApi';
import type { MigrationRoutes } from '../../core/types';
import { mergeDivergences, MIGRATION_TRANSITIONS, nextDivergenceSeq, shadowCounts, shadowPoint, type ShadowPoint } from '../lib/migration';
import { parseProm, Ring, type Scrape } from '../lib/prom';
import { useConsole, useLive } from '../state/context';

export const POLL_MS = 2000;
const WAL_PAGE = 1000;
/** WAL pages read per poll while catching up (50 000 records), so one poll stays short. */
const WAL_PAGES_PER_POLL = 50;
/** Migration_* records kept: far more than any rollout takes. */
export const STEPS_MAX = 500;
export const DIVERGENCES_MAX = 50;
const DIVERGENCE_PAGE = 200;
const DIVERGENCE_PAGES_PER_POLL = 10;
/** 10 minutes at one scrape per 2 s. */
const POINTS_MAX = 300;

export type ShimLink =
  | { kind: 'loading' }
  | { kind: 'none' }
  | { kind: 'error'; reason: string }
  | { kind: 'up'; health: ShimHealth; counts: Record<string, { compared: number; diverged: number }> };

export interface MigrationData {
  genesis_routes: MigrationRoutes | null;
  records: WalRecord[];
  history_error: string | null;
  shim: ShimLink;
  divergences: ShadowDivergence[];
  points: ShadowPoint[];
}

export function useMigration(): MigrationData {
  const history = useHistory();
  const shim = useShim();
  return { ...history, ...shim };
}

/** Migration_* records, read forward from index 1 as HEAD moves. */
function useHistory() {
  const { api } = useConsole();
  const headIndex = useLive().head?.index ?? 0;
  const cursor = useRef(1);
  const busy = useRef(false);
  const [genesis_routes, setGenesis] = useState<MigrationRoutes | null>(null);
  const [records, setRecords] = useState<WalRecord[]>([]);
  const [history_error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.getStateAt(0).then(
      (s) => setGenesis(s.state.migration.routes),
      (err) => setError(describeError(err)),
    );
  }, [api]);

  useEffect(() => {
    if (busy.current || cursor.current > headIndex) return;
    busy.current = true;
    void (async () => {
      try {
        const found: WalRecord[] = [];
        for (let i = 0; i < WAL_PAGES_PER_POLL && cursor.current <= headIndex; i += 1) {
          const page = await api.getWal(cursor.current, WAL_PAGE);
          if (page.count === 0) break;
          found.push(...page.records.filter((r) => (MIGRATION_TRANSITIONS as readonly string[]).includes(r.transition)));
          cursor.current = page.from + page.count;
        }
        if (found.length > 0) setRecords((old) => [...old, ...found].slice(-STEPS_MAX));
        setError(null);
      } catch (err) {
        setError(describeError(err));
      } finally {
        busy.current = false;
      }
    })();
  }, [api, headIndex]);

  return { genesis_routes, records, history_error };
}

/** Polls the shim through the host while the view is open. */
function useShim() {
  const { api } = useConsole();
  const [shim, setShim] = useState<ShimLink>({ kind: 'loading' });
  const [divergences, setDivergences] = useState<ShadowDivergence[]>([]);
  const [points, setPoints] = useState<ShadowPoint[]>([]);
  const kept = useRef<ShadowDivergence[]>([]);
  const ring = useRef(new Ring<ShadowPoint>(POINTS_MAX));
  const prev = useRef<Scrape | null>(null);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const [health, text] = await Promise.all([api.getShimHealth(), api.getShimMetricsText()]);
        const scrape = parseProm(text, Date.now());
        let page = DIVERGENCE_PAGE;
        for (let i = 0; i < DIVERGENCE_PAGES_PER_POLL && page === DIVERGENCE_PAGE; i += 1) {
          const got = await api.getShadowDivergences(nextDivergenceSeq(kept.current), DIVERGENCE_PAGE);
          kept.current = mergeDivergences(kept.current, got.divergences, DIVERGENCES_MAX);
          page = got.count;
        }
        if (stopped) return;
        if (prev.current) ring.current.push(shadowPoint(prev.current, scrape));
        prev.current = scrape;
        setPoints(ring.current.toArray());
        setDivergences(kept.current);
        setShim({ kind: 'up', health, counts: shadowCounts(scrape) });
      } catch (err) {
        if (stopped) return;
        if (isConsoleApiError(err) && err.code === 'not_found') setShim({ kind: 'none' });
        else setShim({ kind: 'error', reason: describeError(err) });
      }
    };
    void poll();
    const t = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [api]);

  return { shim, divergences, points };
}
