// The demo project: deterministic demo keys (core/testing/kit), never for production.
// The simulators sign with the same cast, so the genesis trusts them.

import { makeCast, makeGenesis, type Cast, type KitOptions } from '../core/testing/kit';
import type { Genesis } from '../core/types';

export const DEMO_CAST_OPTIONS: KitOptions = { operators: 2, agents: 2, council: 3 };

export function demoCast(): Cast {
  return makeCast(DEMO_CAST_OPTIONS);
}

export function demoGenesis(opts: { period_ms?: number; epoch_ms?: number } = {}): Genesis {
  return makeGenesis(demoCast(), { project: 'demo', threshold: 2, ...opts });
}
