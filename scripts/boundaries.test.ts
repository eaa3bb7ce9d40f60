// The boundary check on planted trees: a clean tree passes, each forbidden import fails
// with the importing file named, tests may cross, and the real repository is clean. The
// CLI is run as `npm run lint` runs it, so its exit status is checked too.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { allSpecifiers, findCrossings, landingFolder, packageName } from './boundaries';
import { REPO_DIR } from './import-cycles';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A temp tree with a clean module in each layer, plus `extra` files (path → source). */
function plant(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'swoosh-boundaries-'));
  roots.push(root);
  const files: Record<string, string> = {
    'core/hash.ts': "import { sha256 } from '@noble/hashes/sha2.js';\nexport const h = sha256;\n",
    'core/guards/license.ts': "import { h } from '../hash';\nexport const g = h;\n",
    'protocol/api.ts': "import type { h } from '../core/hash';\nexport type A = typeof h;\n",
    'client/client.ts': "import type { A } from '../protocol/api';\nexport type C = A;\n",
    'main/host.ts': "import { h } from '../core/hash';\nimport { readFileSync } from 'node:fs';\nexport const m = [h, readFileSync];\n",
    'renderer/App.tsx':
      "import type { A } from '../protocol/api';\nimport spec from '../statechart/s.yaml?raw';\nexport const r = [spec] as unknown as A;\n",
    'bench/core.bench.ts': "import { m } from '../main/host';\nexport const b = m;\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const froms = (root: string) => findCrossings(root).map((c) => `${c.from} -> ${c.specifier}`);

describe('boundaries: reading imports', () => {
  it('reads static, type-only, side-effect, re-export and dynamic imports, not commented ones', () => {
    const text = [
      "import a from './a';",
      "import type { B } from '../b';",
      "import './side.css';",
      "export { c } from 'pkg/sub';",
      "const d = await import('../../d');",
      "// import e from '../e';",
      "/* import f from '../f'; */",
    ].join('\n');
    expect(allSpecifiers(text).sort()).toEqual(['../../d', '../b', './a', './side.css', 'pkg/sub']);
  });

  it('resolves the folder a relative path lands in, and the package a bare one names', () => {
    expect(landingFolder('core/guards/license.ts', '../hash')).toBe('core');
    expect(landingFolder('core/guards/license.ts', '../../main/host')).toBe('main');
    expect(landingFolder('renderer/api/http.ts', '../../statechart/s.yaml?raw')).toBe('statechart');
    expect(landingFolder('core/x.ts', '../../outside')).toBe('..');
    expect(packageName('@noble/hashes/sha2.js')).toBe('@noble/hashes');
    expect(packageName('node:fs')).toBe('node:fs');
    expect(packageName('yaml')).toBe('yaml');
  });
});

describe('boundaries: planted trees', () => {
  it('passes a tree that keeps every rule (bench/ may import main/)', () => {
    expect(froms(plant())).toEqual([]);
  });

  it.each([
    ['core/guards/bad.ts', "import { m } from '../../main/host';", 'core/guards/bad.ts -> ../../main/host'],
    ['core/bad.ts', "import { readFileSync } from 'node:fs';", 'core/bad.ts -> node:fs'],
    ['core/bad.ts', "import { A } from '../protocol/api';", 'core/bad.ts -> ../protocol/api'],
    ['protocol/bad.ts', "export { m } from '../main/host';", 'protocol/bad.ts -> ../main/host'],
    ['protocol/bad.ts', "import type { C } from '../client/client';", 'protocol/bad.ts -> ../client/client'],
    ['renderer/views/Bad.tsx', "const m = await import('../../main/host');", 'renderer/views/Bad.tsx -> ../../main/host'],
    ['main/api/bad.ts', "import { r } from '../../renderer/App';", 'main/api/bad.ts -> ../../renderer/App'],
    ['main/bad.ts', "import { b } from '../bench/core.bench';", 'main/bad.ts -> ../bench/core.bench'],
    ['client/bad.ts', "import { b } from '../bench/core.bench';", 'client/bad.ts -> ../bench/core.bench'],
    ['renderer/bad.ts', "import { b } from '../bench/core.bench';", 'renderer/bad.ts -> ../bench/core.bench'],
  ])('fails %s importing across: %s', (path, source, expected) => {
    expect(froms(plant({ [path]: `${source}\nexport const x = 1;\n` }))).toEqual([expected]);
  });

  it('lets tests cross (they are not shipped), but not their non-test helpers', () => {
    const root = plant({
      'core/hash.test.ts': "import { m } from '../main/host';\n",
      'renderer/App.test.tsx': "import { m } from '../main/host';\n",
      'core/testing/kit.ts': "import { m } from '../../main/host';\n",
    });
    expect(froms(root)).toEqual(['core/testing/kit.ts -> ../../main/host']);
  });

  it('exits 1 and names the crossing from the command line; 0 on a clean tree', () => {
    const script = fileURLToPath(new URL('./boundaries.ts', import.meta.url));
    const run = (root: string) => spawnSync(process.execPath, ['--import', 'tsx', script, root], { encoding: 'utf8', cwd: REPO_DIR });
    const bad = run(plant({ 'main/bad.ts': "import { r } from '../renderer/App';\n" }));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("boundary: main/bad.ts imports '../renderer/App'");
    const good = run(plant());
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('0 crossing(s)');
  });
});

describe('boundaries: this repository', () => {
  it('has no crossing', () => {
    expect(findCrossings(REPO_DIR)).toEqual([]);
  });
});
