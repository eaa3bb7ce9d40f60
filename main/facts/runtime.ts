// The agent runtime: the workers and council agents of a project, driven by the
// orchestrator's state. Each pass reads HEAD and asks the planner (core/planner.ts) what
// the project calls for; each lane (licence, ingestion, council, environment, execution,
// policy, control) takes the intents of its region, fills their inputs from its outside
// service through a provider, and proposes over HTTP with its own key — exactly what a
// remote agent would do. The planner decides what is next; the lanes decide only whether
// the facts allow it now (a token in hand, a window open, a service answering). The
// orchestrator judges; the runtime never touches state directly (docs/architecture.md §2 rule 3).
//
// Everything is bounded: one action in flight per lane, exponential backoff per lane
// (stretched by BACKBEAT pressure), counters and last errors only.

import { createHash } from 'node:crypto';
import { H } from '../../core/hash';
import { compareUtf8 } from '../../core/canonical';
import type { Signer } from '../../core/crypto';
import type { Clock } from '../../core/hlc';
import { memberSetHash } from '../../core/guards/quorum';
import { licenseStatus } from '../../core/guards/license';
import { breaches } from '../../core/guards/policy';
import { nextIntents, type NextIntent } from '../../core/planner';
import type { Spec } from '../../core/spec';
import { signersWithRole, type State } from '../../core/state';
import type { JsonObject } from '../../core/types';
import { loadMachine } from '../machine';
import { SwooshClient, type ProposeResult } from '../../client/client';
import { BackbeatProvider } from './backbeat';
import type { BreakerSnapshot, ClientTuning, FactClient } from './http';
import { LicenseProvider } from './license';
import { CouncilCollector, McpProvider, pinProblems, ProvisionerProvider, ShhhProvider, SlurpProvider } from './services';

export interface ServiceUrls {
  kaching: string;
  mcp: string;
  council: string[];
  backbeat: string | null;
  slurp: string;
  shhh: string;
  provisioner: string;
}

/** Per-service client tuning (timeouts, breaker, credential headers); council by index. */
export interface ServiceTuning {
  kaching?: ClientTuning;
  backbeat?: ClientTuning;
  mcp?: ClientTuning;
  slurp?: ClientTuning;
  shhh?: ClientTuning;
  provisioner?: ClientTuning;
  council?: ClientTuning[];
}

export interface RuntimeOptions {
  swoosh: string;
  services: ServiceUrls;
  tuning?: ServiceTuning;
  /** How often to ask SHHH for a newer policy, ms (default 1000). */
  policy_poll_ms?: number;
  clock: Clock;
  /** Agent key: ingestion worker, council collector, provisioner, execution driver. */
  agent: Signer;
  /** Operator keys the runtime may use as a bot (boot, approvals, recovery, auto-release). */
  operators: Signer[];
  /** Approve REVIEW with the bot operators (a demo without a human at the console). */
  auto_approve: boolean;
  /** Release a quarantine after this long (ms); null waits for a human. */
  auto_release_after_ms: number | null;
  /** Raise the quorum-lost path when fewer council agents than the threshold answer. */
  watch_quorum: boolean;
  tick_ms?: number;
  /** The statechart the orchestrator runs (default: the one this build ships). */
  spec?: Spec;
  /** A cluster's other nodes: proposals follow the leader (client/client.ts). */
  swoosh_nodes?: readonly string[];
  /**
   * Lanes left to someone else: in the migration demo WHOOSH's callers form the council
   * through the shim (main/app/migration-demo.ts), and two drivers of one region would
   * refuse each other's proposals.
   */
  lanes_off?: readonly ('council' | 'ingestion')[];
}

type Lane = 'license' | 'ingestion' | 'council' | 'environment' | 'execution' | 'policy' | 'control';
const LANES: Lane[] = ['license', 'ingestion', 'council', 'environment', 'execution', 'policy', 'control'];

interface LaneState {
  busy: boolean;
  failures: number;
  /** Compensations in a row (a failed install undone, amber health): they back off too. */
  compensations: number;
  not_before_ms: number;
  last: string | null;
  actions: number;
}

