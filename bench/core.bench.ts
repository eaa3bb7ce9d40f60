// `npm run bench:core`: reduce + hash throughput on a realistic state (council of 50,
// 26 operators, 200 ingestion sources, in EXECUTION), beside ceilings measured in the
// same run: JCS + sha256 of the same state, raw sha256 of its canonical bytes (node:crypto
// and @noble/hashes), and an xstate `transition()` loop over the same machine and the same
// event cycle. Also checks that hashing cost does not grow with history (after 10 vs 1000
// REVERB loops).
//
//   node --import tsx bench/core.bench.ts [--json] [--profile]
//
// --json     the last line of stdout is the JSON array of rows (docs/protocol.md §10)
// --profile  short history, then only the host-configuration replay for a few seconds:
//            for `node --cpu-prof --import tsx bench/core.bench.ts --profile`
//
// Workload. A Scenario (core/testing/scenario.ts) drives the project to EXECUTION and
// round the REVERB loop (PlanLocked, BeatReviewGate, Approve × threshold operators,
// ApprovalsThreshold, Submit, NextWindow: 31 proposals a loop). The proposals are built
// once (each names the HEAD hash it was built on) and then replayed, timed, from the same
// starting head: replay = reduce without admission, exactly as the host replays its WAL.
// Signature verification is inside reduce, so rows come in three verifier settings: the
// host's (node:crypto Ed25519 + a node:crypto state hasher, docs/architecture.md §4), core's defaults
// (noble verify + noble H), and no verification (to isolate the reducer and the hash).
// All figures are timed in interleaved rounds (harness.ts `interleaved`), best round kept.

import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { createMachine, initialTransition, transition, type AnyStateMachine } from 'xstate';
import { b64uDecode, b64uEncode } from '../core/b64u';
import { canonicalize, utf8 } from '../core/canonical';
import { isValidPublicKey, nobleVerifier, publicKeyFromSigner, type Verifier } from '../core/crypto';
import { H } from '../core/hash';
import { reduce, type Head, type ReduceDeps, type ReduceResult } from '../core/reduce';
import type { Spec } from '../core/spec';
import type { State } from '../core/state';
import { makeCast, type Cast, type KitOptions, type NamedKey } from '../core/testing/kit';
import { Scenario } from '../core/testing/scenario';
import type { Proposal } from '../core/types';
import { loadMachine } from '../main/machine';
import { hashStateNative } from '../main/engine/hashing';
import { NodeVerifier } from '../main/engine/verifier';
import { interleaved, report, row, throughput, type BenchRow, type TimingOptions } from '../main/bench/harness';

// DER headers that turn a raw 32-byte Ed25519 key into SPKI (public) / PKCS#8 (private).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SIGNATURE_B64U_LENGTH = 86;
const SIGNATURE_BYTES = 64;
const VERIFIER_KEYS_MAX = 4096;

export interface CoreBenchConfig {
  council: number;
  threshold: number;
  /** Operators who approve each REVERB window; at least `threshold`. */
  operators: number;
  sources: number;
  /** REVERB loops completed before the short-history and the long-history heads. */
  history_short_loops: number;
  history_long_loops: number;
  /** REVERB loops of proposals pre-built for each timed replay. */
  replay_loops: number;
  /** Control_Pause / Control_Resume pairs pre-built for the cheap-transition row. */
  pause_pairs: number;
  /** Each figure is the best of this many interleaved rounds of timing.duration_ms / rounds. */
  rounds: number;
  timing: TimingOptions;
}

export const DEFAULT_CONFIG: CoreBenchConfig = {
  council: 50,
  threshold: 26,
  operators: 26,
  sources: 200,
  history_short_loops: 10,
  history_long_loops: 1000,
  replay_loops: 8,
  pause_pairs: 100,
  rounds: 5,
  timing: { warmup_ms: 300, duration_ms: 1500 },
};

// ---- host-side crypto (what main/ will plug into reduce) ------------------------------

