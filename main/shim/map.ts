// The shim's map file (docs/migration.md): which legacy WHOOSH routes become which SWOOSH
// transitions, how their inputs are taken from the request, what legacy-shaped answer to
// give when SWOOSH decides, and how to compare the two systems' states in shadow mode.
//
// parseMap validates the whole document and reports every problem at once, each naming
// its entry (`routes[3].inputs.members: JSON pointer must start with /`), so an operator
// fixes a map in one pass instead of one error per start.

import { parse as parseYaml } from 'yaml';
import type { Json } from '../../core/types';

export const REGIONS = ['council', 'ingestion', 'execution'] as const;
export type Region = (typeof REGIONS)[number];

export const INPUT_SOURCES = ['params', 'query', 'body', 'headers'] as const;
export type InputSource = (typeof INPUT_SOURCES)[number];

/** Template sources: the request's parts, plus SWOOSH's answer and state after it. */
export const TEMPLATE_SOURCES = [...INPUT_SOURCES, 'result', 'state'] as const;
export type TemplateSource = (typeof TEMPLATE_SOURCES)[number];

export const MUTATING_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Bounds on a map: it is read once, but a huge one must not stall matching. */
export const ROUTES_MAX = 256;
export const COMPARE_RULES_MAX = 64;
export const PAIRS_MAX = 64;
export const INPUTS_MAX = 64;
export const TEMPLATE_DEPTH_MAX = 16;
export const COMPARE_INTERVAL_MS_DEFAULT = 10_000;

export type InputSpec =
  | { kind: 'pointer'; source: InputSource; pointer: string; tokens: string[]; default?: Json }
  | { kind: 'const'; value: Json };

export interface RouteSpec {
  /** Stable name; part of every idem_key derived for this route, so never rename a live one. */
  name: string;
  method: string;
  path: string;
  segments: Array<{ literal: string } | { param: string }>;
  region: Region;
  transition: string;
  inputs: Record<string, InputSpec>;
  response: { status: number; body: Json };
}

export interface PairSpec {
  legacy: string;
  swoosh: string;
  legacy_tokens: string[];
  swoosh_tokens: string[];
}

export interface CompareRule {
  region: Region;
  /** Legacy read path; `:project` is replaced by the map's `project`. */
  legacy: string;
  pairs: PairSpec[];
}

export interface ShimMap {
  version: 1;
  /** The legacy project name, substituted for `:project` in comparison paths. */
  project: string;
  compare_interval_ms: number;
  routes: RouteSpec[];
  compare: CompareRule[];
}