/**
 * What a lane step did. A compensation is progress for the orchestrator but a failure for
 * the lane: without a backoff, a service that always fails the same way would loop
 * ALLOCATE → PROVISION → Deprovision on every tick. `settled` ends such a streak.
 */
type Step = string | null | { did: string; compensation?: true; settled?: true };

/** What the planner lists in this pass, looked up by transition name. */
class Plan {
  constructor(readonly intents: readonly NextIntent[]) {}

  get(transition: string): NextIntent | null {
    return this.intents.find((i) => i.transition === transition) ?? null;
  }

  /** The due step of a region (the state calls for one per region at most). */
  due(region: NextIntent['region']): NextIntent | null {
    return this.intents.find((i) => i.region === region && i.due) ?? null;
  }
}

export interface RuntimeHealth {
  lanes: Record<Lane, LaneState>;
  breakers: Record<string, BreakerSnapshot>;
  license: { status: string; why: string };
  amplitude_bp: number;
  outbound_calls: number;
  blocked_calls: number;
}

export class AgentRuntime {
  private readonly api: SwooshClient;
  private readonly spec: Spec;
  private readonly agent: SwooshClient;
  private readonly ops: SwooshClient[];
  readonly license: LicenseProvider;
  readonly backbeat: BackbeatProvider;
  readonly mcp: McpProvider;
  readonly shhh: ShhhProvider;
  readonly slurp: SlurpProvider;
  readonly provisioner: ProvisionerProvider;
  readonly council: CouncilCollector;
  private readonly lanes = Object.fromEntries(
    LANES.map((l) => [l, { busy: false, failures: 0, compensations: 0, not_before_ms: 0, last: null, actions: 0 }]),
  ) as Record<Lane, LaneState>;
  private policyCheckedAt_ms = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private quarantinedSince_ms: number | null = null;
  private corpus: { content_hash: string; revision: number; texts: Record<string, string> } | null = null;

  constructor(private readonly opts: RuntimeOptions) {
    const { clock } = opts;
    this.spec = opts.spec ?? loadMachine();
    this.api = new SwooshClient({ url: opts.swoosh, nodes: opts.swoosh_nodes, clock });
    this.agent = this.api.withSigner(opts.agent);
    this.ops = opts.operators.map((o) => this.api.withSigner(o));
    const t = opts.tuning ?? {};
    // Every breaker's cooldown and every retry stretch with the BACKBEAT amplitude. The
    // closure reads `this.backbeat` at call time (it is created just below).
    const scale = () => this.backbeat.scale();
    const tune = (x: ClientTuning | undefined): ClientTuning => ({ scale, ...x });
    this.license = new LicenseProvider(opts.services.kaching, clock, Math.random, tune(t.kaching));
    const gate = this.license;
    this.backbeat = new BackbeatProvider(opts.services.backbeat, clock, gate, t.backbeat ?? {});
    this.mcp = new McpProvider(opts.services.mcp, clock, gate, tune(t.mcp));
    this.shhh = new ShhhProvider(opts.services.shhh, clock, gate, tune(t.shhh));
    this.slurp = new SlurpProvider(opts.services.slurp, clock, gate, tune(t.slurp));
    this.provisioner = new ProvisionerProvider(opts.services.provisioner, clock, gate, tune(t.provisioner));
    this.council = new CouncilCollector(opts.services.council, clock, gate, (i) => tune(t.council?.[i]));
  }

