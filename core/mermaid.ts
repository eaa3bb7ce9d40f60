// Documentation views of the statechart spec: a Mermaid `stateDiagram-v2` and a Markdown
// table of the transitions, both embedded in statechart/README.md between markers
// (scripts/statechart-docs.ts writes them; core/mermaid.test.ts fails when they drift).
//
// Mermaid's state diagrams have layout bugs this output steers around on purpose:
//   - a transition that starts or ends on a composite state nested inside a parallel
//     region crashes the renderer (mermaid-js/mermaid#4052), and every composite here sits
//     inside the parallel root; so a composite endpoint is drawn on the atomic states it
//     stands for: a target on the leaves entered by default, a source on each of its
//     leaves (or, with requires_in, on the leaves it requires);
//   - a state named inside a composite block is moved into the last block that names it
//     (mermaid-js/mermaid#5290); so every transition is written at the top level, after
//     the whole state tree, where naming a state does not move it.
//
// Pure: no I/O.

import { defaultLeaves, type Spec, type StateNodeSpec, type TransitionSpec } from './spec';

export const MARKERS = {
  mermaid: { begin: '<!-- mermaid:begin -->', end: '<!-- mermaid:end -->' },
  table: { begin: '<!-- table:begin -->', end: '<!-- table:end -->' },
} as const;

/** Mermaid node ids: the dotted path with `_` for `.`, made unique if two paths collide. */
function nodeIds(spec: Spec): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>([spec.id]);
  for (const path of Object.keys(spec.states)) {
    const base = path.replace(/\./g, '_');
    let id = base;
    for (let n = 2; used.has(id); n += 1) id = `${base}_${n}`;
    used.add(id);
    ids.set(path, id);
  }
  return ids;
}