/** node:crypto Ed25519 verifier with a bounded raw-key → KeyObject cache. Never throws. */
export function nodeVerifier(): Verifier {
  const keys = new Map<string, KeyObject | null>();
  const keyFor = (signer: string): KeyObject | null => {
    const cached = keys.get(signer);
    if (cached !== undefined) return cached;
    const raw = publicKeyFromSigner(signer);
    // OpenSSL accepts small-order keys that noble rejects (core/crypto.ts): screen them once.
    const key =
      raw !== null && isValidPublicKey(raw)
        ? createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
        : null;
    if (keys.size >= VERIFIER_KEYS_MAX) keys.clear();
    keys.set(signer, key);
    return key;
  };
  return {
    verify(signer: string, message: Uint8Array, signature_b64u: string): boolean {
      try {
        if (!(message instanceof Uint8Array) || typeof signature_b64u !== 'string') return false;
        if (signature_b64u.length !== SIGNATURE_B64U_LENGTH) return false;
        const key = keyFor(signer);
        if (key === null) return false;
        const sig = b64uDecode(signature_b64u);
        if (sig === null || sig.length !== SIGNATURE_BYTES) return false;
        return edVerify(null, message, key, sig);
      } catch {
        return false;
      }
    },
  };
}

/** H(state) through node:crypto; equal to H by construction (same JCS text, UTF-8). */
export function nodeHashState(s: State): string {
  return `sha256-${createHash('sha256').update(canonicalize(s), 'utf8').digest('hex')}`;
}

/** The same deterministic key signing through node:crypto (RFC 8032 signatures are unique). */
function nodeSigned(key: NamedKey): NamedKey {
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key.secret]), format: 'der', type: 'pkcs8' });
  return { ...key, sign: (m: Uint8Array) => b64uEncode(edSign(null, m, priv)) };
}

function nodeCast(opts: KitOptions): Cast {
  const c = makeCast(opts);
  const probe = utf8('swoosh bench signer probe');
  const k = c.operators[0] as NamedKey;
  if (nodeSigned(k).sign(probe) !== k.sign(probe)) throw new Error('node:crypto and noble signatures differ');
  return {
    operators: c.operators.map(nodeSigned),
    agents: c.agents.map(nodeSigned),
    council: c.council.map(nodeSigned),
    kaching: nodeSigned(c.kaching),
    mcp: nodeSigned(c.mcp),
    stranger: nodeSigned(c.stranger),
  };
}

// ---- workload ---------------------------------------------------------------------------

/** A Scenario whose reduce uses the given deps (fast building) and can capture what it accepts. */
class BenchScenario extends Scenario {
  capture: Proposal[] | null = null;
  /** The xstate event of each captured proposal: its transition and the branch reduce took. */
  events: MachineEvent[] = [];

  constructor(
    spec: Spec,
    opts: KitOptions & { cast: Cast },
    private readonly deps: ReduceDeps,
  ) {
    super(spec, opts, deps.verifier);
  }

  override submit(proposal: Proposal): ReduceResult {
    const result = reduce(this.head, proposal, this.deps);
    if (result.ok) {
      this.head = { state: result.state, hash: result.hash };
      if (this.capture) {
        this.capture.push(proposal);
        this.events.push(result.branch === null ? { type: proposal.transition } : { type: proposal.transition, branch: result.branch });
      }
    }
    return result;
  }

  /** Runs `drive` and returns the proposals it got accepted, from the head it started on. */
  record(drive: () => void): Replay {
    const start = this.head;
    this.capture = [];
    this.events = [];
    drive();
    const proposals = this.capture;
    this.capture = null;
    return { start, proposals, end_hash: this.head.hash, events: this.events };
  }
}

export interface Replay {
  start: Head;
  proposals: Proposal[];
  end_hash: string;
  events: MachineEvent[];
}

/** An xstate event for a transition (core/xstate.ts SwooshEvent). */
export interface MachineEvent {
  type: string;
  branch?: string;
}

export interface Fixture {
  config: CoreBenchConfig;
  spec: Spec;
  host: ReduceDeps;
  core: ReduceDeps;
  unverified: ReduceDeps;
  /** Transitions from BOOT.UNINITIALIZED to EXECUTION.PLAN, then one REVERB loop. */
  boot_events: MachineEvent[];
  loop_events: MachineEvent[];
  short: Replay;
  long: Replay;
  pause: Replay;
  build_ms: number;
}

function sourceList(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `https://git.example.org/corpus/source-${String(i).padStart(4, '0')}.git`);
}

