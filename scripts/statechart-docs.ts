// Regenerates the generated blocks of statechart/README.md from the statechart YAML: the
// Mermaid diagram (between <!-- mermaid:begin --> / <!-- mermaid:end -->) and the table of
// transitions (between <!-- table:begin --> / <!-- table:end -->).
//
//   node --import tsx scripts/statechart-docs.ts           rewrite the README if it is stale
//   node --import tsx scripts/statechart-docs.ts --check   exit 1 if it is stale, change nothing
//
// core/mermaid.test.ts fails on a stale README too, so the diagram cannot drift from the YAML.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { updateReadme } from '../core/mermaid';
import { loadMachine } from '../main/machine';

export const README_PATH = fileURLToPath(new URL('../statechart/README.md', import.meta.url));

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`statechart-docs: unknown argument ${unknown.join(' ')}; usage: statechart-docs [--check]`);
    return 2;
  }
  const readme = readFileSync(README_PATH, 'utf8');
  const updated = updateReadme(readme, loadMachine());
  if (!updated.ok) {
    console.error(`statechart-docs: ${README_PATH}: ${updated.reason}`);
    return 1;
  }
  if (updated.text === readme) {
    console.log('statechart-docs: statechart/README.md is up to date');
    return 0;
  }
  if (check) {
    console.error('statechart-docs: statechart/README.md is stale; run `npm run statechart:docs`');
    return 1;
  }
  writeFileSync(README_PATH, updated.text);
  console.log('statechart-docs: statechart/README.md regenerated');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
