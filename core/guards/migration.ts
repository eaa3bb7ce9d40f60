// Migration from WHOOSH (statechart/README.md, "Migration from WHOOSH"): which side serves
// each region. A route moves one step at a time along legacy → shadow → swoosh (or back
// one step), so that every region is shadowed (compared against WHOOSH) before SWOOSH
// alone serves it, and regions reach "swoosh" in the order council → ingestion →
// execution. Both directions keep that order: a region may not become "swoosh" before the
// regions ahead of it, nor leave "swoosh" while a region behind it is still "swoosh"
// (docs/decisions/0101-migration-state-always-present.md).

import { MIGRATION_ORDER, ROUTE_MODES, routeOrderProblem } from '../state';
import type { MigrationRegion, RouteMode } from '../types';
import { fail, pass, type GuardContext, type GuardResult } from './types';

/** Migration_Route: one step, and the order rule holds after it. */
export function migrationOrderGuard(ctx: GuardContext): GuardResult {
  const region = ctx.proposal.inputs.region as MigrationRegion;
  const mode = ctx.proposal.inputs.mode as RouteMode;
  const routes = ctx.state.migration.routes;
  const current = routes[region];
  if (mode === current) return fail('migration_order', [`${region} is already "${mode}"`]);
  const distance = Math.abs(ROUTE_MODES.indexOf(mode) - ROUTE_MODES.indexOf(current));
  if (distance !== 1) {
    return fail('migration_order', [
      `${region} "${current}" → "${mode}" skips a step; routes move one step along ${ROUTE_MODES.join(' → ')}`,
    ]);
  }
  const problem = orderAfter(region, current, mode, { ...routes, [region]: mode });
  if (problem !== null) return fail('migration_order', [problem]);
  return pass('migration_order', [`${region} "${current}" → "${mode}"`]);
}

function orderAfter(region: MigrationRegion, from: RouteMode, to: RouteMode, next: Record<MigrationRegion, RouteMode>): string | null {
  if (routeOrderProblem(next) === null) return null;
  const at = MIGRATION_ORDER.indexOf(region);
  if (to === 'swoosh') {
    const ahead = MIGRATION_ORDER.slice(0, at).filter((r) => next[r] !== 'swoosh');
    return `${region} may become "swoosh" only after ${ahead.map((r) => `${r} (now "${next[r]}")`).join(' and ')}`;
  }
  const behind = MIGRATION_ORDER.slice(at + 1).filter((r) => next[r] === 'swoosh');
  return `${region} may leave "${from}" only after ${behind.join(' and ')} ${behind.length > 1 ? 'leave' : 'leaves'} "swoosh"`;
}

/** Migration_Bypass while not bypassed, Migration_Restore while bypassed. */
export function migrationBypassGuard(ctx: GuardContext): GuardResult {
  const m = ctx.state.migration;
  if (ctx.transition.name === 'Migration_Bypass') {
    if (m.bypass) return fail('migration_bypass', [`already bypassed (${m.bypass_reason ?? ''}); Migration_Restore first`]);
    return pass('migration_bypass', ['every region served as "legacy" until Migration_Restore']);
  }
  if (!m.bypass) return fail('migration_bypass', ['not bypassed: nothing to restore']);
  return pass('migration_bypass', [`routes back in force: ${MIGRATION_ORDER.map((r) => `${r} "${m.routes[r]}"`).join(', ')}`]);
}
