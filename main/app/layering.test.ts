// The layering this folder exists for, checked on the real source tree: no import cycles
// among main/, core/, client/ and bench/; the composition root (main/app/) never imports
// a command or the CLI; nothing shipped under main/ imports the dev benchmarks in bench/;
// and outside main/commands/ only process entries reach into a command module (the
// argument helpers in main/commands/args.ts serve commands that live elsewhere, `follow`).

import { describe, expect, it } from 'vitest';
import { DEFAULT_DIRS, findCycles, importGraph, importSpecifiers, REPO_DIR, type ImportGraph } from '../../scripts/import-cycles';

const graph = importGraph(REPO_DIR, [...DEFAULT_DIRS, 'e2e']);

function importers(target: (module: string) => boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [from, tos] of graph) for (const to of tos) if (target(to)) out.push([from, to]);
  return out;
}

/** Process entries that run a command without the CLI table (the chaos runner's children). */
const COMMAND_ENTRIES = new Set(['main/chaos/main.ts', 'main/replica/main.ts']);
/** Not ours to edit yet: rebuild-sqlite.ts takes its Electron probes through commands/start's re-export. */
const PENDING = new Set(['main/electron/rebuild-sqlite.ts']);

describe('import layering', () => {
  it('finds the cycles it should: a loop, a self-import, none in a chain', () => {
    const g: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
    ]);
    expect(findCycles(g)).toEqual([
      { cycle: ['a.ts', 'b.ts', 'c.ts', 'a.ts'], tangled: 3 },
      { cycle: ['d.ts', 'd.ts'], tangled: 1 },
    ]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads static, type-only, re-export and dynamic imports, not commented ones', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "export { c } from './c';",
      'import {\n  d,\n  e,\n} from "./de";',
      "const f = await import('./f');",
      "// import { g } from './g';",
      "/* import('./h') */",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../b', './a', './c', './de', './f']);
  });

  it('has no import cycle among main, core, protocol, client, renderer, bench, scripts and e2e', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(findCycles(graph).map((c) => c.cycle.join(' > '))).toEqual([]);
  });

  it('main/app imports no command and not the CLI', () => {
    const bad = importers((to) => to.startsWith('main/commands/') || to === 'main/cli.ts').filter(([from]) => from.startsWith('main/app/'));
    expect(bad).toEqual([]);
  });

  it('nothing under main/ imports bench/ (the shipped CLI runs main/bench only)', () => {
    expect(importers((to) => to.startsWith('bench/')).filter(([from]) => !from.startsWith('bench/'))).toEqual([]);
  });

  it('outside main/commands, only the CLI and process entries import a command (args.ts is for any command)', () => {
    const bad = importers((to) => to.startsWith('main/commands/') && to !== 'main/commands/args.ts').filter(
      ([from]) => !from.startsWith('main/commands/') && from !== 'main/cli.ts' && !COMMAND_ENTRIES.has(from) && !PENDING.has(from),
    );
    expect(bad).toEqual([]);
  });
});
