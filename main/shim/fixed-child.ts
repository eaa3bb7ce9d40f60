// Test harness only: the production shim (startShim) in a child process whose routing is
// fixed by argv instead of read from SWOOSH's state, so a kill -9 can be tested in shadow
// mode before SWOOSH carries `migration`. Run: node --import tsx fixed-child.ts CONFIG_JSON
// with {map, legacy, swoosh, db, port, mode, key_name} (key_name: a deterministic test key).

import { readFileSync } from 'node:fs';
import { testKey } from '../../core/testing/kit';
import { startShim } from './command';
import { parseMap } from './map';
import { FixedModeSource, type Mode } from './swoosh';

const c = JSON.parse(process.argv[2] ?? '{}') as { map: string; legacy: string; swoosh: string[]; db: string; port: number; mode: Mode; key_name: string };
const modes = new FixedModeSource({ routes: { council: c.mode, ingestion: c.mode, execution: c.mode }, bypass: false, bypass_reason: null });
const running = await startShim({
  map: parseMap(readFileSync(c.map, 'utf8')), legacy: c.legacy, swoosh: c.swoosh, signer: testKey(c.key_name), db: c.db, port: c.port, compare_interval_ms: 0, modes,
});
process.stdout.write(`swoosh: shim on ${running.url} (fixed mode ${c.mode})\n`);
process.on('SIGTERM', () => void running.stop().then(() => process.exit(0)));
