// Retired: the console smoke checks now live in e2e/console.e2e.test.ts (vitest, part of
// `npm test`), which drives a real `swoosh serve --console --sim` child process instead of
// an in-process host. This shim keeps `npm run e2e:console` working until package.json
// points at the spec directly; it runs the spec and exits with its status.
//
//   node --import tsx e2e/console.smoke.ts   ≡   npx vitest run e2e/console.e2e.test.ts

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const vitest = join(REPO, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', 'e2e/console.e2e.test.ts'], { cwd: REPO, stdio: 'inherit' });
process.exit(run.status ?? 1);
