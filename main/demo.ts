// The demo project: deterministic demo keys (core/testing/kit), never for production.
// The simulators sign with the same cast, so the genesis trusts them.

import { makeCast, makeGenesis, type Cast, type KitOptions } from '../core/testing/kit';
import type { Genesis } from '../core/types';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { encodeKeyFile, writeKeyFile } from './keys/keyfile';

export const DEMO_CAST_OPTIONS: KitOptions = { operators: 2, agents: 2, council: 3 };

export function demoCast(): Cast {
  return makeCast(DEMO_CAST_OPTIONS);
}

export function demoGenesis(opts: { period_ms?: number; epoch_ms?: number } = {}): Genesis {
  return makeGenesis(demoCast(), { project: 'demo', threshold: 2, ...opts });
}

/** The demo's operator key file for the console (op-1); a demo key, so its passphrase is printed. */
export const DEMO_OPERATOR_PASSPHRASE = 'demo';

/** Writes op-1's key file, encrypted, beside the demo database (once) and says where. */
export function writeDemoOperatorKey(dir: string): { path: string; passphrase: string } {
  const path = join(dir, 'demo-operator.key');
  const op = demoCast().operators[0];
  if (!op) throw new Error('the demo cast has no operator');
  if (!existsSync(path)) writeKeyFile(path, encodeKeyFile(op.secret, DEMO_OPERATOR_PASSPHRASE));
  return { path, passphrase: DEMO_OPERATOR_PASSPHRASE };
}
