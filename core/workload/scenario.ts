// A scripted project driven through the pure reducer: the happy lifecycle from
// BOOT.UNINITIALIZED to EXECUTION and round the REVERB loop, with correctly signed
// proposals and HLCs placed inside the right BACKBEAT windows. Tests and benchmarks build
// on it. The planner (core/planner.ts) says which step comes next up to EXECUTION; the
// scenario fills it with fixed, readable inputs.

import { H } from '../hash';
import { nobleVerifier, type Signer, type Verifier } from '../crypto';
import { formatHlc } from '../hlc';
import { reduce, type Head, type ReduceResult } from '../reduce';
import { initialState, type State } from '../state';
import type { Spec } from '../spec';
import type { Genesis, JsonObject, Proposal, RecordBody } from '../types';
import { beatPosition } from '../window';
import { nextIntents, type NextIntent, type Region } from '../planner';
import { makeCast, makeGenesis, type Cast, type CastOptions as KitOptions } from '../fixtures/cast';
import { fakeHash, licenseToken, mcpReport, quorumInputs, signProposal } from '../fixtures/documents';
import { wallAt, windowIdAt } from '../fixtures/time';

/** Inputs a script may choose; the rest are fixed. */
interface Script {
  sources?: string[];
  version?: string;
  members?: readonly Signer[];
}

export interface Step {
  proposal: Proposal;
  result: ReduceResult;
}

export class Scenario {
  readonly cast: Cast;
  readonly genesis: Genesis;
  head: Head;
  /** Wall-clock cursor for the next HLC, ms. */
  wall_ms: number;
  private counter = 0;
  private seq = 0;
  readonly records: RecordBody[] = [];

  constructor(
    readonly spec: Spec,
    opts: KitOptions & { start_ms?: number; cast?: Cast } = {},
    readonly verifier: Verifier = nobleVerifier,
  ) {
    this.cast = opts.cast ?? makeCast(opts);
    this.genesis = makeGenesis(this.cast, opts);
    const state = initialState(this.genesis, spec.hash);
    this.head = { state, hash: H(state) };
    this.wall_ms = opts.start_ms ?? this.genesis.backbeat.epoch_ms + 1000;
  }

  get state(): State {
    return this.head.state;
  }

  get operator(): Signer {
    return this.cast.operators[0] as Signer;
  }

  get agent(): Signer {
    return this.cast.agents[0] as Signer;
  }

  /** Builds the next proposal (fresh HLC and idem key) without applying it. */
  build(transition: string, inputs: JsonObject, by: Signer, over: Partial<Pick<Proposal, 'window_id' | 'evidence'>> = {}): Proposal {
    this.counter += 1;
    this.seq += 1;
    const hlc = { wall_ms: this.wall_ms, counter: this.counter };
    const gated = this.spec.transitions[transition]?.window != null;
    return signProposal({
      state_hash: this.head.hash,
      transition,
      inputs,
      by,
      hlc,
      idem_key: `${this.genesis.project}:${transition}:${this.seq}`,
      window_id: over.window_id !== undefined ? over.window_id : gated ? windowIdAt(this.genesis.backbeat, this.wall_ms) : null,
      evidence: over.evidence ?? [
        `ucxl://${by === this.operator ? 'op-1' : 'agent-1'}:worker@${this.genesis.project}:${transition}/step/${this.seq}*^/`,
      ],
    });
  }

  /** Reduces a proposal against HEAD; on acceptance HEAD moves and the record is kept. */
  submit(proposal: Proposal): ReduceResult {
    const result = reduce(this.head, proposal, { spec: this.spec, verifier: this.verifier });
    if (result.ok) {
      this.head = { state: result.state, hash: result.hash };
      this.records.push(result.body);
    }
    return result;
  }

  /** build + submit, and insist on acceptance (scripted steps must not fail). */
  step(transition: string, inputs: JsonObject, by: Signer = this.agent): Step {
    const proposal = this.build(transition, inputs, by);
    const result = this.submit(proposal);
    if (!result.ok) throw new Error(`${transition} rejected: ${result.rejection.code}: ${result.rejection.reason}`);
    this.wall_ms += 10;
    return { proposal, result };
  }

  /** Moves the cursor to `offset_bp` into the current beat, or the next beat if already past it. */
  seekWindow(offset_bp: number): void {
    const schedule = this.genesis.backbeat;
    const { beat } = beatPosition(schedule, this.wall_ms);
    const here = wallAt(schedule, beat, offset_bp);
    this.wall_ms = here >= this.wall_ms ? here : wallAt(schedule, beat + 1, offset_bp);
  }

