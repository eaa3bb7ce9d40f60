// UCXL addresses and evidence URIs, docs/protocol.md §5.
//
//   ucxl://<agent>:<role>@<project>:<task>/<path>*<temporal>/
//
// Decisions (where the contract is silent):
// - agent, role, project, task: non-empty; no whitespace, no control characters, no lone
//   surrogates, and none of the delimiters `:` `@` `/` `*`.
// - path: NON-EMPTY, one or more `/`-separated segments; every segment non-empty, not `.`
//   or `..`, and free of whitespace, control characters and `*`. So `corpus` and
//   `wal/12` are paths; ``, `/a`, `a/`, `a//b`, `a/../b` are not.
// - temporal: `^` (latest), `~` (earliest) or `@<timestamp>`, where the timestamp is one
//   of: an HLC text (`2026-11-22T01:23:45.678+00:00#0`), a UTC instant in the same form
//   without `#counter`, or epoch ms as a decimal integer without leading zeros. The text is
//   kept verbatim (so format round-trips); matching compares it as text.
// - The whole string is at most 2048 characters.
// - Queries (matchesUcxl, parseUcxlQuery): any field, the path, or the temporal may be
//   exactly `*`, which matches anything. A wildcard path is written `**` before the
//   temporal (`…:task/**^/`), a wildcard temporal `…/corpus**/`. No partial globs.
import { parseHlc, parseUtcMs } from './hlc';

export type UcxlTemporal = { kind: 'latest' } | { kind: 'earliest' } | { kind: 'at'; at: string };

export interface UcxlAddress {
  agent: string;
  role: string;
  project: string;
  task: string;
  path: string;
  temporal: UcxlTemporal;
}

/** A UcxlAddress whose fields may be `*`, and whose temporal may be `{kind: 'any'}`. */
export interface UcxlQuery extends Omit<UcxlAddress, 'temporal'> {
  temporal: UcxlTemporal | { kind: 'any' };
}

export const UCXL_SCHEME = 'ucxl://';
export const BUBBLE_SCHEME = 'bubble://';
export const URI_LENGTH_MAX = 2048;
const WILDCARD = '*';

