// Import cycles among the TypeScript sources: walks the given folders, reads every
// relative import (static, `export … from`, dynamic `import()`, `import type` too — a
// type-only cycle is still two modules that cannot be understood apart), and reports each
// strongly connected component with one concrete cycle through it.
//
//   node --import tsx scripts/import-cycles.ts [DIR …]      (default: main core client bench)
//
// Exit 1 and one line per cycle if there is any; main/app/layering.test.ts runs it in
// `npm test`. A few dozen lines instead of a dependency: `npx madge --circular` agrees.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_DIRS = ['main', 'core', 'protocol', 'client', 'renderer', 'bench', 'scripts'] as const;

/** Module → the modules it imports, both as repo-relative paths. */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.(ts|tsx)$/;
/** Folders never walked: dependencies, build output, generated data. */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'testdata']);
/** A generous bound on the walk (the repo has a few hundred sources). */
const FILES_MAX = 20_000;

const STATIC_IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?['"](\.[^'"]*)['"]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*['"](\.[^'"]*)['"]\s*\)/g;

export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(path);
      } else if (SOURCE.test(name) && !name.endsWith('.d.ts')) {
        if (out.length >= FILES_MAX) throw new Error(`more than ${FILES_MAX} sources under ${dirs.join(', ')}`);
        out.push(relative(root, path));
      }
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(join(root, d));
  return out;
}

/** Line and block comments removed, so an import named in a comment does not count. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The relative specifiers a module imports. */
export function importSpecifiers(text: string): string[] {
  const code = withoutComments(text);
  return [...code.matchAll(STATIC_IMPORT), ...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string);
}

function resolveImport(root: string, from: string, spec: string): string | null {
  const base = resolve(root, dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (SOURCE.test(candidate) && existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return null;
}

export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root, dirs)) {
    const targets = importSpecifiers(readFileSync(join(root, file), 'utf8'))
      .map((spec) => resolveImport(root, file, spec))
      .filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components, iteratively (no recursion depth to bound). */
function components(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next);
    next += 1;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1] as { node: string; edge: number };
      const edges = graph.get(top.node) ?? [];
      if (top.edge < edges.length) {
        const to = edges[top.edge] as string;
        top.edge += 1;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next);
          next += 1;
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(top.node) as number));
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          scc.push(member);
        } while (member !== top.node);
        out.push(scc);
      }
    }
  }
  return out;
}

/** One cycle through `from` inside its component, by breadth-first search back to it. */
function cycleThrough(graph: ImportGraph, members: ReadonlySet<string>, from: string): string[] {
  const previous = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i += 1) {
    const node = queue[i] as string;
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === from) {
        const path = [node];
        while (path[0] !== from) path.unshift(previous.get(path[0] as string) as string);
        return [...path, from];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [from, from];
}

/**
 * One cycle per strongly connected component (a self-import counts), starting at the
 * component's first module by name; `tangled` says how many modules the component has.
 */
export function findCycles(graph: ImportGraph): Array<{ cycle: string[]; tangled: number }> {
  const cycles: Array<{ cycle: string[]; tangled: number }> = [];
  for (const scc of components(graph)) {
    const self = scc.length === 1 && (graph.get(scc[0] as string) ?? []).includes(scc[0] as string);
    if (scc.length < 2 && !self) continue;
    const first = [...scc].sort()[0] as string;
    cycles.push({ cycle: cycleThrough(graph, new Set(scc), first), tangled: scc.length });
  }
  return cycles.sort((a, b) => (a.cycle[0] as string).localeCompare(b.cycle[0] as string));
}

function main(argv: string[]): number {
  const dirs = argv.length > 0 ? argv : [...DEFAULT_DIRS];
  const graph = importGraph(REPO_DIR, dirs);
  const cycles = findCycles(graph);
  for (const c of cycles) process.stdout.write(`cycle: ${c.cycle.join(' > ')} (${c.tangled} modules tangled)\n`);
  process.stdout.write(`import-cycles: ${graph.size} modules under ${dirs.join(', ')}, ${cycles.length} cycle(s)\n`);
  return cycles.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = main(process.argv.slice(2));