export function buildFixture(config: CoreBenchConfig): Fixture {
  if (config.operators < config.threshold) throw new RangeError('operators must be >= threshold (each REVERB needs threshold approvals)');
  if (config.history_long_loops < config.history_short_loops + config.replay_loops) {
    throw new RangeError('history_long_loops must leave room for the short history and its replay');
  }
  const t0 = process.hrtime.bigint();
  const spec = loadMachine();
  // The host's own verifier and hasher (main/engine): what `swoosh serve` runs.
  const host: ReduceDeps = { spec, verifier: new NodeVerifier(), hashState: hashStateNative };
  const building: ReduceDeps = host;
  const opts: KitOptions = { council: config.council, threshold: config.threshold, operators: config.operators, agents: 1 };
  const sc = new BenchScenario(spec, { ...opts, cast: nodeCast(opts) }, building);
  for (const hash of [nodeHashState, building.hashState as (s: State) => string]) {
    if (hash(sc.state) !== H(sc.state)) throw new Error('a bench state hasher disagrees with H');
  }

  const boot = sc.record(() => {
    sc.boot().ingest(sourceList(config.sources)).elect().provision().enterExecution();
  });
  const loop = sc.record(() => {
    sc.reverbLoop();
  });
  while (sc.state.execution.loop < config.history_short_loops) sc.reverbLoop();
  const short = sc.record(() => {
    for (let i = 0; i < config.replay_loops; i += 1) sc.reverbLoop();
  });
  const pause = sc.record(() => {
    for (let i = 0; i < config.pause_pairs; i += 1) {
      sc.step('Control_Pause', { reason: `bench pause ${i}` }, sc.operator);
      sc.step('Control_Resume', { reason: `bench resume ${i}` }, sc.operator);
    }
  });
  while (sc.state.execution.loop < config.history_long_loops) sc.reverbLoop();
  const long = sc.record(() => {
    for (let i = 0; i < config.replay_loops; i += 1) sc.reverbLoop();
  });
  for (const r of [short, long, pause]) {
    if (H(r.start.state) !== r.start.hash) throw new Error('the build hasher drifted from H');
  }
  const build_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    config,
    spec,
    host,
    core: { spec, verifier: nobleVerifier },
    unverified: { spec, verifier: { verify: () => true }, hashState: hashStateNative },
    boot_events: boot.events,
    loop_events: loop.events,
    short,
    long,
    pause,
    build_ms,
  };
}

/**
 * An op for `throughput`: reduces the next proposal of the replay (one per call) and
 * wraps round to the starting head at the end, after checking the final hash.
 */
export function replayOp(r: Replay, deps: ReduceDeps): () => number {
  if (r.proposals.length === 0) throw new Error('empty replay');
  let head = r.start;
  let i = 0;
  return () => {
    const result = reduce(head, r.proposals[i], deps);
    if (!result.ok) throw new Error(`replay rejected proposal ${i}: ${result.rejection.code}: ${result.rejection.reason}`);
    head = { state: result.state, hash: result.hash };
    i += 1;
    if (i === r.proposals.length) {
      if (head.hash !== r.end_hash) throw new Error(`replay diverged: ${head.hash} != ${r.end_hash}`);
      head = r.start;
      i = 0;
    }
    return 1;
  };
}

// ---- xstate ceiling -----------------------------------------------------------------------

/** Module that may export createSwooshMachine(spec); a variable so that typecheck does not need it. */
const CORE_XSTATE_MODULE = '../core/xstate.ts';

function regionOf(path: string): string {
  const dot = path.indexOf('.');
  return dot === -1 ? path : path.slice(0, dot);
}

/**
 * A plain xstate config from spec.states: compound/parallel/final nodes, and on each `from`
 * node a handler per transition to its targets in the same root region (cross-region
 * targets dropped, branches → first branch, no guards, no context). Enough to time
 * xstate's own transition selection over the same chart shape.
 */
export function xstateConfigFromSpec(spec: Spec): Record<string, unknown> {
  const handlers = new Map<string, Record<string, unknown>>();
  for (const t of Object.values(spec.transitions)) {
    const targets = t.branches ? (Object.values(t.branches)[0]?.to ?? []) : t.to;
    for (const from of t.from) {
      const same = targets.filter((p) => regionOf(p) === regionOf(from)).map((p) => `#${spec.id}.${p}`);
      const on = handlers.get(from) ?? {};
      on[t.name] = same.length > 0 ? { target: same } : { actions: [] };
      handlers.set(from, on);
    }
  }
  const node = (path: string): Record<string, unknown> => {
    const s = spec.states[path];
    if (!s) throw new Error(`no state ${path}`);
    const out: Record<string, unknown> = {};
    if (s.kind === 'parallel' || s.kind === 'final') out.type = s.kind;
    if (s.kind === 'compound') out.initial = s.initial;
    if (s.children.length > 0) out.states = Object.fromEntries(s.children.map((c) => [spec.states[c]?.name ?? c, node(c)]));
    const on = handlers.get(path);
    if (on) out.on = on;
    return out;
  };
  return { id: spec.id, type: 'parallel', states: Object.fromEntries(spec.regions.map((r) => [r, node(r)])) };
}