  license(issued_ms = this.wall_ms - 1000, valid_ms = 30 * 86_400_000, grace_ms = 86_400_000): JsonObject {
    const token = licenseToken(this.cast.kaching, {
      licensee: this.genesis.project,
      issued_ms,
      expires_ms: issued_ms + valid_ms,
      grace_ms,
    });
    return { token: token as unknown as JsonObject };
  }

  mcpGreen(): JsonObject {
    const tools = Object.entries(this.genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
    return { report: mcpReport(this.cast.mcp, 'http://127.0.0.1:7431', this.wall_ms - 5, tools) as unknown as JsonObject };
  }

  /** UNINITIALIZED → LICENSE_CHECK → PROJECT_LIFECYCLE. */
  boot(): this {
    return this.advance('license', () => this.state.boot.phase === 'LICENSED');
  }

  ingest(sources = ['git://corpus/a', 'git://corpus/b'], version = 'v1'): this {
    return this.advance('ingestion', () => this.state.ingestion.phase === 'READY', { sources, version });
  }

  elect(members: readonly Signer[] = this.cast.council): this {
    return this.advance('council', () => this.state.council.phase === 'READY', { members });
  }

  provision(): this {
    return this.advance('environment', () => this.state.environment.phase === 'READY');
  }

  enterExecution(): this {
    return this.advance('execution', () => this.state.execution.phase !== null);
  }

  /** Steps what the planner calls for in `region` until `done`; a bound stops a script that loops. */
  private advance(region: Region, done: () => boolean, script: Script = {}): this {
    for (let n = 0; n < 16 && !done(); n += 1) {
      const next = nextIntents(this.state, this.spec).find((i) => i.due && i.region === region);
      if (!next) throw new Error(`the planner calls for nothing in ${region}`);
      this.step(next.transition, this.fill(next, script), next.roles.includes('agent') ? this.agent : this.operator);
    }
    if (!done()) throw new Error(`${region} did not get there in 16 steps`);
    return this;
  }

  /** Fixed inputs for each step of the lifecycle up to EXECUTION. */
  private fill(i: NextIntent, script: Script): JsonObject {
    switch (i.transition) {
      case 'Boot_Licensed':
        return this.license();
      case 'Ingestion_SourcesResolved':
        return { sources: script.sources ?? ['git://corpus/a', 'git://corpus/b'] };
      case 'Ingestion_BytesOk':
        return { content_hash: fakeHash(`bytes:${script.version ?? 'v1'}`) };
      case 'Ingestion_SchemaOk':
        return { findings: [] };
      case 'Ingestion_CorpusBuilt':
        return { content_hash: fakeHash(`corpus:${script.version ?? 'v1'}`), version: script.version ?? 'v1' };
      case 'Council_ProfilesLoaded':
        return { roles: ['planner', 'reviewer'] };
      case 'Council_QuorumCert':
        return quorumInputs(script.members ?? this.cast.council, this.state.epoch.council);
      case 'Council_McpGreen':
        return this.mcpGreen();
      case 'Environment_CapacityOk':
        return { allocations: [{ node: 'n1', cpu: 2 }] };
      case 'Environment_Installed':
        return { assets: ['image:swoosh-worker@1'] };
      case 'Environment_Green':
        return { env_hash: fakeHash('env:1') };
      default:
        if (i.needs.length > 0) throw new Error(`the scenario has no inputs for ${i.transition}`);
        return i.given;
    }
  }

  /** Whole lifecycle: boot, the three regions, then EXECUTION.PLAN. */
  toExecution(): this {
    return this.boot().ingest().elect().provision().enterExecution();
  }

  /** PLAN → WORK → REVIEW (review window) → approvals → REVERB → submit → PLAN. */
  reverbLoop(loop = this.state.execution.loop): this {
    this.step('Execution_PlanLocked', { plan_hash: fakeHash(`plan:${loop}`) });
    this.seekWindow(5100);
    this.step('Execution_BeatReviewGate', {});
    const threshold = this.genesis.quorum.threshold;
    for (const op of this.cast.operators.slice(0, threshold)) this.step('Execution_Approve', { note: `ok loop ${loop}` }, op);
    this.seekWindow(7600);
    this.step('Execution_ApprovalsThreshold', {});
    this.step('Execution_Submit', { artifact_hash: fakeHash(`artifact:${loop}`) });
    this.step('Execution_NextWindow', {});
    return this;
  }

  /** The HLC text the next proposal would carry. */
  peekHlc(): string {
    return formatHlc({ wall_ms: this.wall_ms, counter: this.counter + 1 });
  }
}

/** Every proposal `sc` submits from now on, in order: to replay them against a real host. */
export function recordSubmissions(sc: Scenario): Proposal[] {
  const out: Proposal[] = [];
  const submit = sc.submit.bind(sc);
  sc.submit = (p) => {
    out.push(p);
    return submit(p);
  };
  return out;
}
