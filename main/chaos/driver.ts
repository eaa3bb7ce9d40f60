// The chaos workload: the seeded proposal stream of core/workload/ (a mostly
// happy project lifecycle with in-band faults), with three differences.
//
// 1. Every proposal goes through a faulty network on its way to the writer: it may be
//    lost (net-drop), held back and overtaken by the next one (net-reorder), or re-sent
//    later (net-dup). The driver's HEAD follows what the writer actually receives, so the
//    generator plans the next step from the state the system really is in.
// 2. What the writer receives is judged, in that order, by the model (main/chaos/model.ts,
//    the pure reducer under host semantics). Each delivery carries the model's answer;
//    the runner posts it to the writer and requires the very same answer.
// 3. Extra in-band faults stand for the outside services misbehaving, drawn from the seed
//    like the others (the simulators of main/sim are real HTTP servers driven by wall-clock
//    timers; their outcomes would not reproduce from a seed, so the runner does not use
//    them): a late KACHING token, KACHING denial (licence lapses, work is refused until a
//    new token), MCP registry flaps, capacity churn, and a far-future HLC.
//
// Everything is synchronous and deterministic for (seed, steps, fault set): the runner
// sends the outbox after each action.

import { HLC_WALL_MS_MAX } from '../../core/hlc';
import type { ReduceResult } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import { licenseToken } from '../../core/fixtures/documents';
import { happyStep, StreamDriver, type Expect, type Intent, type StreamOptions } from '../../core/workload/driver';
import { applyFault, type FaultKind } from '../../core/workload/faults';
import { mulberry32, type Prng } from '../../core/workload/rng';
import type { JsonObject } from '../../core/types';
import { STREAM_FAULTS, CHAOS_STREAM_FAULTS, type FaultPlan } from './faults';
import { MODEL_NOW_MS, type Answer, type ModelHost } from './model';

export interface Delivery {
  /** Position in the writer's receive order, from 1. */
  seq: number;
  /** The generated proposal (step) this is a copy of, from 1. */
  step: number;
  /** `happy` or the fault that generated the proposal. */
  label: string;
  via: 'direct' | 'net-dup' | 'net-reorder';
  proposal: unknown;
  idem_key: string | null;
  /** The model's answer: the writer must give exactly this one. */
  expected: Answer;
  /** The model's HEAD index just before and just after judging this delivery. */
  before_index: number;
  after_index: number;
}

/**
 * Relative weights of in-band faults: those of core/workload/faults.ts, with a rare
 * confirm_block (it ends the project: every later proposal is `terminated`) and the
 * simulated-service faults added.
 */
const WEIGHTS: Readonly<Record<string, number>> = {
  duplicate: 8,
  reorder: 8,
  stranger: 4,
  wrong_role: 5,
  forged: 3,
  stale: 6,
  out_of_window: 8,
  hlc_regression: 6,
  tamper_inputs: 4,
  tamper_signature: 4,
  tamper_envelope: 3,
  malformed: 4,
  unknown_transition: 2,
  invalid_from: 4,
  breach: 3,
  pause: 3,
  quorum_loss: 2,
  compensation: 4,
  guard_fail: 8,
  license: 3,
  policy_update: 2,
  confirm_block: 1,
  far_future: 3,
  kaching_latency: 2,
  kaching_denial: 2,
  mcp_flap: 3,
  capacity_churn: 3,
};

const NOT_DELIVERED: ReduceResult = { ok: false, rejection: { code: 'malformed', reason: 'not delivered (net-drop or held back)' } };

export interface DriverCounts {
  generated: number;
  dropped: number;
  reordered: number;
  duplicated: number;
  by_label: Record<string, number>;
}

export class ChaosDriver extends StreamDriver {
  readonly outbox: Delivery[] = [];
  readonly counts: DriverCounts = { generated: 0, dropped: 0, reordered: 0, duplicated: 0, by_label: {} };
  sends = 0;
  private readonly net: Prng;
  private held: { proposal: unknown; label: string; step: number } | null = null;
  private resends: Array<{ due: number; proposal: unknown; label: string; step: number }> = [];
  private readonly kinds: string[];

