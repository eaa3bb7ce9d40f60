// The demo project on disk: its cast and genesis are fixtures (core/fixtures/demo.ts,
// demo keys, never for production); here is what needs the file system, op-1's key file
// for the console.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { demoCast } from '../core/fixtures/demo';
import { encodeKeyFile, writeKeyFile } from './keys/keyfile';

export { DEMO_CAST_OPTIONS, demoCast, demoGenesis } from '../core/fixtures/demo';

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
