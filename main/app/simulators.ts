// The demo's Simulators panel (docs/console-protocol.md, "Simulators"): every simulator of
// the demo with its knobs, what each knob does to the project, its request counters, and
// named one-click scenarios that turn the knobs in sequence so a newcomer sees a licence
// lapse, a quarantine, a council re-sync or an environment rebuilt, and the recovery.
//
// Knob reads and writes go to the simulators over HTTP (GET/POST /_knobs, GET /_stats), the
// same endpoints a person with curl would use; the host only adds bounds, help and
// scenarios. A bearer token is never echoed: the simulators redact it in /_knobs.
//
// What a knob does was read in the code, not assumed: KACHING is only asked again when the
// agent's token is due for refresh (main/facts/license.ts), MCP tool health only when the
// council syncs its tooling (Council_McpGreen, the mcp guard), the provisioner only while
// an environment is allocated, installed or health-checked (never during EXECUTION). So
// the scenarios that need it re-ask KACHING at once (LicenseProvider.refreshSoon) or take
// the project back through a council re-election (council agents down for a moment).

import type { Signer } from '../../core/crypto';
import type { Clock } from '../../core/hlc';
import type { State } from '../../core/state';
import { SwooshClient } from '../../client/client';
import type {
  Simulator as SimulatorView,
  SimulatorKnob as KnobView,
  SimulatorScenario as ScenarioView,
  ScenarioRun as RunView,
} from '../../protocol/api';
import type { AgentRuntime } from '../facts/runtime';
import type { BaseKnobs, SimServer } from '../sim/base';
import type { DemoPanel, PanelAnswer } from './simulators-routes';

const SIM_TIMEOUT_MS = 3000;
/** How often a scenario re-reads HEAD while it waits for the project to move, ms. */
const POLL_MS = 200;
/** Lines kept of a scenario's run (the steps are fewer; waits add one line each). */
const RUN_LOG_MAX = 32;

interface KnobSpec {
  help: string;
  unit?: string;
  /** Bounds of a number knob (integers), checked before the simulator sees it. */
  min?: number;
  max?: number;
}

const BASE_KNOBS: Record<string, KnobSpec> = {
  latency_ms: { help: 'Added before every answer.', unit: 'ms', min: 0, max: 60_000 },
  down: { help: 'Answer 503 to every service call (knob and stats endpoints still answer).' },
  bearer: {
    help: "API token the simulator demands (401 without it). The demo's agents send none, so any value makes every call fail. Never shown.",
  },
};

