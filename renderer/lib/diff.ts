// A small structural JSON diff for "what did this transition change": paths in
// dotted/bracket form with before and after values. Bounded: at most `max` entries, and
// arrays whose lengths differ by a lot are reported as one change rather than per item.

export type DiffKind = 'added' | 'removed' | 'changed';

export interface DiffEntry {
  path: string;
  kind: DiffKind;
  before?: unknown;
  after?: unknown;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENT.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function diffJson(before: unknown, after: unknown, max = 400): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before, after, '', out, max);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: DiffEntry[], max: number): void {
  if (out.length >= max || a === b) return;
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const p = joinPath(path, k);
      if (!(k in a)) out.push({ path: p, kind: 'added', after: b[k] });
      else if (!(k in b)) out.push({ path: p, kind: 'removed', before: a[k] });
      else walk(a[k], b[k], p, out, max);
      if (out.length >= max) return;
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && Math.abs(a.length - b.length) <= 8) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i += 1) {
      const p = joinPath(path, i);
      if (i >= a.length) out.push({ path: p, kind: 'added', after: b[i] });
      else if (i >= b.length) out.push({ path: p, kind: 'removed', before: a[i] });
      else walk(a[i], b[i], p, out, max);
      if (out.length >= max) return;
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path === '' ? '(root)' : path, kind: 'changed', before: a, after: b });
}

/** Compact one-line rendering of a JSON value, cut at `max` characters. */
export function preview(x: unknown, max = 120): string {
  if (x === undefined) return '—';
  const s = JSON.stringify(x);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