type XSnapshot = ReturnType<typeof initialTransition<AnyStateMachine>>[0];

interface XstateLoop {
  source: string;
  machine: AnyStateMachine;
  start: XSnapshot;
  events: MachineEvent[];
}

function executionLeaf(value: unknown): unknown {
  const flow = (value as { FLOW?: unknown }).FLOW;
  return typeof flow === 'object' && flow !== null ? (flow as { EXECUTION?: unknown }).EXECUTION : undefined;
}

/** Drives the machine to EXECUTION.PLAN and checks the loop goes PLAN → … → PLAN; null if not. */
function prepareLoop(source: string, machine: AnyStateMachine, fx: Fixture): XstateLoop | null {
  let snap = initialTransition(machine)[0];
  for (const event of fx.boot_events) snap = transition(machine, snap, event)[0];
  if (executionLeaf(snap.value) !== 'PLAN') return null;
  const start = snap;
  const visited = new Set<unknown>();
  for (const event of fx.loop_events) {
    snap = transition(machine, snap, event)[0];
    visited.add(executionLeaf(snap.value));
  }
  const full = ['PLAN', 'WORK', 'REVIEW', 'REVERB'].every((leaf) => visited.has(leaf));
  if (!full || JSON.stringify(snap.value) !== JSON.stringify(start.value)) return null;
  return { source, machine, start, events: fx.loop_events };
}

export async function xstateLoop(fx: Fixture): Promise<XstateLoop> {
  let note = '';
  try {
    const mod = (await import(CORE_XSTATE_MODULE)) as { createSwooshMachine?: (spec: Spec) => AnyStateMachine };
    if (typeof mod.createSwooshMachine === 'function') {
      const loop = prepareLoop('core/xstate.ts createSwooshMachine', mod.createSwooshMachine(fx.spec), fx);
      if (loop) return loop;
      note = '; core/xstate.ts machine did not run the REVERB cycle';
    }
  } catch {
    // Not written yet: fall back to a machine generated here.
  }
  const machine = createMachine(xstateConfigFromSpec(fx.spec) as Parameters<typeof createMachine>[0]) as unknown as AnyStateMachine;
  const loop = prepareLoop(`bench-generated from spec.states (no guards, no context)${note}`, machine, fx);
  if (!loop) throw new Error('generated xstate machine does not run the REVERB cycle');
  return loop;
}

function xstateOp(x: XstateLoop): () => number {
  let snap = x.start;
  let i = 0;
  return () => {
    snap = transition(x.machine, snap, x.events[i] as MachineEvent)[0];
    i += 1;
    if (i === x.events.length) {
      i = 0;
      snap = x.start;
    }
    return 1;
  };
}

// ---- the run --------------------------------------------------------------------------------

export interface CoreBenchResult {
  rows: BenchRow[];
  /** What each row's ceiling is, by row name. */
  ceilings: Record<string, string>;
  notes: string[];
}

/** Results of hashed values land here so that no hash call is dead code. */
export let sink = 0;

function hashOp(hash: () => string | Uint8Array): () => number {
  return () => {
    sink ^= hash().length;
    return 1;
  };
}

