// The xstate v5 machine generated from the statechart spec (statechart/swoosh.statechart.yaml),
// for viewing and for the model check that holds it against the reducer (xstate.test.ts).
// The reducer stays the authority; this machine only mirrors its *structure*: which
// configuration follows an accepted transition and which transitions the configuration
// alone forbids. Data guards (signatures, quorum, pins, approvals, windows) are not here.
//
// How the YAML maps onto xstate:
//   - the root is parallel with the four regions; state nodes are copied as they are;
//   - an event is a transition name; `{type, branch}` picks one of a transition's branches;
//   - the structural gates become one named guard per handler (readable in Stately's
//     visualizer), built from `stateIn`/`not`/`and`/`or`: never in FLOW.TERMINATED; not in
//     POLICY.QUARANTINED unless when_quarantined; not in CONTROL.PAUSED unless when_paused;
//     a licence in force (LICENSE.LICENSED or GRACE) unless license_exempt; every
//     requires_in path active;
//   - targets in the source's own root region sit on each `from` node; targets in another
//     root region sit on that region's root node, guarded by "a source is active". xstate
//     v5 selects every enabled transition on the pre-event snapshot before executing any
//     (transitionParallelNode → microstep), so those guards see the configuration the
//     reducer judged, and no cross-region target ever exits unrelated regions;
//   - a transition (or branch) with no target is targetless with a no-op `record` action:
//     `snapshot.can` counts a targetless transition only when it has an action.
//
// Pure: imports only core files and xstate; no clock, no randomness, no I/O.

import { and, not, or, setup, stateIn, type StateValue } from 'xstate';
import type { Spec, StateNodeSpec, TransitionSpec } from './spec';

/** The state paths the reducer's structural gates are about (core/reduce.ts, core/state.ts). */
export const GATE_PATHS = {
  terminated: 'FLOW.TERMINATED',
  quarantined: 'POLICY.QUARANTINED',
  paused: 'CONTROL.PAUSED',
  /** No licence in force: before Boot_Licensed, and past grace. */
  unlicensed: ['LICENSE.UNLICENSED', 'LICENSE.EXPIRED'],
} as const;

export interface SwooshEvent {
  type: string;
  /** The branch the reducer took, for transitions with `branches`. */
  branch?: string;
}

export interface HandlerMeta {
  transition: string;
  branch: string | null;
  /** The root region whose root node carries a cross-region handler; null on a `from` node. */
  via_region: string | null;
  compensation: boolean;
}

export interface TransitionConfigData {
  target?: string[];
  guard: string;
  actions?: Array<{ type: 'record'; params: { transition: string } }>;
  description: string;
  meta: HandlerMeta;
}

export interface StateNodeConfigData {
  type?: 'parallel' | 'final';
  initial?: string;
  description?: string;
  states?: Record<string, StateNodeConfigData>;
  on?: Record<string, TransitionConfigData[]>;
}

export interface MachineConfigData extends StateNodeConfigData {
  id: string;
  type: 'parallel';
  states: Record<string, StateNodeConfigData>;
}

/** A guard implementation as setup() takes it (built-in higher-order guards). */
export type GuardImpl = ReturnType<typeof stateIn>;

export interface XstateConfig {
  /** Plain data (JSON-serialisable): guards and actions are referenced by name. */
  config: MachineConfigData;
  /** One named guard per handler. */
  guards: Record<string, GuardImpl>;
}

/** The machine config and its guard implementations, generated from the spec. */
export function xstateConfig(spec: Spec): XstateConfig {
  const guards: Record<string, GuardImpl> = {};
  const nodes = new Map<string, StateNodeConfigData>();
  const states: Record<string, StateNodeConfigData> = {};
  for (const region of spec.regions) states[region] = stateNode(spec, region, nodes);
  const config: MachineConfigData = {
    id: spec.id,
    type: 'parallel',
    description: `Generated from the statechart spec ${spec.hash}; regions ${spec.regions.join(', ')}.`,
    states,
  };
  for (const t of Object.values(spec.transitions)) addHandlers(spec, t, nodes, guards);
  return { config, guards };
}

export type SwooshMachine = ReturnType<typeof createSwooshMachine>;

export function createSwooshMachine(spec: Spec) {
  const { config, guards } = xstateConfig(spec);
  return setup({
    types: {} as { events: SwooshEvent },
    guards,
    actions: {
      // The reducer records the transition and changes data; the configuration stays.
      record: () => undefined,
    },
  }).createMachine(config);
}

/** Active atomic state paths of an xstate snapshot, sorted like core/state.ts activeLeaves. */
export function leavesOf(snapshot: { value: StateValue }): string[] {
  const out: string[] = [];
  walkValue('', snapshot.value, out);
  return out.sort();
}

function walkValue(prefix: string, value: StateValue | undefined, out: string[]): void {
  const join = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
  if (value === undefined) return;
  if (typeof value === 'string') {
    out.push(join(value));
    return;
  }
  const keys = Object.keys(value);
  // An atomic child of a parallel state shows as an empty object.
  if (keys.length === 0 && prefix !== '') out.push(prefix);
  for (const key of keys) walkValue(join(key), value[key], out);
}

// ---- generation ----------------------------------------------------------------------

function stateNode(spec: Spec, path: string, nodes: Map<string, StateNodeConfigData>): StateNodeConfigData {
  const node = spec.states[path] as StateNodeSpec;
  const out: StateNodeConfigData = {};
  if (node.kind === 'parallel') out.type = 'parallel';
  if (node.kind === 'final') out.type = 'final';
  if (node.kind === 'compound' && node.initial !== null) out.initial = node.initial;
  if (node.children.length > 0) {
    const children: Record<string, StateNodeConfigData> = {};
    for (const child of node.children) children[(spec.states[child] as StateNodeSpec).name] = stateNode(spec, child, nodes);
    out.states = children;
  }
  nodes.set(path, out);
  return out;
}