/** Per simulator kind (its name without the council number): what each knob does to the project. */
const KNOBS: Record<string, { service: string; knobs: Record<string, KnobSpec> }> = {
  kaching: {
    service: 'KACHING licences',
    knobs: {
      deny: {
        help: 'Refuse licences (403 license_denied). The agent keeps the token it holds; the project notices when that token expires: LICENSE.GRACE (mode DEGRADED), then LICENSE.EXPIRED.',
      },
      lifetime_ms: { help: 'Validity of each new token; the agent refreshes after 70–80 % of it.', unit: 'ms', min: 1000, max: 86_400_000 },
      grace_ms: { help: 'How long an expired token still works (LICENSE.GRACE, work goes on).', unit: 'ms', min: 0, max: 86_400_000 },
      backdate_ms: {
        help: 'Issue tokens this far in the past. A token older than the licence in force is not proposed (the license guard would refuse it).',
        unit: 'ms',
        min: 0,
        max: 86_400_000,
      },
    },
  },
  mcp: {
    service: 'MCP tool registry',
    knobs: {
      versions: { help: 'Tool → version served. A version other than the pin fails the mcp guard when the council syncs its tooling.' },
      unreachable: { help: 'Tools reported unreachable. Read only at Council TOOLING_SYNC: Council_McpGreen waits until they answer.' },
      flap_every: { help: 'Every N-th report marks every tool unreachable (0: never). Read at TOOLING_SYNC only.', min: 0, max: 1000 },
    },
  },
  backbeat: {
    service: 'BACKBEAT pressure',
    knobs: {
      amplitude_bp: {
        help: "Pressure that stretches every provider's retry backoff and breaker cooldown.",
        unit: 'bp',
        min: 0,
        max: 10_000,
      },
    },
  },
  slurp: {
    service: 'SLURP source corpus',
    knobs: {
      sources: { help: 'The sources listed to the ingestion worker (read at Ingestion DISCOVER).' },
      breach: {
        help: 'Source → planted breach (secret, pii, license:gpl). Read when the corpus is fetched and scanned (Ingestion), not during EXECUTION.',
      },
      revision: { help: 'Corpus version; bumping it changes every source. Read at ingestion only.', min: 0, max: 1_000_000 },
    },
  },
  shhh: {
    service: 'SHHH policy engine',
    knobs: {
      version: {
        help: 'Policy version. A higher one is adopted within ~1 s (Policy_Update); if it no longer denies what a quarantine found, the quarantine lifts.',
        min: 0,
        max: 1_000_000,
      },
      deny: { help: 'Finding kinds the policy denies (adopted with a higher version).' },
      alert_every_ms: {
        help: 'Raise a runtime alert this often (0: never): the agent proposes Policy_Violation → POLICY.QUARANTINED.',
        unit: 'ms',
        min: 0,
        max: 3_600_000,
      },
    },
  },
  provisioner: {
    service: 'Environment provisioner',
    knobs: {
      capacity: {
        help: 'Nodes free; 0 refuses allocation (409). Read only while an environment is allocated, not during EXECUTION.',
        unit: 'nodes',
        min: 0,
        max: 64,
      },
      amber_every: { help: 'Every N-th health check is amber (0: never): Environment_Amber → DEGRADED → Deprovision.', min: 0, max: 1000 },
      fail_install: { help: 'Installs fail (500): the agent compensates with Environment_Deprovision.' },
    },
  },
  council: {
    service: 'Council agent (HMMM)',
    knobs: {
      refuse: {
        help: 'Decline to vote (409). With fewer voters than the threshold during EXECUTION: Execution_QuorumLost → RECOVERY.',
      },
    },
  },
};

export interface PanelSettings {
  sims: Record<string, SimServer<BaseKnobs>>;
  runtime: AgentRuntime;
  /** HEAD's state (read in process: the scenarios wait on it). */
  state: () => State;
  /** The host's API, where the capacity scenario proposes as the demo agent. */
  swoosh: string;
  agent: Signer;
  clock: Clock;
  /** The operator bot's automatic release, for the policy scenario's text (null: none). */
  auto_release_after_ms: number | null;
}

interface World {
  state(): State;
  set(sim: string, patch: Record<string, unknown>): Promise<void>;
}

interface Step {
  /** Said in the run log when the step is done. */
  note: string;
  /** Waits this long first. */
  wait_ms?: number;
  /** Or waits (at most max_ms) until the project shows `what`. */
  until?: { what: string; test: (s: State) => boolean; max_ms: number };
  act(w: World): Promise<string | undefined>;
}

interface Scenario extends ScenarioView {
  steps: (p: SimulatorsPanel) => Step[];
}

class Run {
  cancelled = false;
  /** Settles when the run stops stepping (at most one knob call after a cancel). */
  playing: Promise<void> = Promise.resolve();
  readonly view: RunView;

  constructor(s: ScenarioView, now_ms: number) {
    this.view = { id: s.id, label: s.label, started_ms: now_ms, finished_ms: null, log: [] };
  }

  say(at_ms: number, line: string): void {
    if (this.view.log.length >= RUN_LOG_MAX) this.view.log.shift();
    this.view.log.push({ at_ms, line });
  }
}