export class MapError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid map: ${errors.join('; ')}`);
    this.name = 'MapError';
  }
}

// ---------------------------------------------------------------------------
// JSON pointers (RFC 6901)

/** The reference tokens of a pointer, or an error text. "" is the whole document. */
export function parsePointer(pointer: string): string[] | string {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return 'JSON pointer must start with /';
  const tokens = pointer.slice(1).split('/');
  for (const t of tokens) if (/~[^01]|~$/.test(t)) return `JSON pointer has a bad escape in "${t}" (~0 or ~1 only)`;
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at the tokens, or undefined when absent. */
export function atPointer(doc: unknown, tokens: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else if (typeof cur === 'object' && cur !== null && Object.hasOwn(cur, t)) {
      cur = (cur as Record<string, unknown>)[t];
    } else return undefined;
  }
  return cur;
}

// ---------------------------------------------------------------------------
// Validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: string[] = [];
  add(at: string, what: string): void {
    if (this.list.length < 100) this.list.push(`${at}: ${what}`);
  }
}

/** Parses and validates a YAML (or JSON) map; throws MapError listing every problem. */
export function parseMap(text: string, knownTransitions?: ReadonlySet<string>): ShimMap {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new MapError([`map: not YAML: ${(err as Error).message.split('\n')[0] ?? ''}`]);
  }
  return validateMap(doc, knownTransitions);
}

export function validateMap(doc: unknown, knownTransitions?: ReadonlySet<string>): ShimMap {
  const p = new Problems();
  if (!isObj(doc)) throw new MapError(['map: must be a mapping with version, project, routes and compare']);
  for (const k of Object.keys(doc))
    if (!['version', 'project', 'compare_interval_ms', 'routes', 'compare'].includes(k)) p.add(k, 'unknown key');
  if (doc.version !== 1) p.add('version', 'must be 1');
  const project = typeof doc.project === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(doc.project) ? doc.project : null;
  if (project === null) p.add('project', 'must be the legacy project name (letters, digits, . _ -)');
  const interval = doc.compare_interval_ms ?? COMPARE_INTERVAL_MS_DEFAULT;
  if (!Number.isSafeInteger(interval) || (interval as number) < 100) p.add('compare_interval_ms', 'must be an integer ≥ 100');
  const routes = validateRoutes(doc.routes, p, knownTransitions);
  const compare = validateCompare(doc.compare ?? [], p);
  if (p.list.length > 0) throw new MapError(p.list);
  return { version: 1, project: project as string, compare_interval_ms: interval as number, routes, compare };
}

function validateRoutes(raw: unknown, p: Problems, known?: ReadonlySet<string>): RouteSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    p.add('routes', 'must be a non-empty list');
    return [];
  }
  if (raw.length > ROUTES_MAX) p.add('routes', `at most ${ROUTES_MAX} entries`);
  const out: RouteSpec[] = [];
  const seen = new Map<string, number>();
  raw.slice(0, ROUTES_MAX).forEach((r, i) => {
    const route = validateRoute(r, `routes[${i}]`, p, known);
    if (!route) return;
    for (const [key, what] of [
      [`${route.method} ${route.segments.map((s) => ('param' in s ? ':' : s.literal)).join('/')}`, 'method and path'],
      [`name ${route.name}`, 'name'],
    ] as const) {
      const prior = seen.get(key);
      if (prior !== undefined) p.add(`routes[${i}]`, `same ${what} as routes[${prior}]`);
      else seen.set(key, i);
    }
    out.push(route);
  });
  return out;
}

function validateRoute(r: unknown, at: string, p: Problems, known?: ReadonlySet<string>): RouteSpec | null {
  if (!isObj(r)) {
    p.add(at, 'must be a mapping');
    return null;
  }
  const before = p.list.length;
  for (const k of Object.keys(r))
    if (!['name', 'method', 'path', 'region', 'transition', 'inputs', 'response'].includes(k)) p.add(`${at}.${k}`, 'unknown key');
  const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
  if (!(MUTATING_METHODS as readonly string[]).includes(method))
    p.add(`${at}.method`, `must be one of ${MUTATING_METHODS.join(', ')} (reads pass through unmapped)`);
  const path = typeof r.path === 'string' ? r.path : '';
  const segments = pathSegments(path, `${at}.path`, p);
  if (!(REGIONS as readonly string[]).includes(r.region as string)) p.add(`${at}.region`, `must be one of ${REGIONS.join(', ')}`);
  const transition = typeof r.transition === 'string' ? r.transition : '';
  if (!/^[A-Z][A-Za-z]*_[A-Za-z]+$/.test(transition))
    p.add(`${at}.transition`, 'must be a SWOOSH transition name such as Council_QuorumCert');
  else if (known && !known.has(transition)) p.add(`${at}.transition`, `unknown transition ${transition}`);
  const params = new Set(segments.flatMap((s) => ('param' in s ? [s.param] : [])));
  const inputs = validateInputs(r.inputs, `${at}.inputs`, p, params);
  const response = validateResponse(r.response, `${at}.response`, p, params);
  const name = r.name === undefined ? `${method} ${path}` : r.name;
  if (typeof name !== 'string' || !/^[\x21-\x7e ]{1,96}$/.test(name)) p.add(`${at}.name`, 'must be 1–96 printable ASCII characters');
  if (p.list.length > before) return null;
  return { name: name as string, method, path, segments, region: r.region as Region, transition, inputs, response };
}

function pathSegments(path: string, at: string, p: Problems): RouteSpec['segments'] {
  if (!path.startsWith('/') || path.length > 512) {
    p.add(at, 'must be a path starting with / (at most 512 characters)');
    return [];
  }
  const names = new Set<string>();
  return path
    .slice(1)
    .split('/')
    .map((s) => {
      if (!s.startsWith(':')) {
        if (/[?#]/.test(s)) p.add(at, 'a path pattern has no query or fragment');
        return { literal: s };
      }
      const name = s.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) p.add(at, `bad parameter name "${s}"`);
      else if (names.has(name)) p.add(at, `parameter :${name} appears twice`);
      names.add(name);
      return { param: name };
    });
}

/** `body:/members`, `{from: "body:/members", default: …}` or `{const: …}`. */
function validateInputs(raw: unknown, at: string, p: Problems, params: ReadonlySet<string>): Record<string, InputSpec> {
  if (raw === undefined) return {};
  if (!isObj(raw)) {
    p.add(at, 'must be a mapping of input name to source');
    return {};
  }
  if (Object.keys(raw).length > INPUTS_MAX) p.add(at, `at most ${INPUTS_MAX} inputs`);
  const out: Record<string, InputSpec> = {};
  for (const [name, spec] of Object.entries(raw)) {
    const here = `${at}.${name}`;
    if (isObj(spec) && 'const' in spec) {
      if (Object.keys(spec).length !== 1) p.add(here, 'a const input has only the key const');
      out[name] = { kind: 'const', value: spec.const as Json };
      continue;
    }
    const text = isObj(spec) ? spec.from : spec;
    if (isObj(spec))
      for (const k of Object.keys(spec)) if (k !== 'from' && k !== 'default') p.add(`${here}.${k}`, 'unknown key (from, default)');
    const ref = sourceRef(text, here, p, INPUT_SOURCES, params);
    if (!ref) continue;
    out[name] = { kind: 'pointer', ...ref, ...(isObj(spec) && 'default' in spec ? { default: spec.default as Json } : {}) };
  }
  return out;
}

/** `source:/pointer` → its parts, or null after adding a problem. */
function sourceRef<S extends string>(
  text: unknown,
  at: string,
  p: Problems,
  sources: readonly S[],
  params: ReadonlySet<string>,
): { source: S; pointer: string; tokens: string[] } | null {
  if (typeof text !== 'string') {
    p.add(at, `must be "<source>:<JSON pointer>" with source ${sources.join(', ')}`);
    return null;
  }
  const colon = text.indexOf(':');
  const source = (colon < 0 ? text : text.slice(0, colon)) as S;
  if (colon < 0 || !sources.includes(source)) {
    p.add(at, `unknown source "${colon < 0 ? text : source}" (${sources.join(', ')})`);
    return null;
  }
  const pointer = text.slice(colon + 1);
  const tokens = parsePointer(pointer);
  if (typeof tokens === 'string') {
    p.add(at, tokens);
    return null;
  }
  if (source === 'params' && (tokens.length !== 1 || !params.has(tokens[0] as string))) {
    p.add(at, `params:${pointer} names no parameter of the path (${[...params].map((n) => `/${n}`).join(', ') || 'none'})`);
    return null;
  }
  return { source, pointer, tokens };
}

function validateResponse(raw: unknown, at: string, p: Problems, params: ReadonlySet<string>): RouteSpec['response'] {
  if (!isObj(raw)) {
    p.add(at, 'must be a mapping with status and body (the legacy-shaped answer)');
    return { status: 200, body: null };
  }
  for (const k of Object.keys(raw)) if (k !== 'status' && k !== 'body') p.add(`${at}.${k}`, 'unknown key (status, body)');
  const status = raw.status ?? 200;
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 299) p.add(`${at}.status`, 'must be a 2xx status');
  checkTemplate(raw.body ?? null, `${at}.body`, p, params, 0);
  return { status: status as number, body: (raw.body ?? null) as Json };
}

const TEMPLATE_REF = /^\$([a-z]+)(:.*)?$/;

function checkTemplate(t: unknown, at: string, p: Problems, params: ReadonlySet<string>, depth: number): void {
  if (depth > TEMPLATE_DEPTH_MAX) {
    p.add(at, `nested deeper than ${TEMPLATE_DEPTH_MAX}`);
    return;
  }
  if (typeof t === 'string') {
    if (t.startsWith('$$') || !t.startsWith('$')) return;
    const m = TEMPLATE_REF.exec(t);
    if (!m || !(TEMPLATE_SOURCES as readonly string[]).includes(m[1] as string)) {
      p.add(at, `"${t}" is not a template reference ($<source>:<pointer> with source ${TEMPLATE_SOURCES.join(', ')}; $$ for a literal $)`);
      return;
    }
    sourceRef(t.slice(1), at, p, TEMPLATE_SOURCES, params);
    return;
  }
  if (Array.isArray(t)) {
    t.forEach((v, i) => {
      checkTemplate(v, `${at}[${i}]`, p, params, depth + 1);
    });
    return;
  }
  if (isObj(t)) for (const [k, v] of Object.entries(t)) checkTemplate(v, `${at}.${k}`, p, params, depth + 1);
}

function validateCompare(raw: unknown, p: Problems): CompareRule[] {
  if (!Array.isArray(raw)) {
    p.add('compare', 'must be a list');
    return [];
  }
  if (raw.length > COMPARE_RULES_MAX) p.add('compare', `at most ${COMPARE_RULES_MAX} rules`);
  const out: CompareRule[] = [];
  raw.slice(0, COMPARE_RULES_MAX).forEach((r, i) => {
    const at = `compare[${i}]`;
    if (!isObj(r)) {
      p.add(at, 'must be a mapping with region, legacy and pairs');
      return;
    }
    const before = p.list.length;
    for (const k of Object.keys(r)) if (!['region', 'legacy', 'pairs'].includes(k)) p.add(`${at}.${k}`, 'unknown key');
    if (!(REGIONS as readonly string[]).includes(r.region as string)) p.add(`${at}.region`, `must be one of ${REGIONS.join(', ')}`);
    const legacy = typeof r.legacy === 'string' ? r.legacy : '';
    if (!legacy.startsWith('/')) p.add(`${at}.legacy`, 'must be the legacy read path, starting with /');
    for (const s of legacy.split('/'))
      if (s.startsWith(':') && s !== ':project') p.add(`${at}.legacy`, `only :project may be substituted, not ${s}`);
    const pairs = validatePairs(r.pairs, `${at}.pairs`, p);
    if (p.list.length === before) out.push({ region: r.region as Region, legacy, pairs });
  });
  return out;
}

function validatePairs(raw: unknown, at: string, p: Problems): PairSpec[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > PAIRS_MAX) {
    p.add(at, `must be a list of 1–${PAIRS_MAX} {legacy, swoosh} JSON pointer pairs`);
    return [];
  }
  const out: PairSpec[] = [];
  raw.forEach((pair, i) => {
    if (!isObj(pair)) {
      p.add(`${at}[${i}]`, 'must be a mapping {legacy, swoosh}');
      return;
    }
    const l = typeof pair.legacy === 'string' ? parsePointer(pair.legacy) : 'must be a JSON pointer';
    const s = typeof pair.swoosh === 'string' ? parsePointer(pair.swoosh) : 'must be a JSON pointer';
    if (typeof l === 'string') p.add(`${at}[${i}].legacy`, l);
    if (typeof s === 'string') p.add(`${at}[${i}].swoosh`, s);
    if (typeof l !== 'string' && typeof s !== 'string')
      out.push({ legacy: pair.legacy as string, swoosh: pair.swoosh as string, legacy_tokens: l, swoosh_tokens: s });
  });
  return out;
}

// ---------------------------------------------------------------------------
// Use at request time

export interface RouteMatch {
  route: RouteSpec;
  params: Record<string, string>;
}

/** The first route whose method and path pattern match, with its decoded parameters. */
export function matchRoute(map: ShimMap, method: string, pathname: string): RouteMatch | null {
  const parts = pathname.slice(1).split('/');
  for (const route of map.routes) {
    if (route.method !== method.toUpperCase() || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = route.segments.every((s, i) => {
      const part = parts[i] as string;
      if ('literal' in s) return s.literal === part;
      try {
        params[s.param] = decodeURIComponent(part);
      } catch {
        return false;
      }
      return params[s.param] !== '';
    });
    if (ok) return { route, params };
  }
  return null;
}

export interface RequestParts {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

/** The transition's inputs from the request, or the first missing one named. */
export function buildInputs(
  route: RouteSpec,
  req: RequestParts,
): { ok: true; inputs: Record<string, Json> } | { ok: false; reason: string } {
  const inputs: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(route.inputs)) {
    if (spec.kind === 'const') {
      inputs[name] = spec.value;
      continue;
    }
    const v = atPointer(req[spec.source], spec.tokens);
    if (v === undefined && spec.default === undefined)
      return { ok: false, reason: `input ${name}: ${spec.source}:${spec.pointer} is absent from the request` };
    inputs[name] = (v === undefined ? spec.default : v) as Json;
  }
  return { ok: true, inputs };
}

export type TemplateContext = RequestParts & { result: unknown; state: unknown };

/** The legacy-shaped answer: every "$source:/pointer" string replaced by its value (null when absent). */
export function renderTemplate(t: Json, ctx: TemplateContext, depth = 0): Json {
  if (depth > TEMPLATE_DEPTH_MAX) return null;
  if (typeof t === 'string') {
    if (t.startsWith('$$')) return t.slice(1);
    const m = TEMPLATE_REF.exec(t);
    if (!m) return t;
    const tokens = parsePointer((m[2] ?? ':').slice(1));
    if (typeof tokens === 'string') return null;
    const v = atPointer(ctx[m[1] as TemplateSource], tokens);
    return v === undefined ? null : (v as Json);
  }
  if (Array.isArray(t)) return t.map((v) => renderTemplate(v, ctx, depth + 1));
  if (t !== null && typeof t === 'object')
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, renderTemplate(v, ctx, depth + 1)]));
  return t;
}

/** The comparison rule's legacy read path for this map. */
export function comparePath(map: ShimMap, rule: CompareRule): string {
  return rule.legacy
    .split('/')
    .map((s) => (s === ':project' ? encodeURIComponent(map.project) : s))
    .join('/');
}
