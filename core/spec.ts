// Loads statechart/swoosh.statechart.yaml into typed, validated data. The reducer takes
// every transition's sources, roles, gates, window classes and guards from here, and the
// xstate view is generated from the same data, so the YAML is the one source of truth.
// Core does no I/O: callers pass the YAML text (main/ reads the file, the renderer
// bundles it).

import { parse as parseYaml } from 'yaml';
import { H } from './hash';
import type { Role } from './types';

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final';

export interface StateNodeSpec {
  /** Dotted path from the root, e.g. `FLOW.PROJECT_LIFECYCLE.Ingestion.READY`. */
  path: string;
  name: string;
  kind: StateKind;
  parent: string | null;
  /** Child name entered by default (compound states only). */
  initial: string | null;
  children: string[];
}

export interface TransitionSpec {
  name: string;
  from: string[];
  to: string[];
  /** Data-dependent alternatives; null when the transition has one outcome. */
  branches: Record<string, { to: string[] }> | null;
  roles: Role[];
  guards: string[];
  window: string[] | null;
  compensation: boolean;
  when_quarantined: boolean;
  when_paused: boolean;
  license_exempt: boolean;
  requires_in: string[];
  snapshot: boolean;
}

export interface Spec {
  version: number;
  id: string;
  /** Root regions in document order. */
  regions: string[];
  states: Record<string, StateNodeSpec>;
  transitions: Record<string, TransitionSpec>;
  /** H(the parsed YAML document): pins the machine a WAL was written under. */
  hash: string;
}

export interface SpecError {
  entry: string;
  reason: string;
}

export type SpecResult = { ok: true; spec: Spec } | { ok: false; errors: SpecError[] };

const ROLES: readonly Role[] = ['operator', 'agent', 'council'];
const TRANSITION_KEYS = new Set([
  'from',
  'to',
  'branches',
  'roles',
  'guards',
  'window',
  'compensation',
  'when_quarantined',
  'when_paused',
  'license_exempt',
  'requires_in',
  'snapshot',
]);
const STATE_KEYS = new Set(['type', 'initial', 'states']);
const MAX_DEPTH = 8;

type Raw = Record<string, unknown>;

function isRecord(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses and validates the YAML; every problem is reported with the entry it concerns. */
export function loadSpec(yamlText: string, knownGuards: readonly string[]): SpecResult {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText, { uniqueKeys: true });
  } catch (err) {
    return { ok: false, errors: [{ entry: '(yaml)', reason: (err as Error).message }] };
  }
  const errors: SpecError[] = [];
  if (!isRecord(doc)) return { ok: false, errors: [{ entry: '(root)', reason: 'expected a mapping' }] };
  if (doc.version !== 1) errors.push({ entry: 'version', reason: 'expected 1' });
  if (typeof doc.id !== 'string' || doc.id === '') errors.push({ entry: 'id', reason: 'expected a non-empty string' });
  if (!isRecord(doc.regions) || Object.keys(doc.regions).length === 0) {
    errors.push({ entry: 'regions', reason: 'expected a non-empty mapping of root regions' });
    return { ok: false, errors };
  }
  const states: Record<string, StateNodeSpec> = {};
  for (const [name, node] of Object.entries(doc.regions)) {
    collectState(name, node, null, 1, states, errors);
  }
  const transitions: Record<string, TransitionSpec> = {};
  if (!isRecord(doc.transitions)) {
    errors.push({ entry: 'transitions', reason: 'expected a mapping' });
  } else {
    for (const [name, raw] of Object.entries(doc.transitions)) {
      const t = readTransition(name, raw, states, knownGuards, errors);
      if (t) transitions[name] = t;
    }
  }
  if (errors.length === 0) checkReachable(Object.keys(doc.regions), states, transitions, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    spec: {
      version: 1,
      id: doc.id as string,
      regions: Object.keys(doc.regions),
      states,
      transitions,
      hash: H(doc),
    },
  };
}

/** loadSpec for callers that cannot go on without a valid machine (start-up, tests). */
export function loadSpecOrThrow(yamlText: string, knownGuards: readonly string[]): Spec {
  const result = loadSpec(yamlText, knownGuards);
  if (!result.ok) {
    const lines = result.errors.map((e) => `  ${e.entry}: ${e.reason}`).join('\n');
    throw new Error(`invalid statechart spec:\n${lines}`);
  }
  return result.spec;
}