const inLifecycle = (s: State) => s.execution.phase === null && !s.control.recovery && s.boot.phase !== 'UNINITIALIZED';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatorsPanel implements DemoPanel {
  /** Every knob as the demo started, bearer included (kept in process, never sent out). */
  private readonly defaults: Record<string, Record<string, unknown>>;
  private run: Run | null = null;
  private starting: Promise<unknown> = Promise.resolve();
  private readonly agent: SwooshClient;

  constructor(private readonly o: PanelSettings) {
    this.defaults = Object.fromEntries(Object.entries(o.sims).map(([n, s]) => [n, { ...s.knobs }]));
    this.agent = new SwooshClient({ url: o.swoosh, clock: o.clock }).withSigner(o.agent);
  }

  councils(): string[] {
    return Object.keys(this.o.sims).filter((n) => n.startsWith('council-'));
  }

  /** The tools MCP serves as the demo started (its pins). */
  tools(): string[] {
    return Object.keys((this.defaults.mcp?.versions ?? {}) as Record<string, string>);
  }

  async list(): Promise<PanelAnswer> {
    const simulators = await Promise.all(Object.entries(this.o.sims).map(([n, s]) => this.simulatorView(n, s)));
    return {
      status: 200,
      body: {
        simulators,
        scenarios: SCENARIOS.map(({ id, label, expect }) => ({ id, label, expect: this.expectOf(id, expect) })),
        run: this.run?.view ?? null,
      },
    };
  }

  async setKnobs(name: string, patch: Record<string, unknown>): Promise<PanelAnswer> {
    const sim = this.o.sims[name];
    if (!sim) return fail(404, 'unknown_simulator', `no simulator ${name}; the demo has ${Object.keys(this.o.sims).join(', ')}`);
    for (const [knob, value] of Object.entries(patch)) {
      const problem = boundProblem(name, knob, value);
      if (problem) return fail(400, 'bad_knob', problem);
    }
    const r = await this.post(name, patch);
    // A KACHING change would otherwise wait for the next scheduled refresh (minutes).
    if (r.status === 200 && name === 'kaching') this.o.runtime.license.refreshSoon();
    return r.status === 200 ? { status: 200, body: { simulator: name, knobs: r.body } } : r;
  }

  /** One start at a time: a second click waits for the first to heal and start, then replaces it. */
  runScenario(id: string): Promise<PanelAnswer> {
    const next = this.starting.then(() => this.start(id));
    this.starting = next.catch(() => undefined);
    return next;
  }

  private async start(id: string): Promise<PanelAnswer> {
    const scenario = SCENARIOS.find((s) => s.id === id);
    if (!scenario) return fail(404, 'unknown_scenario', `no scenario ${id}; there are ${SCENARIOS.map((s) => s.id).join(', ')}`);
    // The last run's knob call in flight lands before the heal, never after it.
    const last = this.run;
    this.cancel();
    await last?.playing;
    // Every scenario starts from the demo's own knobs, so one never stacks on another.
    const healed = await this.heal();
    if (healed !== null) return fail(502, 'simulator_unreachable', healed);
    const run = new Run({ ...scenario, expect: this.expectOf(id, scenario.expect) }, this.o.clock.now_ms());
    this.run = run;
    const steps = scenario.steps(this);
    if (steps.length === 0) {
      run.say(this.o.clock.now_ms(), 'every simulator back to its demo defaults; KACHING asked for a fresh licence');
      run.view.finished_ms = this.o.clock.now_ms();
    } else run.playing = this.play(run, steps);
    return { status: 202, body: { scenario: id, run: run.view } };
  }

  /** Stops a scenario in progress (the knobs stay as they are; heal-all restores them). */
  cancel(): void {
    if (this.run && this.run.view.finished_ms === null) {
      this.run.cancelled = true;
      this.run.say(this.o.clock.now_ms(), 'stopped');
      this.run.view.finished_ms = this.o.clock.now_ms();
    }
  }

  private expectOf(id: string, text: string): string {
    if (id !== 'policy-breach') return text;
    const after = this.o.auto_release_after_ms;
    return after === null
      ? `${text} This demo has no automatic release: it stays quarantined until you release it.`
      : `${text} This demo's operator bot releases it by itself after ${Math.round(after / 1000)} s.`;
  }

  private async play(run: Run, steps: Step[]): Promise<void> {
    const w: World = { state: this.o.state, set: (sim, patch) => this.mustPost(sim, patch) };
    try {
      for (const step of steps) {
        if (step.wait_ms && !(await this.pause(run, step.wait_ms))) return;
        if (step.until) {
          const seen = await this.waitFor(run, step.until.test, step.until.max_ms);
          if (run.cancelled) return;
          if (!seen)
            run.say(this.o.clock.now_ms(), `the project did not show ${step.until.what} within ${step.until.max_ms / 1000} s; going on`);
        }
        if (run.cancelled) return;
        const extra = await step.act(w);
        if (run.cancelled) return;
        run.say(this.o.clock.now_ms(), extra ? `${step.note} (${extra})` : step.note);
      }
    } catch (err) {
      run.say(this.o.clock.now_ms(), `failed: ${(err as Error).message}`);
    }
    if (!run.cancelled) {
      run.say(this.o.clock.now_ms(), 'scenario done');
      run.view.finished_ms = this.o.clock.now_ms();
    }
  }

  /** Sleeps in short slices so a cancel is seen; false when cancelled. */
  private async pause(run: Run, ms: number): Promise<boolean> {
    const until = this.o.clock.now_ms() + ms;
    while (!run.cancelled && this.o.clock.now_ms() < until) await sleep(Math.min(POLL_MS, until - this.o.clock.now_ms()));
    return !run.cancelled;
  }

  private async waitFor(run: Run, test: (s: State) => boolean, max_ms: number): Promise<boolean> {
    const until = this.o.clock.now_ms() + max_ms;
    while (!run.cancelled && this.o.clock.now_ms() < until) {
      if (test(this.o.state())) return true;
      await sleep(POLL_MS);
    }
    return test(this.o.state());
  }

  /** Every simulator back to the knobs the demo started with; null, or what failed. */
  async heal(): Promise<string | null> {
    const failed: string[] = [];
    await Promise.all(
      Object.entries(this.defaults).map(async ([name, knobs]) => {
        const r = await this.post(name, knobs);
        if (r.status !== 200) failed.push(`${name}: ${JSON.stringify(r.body).slice(0, 200)}`);
      }),
    );
    this.o.runtime.license.refreshSoon();
    return failed.length === 0 ? null : `could not restore ${failed.join('; ')}`;
  }

  /** Proposes as the demo agent (the capacity scenario's Environment_Deprovision). */
  async proposeAsAgent(transition: string, inputs: Record<string, string>): Promise<string> {
    const r = await this.agent.propose(transition, inputs);
    return r.ok ? `${transition} accepted at #${r.index}` : `${transition} refused: ${r.code} ${r.reason}`;
  }

  private async mustPost(name: string, patch: Record<string, unknown>): Promise<void> {
    const r = await this.post(name, patch);
    if (r.status !== 200) throw new Error(`${name} knobs: ${JSON.stringify(r.body).slice(0, 200)}`);
    if (name === 'kaching') this.o.runtime.license.refreshSoon();
  }

  /** POST /_knobs on the simulator, as data. */
  private async post(name: string, patch: Record<string, unknown>): Promise<PanelAnswer> {
    const sim = this.o.sims[name];
    if (!sim) return fail(404, 'unknown_simulator', `no simulator ${name}`);
    try {
      const res = await fetch(`${sim.url}/_knobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
        signal: AbortSignal.timeout(SIM_TIMEOUT_MS),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    } catch (err) {
      return fail(502, 'simulator_unreachable', `${name} at ${sim.url} did not answer: ${(err as Error).message}`);
    }
  }

  private async simulatorView(name: string, sim: SimServer<BaseKnobs>): Promise<SimulatorView> {
    const kind = kindOf(name);
    const view: SimulatorView = {
      name,
      service: KNOBS[kind]?.service ?? name,
      url: sim.url,
      knobs: [],
      requests: 0,
      by_path: {},
      error: null,
    };
    try {
      const [knobs, stats] = await Promise.all([getJson(`${sim.url}/_knobs`), getJson(`${sim.url}/_stats`)]);
      view.knobs = Object.entries(knobs as Record<string, unknown>).map(([k, v]) => this.knobView(name, k, v));
      const s = stats as { requests?: number; by_path?: Record<string, number> };
      view.requests = s.requests ?? 0;
      view.by_path = s.by_path ?? {};
    } catch (err) {
      view.error = `${sim.url} did not answer: ${(err as Error).message}`;
    }
    return view;
  }

  private knobView(sim: string, name: string, value: unknown): KnobView {
    const spec = specOf(sim, name);
    const start = this.defaults[sim]?.[name];
    // The bearer arrives redacted; compare it with the default in process, never send it.
    const changed = name === 'bearer' ? (this.o.sims[sim]?.knobs.bearer ?? '') !== start : JSON.stringify(value) !== JSON.stringify(start);
    return {
      name,
      value,
      kind: kindOfValue(value),
      unit: spec?.unit ?? null,
      min: spec?.min ?? null,
      max: spec?.max ?? null,
      help: spec?.help ?? '',
      changed,
    };
  }
}

function fail(status: number, code: string, reason: string): PanelAnswer {
  return { status, body: { error: { code, reason } } };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(SIM_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json() as Promise<unknown>;
}

function kindOf(sim: string): string {
  return sim.startsWith('council-') ? 'council' : sim;
}

function specOf(sim: string, knob: string): KnobSpec | undefined {
  return BASE_KNOBS[knob] ?? KNOBS[kindOf(sim)]?.knobs[knob];
}

function kindOfValue(v: unknown): KnobView['kind'] {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'list' : 'map';
}

/** A number outside its knob's bounds, said precisely; the simulator checks names and types. */
export function boundProblem(sim: string, knob: string, value: unknown): string | null {
  const spec = specOf(sim, knob);
  if (typeof value !== 'number' || spec?.min === undefined) return null;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < spec.min || value > max)
    return `${sim} knob ${knob} must be an integer in ${spec.min}..${max}${spec.unit ? ` ${spec.unit}` : ''}, got ${value}`;
  return null;
}

const councilsDown = (p: SimulatorsPanel, down: boolean) => (w: World) =>
  Promise.all(p.councils().map((c) => w.set(c, { down }))).then(() => undefined);

/** The scenarios, in the order the panel shows them. Each starts from the demo's defaults. */
export const SCENARIOS: Scenario[] = [
  {
    id: 'licence-denial',
    label: 'Licence denial',
    expect:
      'KACHING hands out one last 10-second licence, then refuses every request (403 license_denied). About 10 s later the licence lapses: License_Refresh → LICENSE.GRACE (mode DEGRADED, work goes on). 10 s after that → LICENSE.EXPIRED: the workers stop calling every service and the license guard refuses every transition but License_Refresh (an approval now is rejected). Heal all: a fresh licence → LICENSED, the loop resumes.',
    steps: () => [
      {
        note: 'KACHING issues 10 s licences (grace 10 s); the agent re-asks now',
        act: async (w) => void (await w.set('kaching', { lifetime_ms: 10_000, grace_ms: 10_000 })),
      },
      {
        note: 'KACHING refuses every licence (deny)',
        until: {
          what: 'the 10 s licence in force',
          test: (s) => s.boot.license !== null && s.boot.license.expires_ms - s.boot.license.issued_ms === 10_000,
          max_ms: 10_000,
        },
        act: async (w) => void (await w.set('kaching', { deny: true })),
      },
    ],
  },
  {
    id: 'mcp-flap',
    label: 'MCP flap',
    expect:
      'SWOOSH reads MCP tool health only when the council syncs its tooling (Council_McpGreen, mcp guard), so the council agents drop out for a moment: Execution_QuorumLost → RECOVERY, the operator bot recovers (Control_Recover) and the council is re-elected. Every tool is reported unreachable, so the council waits in TOOLING_SYNC (Health: council lane "tooling not ready"). After 12 s the tools come back: Council_McpGreen → Execution_AllReady, the loop resumes.',
    steps: (p) => [
      {
        note: 'council agents down; every MCP tool unreachable',
        act: async (w) => {
          await w.set('mcp', { unreachable: p.tools() });
          await councilsDown(p, true)(w);
          return undefined;
        },
      },
      {
        note: 'council agents back (the re-election can proceed)',
        until: { what: 'the recovery back to the project lifecycle', test: inLifecycle, max_ms: 20_000 },
        act: async (w) => councilsDown(p, false)(w),
      },
      { note: 'every MCP tool reachable again', wait_ms: 12_000, act: async (w) => void (await w.set('mcp', { unreachable: [] })) },
    ],
  },
  {
    id: 'policy-breach',
    label: 'Policy breach',
    expect:
      "SHHH raises a runtime alert (credential material in an execution artifact): Policy_Violation → POLICY.QUARANTINED with SHHH's rationale. Every lane that moves the project holds. The quarantine is sticky: release it in Actions (Quarantine_Release, signed) and the loop resumes.",
    steps: () => [
      { note: 'SHHH raises a runtime alert every 0.5 s', act: async (w) => void (await w.set('shhh', { alert_every_ms: 500 })) },
      {
        note: 'SHHH alerts stop (the quarantine stays)',
        until: { what: 'POLICY.QUARANTINED', test: (s) => s.policy.quarantined, max_ms: 15_000 },
        act: async (w) => void (await w.set('shhh', { alert_every_ms: 0 })),
      },
    ],
  },
  {
    id: 'capacity-churn',
    label: 'Capacity churn',
    expect:
      'SWOOSH provisions only on the way into EXECUTION, so the council agents drop out for a moment (Execution_QuorumLost → RECOVERY → Control_Recover) and the demo agent gives the environment back (Environment_Deprovision → ALLOCATE). Then: no nodes (409, the environment lane backs off), nodes back but installs fail (Environment_Deprovision, a compensation), every health check amber for 8 s (Environment_Amber → DEGRADED → Deprovision), finally green: Environment_Green → Execution_AllReady.',
    steps: (p) => [
      {
        note: 'council agents down; the provisioner has no nodes',
        act: async (w) => {
          await w.set('provisioner', { capacity: 0 });
          await councilsDown(p, true)(w);
          return undefined;
        },
      },
      {
        note: 'the demo agent gives the environment back; council agents back',
        until: { what: 'the recovery back to the project lifecycle', test: inLifecycle, max_ms: 20_000 },
        act: async (w) => {
          const did = await p.proposeAsAgent('Environment_Deprovision', {
            reason: 'capacity churn: the provisioner reclaimed the nodes (Simulators panel)',
          });
          await councilsDown(p, false)(w);
          return did;
        },
      },
      {
        note: 'nodes back; installs fail',
        wait_ms: 8000,
        act: async (w) => void (await w.set('provisioner', { capacity: 3, fail_install: true })),
      },
      {
        note: 'installs work; every health check amber',
        wait_ms: 6000,
        act: async (w) => void (await w.set('provisioner', { fail_install: false, amber_every: 1 })),
      },
      { note: 'health checks green', wait_ms: 8000, act: async (w) => void (await w.set('provisioner', { amber_every: 0 })) },
    ],
  },
  {
    id: 'heal-all',
    label: 'Heal all',
    expect:
      'Stops any scenario and puts every simulator back to how the demo started; KACHING is asked for a fresh licence at once (LICENSED within a second or two). A quarantine stays until an operator releases it: it is sticky by design.',
    steps: () => [],
  },
];
