// The documentation's relative links resolve, and the decision index lists every record, so
// a renamed or deleted page (as contract-notes.md was) cannot leave a dead link behind.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
// docs/ is two levels deep at most (docs/runbooks, docs/decisions); the bound keeps a
// symlink loop from recursing forever.
const DEPTH_MAX = 4;

function markdownFiles(dir: string, depth = 0): string[] {
  if (depth > DEPTH_MAX) return [];
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(path, depth + 1);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** Relative link targets of a markdown text, without anchors; web, mail and in-page links left out. */
export function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^(https?:|mailto:|#)/.test(t)).map((t) => t.split('#')[0]!);
}

describe('documentation links', () => {
  const pages = ['README.md', 'statechart/README.md', ...markdownFiles('docs')];

  it('finds the pages it checks', () => {
    expect(pages).toEqual(expect.arrayContaining(['docs/protocol.md', 'docs/architecture.md', 'docs/decisions/README.md']));
  });

  it('every relative link points to a file of the repository', () => {
    const dead = pages.flatMap((page) =>
      relativeLinks(readFileSync(join(REPO_ROOT, page), 'utf8'))
        .filter((target) => !existsSync(join(REPO_ROOT, normalize(join(dirname(page), target)))))
        .map((target) => `${page} → ${target}`),
    );
    expect(dead).toEqual([]);
  });

  it('the decision index lists every decision record', () => {
    const index = readFileSync(join(REPO_ROOT, 'docs/decisions/README.md'), 'utf8');
    const records = readdirSync(join(REPO_ROOT, 'docs/decisions')).filter((f) => /^\d{4}-.+\.md$/.test(f));
    expect(records.length).toBeGreaterThan(0);
    expect(records.filter((f) => !index.includes(`(${f})`))).toEqual([]);
  });

  it('relativeLinks keeps file targets and drops anchors and web links', () => {
    const text = '[a](protocol.md#5-proposal) [b](https://x.org/y) [c](#top) [d](../README.md)';
    expect(relativeLinks(text)).toEqual(['protocol.md', '../README.md']);
  });
});
