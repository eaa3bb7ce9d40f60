// npm run licences: the real production tree passes the allow-list; a tree on disk with a
// copyleft package two levels down fails, naming the package, its version and its licence;
// dev dependencies are not part of what ships; SPDX OR/AND read as they should.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLicences, licenceAllowed, productionPackages, REPO_DIR } from './licences';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-licences-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pkg(at: string, manifest: Record<string, unknown>): void {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ version: '1.0.0', ...manifest }));
}

function run(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(REPO_DIR, 'scripts/licences.ts'), root], { cwd: REPO_DIR }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run licences', () => {
  it('passes on the installed production tree', () => {
    const report = checkLicences();
    expect(report.refused).toEqual([]);
    const names = productionPackages().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['better-sqlite3', 'pino', 'react', 'age-encryption']));
    expect(names).not.toContain('vitest');
  });

  it('fails on a copyleft package deep in the tree, naming it; dev dependencies do not count', async () => {
    const root = join(dir, 'app');
    pkg(root, { name: 'app', dependencies: { a: '1' }, optionalDependencies: { missing: '1' }, devDependencies: { devonly: '1' } });
    pkg(join(root, 'node_modules/a'), { name: 'a', license: 'MIT', dependencies: { b: '1', c: '1' } });
    pkg(join(root, 'node_modules/a/node_modules/b'), { name: 'b', version: '2.3.4', license: 'GPL-3.0-only' });
    pkg(join(root, 'node_modules/c'), { name: 'c', licenses: [{ type: 'MIT' }, { type: 'GPL-2.0' }] });
    pkg(join(root, 'node_modules/devonly'), { name: 'devonly', license: 'AGPL-3.0' });
    expect(checkLicences(root)).toEqual({ checked: 3, refused: [{ name: 'b', version: '2.3.4', licence: 'GPL-3.0-only' }] });
    const r = await run(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('licences: b@2.3.4 is licensed GPL-3.0-only, which is not on the allow-list (scripts/licences.ts)\n');
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, checked: 3, refused: 1 });
  });

  it('reads SPDX expressions: OR needs one allowed side, AND needs all', () => {
    expect(licenceAllowed('(MIT OR WTFPL)')).toBe(true);
    expect(licenceAllowed('MIT AND ISC AND BSD-3-Clause')).toBe(true);
    expect(licenceAllowed('MIT AND GPL-3.0-only')).toBe(false);
    expect(licenceAllowed('(GPL-2.0 OR SSPL-1.0)')).toBe(false);
    expect(licenceAllowed('UNKNOWN')).toBe(false);
  });

  it('npm run sbom writes a CycloneDX SBOM of the production tree from the lock file', async () => {
    const code = await new Promise<number>((resolve) =>
      execFile('npm', ['run', '-s', 'sbom'], { cwd: REPO_DIR }, (err) => resolve(err ? 1 : 0)),
    );
    expect(code).toBe(0);
    const bom = JSON.parse(readFileSync(join(REPO_DIR, 'dist/sbom.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: Array<{ name: string; licenses?: unknown }>;
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    const names = bom.components.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['better-sqlite3', 'pino', 'age-encryption']));
    expect(names).not.toContain('vitest');
  });
});
