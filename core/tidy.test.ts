// docs/architecture.md §2 rule 1, enforced: core/ is pure. It never reads a clock, draws randomness,
// touches the process or the file system, or imports from outside core (npm packages
// that are themselves pure are allowed by name).
//
// And the test kit stays a test kit: production code under main/ never imports
// core/testing/ (or a core/testkit/). Fixtures (core/fixtures/) and the seeded workload
// (core/workload/) are what the demo, the chaos command and the vectors use instead.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IMPURE_NAMES, importsOf, stripComments } from '../scripts/purity';

const CORE = fileURLToPath(new URL('.', import.meta.url));
const MAIN = join(CORE, '..', 'main');

/** Folders of core that must exist and be scanned (a move that drops one fails here). */
const CORE_FOLDERS = ['fixtures', 'guards', 'testdata', 'testing', 'workload'];

/** Test-kit folders that production code must not import. */
const TEST_KIT = /(^|\/)core\/(testing|testkit)(\/|$)/;

/** main/'s own test helpers (imported by its *.test.ts only): they may use the test kit. */
const MAIN_TEST_HELPERS = 'testing';

const BANNED = IMPURE_NAMES;

const ALLOWED_PACKAGES = new Set(['@noble/ed25519', '@noble/hashes', 'yaml', 'xstate']);

/** Every non-test .ts file under dir, recursively (a bound: the tree is the repo's). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...sources(path)); // testdata/ too: its generator is pure; the writer is in scripts/
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Production files of main/ that import the test kit, as `file imports spec`. */
function testKitImports(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (relative(MAIN, file).split('/')[0] === MAIN_TEST_HELPERS) continue;
    for (const spec of importsOf(stripComments(readFileSync(file, 'utf8')))) {
      const target = spec.startsWith('.') ? relative(join(CORE, '..'), join(file, '..', spec)) : spec;
      if (TEST_KIT.test(target)) found.push(`main/${relative(MAIN, file)} imports ${spec}`);
    }
  }
  return found;
}

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

describe('core purity (docs/architecture.md §2)', () => {
  const files = sources(CORE);

  it('finds the core sources, every folder included', () => {
    expect(files.length).toBeGreaterThan(10);
    const folders = new Set(
      files
        .map((f) => relative(CORE, f).split('/'))
        .filter((p) => p.length > 1)
        .map((p) => p[0]),
    );
    for (const folder of CORE_FOLDERS) expect(folders.has(folder), folder).toBe(true);
  });

  it('uses no banned name', () => {
    const found: string[] = [];
    for (const file of files) {
      const src = stripComments(readFileSync(file, 'utf8'));
      for (const [re, what] of BANNED) {
        if (re.test(src)) found.push(`${relative(CORE, file)}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('imports only core files and allowed pure packages', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec);
          if (relative(CORE, target).startsWith('..')) found.push(`${relative(CORE, file)} imports ${spec} (outside core)`);
        } else if (!ALLOWED_PACKAGES.has(packageOf(spec))) {
          found.push(`${relative(CORE, file)} imports ${spec}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('would catch a violation (self-check of the patterns)', () => {
    const sample = "const t = Date.now(); import x from 'node:fs';";
    expect(BANNED.some(([re]) => re.test(sample))).toBe(true);
    expect(importsOf(sample)).toEqual(['node:fs']);
    expect(ALLOWED_PACKAGES.has(packageOf('node:fs'))).toBe(false);
  });
});

describe('the test kit stays out of production code', () => {
  it("finds main's production sources", () => {
    expect(sources(MAIN).length).toBeGreaterThan(20);
  });

  it('no file under main/ other than a test or a test helper imports core/testing or core/testkit', () => {
    expect(testKitImports(sources(MAIN))).toEqual([]);
  });

  it('would catch such an import (self-check of the patterns)', () => {
    // As if written in main/facts/: the relative paths climb to core/ from there.
    const file = join(MAIN, 'facts', 'fake.ts');
    const src = "import { makeCast } from '../../core/testing/kit';\nimport type { Cast } from '../../core/fixtures/cast';\n";
    const targets = importsOf(src).map((spec) => relative(join(CORE, '..'), join(file, '..', spec)));
    expect(targets.map((t) => TEST_KIT.test(t))).toEqual([true, false]);
    expect(TEST_KIT.test('core/testkit/driver')).toBe(true);
  });
});
