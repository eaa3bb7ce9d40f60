// DESIGN §2 rule 1, enforced: core/ is pure. It never reads a clock, draws randomness,
// touches the process or the file system, or imports from outside core (npm packages
// that are themselves pure are allowed by name).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = fileURLToPath(new URL('.', import.meta.url));

const BANNED: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew Date\s*\(\s*\)/, 'new Date() without an argument'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\brandomUUID\b/, 'randomUUID'],
  [/\bgetRandomValues\b/, 'getRandomValues'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/\bprocess\./, 'process'],
  [/\brequire\s*\(/, 'require()'],
  [/\bfetch\s*\(/, 'fetch()'],
  [/\beval\s*\(|\bnew Function\b/, 'eval'],
];

const ALLOWED_PACKAGES = new Set(['@noble/ed25519', '@noble/hashes', 'yaml', 'xstate']);

function coreSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...coreSources(path)); // testdata/ too: its generator is pure; the writer is in scripts/
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function importsOf(src: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

describe('core purity (DESIGN §2)', () => {
  const files = coreSources(CORE);

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(10);
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
