// The diagram and the transition table in statechart/README.md are generated from the YAML
// (scripts/statechart-docs.ts); this test fails as soon as either drifts from it.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMachine } from '../main/machine';
import { between, docBlocks, edgesOf, MARKERS, mermaidOf, transitionTable, updateReadme } from './mermaid';
import type { TransitionSpec } from './spec';

const README = fileURLToPath(new URL('../statechart/README.md', import.meta.url));
const spec = loadMachine();
const readme = readFileSync(README, 'utf8');
const diagram = mermaidOf(spec);

describe('statechart/README.md', () => {
  it('embeds exactly mermaidOf(the YAML) between the mermaid markers', () => {
    const block = between(readme, MARKERS.mermaid.begin, MARKERS.mermaid.end);
    expect(block, 'mermaid markers').not.toBeNull();
    expect(block).toBe(`\n\`\`\`mermaid\n${diagram}\`\`\`\n`);
  });

  it('embeds exactly the generated transition table between the table markers', () => {
    expect(between(readme, MARKERS.table.begin, MARKERS.table.end)).toBe(docBlocks(spec).table);
  });

  it('is what `npm run statechart:docs` would write (run it after editing the YAML)', () => {
    const updated = updateReadme(readme, spec);
    expect(updated.ok).toBe(true);
    expect(updated.ok && updated.text === readme, 'statechart/README.md is stale: run npm run statechart:docs').toBe(true);
  });
});

describe('mermaidOf', () => {
  const lines = diagram.split('\n');

  it('is a stateDiagram-v2 with every state declared once under its own id', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    for (const node of Object.values(spec.states)) {
      const id = node.path.replace(/\./g, '_');
      const declared = lines.filter(
        (l) => l.trim().startsWith(`state "${node.name}`) && (l.includes(` as ${id} `) || l.endsWith(` as ${id}`)),
      );
      expect(declared, node.path).toHaveLength(1);
    }
  });

  it('separates the regions of every parallel state with --', () => {
    const parallels = Object.values(spec.states).filter((s) => s.kind === 'parallel');
    const separators = parallels.reduce((n, s) => n + s.children.length - 1, 0) + spec.regions.length - 1;
    expect(lines.filter((l) => l.trim() === '--')).toHaveLength(separators);
  });

  it('labels an arrow with every transition name, branches and compensations marked', () => {
    for (const t of Object.values(spec.transitions)) {
      const arrows = lines.filter((l) => l.includes(' --> ') && l.includes(` : ${t.name}`));
      expect(arrows.length, t.name).toBeGreaterThan(0);
      for (const branch of Object.keys(t.branches ?? {})) {
        expect(
          arrows.some((l) => l.includes(`: ${t.name} [${branch}]`)),
          `${t.name} [${branch}]`,
        ).toBe(true);
      }
      if (t.compensation)
        expect(
          arrows.every((l) => l.endsWith('(compensation)')),
          t.name,
        ).toBe(true);
    }
  });

  it('draws arrows only between atomic states (mermaid-js/mermaid#4052), at the top level', () => {
    const atomic = new Set(
      Object.values(spec.states)
        .filter((s) => s.kind === 'atomic' || s.kind === 'final')
        .map((s) => s.path),
    );
    for (const t of Object.values(spec.transitions) as TransitionSpec[]) {
      for (const [from, to] of edgesOf(spec, t)) {
        expect(atomic.has(from) && atomic.has(to), `${t.name}: ${from} → ${to}`).toBe(true);
      }
    }
    const labelled = lines.filter((l) => / --> .* : /.test(l));
    expect(labelled.every((l) => l.startsWith('  ') && !l.startsWith('   '))).toBe(true);
  });

  it('draws a cross-region transition into the other region and a targetless one as a loop', () => {
    expect(diagram).toContain('FLOW_BOOT_LICENSE_CHECK --> LICENSE_LICENSED : Boot_Licensed');
    expect(diagram).toContain('FLOW_PROJECT_LIFECYCLE_Ingestion_VALIDATE --> POLICY_QUARANTINED : Ingestion_SchemaOk [breach]');
    expect(diagram).toContain('POLICY_QUARANTINED --> FLOW_TERMINATED : Quarantine_ConfirmBlock');
    expect(diagram).toContain('FLOW_EXECUTION_REVIEW --> FLOW_EXECUTION_REVIEW : Execution_Approve');
    expect(diagram).toContain('POLICY_QUARANTINED --> POLICY_QUARANTINED : Policy_Update [keep]');
  });
});

describe('transitionTable', () => {
  it('has one row per transition', () => {
    const rows = transitionTable(spec).trim().split('\n').slice(2);
    expect(rows.map((r) => /^\| `([A-Za-z_]+)` \|/.exec(r)?.[1])).toEqual(Object.keys(spec.transitions));
  });
});
