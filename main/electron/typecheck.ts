// Typechecks the two files that import 'electron' (main.ts, preload.ts) when the optional
// electron package — which carries the types — is installed; says so and passes when an
// offline install dropped it. Everything else in main/electron is in the root tsconfig.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(join(repo, 'node_modules', 'electron', 'electron.d.ts'))) {
  process.stdout.write(
    'typecheck: main/electron/main.ts and preload.ts skipped: the electron package is not installed (offline install)\n',
  );
} else {
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(repo, 'main/electron/tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