export function mermaidOf(spec: Spec): string {
  const ids = nodeIds(spec);
  const lines: string[] = ['stateDiagram-v2'];
  lines.push(`  state "${spec.id} (parallel)" as ${spec.id} {`);
  spec.regions.forEach((region, i) => {
    if (i > 0) lines.push('    --');
    stateLines(spec, region, ids, 2, lines);
  });
  lines.push('  }');
  lines.push('  [*] --> ' + spec.id);
  for (const t of Object.values(spec.transitions)) {
    lines.push(`  %% ${t.name}`);
    for (const [from, to, label] of edgesOf(spec, t)) {
      lines.push(`  ${ids.get(from)} --> ${ids.get(to)} : ${label}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function stateLines(spec: Spec, path: string, ids: Map<string, string>, depth: number, lines: string[]): void {
  const node = spec.states[path] as StateNodeSpec;
  const pad = '  '.repeat(depth);
  const id = ids.get(path) as string;
  if (node.kind === 'atomic' || node.kind === 'final') {
    lines.push(`${pad}state "${node.name}" as ${id}`);
    if (node.kind === 'final') lines.push(`${pad}${id} --> [*]`);
    return;
  }
  const kind = node.kind === 'parallel' ? ' (parallel)' : '';
  lines.push(`${pad}state "${node.name}${kind}" as ${id} {`);
  if (node.kind === 'compound') lines.push(`${pad}  [*] --> ${ids.get(`${path}.${node.initial}`)}`);
  node.children.forEach((child, i) => {
    if (node.kind === 'parallel' && i > 0) lines.push(`${pad}  --`);
    stateLines(spec, child, ids, depth + 1, lines);
  });
  lines.push(`${pad}}`);
}

/** The atomic states a composite source stands for (every leaf, or the ones it requires). */
function sourceLeaves(spec: Spec, path: string, t: TransitionSpec): string[] {
  const node = spec.states[path] as StateNodeSpec;
  if (node.kind === 'atomic' || node.kind === 'final') return [path];
  const required = t.requires_in.filter((r) => r.startsWith(`${path}.`));
  if (required.length > 0) return required.flatMap((r) => sourceLeaves(spec, r, t));
  return node.children.flatMap((c) => sourceLeaves(spec, c, t));
}

export function edgeLabel(t: TransitionSpec, branch: string | null): string {
  return `${t.name}${branch === null ? '' : ` [${branch}]`}${t.compensation ? ' (compensation)' : ''}`;
}

/** [from leaf, to leaf, label] for every drawn arrow of `t`; a targetless outcome loops on its source. */
export function edgesOf(spec: Spec, t: TransitionSpec): Array<[string, string, string]> {
  const outcomes =
    t.branches === null
      ? [{ branch: null as string | null, to: t.to }]
      : Object.entries(t.branches).map(([branch, b]) => ({ branch: branch as string | null, to: b.to }));
  const edges: Array<[string, string, string]> = [];
  const seen = new Set<string>();
  const add = (from: string, to: string, label: string): void => {
    const key = `${from}\n${to}\n${label}`;
    if (!seen.has(key)) edges.push([from, to, label]);
    seen.add(key);
  };
  for (const outcome of outcomes) {
    const label = edgeLabel(t, outcome.branch);
    const sources = t.from.flatMap((f) => sourceLeaves(spec, f, t));
    if (outcome.to.length === 0) {
      for (const s of sources) add(s, s, label);
      continue;
    }
    const targets = outcome.to.flatMap((p) => defaultLeaves(p, spec.states));
    for (const s of sources) for (const target of targets) add(s, target, label);
  }
  return edges;
}

// ---- the transition table ----------------------------------------------------------------

const code = (s: string): string => `\`${s}\``;

export function transitionTable(spec: Spec): string {
  const rows = ['| transition | from | to | roles | guards | window | flags |', '|---|---|---|---|---|---|---|'];
  for (const t of Object.values(spec.transitions)) {
    const to =
      t.branches === null
        ? t.to.length === 0
          ? '— (stays)'
          : t.to.map(code).join('<br>')
        : Object.entries(t.branches)
            .map(([b, o]) => `${b}: ${o.to.length === 0 ? '— (stays)' : o.to.map(code).join(', ')}`)
            .join('<br>');
    const guards = [...t.requires_in.map((p) => `in ${code(p)}`), ...t.guards].join('<br>') || '—';
    const flags =
      [
        t.compensation ? 'compensation' : null,
        t.when_quarantined ? 'when_quarantined' : null,
        t.when_paused ? 'when_paused' : null,
        t.license_exempt ? 'license_exempt' : null,
        t.snapshot ? 'snapshot' : null,
      ]
        .filter((f) => f !== null)
        .join('<br>') || '—';
    const cells = [code(t.name), t.from.map(code).join('<br>'), to, t.roles.join(', '), guards, t.window?.join(' or ') ?? '—', flags];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return `${rows.join('\n')}\n`;
}

// ---- README blocks ---------------------------------------------------------------------

export type DocsResult = { ok: true; text: string } | { ok: false; reason: string };

/** The text between a pair of markers (exclusive), or null when the pair is missing. */
export function between(text: string, begin: string, end: string): string | null {
  const i = text.indexOf(begin);
  const j = text.indexOf(end, i + begin.length);
  if (i < 0 || j < 0) return null;
  return text.slice(i + begin.length, j);
}

function replaceBetween(text: string, begin: string, end: string, content: string): string | null {
  const i = text.indexOf(begin);
  const j = text.indexOf(end, i + begin.length);
  if (i < 0 || j < 0) return null;
  return `${text.slice(0, i + begin.length)}${content}${text.slice(j)}`;
}

/** The generated content between each pair of README markers. */
export function docBlocks(spec: Spec): { mermaid: string; table: string } {
  return {
    mermaid: `\n\`\`\`mermaid\n${mermaidOf(spec)}\`\`\`\n`,
    table: `\n${transitionTable(spec)}`,
  };
}

/** The README with both generated blocks brought up to date (markers must be present). */
export function updateReadme(readme: string, spec: Spec): DocsResult {
  const blocks = docBlocks(spec);
  let text: string | null = readme;
  for (const key of ['mermaid', 'table'] as const) {
    text = replaceBetween(text, MARKERS[key].begin, MARKERS[key].end, blocks[key]);
    if (text === null) return { ok: false, reason: `missing ${MARKERS[key].begin} … ${MARKERS[key].end}` };
  }
  return { ok: true, text };
}