  /** Every outbound client, KACHING first (for /health and the tests). */
  clients(): FactClient[] {
    return [
      this.license.client,
      this.backbeat.client,
      this.mcp.client,
      this.shhh.client,
      this.slurp.client,
      this.provisioner.client,
      ...this.council.clients,
    ];
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.tick_ms ?? 200);
    this.timer.unref();
  }

  /** Stops the timer; resolves once the tick in flight (if any) has had its answers. */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.ticking ?? Promise.resolve();
  }

  health(): RuntimeHealth {
    const clients = this.clients();
    return {
      lanes: this.lanes,
      breakers: Object.fromEntries(clients.map((c) => [c.service, c.breaker.snapshot()])),
      license: { status: this.license.status(), why: this.license.why() },
      amplitude_bp: this.backbeat.amplitude_bp,
      outbound_calls: clients.reduce((n, c) => n + c.calls, 0),
      blocked_calls: clients.reduce((n, c) => n + c.blocked, 0),
    };
  }

  /**
   * Sizes of everything the runtime keeps, for the bounded-growth check: a fixed set of
   * lanes and clients, one corpus (at most the sources in state), numbers otherwise.
   */
  bounds(): { lanes: number; clients: number; corpus_texts: number; busy_lanes: number } {
    return {
      lanes: Object.keys(this.lanes).length,
      clients: this.clients().length,
      corpus_texts: this.corpus ? Object.keys(this.corpus.texts).length : 0,
      busy_lanes: Object.values(this.lanes).filter((l) => l.busy).length,
    };
  }

  /** One pass over every lane against a fresh HEAD; exported for tests that step by hand. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.pass().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async pass(): Promise<void> {
    const head = await this.api.state().catch(() => null);
    if (!head) return;
    const s = head.state;
    const plan = new Plan(nextIntents(s, this.spec, { now_ms: this.opts.clock.now_ms() }));
    const jobs = [
      this.run('license', () => this.licenseLane(s, plan)),
      this.run('control', () => this.controlLane(plan)),
      this.run('policy', () => this.policyLane(s, plan)),
    ];
    if (this.active(s)) {
      const off = new Set(this.opts.lanes_off ?? []);
      if (!off.has('ingestion')) jobs.push(this.run('ingestion', () => this.ingestionLane(s, plan)));
      if (!off.has('council')) jobs.push(this.run('council', () => this.councilLane(s, plan)));
      jobs.push(this.run('environment', () => this.environmentLane(s, plan)));
      jobs.push(this.run('execution', () => this.executionLane(s, plan)));
    }
    await Promise.all(jobs);
  }

  /** Lanes that move the project only run while nothing holds it. */
  private active(s: State): boolean {
    return !s.control.terminated && !s.policy.quarantined && !s.control.paused && this.license.open();
  }

  /** Runs a lane's step unless busy or backing off; a step returns what it did, or null. */
  private async run(lane: Lane, step: () => Promise<Step>): Promise<void> {
    const l = this.lanes[lane];
    const now = this.opts.clock.now_ms();
    if (l.busy || now < l.not_before_ms) return;
    l.busy = true;
    try {
      const out = await step();
      const r = typeof out === 'string' ? { did: out } : out;
      if (r !== null) {
        l.last = r.did;
        l.actions += 1;
      }
      l.failures = 0;
      if (r?.settled) l.compensations = 0;
      if (r?.compensation) {
        l.compensations += 1;
        l.not_before_ms = this.opts.clock.now_ms() + this.backbeat.backoff_ms(l.compensations);
      }
    } catch (err) {
      l.failures += 1;
      l.last = `error: ${(err as Error).message}`;
      l.not_before_ms = this.opts.clock.now_ms() + this.backbeat.backoff_ms(l.failures);
    } finally {
      l.busy = false;
    }
  }

  private async propose(client: SwooshClient, transition: string, inputs: JsonObject, evidence: string[] = []): Promise<string> {
    const r: ProposeResult = await client.propose(transition, inputs, { evidence });
    if (!r.ok) throw new Error(`${transition} ${r.code}: ${r.reason}`);
    return `${transition} → ${r.index}${r.duplicate ? ' (duplicate)' : ''}`;
  }

  private get bot(): SwooshClient {
    const op = this.ops[this.ops.length - 1];
    if (!op) throw new Error('no operator key configured for the runtime');
    return op;
  }

  // ---- licence ---------------------------------------------------------------

  private async licenseLane(s: State, plan: Plan): Promise<string | null> {
    await this.backbeat.refresh();
    const boot = plan.get('Boot_ConfigOk');
    if (boot) return this.propose(this.bot, boot.transition, boot.given);
    if (this.license.refreshDue()) {
      const r = await this.license.fetch(s.meta.project);
      if (!r.ok && this.license.token === null) throw new Error(r.reason);
    }
    const token = this.license.token;
    if (!token) return null;
    const inputs = { token: token as unknown as JsonObject };
    if (plan.get('Boot_Licensed')) {
      return licenseStatus(token, this.opts.clock.now_ms()) === 'valid' ? this.propose(this.agent, 'Boot_Licensed', inputs) : null;
    }
    return plan.get('License_Refresh') ? this.refreshIfNeeded(s, inputs, H(token)) : null;
  }

  /** Proposes License_Refresh when the token in hand differs from the one in force, or its status changed. */
  private async refreshIfNeeded(s: State, inputs: JsonObject, tokenHash: string): Promise<string | null> {
    const token = this.license.token;
    if (!token) return null;
    const status = licenseStatus(token, this.opts.clock.now_ms());
    const phase = { valid: 'LICENSED', grace: 'GRACE', expired: 'EXPIRED' }[status];
    if (s.boot.license?.token_hash === tokenHash && s.boot.phase === phase) return null;
    if (s.boot.license && token.issued_ms < s.boot.license.issued_ms) return null;
    return this.propose(this.agent, 'License_Refresh', inputs);
  }

  // ---- ingestion -------------------------------------------------------------

  private async ingestionLane(s: State, plan: Plan): Promise<string | null> {
    switch (plan.due('ingestion')?.transition) {
      case 'Ingestion_SourcesResolved': {
        const r = await this.slurp.sources();
        if (!r.ok) throw new Error(r.reason);
        return this.propose(this.agent, 'Ingestion_SourcesResolved', { sources: r.body.sources });
      }
      case 'Ingestion_BytesOk': {
        const corpus = await this.fetchCorpus(s.ingestion.sources);
        return this.propose(this.agent, 'Ingestion_BytesOk', { content_hash: corpus.content_hash });
      }
      case 'Ingestion_SchemaOk': {
        const corpus = this.corpus ?? (await this.fetchCorpus(s.ingestion.sources));
        const r = await this.shhh.scan(corpus.texts);
        if (!r.ok) throw new Error(r.reason);
        const ev = [`ucxl://agent:ingest@${s.meta.project}:validate/corpus/r${corpus.revision}*^/`];
        return this.propose(this.agent, 'Ingestion_SchemaOk', { findings: r.body.findings as unknown as JsonObject[] }, ev);
      }
      case 'Ingestion_CorpusBuilt': {
        const corpus = this.corpus ?? (await this.fetchCorpus(s.ingestion.sources));
        return this.propose(this.agent, 'Ingestion_CorpusBuilt', {
          content_hash: H({ corpus: corpus.content_hash }),
          version: `r${corpus.revision}`,
        });
      }
      default:
        return null;
    }
  }

  private async fetchCorpus(
    sources: readonly string[],
  ): Promise<{ content_hash: string; revision: number; texts: Record<string, string> }> {
    const meta = await this.slurp.sources();
    if (!meta.ok) throw new Error(meta.reason);
    const texts: Record<string, string> = {};
    for (const name of sources) {
      const r = await this.slurp.source(name);
      if (!r.ok) throw new Error(r.reason);
      texts[name] = r.body.text;
    }
    const digest = createHash('sha256');
    for (const name of Object.keys(texts).sort(compareUtf8)) digest.update(`${name}\n${texts[name]}\n`);
    this.corpus = { content_hash: `sha256-${digest.digest('hex')}`, revision: meta.body.revision, texts };
    return this.corpus;
  }

  // ---- council ---------------------------------------------------------------

  private async councilLane(s: State, plan: Plan): Promise<string | null> {
    switch (plan.due('council')?.transition) {
      case 'Council_ProfilesLoaded':
        return this.propose(this.agent, 'Council_ProfilesLoaded', { roles: ['planner', 'implementer', 'reviewer'] });
      case 'Council_QuorumCert': {
        const ejected = new Set(s.council.ejected);
        const members = signersWithRole(s, 'council').filter((m) => !ejected.has(m));
        const { votes, problems } = await this.council.collect(members, s.epoch.council);
        if (votes.length < s.council.threshold)
          throw new Error(`${votes.length} votes, threshold ${s.council.threshold}: ${problems.join('; ')}`);
        const inputs = { members, member_set_hash: memberSetHash(members), votes: votes as unknown as JsonObject[] };
        return this.propose(this.agent, 'Council_QuorumCert', inputs);
      }
      case 'Council_McpGreen': {
        const r = await this.mcp.report();
        if (!r.ok) throw new Error(r.reason);
        const problems = pinProblems(r.body.report, s.council.mcp.pins);
        if (problems.length > 0) throw new Error(`tooling not ready: ${problems.join('; ')}`);
        return this.propose(this.agent, 'Council_McpGreen', { report: r.body.report as unknown as JsonObject });
      }
      default:
        return null;
    }
  }

  // ---- environment -------------------------------------------------------------

  private async environmentLane(s: State, plan: Plan): Promise<Step> {
    switch (plan.due('environment')?.transition) {
      case 'Environment_CapacityOk': {
        const r = await this.provisioner.allocate();
        if (!r.ok) throw new Error(r.reason);
        return this.propose(this.agent, 'Environment_CapacityOk', { allocations: r.body.allocations as JsonObject[] });
      }
      case 'Environment_Installed': {
        const r = await this.provisioner.install();
        if (r.ok) return this.propose(this.agent, 'Environment_Installed', { assets: r.body.assets });
        if (r.kind === 'http' && plan.get('Environment_Deprovision'))
          return {
            did: await this.propose(this.agent, 'Environment_Deprovision', { reason: `install failed: ${r.reason}` }),
            compensation: true,
          };
        throw new Error(r.reason);
      }
      case 'Environment_Green': {
        const r = await this.provisioner.health();
        if (!r.ok) throw new Error(r.reason);
        if (r.body.green && r.body.env_hash)
          return { did: await this.propose(this.agent, 'Environment_Green', { env_hash: r.body.env_hash }), settled: true };
        if (!plan.get('Environment_Amber')) return null;
        return this.propose(this.agent, 'Environment_Amber', { reasons: r.body.reasons ?? ['health check not green'] });
      }
      case 'Environment_Deprovision': {
        const did = await this.propose(this.agent, 'Environment_Deprovision', {
          reason: `amber health: ${s.environment.health_reasons.join('; ')}`,
        });
        return { did, compensation: true };
      }
      default:
        return null;
    }
  }

  // ---- execution ---------------------------------------------------------------

  private async executionLane(s: State, plan: Plan): Promise<string | null> {
    const step = plan.due('execution');
    if (!step) return null;
    if (step.transition === 'Execution_AllReady') return this.propose(this.agent, step.transition, step.given);
    if (this.opts.watch_quorum && plan.get('Execution_QuorumLost')) {
      const lost = await this.quorumLost(s);
      if (lost) return this.propose(this.agent, 'Execution_QuorumLost', { reason: lost });
    }
    const open = (i: NextIntent | null): i is NextIntent => i !== null && this.windowOpen(s, i);
    switch (step.transition) {
      case 'Execution_PlanLocked':
        return this.propose(this.agent, step.transition, {
          plan_hash: H({ loop: s.execution.loop, corpus: s.execution.pins?.content_hash ?? null }),
        });
      case 'Execution_BeatReviewGate':
        return open(step) ? this.propose(this.agent, step.transition, step.given) : null;
      case 'Execution_Approve':
      case 'Execution_ApprovalsThreshold':
        return this.reviewStep(s, plan, open);
      case 'Execution_Submit': {
        if (!open(step)) return null;
        // One artifact per loop: its hash names the loop, so HEAD tells whether it was sent.
        const artifact_hash = H({ project: s.meta.project, loop: s.execution.loop });
        if (s.execution.last_artifact_hash !== artifact_hash) return this.propose(this.agent, step.transition, { artifact_hash });
        return this.propose(this.agent, 'Execution_NextWindow', {});
      }
      default:
        return null;
    }
  }

  /** One of the intent's window classes is open now (always, for an ungated transition). */
  private windowOpen(s: State, i: NextIntent): boolean {
    return i.window === null || i.window.some((cls) => this.backbeat.isOpen(s.execution.backbeat, cls));
  }

  /** Cross into REVERB once the beat's approvals suffice; meanwhile the bot operators approve. */
  private async reviewStep(s: State, plan: Plan, open: (i: NextIntent | null) => i is NextIntent): Promise<string | null> {
    const cross = plan.get('Execution_ApprovalsThreshold');
    if (open(cross)) return this.propose(this.agent, cross.transition, cross.given);
    const approve = plan.get('Execution_Approve');
    if (!this.opts.auto_approve || !open(approve)) return null;
    const next = this.ops.find((op) => op.signer !== null && (approve.approvers ?? []).includes(op.signer.signer));
    if (!next) return null;
    return this.propose(next, approve.transition, { note: `automatic approval of loop ${s.execution.loop} (demo operator bot)` });
  }

  /** A reason when fewer council agents than the threshold still answer, else null. */
  private async quorumLost(s: State): Promise<string | null> {
    const members = s.council.members;
    if (members.length === 0) return null;
    const { votes, problems } = await this.council.collect(members, s.epoch.council);
    if (votes.length >= s.council.threshold) return null;
    return `${votes.length} of ${members.length} council agents answer (threshold ${s.council.threshold}): ${problems.join('; ')}`;
  }

  // ---- control and policy ---------------------------------------------------------

  /** Recovers with the bot; a pause is a human's, so the bot never resumes. */
  private async controlLane(plan: Plan): Promise<string | null> {
    if (!plan.get('Control_Recover')) return null;
    return this.propose(this.bot, 'Control_Recover', { reason: 'council agents reachable again; re-electing (operator bot)' });
  }

  private async policyLane(s: State, plan: Plan): Promise<string | null> {
    if (s.control.terminated || !this.license.open()) return null;
    // A failed policy read must not hold back alerts or an automatic release: it is
    // reported (and backed off) only when nothing else in the lane happened.
    let readError: unknown = null;
    const update = !plan.get('Policy_Update')
      ? null
      : await this.policyUpdate(s).catch((err: unknown) => {
          readError = err;
          return null;
        });
    if (update !== null) return update;
    const did = s.policy.quarantined ? await this.quarantineStep(s, plan) : await this.alertStep(s, plan);
    if (did === null && readError !== null) throw readError;
    return did;
  }

  private async alertStep(s: State, plan: Plan): Promise<string | null> {
    this.quarantinedSince_ms = null;
    if (!plan.get('Policy_Violation')) return null;
    const alerts = await this.shhh.alerts();
    const alert = alerts[alerts.length - 1];
    if (!alert) return null;
    const denied = breaches(alert.findings, s.policy.deny);
    if (denied.length === 0) return null;
    return this.propose(this.agent, 'Policy_Violation', {
      rationale: alert.rationale,
      findings: alert.findings as unknown as JsonObject[],
    });
  }

  /**
   * Proposes SHHH's policy when it is newer than the one in state (at most one policy read
   * per `policy_poll_ms`). The reducer re-evaluates a quarantine under it, so a policy that
   * no longer denies what was found lifts the quarantine without a human.
   */
  private async policyUpdate(s: State): Promise<string | null> {
    const now = this.opts.clock.now_ms();
    if (now - this.policyCheckedAt_ms < (this.opts.policy_poll_ms ?? 1000)) return null;
    this.policyCheckedAt_ms = now;
    const r = await this.shhh.policy();
    if (!r.ok) throw new Error(r.reason);
    const { version, deny } = r.body;
    if (!Number.isInteger(version) || !Array.isArray(deny) || !deny.every((d) => typeof d === 'string')) {
      throw new Error(`shhh: malformed policy ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    if (version <= s.policy.version) return null;
    return this.propose(this.bot, 'Policy_Update', { policy: { version, deny } });
  }

  private async quarantineStep(s: State, plan: Plan): Promise<string | null> {
    const now = this.opts.clock.now_ms();
    this.quarantinedSince_ms ??= now;
    const after = this.opts.auto_release_after_ms;
    if (after === null || now - this.quarantinedSince_ms < after || !plan.get('Quarantine_Release')) return null;
    const justification = `automatic release after ${Math.round(after / 1000)} s (demo operator bot): ${s.policy.rationale.join('; ')}`;
    return this.propose(this.bot, 'Quarantine_Release', { justification });
  }
}
