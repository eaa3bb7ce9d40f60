// The layer boundaries of docs/architecture.md, enforced on the shipped sources: every
// import of a non-test module under core/, protocol/, client/, main/ and renderer/ is
// resolved to the top-level folder it lands in (or the npm package it names) and checked
// against RULES. Tests (*.test.ts[x]) are not shipped and may reach across.
//
//   node --import tsx scripts/boundaries.ts [ROOT]          (default: this repository)
//
// Exit 1 and one line per crossing if there is any; `npm run lint` runs it. Biome's
// noRestrictedImports cannot express this: it matches the import text, not the folder a
// relative path resolves to, so `../x` from core/guards/ and from core/ would need
// different patterns. Walks the files with scripts/import-cycles.ts.

import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR, sourceFiles } from './import-cycles';

/** The top-level folders whose modules are shipped and therefore checked. */
export const SHIPPED_DIRS = ['core', 'protocol', 'client', 'main', 'renderer'] as const;

/**
 * One layer's rule for a module under `layer/`: `allow` lists the only repo folders its
 * relative imports may land in (absent: any folder not in `deny`); `packages` the only npm
 * packages it may import (absent: any).
 */
export interface LayerRule {
  readonly layer: string;
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  readonly packages?: readonly string[];
  readonly why: string;
}

/** Pure npm packages core may use; core/tidy.test.ts keeps the same list for the non-test code. */
const CORE_PACKAGES = ['@noble/ed25519', '@noble/hashes', 'yaml', 'xstate'];

/**
 * Allow lists, so a new top-level folder is out of bounds until a rule names it. They follow
 * docs/architecture.md §1 with one reading: client/ also imports protocol/ (the shared wire
 * types), which the table does not list but which keeps client/ out of main/ and renderer/.
 */
export const RULES: readonly LayerRule[] = [
  { layer: 'core', allow: ['core'], packages: CORE_PACKAGES, why: 'core/ is the pure reducer: nothing outside core but pure libraries' },
  { layer: 'protocol', allow: ['protocol', 'core'], packages: CORE_PACKAGES, why: 'protocol/ is shared by host and console: core/ only' },
  { layer: 'client', allow: ['client', 'protocol', 'core'], why: 'client/ is a standalone SDK: never main/, renderer/ or bench/' },
  {
    layer: 'main',
    allow: ['main', 'client', 'protocol', 'core'],
    why: 'main/ never reaches into renderer/ or the dev benchmarks in bench/',
  },
  {
    layer: 'renderer',
    allow: ['renderer', 'client', 'protocol', 'core', 'statechart'],
    why: 'renderer/ talks to a host through protocol/, never main/ or bench/',
  },
];

export interface Crossing {
  readonly from: string;
  readonly specifier: string;
  readonly why: string;
}

const TEST_FILE = /\.test\.tsx?$/;
const STATIC_IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every specifier a module imports, relative or bare; comments removed first. */
export function allSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(STATIC_IMPORT), ...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string);
}

/** The repo folder a relative specifier lands in (`..` above the root gives '..'). */
export function landingFolder(from: string, specifier: string): string {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier.replace(/\?.*$/, '')));
  return target.split('/')[0] as string;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; `node:` builtins keep their prefix. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** Why `specifier`, imported by `from` under `rule.layer`, crosses the boundary; null if it does not. */
export function crossing(rule: LayerRule, from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) {
    if (rule.packages === undefined || rule.packages.includes(packageName(specifier))) return null;
    return `${rule.why} (package ${packageName(specifier)} is not allowed)`;
  }
  const folder = landingFolder(from, specifier);
  if (rule.allow !== undefined && !rule.allow.includes(folder)) return `${rule.why} (lands in ${folder}/)`;
  if (rule.deny?.includes(folder)) return `${rule.why} (lands in ${folder}/)`;
  return null;
}

/** The crossings under `root`: one per offending import, in file order. */
export function findCrossings(root: string, rules: readonly LayerRule[] = RULES): Crossing[] {
  const out: Crossing[] = [];
  for (const rule of rules) {
    for (const from of sourceFiles(root, [rule.layer])) {
      const posixFrom = from.split('\\').join('/');
      if (TEST_FILE.test(posixFrom)) continue;
      for (const specifier of allSpecifiers(readFileSync(posix.join(root, posixFrom), 'utf8'))) {
        const why = crossing(rule, posixFrom, specifier);
        if (why !== null) out.push({ from: posixFrom, specifier, why });
      }
    }
  }
  return out;
}

function main(argv: string[]): number {
  const root = argv[0] ?? REPO_DIR;
  const crossings = findCrossings(root);
  for (const c of crossings) process.stdout.write(`boundary: ${c.from} imports '${c.specifier}': ${c.why}\n`);
  process.stdout.write(`boundaries: ${SHIPPED_DIRS.join(', ')} checked, ${crossings.length} crossing(s)\n`);
  return crossings.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = main(process.argv.slice(2));
