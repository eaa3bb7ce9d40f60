// The demo project's genesis: deterministic demo keys (core/testing/kit), never for
// production. Issue 4's simulators sign with these keys.

import { makeCast, makeGenesis } from '../core/testing/kit';
import type { Genesis } from '../core/types';

export function demoGenesis(): Genesis {
  return makeGenesis(makeCast({ operators: 2, agents: 2, council: 3 }), { project: 'demo', threshold: 2 });
}
