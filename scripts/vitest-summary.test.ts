// The closing line CI reads must count every failure: a file that failed outside any test
// (import error, throwing beforeAll) and an unhandled error each count as failed. Runs a
// real vitest over scripts/testdata/summary-fixture, which fails in each of those ways.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('counts failed files and unhandled errors, not only failed tests', () => {
  const root = join(import.meta.dirname, 'testdata', 'summary-fixture');
  const run = spawnSync(process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', root], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CI: 'true' },
  });
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.startsWith('vitest:'));
  expect(run.status).not.toBe(0);
  expect(lines.at(-1)).toBe('vitest: 2 passed, 4 failed, 2 skipped');
  expect(lines.some((l) => /file failed outside any test: .*before-all\.fixture\.ts: no browser here/.test(l))).toBe(true);
  expect(lines.some((l) => /file failed outside any test: .*import-error\.fixture\.ts: /.test(l))).toBe(true);
  expect(lines).toContain('vitest: unhandled error: left behind');
});