const rootOf = (path: string): string => path.split('.')[0] as string;
const ref = (spec: Spec, path: string): string => `#${spec.id}.${path}`;

interface Outcome {
  branch: string | null;
  to: string[];
}

function outcomesOf(t: TransitionSpec): Outcome[] {
  if (t.branches === null) return [{ branch: null, to: t.to }];
  return Object.entries(t.branches).map(([branch, b]) => ({ branch, to: b.to }));
}

/** Handlers for every outcome of `t`, on the nodes the module comment describes. */
function addHandlers(spec: Spec, t: TransitionSpec, nodes: Map<string, StateNodeConfigData>, guards: Record<string, GuardImpl>): void {
  for (const outcome of outcomesOf(t)) {
    const byRegion = new Map<string, string[]>();
    for (const target of outcome.to) byRegion.set(rootOf(target), [...(byRegion.get(rootOf(target)) ?? []), target]);
    if (byRegion.size === 0) {
      // Targetless: stays where it is, on every source.
      for (const from of t.from) attach(spec, t, outcome, from, null, [], [], nodes, guards);
      continue;
    }
    for (const [region, targets] of byRegion) {
      const local = t.from.filter((f) => rootOf(f) === region);
      const foreign = t.from.filter((f) => rootOf(f) !== region);
      for (const from of local) attach(spec, t, outcome, from, null, targets, [], nodes, guards);
      if (foreign.length > 0) attach(spec, t, outcome, region, foreign, targets, local, nodes, guards);
    }
  }
}

function attach(
  spec: Spec,
  t: TransitionSpec,
  outcome: Outcome,
  node: string,
  foreign: string[] | null,
  targets: string[],
  localFrom: string[],
  nodes: Map<string, StateNodeConfigData>,
  guards: Record<string, GuardImpl>,
): void {
  const via = foreign === null ? null : node;
  const name = guardName(t, outcome.branch, via);
  guards[name] ??= buildGuard(spec, t, outcome.branch, foreign, localFrom);
  const handler: TransitionConfigData = {
    guard: name,
    description: describeHandler(t, outcome, foreign, targets),
    meta: { transition: t.name, branch: outcome.branch, via_region: via, compensation: t.compensation },
  };
  if (targets.length > 0) handler.target = targets.map((p) => ref(spec, p));
  else handler.actions = [{ type: 'record', params: { transition: t.name } }];
  const config = nodes.get(node) as StateNodeConfigData;
  config.on ??= {};
  (config.on[t.name] ??= []).push(handler);
}

/** `T`, `T[branch]`, with `@REGION` for a handler on another region's root. */
export function guardName(t: TransitionSpec, branch: string | null, via: string | null): string {
  return `${t.name}${branch === null ? '' : `[${branch}]`}${via === null ? '' : `@${via}`}`;
}

function buildGuard(spec: Spec, t: TransitionSpec, branch: string | null, foreign: string[] | null, localFrom: string[]): GuardImpl {
  const parts: GuardImpl[] = [not(stateIn(ref(spec, GATE_PATHS.terminated)))];
  if (!t.when_quarantined) parts.push(not(stateIn(ref(spec, GATE_PATHS.quarantined))));
  if (!t.when_paused) parts.push(not(stateIn(ref(spec, GATE_PATHS.paused))));
  if (!t.license_exempt) for (const p of GATE_PATHS.unlicensed) parts.push(not(stateIn(ref(spec, p))));
  for (const p of t.requires_in) parts.push(stateIn(ref(spec, p)));
  if (foreign !== null) {
    parts.push(anyIn(spec, foreign));
    // A source in this region already carries the handler; do not take it twice.
    if (localFrom.length > 0) parts.push(not(anyIn(spec, localFrom)));
  }
  if (branch !== null) parts.push(branchIs(branch));
  return and(parts) as GuardImpl;
}

function anyIn(spec: Spec, paths: readonly string[]): GuardImpl {
  const each = paths.map((p) => stateIn(ref(spec, p)));
  return (each.length === 1 ? each[0] : or(each)) as GuardImpl;
}

function branchIs(branch: string): GuardImpl {
  return (({ event }: { event: SwooshEvent }) => event.branch === branch) as unknown as GuardImpl;
}

function describeHandler(t: TransitionSpec, outcome: Outcome, foreign: string[] | null, targets: string[]): string {
  const gates: string[] = ['not terminated'];
  if (!t.when_quarantined) gates.push('not quarantined');
  if (!t.when_paused) gates.push('not paused');
  if (!t.license_exempt) gates.push('licence in force');
  for (const p of t.requires_in) gates.push(`in ${p}`);
  if (foreign !== null) gates.push(`source ${foreign.join(' | ')} active`);
  if (outcome.branch !== null) gates.push(`branch ${outcome.branch}`);
  const to = targets.length > 0 ? targets.join(', ') : '(configuration unchanged)';
  const extra = [
    `roles ${t.roles.join(', ')}`,
    t.guards.length > 0 ? `guards ${t.guards.join(', ')}` : null,
    t.window !== null ? `window ${t.window.join(' | ')}` : null,
    t.compensation ? 'compensation' : null,
  ].filter((x) => x !== null);
  return `${t.name}${outcome.branch === null ? '' : ` [${outcome.branch}]`} → ${to}; gates: ${gates.join(', ')}; ${extra.join('; ')}`;
}
