// A collapsible JSON view built on <details> (keyboard-accessible for free). Paths that
// changed at this transition are marked, and their ancestors open by default.

import { memo } from 'react';
import { joinPath } from '../lib/diff';

interface Props {
  value: unknown;
  /** Paths (diff.ts form) to mark as changed. */
  changed?: ReadonlySet<string>;
  /** Depth opened by default. */
  openDepth?: number;
}

function isContainer(x: unknown): x is Record<string, unknown> | unknown[] {
  return typeof x === 'object' && x !== null;
}

function touches(changed: ReadonlySet<string> | undefined, path: string): boolean {
  if (!changed || changed.size === 0) return false;
  for (const c of changed) {
    if (c === path || c.startsWith(`${path}.`) || c.startsWith(`${path}[`)) return true;
  }
  return false;
}

function Scalar({ v }: { v: unknown }) {
  if (v === null) return <span className="j-null">null</span>;
  if (typeof v === 'string') return <span className="j-str">"{v}"</span>;
  if (typeof v === 'number') return <span className="j-num">{String(v)}</span>;
  if (typeof v === 'boolean') return <span className="j-bool">{String(v)}</span>;
  return <span>{String(v)}</span>;
}

function Node({
  name,
  value,
  path,
  depth,
  changed,
  openDepth,
}: {
  name: string | null;
  value: unknown;
  path: string;
  depth: number;
  changed?: ReadonlySet<string>;
  openDepth: number;
}) {
  const mark = changed?.has(path) ? ' is-changed' : '';
  const key = name === null ? null : <span className="j-key">{name}</span>;
  if (!isContainer(value)) {
    return (
      <div className={`j-line${mark}`}>
        {key}
        {key && <span className="j-colon">: </span>}
        <Scalar v={value} />
      </div>
    );
  }
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  if (entries.length === 0) {
    return (
      <div className={`j-line${mark}`}>
        {key}
        {key && <span className="j-colon">: </span>}
        <span className="j-empty">{Array.isArray(value) ? '[]' : '{}'}</span>
      </div>
    );
  }
  const open = depth < openDepth || touches(changed, path);
  return (
    <details className={`j-node${mark}${touches(changed, path) ? ' has-changes' : ''}`} open={open}>
      <summary>
        {key ?? <span className="j-key">(root)</span>}
        <span className="j-summary">{summary}</span>
      </summary>
      <div className="j-children">
        {entries.map(([k, v]) => (
          <Node
            key={String(k)}
            name={typeof k === 'number' ? `${k}` : k}
            value={v}
            path={joinPath(path, k)}
            depth={depth + 1}
            changed={changed}
            openDepth={openDepth}
          />
        ))}
      </div>
    </details>
  );
}

function JsonTreeImpl({ value, changed, openDepth = 1 }: Props) {
  if (!isContainer(value)) return <Scalar v={value} />;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return (
    <div className="json-tree">
      {entries.map(([k, v]) => (
        <Node key={String(k)} name={String(k)} value={v} path={joinPath('', k)} depth={0} changed={changed} openDepth={openDepth} />
      ))}
    </div>
  );
}

export const JsonTree = memo(JsonTreeImpl);