  constructor(
    spec: Spec,
    seed: number,
    opts: StreamOptions,
    readonly model: ModelHost,
    readonly faults: FaultPlan,
    exclude: readonly string[] = [],
  ) {
    super(spec, seed, opts);
    this.net = mulberry32((seed ^ 0x6e657400) >>> 0);
    const all: string[] = [...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS];
    this.kinds = all.filter((k) => faults.enabled.has(k) && !exclude.includes(k));
  }

  /** One action: an in-band fault (if drawn and applicable) or the next happy step. */
  act(): void {
    if (this.faults.stream_pct > 0 && this.kinds.length > 0 && this.rng.chance(this.faults.stream_pct)) {
      if (this.applyKind(this.chooseKind())) return;
    }
    happyStep(this);
  }

  /** Delivers whatever the network still holds (end of the run). */
  flush(): void {
    if (this.held) {
      const h = this.held;
      this.held = null;
      this.deliver(h.proposal, h.label, h.step, 'net-reorder');
    }
    const rest = this.resends;
    this.resends = [];
    for (const r of rest) this.deliver(r.proposal, r.label, r.step, 'net-dup');
  }

  /** Takes the deliveries generated since the last call, in receive order. */
  drain(): Delivery[] {
    return this.outbox.splice(0, this.outbox.length);
  }

  override submit(label: string, proposal: unknown, expect: Expect, _now_ms?: number): ReduceResult | null {
    if (this.full) return null;
    const step = this.entries.length + 1;
    this.counts.generated += 1;
    this.counts.by_label[label] = (this.counts.by_label[label] ?? 0) + 1;
    let result: ReduceResult | null = null;
    if (this.net.chance(this.faults.net_drop_pct)) {
      this.counts.dropped += 1;
    } else if (this.held === null && this.net.chance(this.faults.net_reorder_pct)) {
      this.held = { proposal, label, step };
      this.counts.reordered += 1;
    } else {
      result = this.deliver(proposal, label, step, 'direct');
      if (this.held) {
        const h = this.held;
        this.held = null;
        this.deliver(h.proposal, h.label, h.step, 'net-reorder');
      }
      if (this.net.chance(this.faults.net_dup_pct)) {
        this.resends.push({ due: this.sends + 1 + this.net.int(6), proposal, label, step });
        this.counts.duplicated += 1;
      }
    }
    for (let guard = 0; guard < 16; guard += 1) {
      const due = this.resends.filter((r) => r.due <= this.sends);
      if (due.length === 0) break;
      this.resends = this.resends.filter((r) => r.due > this.sends);
      for (const r of due) this.deliver(r.proposal, r.label, r.step, 'net-dup');
    }
    this.entries.push({ label, proposal, result: result ?? NOT_DELIVERED, expect, now_ms: MODEL_NOW_MS });
    this.heads.push(this.head);
    return result;
  }

  private deliver(proposal: unknown, label: string, step: number, via: Delivery['via']): ReduceResult | null {
    const before_index = this.model.index;
    const { answer, reduced } = this.model.judge(proposal, step);
    this.sends += 1;
    const key = typeof proposal === 'object' && proposal !== null ? (proposal as { idem_key?: unknown }).idem_key : undefined;
    this.outbox.push({
      seq: this.sends,
      step,
      label,
      via,
      proposal,
      idem_key: typeof key === 'string' ? key : null,
      expected: answer,
      before_index,
      after_index: this.model.index,
    });
    if (reduced?.ok) {
      this.head = { state: reduced.state, hash: reduced.hash };
      this.wal.push(reduced.body);
      this.accepted.push(reduced.body.proposal);
    }
    return reduced;
  }

  private chooseKind(): string {
    const total = this.kinds.reduce((n, k) => n + (WEIGHTS[k] ?? 1), 0);
    let x = this.rng.int(Math.max(1, total));
    for (const k of this.kinds) {
      x -= WEIGHTS[k] ?? 1;
      if (x < 0) return k;
    }
    return this.kinds[0] as string;
  }

  private applyKind(kind: string): boolean {
    const own = CHAOS_FAULTS[kind as keyof typeof CHAOS_FAULTS];
    if (own) return own(this);
    return applyFault(this, kind as FaultKind);
  }
}

function licensed(d: StreamDriver): boolean {
  const s = d.state;
  return s.boot.license !== null && s.boot.phase !== 'EXPIRED' && !s.control.terminated;
}