function collectState(
  name: string,
  raw: unknown,
  parent: string | null,
  depth: number,
  out: Record<string, StateNodeSpec>,
  errors: SpecError[],
): void {
  const path = parent === null ? name : `${parent}.${name}`;
  const entry = `states.${path}`;
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) errors.push({ entry, reason: 'state names are identifiers' });
  if (depth > MAX_DEPTH) {
    errors.push({ entry, reason: `nesting deeper than ${MAX_DEPTH}` });
    return;
  }
  if (!isRecord(raw)) {
    errors.push({ entry, reason: 'expected a mapping ({} for an atomic state)' });
    return;
  }
  for (const key of Object.keys(raw)) {
    if (!STATE_KEYS.has(key)) errors.push({ entry: `${entry}.${key}`, reason: 'unknown key' });
  }
  const children = isRecord(raw.states) ? Object.keys(raw.states) : [];
  const kind = stateKind(raw, parent, children.length, entry, errors);
  const initial = typeof raw.initial === 'string' ? raw.initial : null;
  if (kind === 'compound') {
    if (initial === null) errors.push({ entry, reason: 'compound state needs `initial`' });
    else if (!children.includes(initial)) errors.push({ entry: `${entry}.initial`, reason: `no child named ${initial}` });
  } else if (initial !== null) {
    errors.push({ entry: `${entry}.initial`, reason: `a ${kind} state has no initial child` });
  }
  out[path] = { path, name, kind, parent, initial: kind === 'compound' ? initial : null, children: children.map((c) => `${path}.${c}`) };
  if (isRecord(raw.states)) {
    for (const [child, node] of Object.entries(raw.states)) collectState(child, node, path, depth + 1, out, errors);
  }
}

function stateKind(raw: Raw, parent: string | null, childCount: number, entry: string, errors: SpecError[]): StateKind {
  if (raw.type === 'final') {
    if (childCount > 0) errors.push({ entry, reason: 'a final state has no children' });
    return 'final';
  }
  if (raw.type === 'parallel') {
    if (childCount < 2) errors.push({ entry, reason: 'a parallel state needs at least two regions' });
    return 'parallel';
  }
  if (raw.type !== undefined) errors.push({ entry: `${entry}.type`, reason: 'expected parallel or final' });
  if (parent === null && childCount === 0) errors.push({ entry, reason: 'a root region needs states' });
  return childCount > 0 ? 'compound' : 'atomic';
}

function readTransition(
  name: string,
  raw: unknown,
  states: Record<string, StateNodeSpec>,
  knownGuards: readonly string[],
  errors: SpecError[],
): TransitionSpec | null {
  const entry = `transitions.${name}`;
  if (!/^[A-Z][A-Za-z]*_[A-Z][A-Za-z]*$/.test(name)) errors.push({ entry, reason: 'names are <Region>_<Event>' });
  if (!isRecord(raw)) {
    errors.push({ entry, reason: 'expected a mapping' });
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (!TRANSITION_KEYS.has(key)) errors.push({ entry: `${entry}.${key}`, reason: 'unknown key' });
  }
  const from = statePaths(raw.from, `${entry}.from`, states, errors, true);
  const to = statePaths(raw.to, `${entry}.to`, states, errors, false);
  const branches = readBranches(raw.branches, `${entry}.branches`, states, errors);
  if (branches !== null && raw.to !== undefined) errors.push({ entry, reason: 'use either `to` or `branches`' });
  const roles = stringList(raw.roles, `${entry}.roles`, errors, true) as Role[];
  for (const [i, role] of roles.entries()) {
    if (!ROLES.includes(role)) errors.push({ entry: `${entry}.roles[${i}]`, reason: `unknown role ${role}` });
  }
  const guards = stringList(raw.guards, `${entry}.guards`, errors, false);
  for (const [i, guard] of guards.entries()) {
    if (!knownGuards.includes(guard)) errors.push({ entry: `${entry}.guards[${i}]`, reason: `no guard named ${guard}` });
  }
  const window = raw.window === undefined ? null : stringList(raw.window, `${entry}.window`, errors, true);
  return {
    name,
    from,
    to,
    branches,
    roles,
    guards,
    window,
    compensation: flag(raw.compensation, `${entry}.compensation`, errors),
    when_quarantined: flag(raw.when_quarantined, `${entry}.when_quarantined`, errors),
    when_paused: flag(raw.when_paused, `${entry}.when_paused`, errors),
    license_exempt: flag(raw.license_exempt, `${entry}.license_exempt`, errors),
    requires_in: statePaths(raw.requires_in, `${entry}.requires_in`, states, errors, false),
    snapshot: flag(raw.snapshot, `${entry}.snapshot`, errors),
  };
}

