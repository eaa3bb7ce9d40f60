// The Migration view's logic (docs/migration.md), pure: the route history read from the
// WAL's Migration_* records, the shim's shadow counters turned into chart points, and the
// bounded list of the latest divergences. The view only fetches and draws.

import type { MigrationRoutes, RouteMode, WalRecord } from '../../core/types';
import { MIGRATION_ORDER, ROUTE_MODES, routeOrderProblem, type MigrationState } from '../../core/state';
import type { MigrationRegion } from '../../core/types';
import type { ShadowDivergence } from '../api/ConsoleApi';
import { counterRate, sumBy, type Scrape } from './prom';

export const MIGRATION_TRANSITIONS = ['Migration_Route', 'Migration_Bypass', 'Migration_Restore'] as const;

/** One Migration_* record, with the routes it moved from and to. */
export interface MigrationStep {
  index: number;
  transition: string;
  signer: string;
  hlc: string;
  accepted_at_ms: number;
  /** Migration_Route: the region and its mode before and after. */
  region: MigrationRegion | null;
  from: RouteMode | null;
  to: RouteMode | null;
  /** The operator's justification or bypass reason. */
  text: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The steps of `records` (any order, any mix of transitions), oldest first, folded from
 * `routes_before` (the routes before the first record given), keeping the last `max`.
 */
export function migrationSteps(records: readonly WalRecord[], routes_before: MigrationRoutes, max: number): MigrationStep[] {
  const routes = { ...routes_before };
  const out: MigrationStep[] = [];
  const sorted = [...records]
    .filter((r) => (MIGRATION_TRANSITIONS as readonly string[]).includes(r.transition))
    .sort((a, b) => a.index - b.index);
  for (const r of sorted) {
    const inputs = (r.proposal?.inputs ?? {}) as Record<string, unknown>;
    const base = { index: r.index, transition: r.transition, signer: r.signer, hlc: r.hlc, accepted_at_ms: r.accepted_at_ms };
    if (r.transition === 'Migration_Route') {
      const region = str(inputs.region) as MigrationRegion;
      const to = str(inputs.mode) as RouteMode;
      const from = region in routes ? routes[region] : null;
      if (region in routes) routes[region] = to;
      out.push({ ...base, region, from, to, text: str(inputs.justification) });
    } else {
      out.push({
        ...base,
        region: null,
        from: null,
        to: null,
        text: str(r.transition === 'Migration_Bypass' ? inputs.reason : inputs.justification),
      });
    }
  }
  return out.slice(-max);
}

/** A route step the operator may take from here: the next or previous mode, if the order rule allows it. */
export interface RouteStep {
  region: MigrationRegion;
  mode: RouteMode;
  direction: 'forward' | 'back';
  /** Why the orchestrator would refuse it (order rule), or null. */
  blocked: string | null;
}

/** Each region's possible one-step moves, forward first. */
export function routeSteps(m: MigrationState): RouteStep[] {
  const out: RouteStep[] = [];
  for (const region of MIGRATION_ORDER) {
    const at = ROUTE_MODES.indexOf(m.routes[region]);
    const moves: Array<[number, 'forward' | 'back']> = [
      [at + 1, 'forward'],
      [at - 1, 'back'],
    ];
    for (const [i, direction] of moves) {
      const mode = ROUTE_MODES[i];
      if (mode === undefined) continue;
      out.push({ region, mode, direction, blocked: routeOrderProblem({ ...m.routes, [region]: mode }) });
    }
  }
  return out;
}

/** Whether SWOOSH alone serves some region now (the bypass button is made prominent then). */
export function anySwoosh(m: MigrationState): boolean {
  return !m.bypass && MIGRATION_ORDER.some((r) => m.routes[r] === 'swoosh');
}

export const COMPARED = 'swoosh_shadow_compared_total';
export const DIVERGED = 'swoosh_shadow_divergence_total';

/** Per region: comparisons evaluated and divergences recorded so far (the shim's counters). */
export function shadowCounts(scrape: Scrape): Record<string, { compared: number; diverged: number }> {
  const compared = sumBy(scrape, COMPARED, 'region');
  const diverged = sumBy(scrape, DIVERGED, 'region');
  const out: Record<string, { compared: number; diverged: number }> = {};
  for (const region of new Set([...compared.keys(), ...diverged.keys()])) {
    out[region] = { compared: compared.get(region) ?? 0, diverged: diverged.get(region) ?? 0 };
  }
  return out;
}

/** One chart point between two scrapes of the shim's metrics. */
export interface ShadowPoint {
  t_ms: number;
  compared_per_s: number;
  diverged_per_s: number;
  /** Divergences recorded in total (all regions). */
  diverged_total: number;
}

function sum(m: Record<string, { compared: number; diverged: number }>, k: 'compared' | 'diverged'): number {
  return Object.values(m).reduce((a, c) => a + c[k], 0);
}

export function shadowPoint(prev: Scrape, next: Scrape): ShadowPoint {
  const dt = next.at_ms - prev.at_ms;
  const [a, b] = [shadowCounts(prev), shadowCounts(next)];
  return {
    t_ms: next.at_ms,
    compared_per_s: counterRate(sum(a, 'compared'), sum(b, 'compared'), dt),
    diverged_per_s: counterRate(sum(a, 'diverged'), sum(b, 'diverged'), dt),
    diverged_total: sum(b, 'diverged'),
  };
}

/** Merges a fetched page into the kept divergences: by seq, newest first, at most `max`. */
export function mergeDivergences(kept: readonly ShadowDivergence[], page: readonly ShadowDivergence[], max: number): ShadowDivergence[] {
  const bySeq = new Map<number, ShadowDivergence>();
  for (const d of [...kept, ...page]) bySeq.set(d.seq, d);
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq).slice(0, max);
}

/** The seq to ask from next: one past the newest kept (the shim numbers from 1). */
export function nextDivergenceSeq(kept: readonly ShadowDivergence[]): number {
  return kept.reduce((m, d) => Math.max(m, d.seq + 1), 1);
}

/**
 * A divergence value as one line (values are arbitrary JSON). Signer keys the project
 * knows are shown by their id (`nameOf` gives it, or null for a stranger's key), so member
 * sets read "op-1", "agent-2"; the raw value stays in the cell's tooltip.
 */
export function showValue(v: unknown, chars_max = 400, nameOf: (signer: string) => string | null = () => null): string {
  const named = (_: string, x: unknown) => (typeof x === 'string' && x.startsWith('hmmm:ed25519:') ? (nameOf(x) ?? x) : x);
  const s = v === undefined ? '—' : JSON.stringify(v, named);
  return s.length > chars_max ? `${s.slice(0, chars_max - 1)}…` : s;
}