const CHAOS_FAULTS = {
  /** An HLC in the year 9999: hlc_from_future, on the live writer and in the model alike. */
  far_future(d: ChaosDriver): boolean {
    const i = d.intent();
    const wall_ms = HLC_WALL_MS_MAX - d.rng.int(86_400_000);
    d.submit('far_future', d.build(i, { hlc: { wall_ms, counter: 0 } }), d.rejectAs(d.state, i.transition, ['hlc_from_future']));
    return true;
  },

  /** KACHING answered late: a token older than the licence in force arrives after it. */
  kaching_latency(d: ChaosDriver): boolean {
    const s = d.state;
    const current = s.boot.license;
    if (current === null || s.control.terminated) return false;
    const at = d.draft();
    const issued_ms = current.issued_ms - 1 - d.rng.int(60_000);
    const token = licenseToken(d.cast.kaching, {
      licensee: d.genesis.project,
      issued_ms,
      expires_ms: issued_ms + 30 * 86_400_000,
      grace_ms: 86_400_000,
    });
    const i: Intent = {
      transition: 'License_Refresh',
      inputs: { token: token as unknown as JsonObject },
      by: d.agent,
      at,
      expect: { accepted: true },
    };
    d.submit('kaching_latency', d.build(i), d.rejectAs(s, 'License_Refresh', ['guard_failed'], 'license'));
    return true;
  },

  /**
   * KACHING denies renewal: the licence lapses past its grace (a refresh reporting the
   * expired token), then one to three pieces of ordinary work are refused by the licence
   * gate until the planner gets a new token.
   */
  kaching_denial(d: ChaosDriver): boolean {
    if (!licensed(d)) return false;
    const before = d.state;
    const at = d.draft();
    const i: Intent = {
      transition: 'License_Refresh',
      inputs: d.licenseInputs(at, 'expired'),
      by: d.agent,
      at,
      expect: { accepted: true, branch: 'expired' },
    };
    d.submit('kaching_denial', d.build(i), { accepted: true, branch: 'expired' });
    const n = 1 + d.rng.int(3);
    for (let k = 0; k < n; k += 1) {
      const work = d.plan(before, d.draft());
      if (work.transition === 'License_Refresh') break;
      d.submit('kaching_denial', d.build(work), d.rejectAs(d.state, work.transition, ['guard_failed'], 'license'));
    }
    return true;
  },

  /** The MCP registry flaps: a report with every tool unreachable, or a re-election when already READY. */
  mcp_flap(d: ChaosDriver): boolean {
    const s = d.state;
    if (!licensed(d) || s.policy.quarantined || s.control.paused) return false;
    const at = d.draft();
    if (s.council.phase === 'TOOLING_SYNC') {
      const tools = Object.entries(d.genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: false }));
      const i: Intent = { transition: 'Council_McpGreen', inputs: d.mcpInputs(at, { tools }), by: d.agent, at, expect: { accepted: true } };
      d.submit('mcp_flap', d.build(i), d.rejectAs(s, 'Council_McpGreen', ['guard_failed'], 'mcp'));
      return true;
    }
    if (s.council.phase === 'READY') {
      const i: Intent = {
        transition: 'Council_ReElect',
        inputs: { reason: 'MCP registry flapped: pinned tools unreachable', eject: [] },
        by: d.agent,
        at,
        expect: { accepted: true },
      };
      d.submit('mcp_flap', d.build(i), { accepted: true });
      return true;
    }
    return false;
  },

  /** Capacity churn: a node is reclaimed (deprovision) or a health check comes back amber. */
  capacity_churn(d: ChaosDriver): boolean {
    const s = d.state;
    if (!licensed(d) || s.policy.quarantined || s.control.paused) return false;
    const at = d.draft();
    const phase = s.environment.phase;
    if (phase === 'ALLOCATE') return false;
    const amber = phase === 'HEALTHCHECK' && d.rng.chance(50);
    const i: Intent = amber
      ? { transition: 'Environment_Amber', inputs: { reasons: ['node-2 disk pressure 93%'] }, by: d.agent, at, expect: { accepted: true } }
      : {
          transition: 'Environment_Deprovision',
          inputs: { reason: 'capacity reclaimed: node-2 preempted' },
          by: d.agent,
          at,
          expect: { accepted: true },
        };
    d.submit('capacity_churn', d.build(i), { accepted: true });
    return true;
  },
};

export type { StreamOptions };