function readBranches(
  raw: unknown,
  entry: string,
  states: Record<string, StateNodeSpec>,
  errors: SpecError[],
): Record<string, { to: string[] }> | null {
  if (raw === undefined) return null;
  if (!isRecord(raw) || Object.keys(raw).length < 2) {
    errors.push({ entry, reason: 'expected a mapping of at least two branches' });
    return null;
  }
  const out: Record<string, { to: string[] }> = {};
  for (const [name, branch] of Object.entries(raw)) {
    if (!isRecord(branch)) {
      errors.push({ entry: `${entry}.${name}`, reason: 'expected a mapping' });
      continue;
    }
    out[name] = { to: statePaths(branch.to, `${entry}.${name}.to`, states, errors, false) };
  }
  return out;
}

function statePaths(raw: unknown, entry: string, states: Record<string, StateNodeSpec>, errors: SpecError[], required: boolean): string[] {
  const paths = stringList(raw, entry, errors, required);
  const seen = new Set<string>();
  for (const [i, path] of paths.entries()) {
    if (!(path in states)) errors.push({ entry: `${entry}[${i}]`, reason: `no state ${path}` });
    if (seen.has(path)) errors.push({ entry: `${entry}[${i}]`, reason: `duplicate ${path}` });
    seen.add(path);
  }
  return paths;
}

function stringList(raw: unknown, entry: string, errors: SpecError[], required: boolean): string[] {
  if (raw === undefined) {
    if (required) errors.push({ entry, reason: 'required' });
    return [];
  }
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string' || x === '')) {
    errors.push({ entry, reason: 'expected a list of non-empty strings' });
    return [];
  }
  if (required && raw.length === 0) errors.push({ entry, reason: 'must not be empty' });
  return raw as string[];
}

function flag(raw: unknown, entry: string, errors: SpecError[]): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== 'boolean') errors.push({ entry, reason: 'expected true or false' });
  return raw === true;
}

/** Every state must be entered by the initial configuration or by some transition. */
function checkReachable(
  regions: string[],
  states: Record<string, StateNodeSpec>,
  transitions: Record<string, TransitionSpec>,
  errors: SpecError[],
): void {
  const reached = new Set<string>();
  for (const region of regions) enterState(region, states, reached);
  for (const t of Object.values(transitions)) {
    const targets = [...t.to, ...Object.values(t.branches ?? {}).flatMap((b) => b.to)];
    for (const target of targets) enterState(target, states, reached);
  }
  for (const path of Object.keys(states)) {
    if (!reached.has(path)) errors.push({ entry: `states.${path}`, reason: 'unreachable: no initial entry or transition leads here' });
  }
}

/** Marks a state, its ancestors and its default descendants as entered. */
function enterState(path: string, states: Record<string, StateNodeSpec>, reached: Set<string>): void {
  for (let p: string | null = path; p !== null; p = states[p]?.parent ?? null) reached.add(p);
  for (const leaf of defaultLeaves(path, states)) {
    for (let p: string | null = leaf; p !== null && p !== path; p = states[p]?.parent ?? null) reached.add(p);
  }
}

/** The atomic states entered when `path` is entered by default (initial children). */
export function defaultLeaves(path: string, states: Record<string, StateNodeSpec>): string[] {
  const node = states[path];
  if (!node) return [];
  if (node.kind === 'atomic' || node.kind === 'final') return [path];
  if (node.kind === 'parallel') return node.children.flatMap((c) => defaultLeaves(c, states));
  return defaultLeaves(`${path}.${node.initial}`, states);
}

/** True when `path` is one of the active leaves or an ancestor of one. */
export function isActive(leaves: readonly string[], path: string): boolean {
  const prefix = `${path}.`;
  return leaves.some((leaf) => leaf === path || leaf.startsWith(prefix));
}

/** All transitions whose `to`/branch targets name some state, for documentation. */
export function transitionTargets(t: TransitionSpec): string[] {
  return t.branches ? Object.values(t.branches).flatMap((b) => b.to) : t.to;
}