// \s covers Unicode whitespace; C0, DEL and C1 controls excluded explicitly.
// In unicode mode the surrogate class matches only lone surrogates.
const FIELD = /^[^\s\x00-\x1f\x7f-\x9f:@/*\uD800-\uDFFF]+$/u;
const SEGMENT = /^[^\s\x00-\x1f\x7f-\x9f/*\uD800-\uDFFF]+$/u;
const EPOCH_MS = /^(0|[1-9]\d{0,15})$/;
// `bubble://` + RFC 3986 pchar / `/` (unreserved, sub-delims, `:`, `@`, pct-encoded); no leading `/`.
const BUBBLE = /^bubble:\/\/(?!\/)(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$/;

function isField(s: string): boolean {
  return FIELD.test(s);
}

function isPath(s: string): boolean {
  if (s.length === 0) return false;
  for (const segment of s.split('/')) {
    if (segment === '.' || segment === '..' || !SEGMENT.test(segment)) return false;
  }
  return true;
}

function isTimestamp(s: string): boolean {
  if (EPOCH_MS.test(s)) return Number.isSafeInteger(Number(s));
  return parseHlc(s) !== null || parseUtcMs(s) !== null;
}

function parseTemporal(s: string, wildcard: boolean): UcxlQuery['temporal'] | null {
  if (s === '^') return { kind: 'latest' };
  if (s === '~') return { kind: 'earliest' };
  if (wildcard && s === WILDCARD) return { kind: 'any' };
  if (s.startsWith('@') && isTimestamp(s.slice(1))) return { kind: 'at', at: s.slice(1) };
  return null;
}

function parse(s: string, wildcard: boolean): UcxlQuery | null {
  if (typeof s !== 'string' || s.length > URI_LENGTH_MAX) return null;
  if (!s.startsWith(UCXL_SCHEME) || !s.endsWith('/')) return null;
  const rest = s.slice(UCXL_SCHEME.length, -1);
  // authority = agent:role@project:task, up to the first `/` (fields contain no `/`).
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const authority = rest.slice(0, slash);
  const body = rest.slice(slash + 1);
  const at = authority.indexOf('@');
  if (at < 0) return null;
  const who = authority.slice(0, at).split(':');
  const where = authority.slice(at + 1).split(':');
  if (who.length !== 2 || where.length !== 2) return null;
  const [agent, role] = who as [string, string];
  const [project, task] = where as [string, string];
  const fieldOk = (f: string): boolean => isField(f) || (wildcard && f === WILDCARD);
  if (!fieldOk(agent) || !fieldOk(role) || !fieldOk(project) || !fieldOk(task)) return null;
  // body = <path>*<temporal>; a path never contains `*`, except the whole-path query wildcard.
  let path: string;
  let temporalText: string;
  if (wildcard && body.startsWith('**')) {
    path = WILDCARD;
    temporalText = body.slice(2);
  } else {
    const star = body.indexOf('*');
    if (star < 0) return null;
    path = body.slice(0, star);
    temporalText = body.slice(star + 1);
    if (!isPath(path)) return null;
  }
  const temporal = parseTemporal(temporalText, wildcard);
  if (temporal === null) return null;
  return { agent, role, project, task, path, temporal };
}

/** Strict parse of a concrete UCXL address (no wildcards); null when malformed. */
export function parseUcxl(s: string): UcxlAddress | null {
  return parse(s, false) as UcxlAddress | null;
}

/** Parse of a UCXL query: like parseUcxl, but any field, the path or the temporal may be `*`. */
export function parseUcxlQuery(s: string): UcxlQuery | null {
  return parse(s, true);
}

function formatTemporal(t: UcxlQuery['temporal']): string {
  switch (t.kind) {
    case 'latest':
      return '^';
    case 'earliest':
      return '~';
    case 'any':
      return WILDCARD;
    case 'at':
      return `@${t.at}`;
  }
}

/**
 * Text form of an address (or query). Throws RangeError when the result would not parse
 * back to the same address, so that no unparseable evidence is ever emitted.
 */
export function formatUcxl(a: UcxlAddress | UcxlQuery): string {
  const text = `${UCXL_SCHEME}${a.agent}:${a.role}@${a.project}:${a.task}/${a.path}*${formatTemporal(a.temporal)}/`;
  const back = parse(text, true);
  if (
    back === null ||
    back.agent !== a.agent ||
    back.role !== a.role ||
    back.project !== a.project ||
    back.task !== a.task ||
    back.path !== a.path ||
    formatTemporal(back.temporal) !== formatTemporal(a.temporal)
  ) {
    throw new RangeError(`not a valid UCXL address: ${JSON.stringify(a)}`);
  }
  return text;
}

function fieldMatches(query: string, value: string): boolean {
  return query === WILDCARD || query === value;
}

/** True when `address` (concrete) matches `query` (fields equal, or `*` in the query). False if either is malformed. */
export function matchesUcxl(query: string, address: string): boolean {
  const q = parseUcxlQuery(query);
  const a = parseUcxl(address);
  if (q === null || a === null) return false;
  return (
    fieldMatches(q.agent, a.agent) &&
    fieldMatches(q.role, a.role) &&
    fieldMatches(q.project, a.project) &&
    fieldMatches(q.task, a.task) &&
    fieldMatches(q.path, a.path) &&
    (q.temporal.kind === 'any' || formatTemporal(q.temporal) === formatTemporal(a.temporal))
  );
}

/** A valid proposal `evidence` entry: a concrete ucxl:// address or a bubble:// URI, ≤ 2048 chars. */
export function isEvidenceUri(s: unknown): boolean {
  if (typeof s !== 'string' || s.length > URI_LENGTH_MAX) return false;
  if (s.startsWith(UCXL_SCHEME)) return parseUcxl(s) !== null;
  return BUBBLE.test(s);
}