export async function runCoreBench(
  config: CoreBenchConfig = DEFAULT_CONFIG,
  log: (line: string) => void = () => {},
): Promise<CoreBenchResult> {
  const fx = buildFixture(config);
  log(`fixture built in ${Math.round(fx.build_ms)} ms`);
  const x = await xstateLoop(fx);

  const state = fx.short.start.state;
  const bytes = utf8(canonicalize(state));
  // One interleaved set: `host` replays from loop S, `long` the same cycle from loop L.
  const best = interleaved(
    {
      host: replayOp(fx.short, fx.host),
      core: replayOp(fx.short, fx.core),
      unverified: replayOp(fx.short, fx.unverified),
      pause: replayOp(fx.pause, fx.host),
      long: replayOp(fx.long, fx.host),
      xstate: xstateOp(x),
      jcsNode: hashOp(() => nodeHashState(state)),
      jcsNoble: hashOp(() => H(state)),
      rawNode: hashOp(() => createHash('sha256').update(bytes).digest()),
      rawNoble: hashOp(() => sha256(bytes)),
    },
    { ...config.timing, rounds: config.rounds },
  );
  log('measured');
  const { host, core, unverified, pause, long, xstate, jcsNode, jcsNoble, rawNode, rawNoble } = best;
  const bytesShort = bytes.length;
  const bytesLong = utf8(canonicalize(fx.long.start.state)).length;

  const S = config.history_short_loops;
  const L = config.history_long_loops;
  const names = {
    host: 'reduce+hash, host (node verify, node hash)',
    core: 'reduce+hash, core defaults (noble verify, noble H)',
    unverified: 'reduce+hash, no signature check (node hash)',
    pause: 'reduce+hash, Control_Pause/Resume, host',
    xstate: 'reduce+hash host vs xstate transition()',
    jcsNode: 'JCS+sha256 of state, node:crypto',
    jcsNoble: 'JCS+sha256 of state, noble (= H)',
    rawNoble: 'raw sha256 of canonical state, noble',
    history: `reduce+hash host, after ${L} loops vs ${S}`,
    size: `state JCS size, after ${L} loops vs ${S}`,
  };
  const rows = [
    row(names.host, 'proposals/s', host, jcsNode),
    row(names.core, 'proposals/s', core, jcsNoble),
    row(names.unverified, 'proposals/s', unverified, jcsNode),
    row(names.pause, 'proposals/s', pause, jcsNode),
    row(names.xstate, 'proposals/s', host, xstate),
    row(names.jcsNode, 'hashes/s', jcsNode, rawNode),
    row(names.jcsNoble, 'hashes/s', jcsNoble, rawNoble),
    row(names.rawNoble, 'hashes/s', rawNoble, rawNode),
    row(names.history, 'proposals/s', long, host),
    row(names.size, 'bytes', bytesLong, bytesShort),
  ];
  const ceilings: Record<string, string> = {
    [names.host]: 'JCS+sha256 of the same state via node:crypto (hashes/s)',
    [names.core]: 'JCS+sha256 of the same state via noble, i.e. H (hashes/s)',
    [names.unverified]: 'JCS+sha256 of the same state via node:crypto (hashes/s)',
    [names.pause]: 'JCS+sha256 of the same state via node:crypto (hashes/s)',
    [names.xstate]: `xstate transition() over the same ${fx.loop_events.length}-event REVERB cycle (transitions/s)`,
    [names.jcsNode]: 'raw sha256 of the canonical bytes via node:crypto (canonicalize share)',
    [names.jcsNoble]: 'raw sha256 of the canonical bytes via noble (canonicalize share)',
    [names.rawNoble]: 'raw sha256 of the canonical bytes via node:crypto',
    [names.history]: `the same after ${S} loops (≈1.0: hashing does not grow with history)`,
    [names.size]: `the same after ${S} loops (≈1.0: the state is bounded)`,
  };
  const us = (per_s: number) => (1e6 / per_s).toFixed(1);
  const notes = [
    `workload: council ${config.council}, threshold ${config.threshold}, ${config.operators} operators, ${config.sources} sources; ` +
      `REVERB loop = ${fx.loop_events.length} proposals; replay ${fx.short.proposals.length} proposals from loop ${S} and from loop ${L}`,
    `state: ${bytesShort} bytes JCS after ${S} loops, ${bytesLong} after ${L}; fixture built in ${Math.round(fx.build_ms)} ms`,
    `per proposal (µs): host ${us(host)}, core defaults ${us(core)}, no verify ${us(unverified)}; ` +
      `JCS+sha256 node ${us(jcsNode)}, noble ${us(jcsNoble)}; raw sha256 node ${us(rawNode)}, noble ${us(rawNoble)}; xstate ${us(xstate)}`,
    `xstate machine: ${x.source}`,
    `timing: each figure is the best of ${config.rounds} interleaved rounds of ${config.timing.duration_ms / config.rounds} ms ` +
      `(after ${config.timing.warmup_ms} ms warm-up), so outside load hits every row alike`,
  ];
  return { rows, ceilings, notes };
}

/** `--profile`: a short history, then only the host replay, for `node --cpu-prof`. */
function profile(): void {
  const fx = buildFixture({ ...DEFAULT_CONFIG, history_long_loops: DEFAULT_CONFIG.history_short_loops + DEFAULT_CONFIG.replay_loops });
  const t = throughput(replayOp(fx.short, fx.host), { warmup_ms: 500, duration_ms: 5000 });
  process.stdout.write(`host replay: ${Math.round(t.per_s)} proposals/s over ${t.ops} proposals\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--profile')) {
    profile();
    return;
  }
  const started = process.hrtime.bigint();
  const result = await runCoreBench(DEFAULT_CONFIG, (line) => process.stderr.write(`bench:core ${line}\n`));
  const total_s = Number(process.hrtime.bigint() - started) / 1e9;
  report(result.rows, argv, result.ceilings, [...result.notes, `total ${total_s.toFixed(1)} s`]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`bench:core failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
