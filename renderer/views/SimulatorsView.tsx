// Simulators (demo mode only): every simulated CHORUS service of the demo with its knobs
// (booleans as switches, numbers with their unit, lists and maps as JSON), its request
// counters, and one-click scenarios — licence denial, MCP flap, policy breach, capacity
// churn, heal all — each saying what to expect. Beside them, what the project did next:
// its LICENCE / POLICY / FLOW leaves, the scenario's steps, the latest transitions and
// the latest refusal. Everything goes through the host (GET/POST /demo/…), never to the
// simulators directly.

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  describeError,
  isConsoleApiError,
  type ScenarioRun,
  type Simulator,
  type SimulatorKnob,
  type SimulatorsView as PanelData,
  type State,
  type WalRecord,
} from '../api/ConsoleApi';
import { Chip, Empty, Panel } from '../components/ui';
import { formatInt, signerName, stateLabel } from '../lib/format';
import { useConsole, useLive } from '../state/context';
import './simulators.css';

const POLL_MS = 2000;
/** Latest transitions shown under "What happened". */
const RECENT_MAX = 8;

type Load =
  | { kind: 'loading' }
  | { kind: 'not_demo'; reason: string }
  | { kind: 'error'; reason: string }
  | { kind: 'up'; data: PanelData };

/** The panel from the host every POLL_MS while the view is open; `refresh` after a change. */
function usePanel(): { load: Load; refresh: () => void } {
  const { api } = useConsole();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const busy = useRef(false);
  const refresh = useCallback(() => {
    if (busy.current) return;
    busy.current = true;
    api
      .getSimulators()
      .then(
        (data) => setLoad({ kind: 'up', data }),
        (err) => {
          if (isConsoleApiError(err) && err.code === 'not_demo') setLoad({ kind: 'not_demo', reason: err.reason });
          else setLoad({ kind: 'error', reason: describeError(err) });
        },
      )
      .finally(() => {
        busy.current = false;
      });
  }, [api]);
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, POLL_MS);
    return () => clearInterval(t);
  }, [refresh]);
  return { load, refresh };
}

/** The last RECENT_MAX WAL records, re-read when HEAD moves (one bounded page). */
function useRecent(headIndex: number): WalRecord[] {
  const { api } = useConsole();
  const [records, setRecords] = useState<WalRecord[]>([]);
  useEffect(() => {
    if (headIndex < 1) return;
    let live = true;
    const from = Math.max(1, headIndex - RECENT_MAX + 1);
    api.getWal(from, RECENT_MAX).then(
      (page) => live && setRecords(page.records.slice().reverse()),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, headIndex]);
  return records;
}

export function SimulatorsView() {
  const { api } = useConsole();
  const { load, refresh } = usePanel();
  const [message, setMessage] = useState<{ tone: 'ok' | 'danger'; text: string } | null>(null);

  const runScenario = async (id: string, label: string) => {
    try {
      await api.runSimulatorScenario(id);
      setMessage({ tone: 'ok', text: `${label}: started` });
    } catch (err) {
      setMessage({ tone: 'danger', text: `${label}: ${describeError(err)}` });
    }
    refresh();
  };
  const setKnob = async (sim: string, knob: string, value: unknown) => {
    try {
      await api.setSimulatorKnobs(sim, { [knob]: value });
      setMessage({ tone: 'ok', text: `${sim}.${knob} set` });
    } catch (err) {
      setMessage({ tone: 'danger', text: `${sim}.${knob}: ${describeError(err)}` });
    }
    refresh();
  };

  return (
    <div className="view view-sims" data-testid="simulators-view">
      <div className="view-head">
        <h1>Simulators</h1>
        <span className="view-sub">
          Demo mode · the outside services, simulated on loopback · through the host every {POLL_MS / 1000} s
        </span>
        <span className="view-tools">
          {message && (
            <span className={`sims-message tone-${message.tone}`} role="status" data-testid="sims-message">
              {message.text}
            </span>
          )}
        </span>
      </div>
      {load.kind === 'loading' && <Empty>Asking the host for its simulators…</Empty>}
      {load.kind === 'not_demo' && (
        <Empty>
          No simulators: {load.reason}. Start the demo with <code>npm start</code> or <code>swoosh serve --sim --console</code>.
        </Empty>
      )}
      {load.kind === 'error' && (
        <div className="attention tone-danger" data-testid="sims-error">
          <b>Simulators unavailable</b> <span>{load.reason}</span>
        </div>
      )}
      {load.kind === 'up' && (
        <>
          <Scenarios data={load.data} onRun={runScenario} />
          <div className="sims-grid">
            <WhatHappened run={load.data.run} />
            <div className="sims-list">
              {load.data.simulators.map((s) => (
                <SimulatorCard key={s.name} sim={s} onSet={setKnob} />
              ))}
            </div>
          </div>
        </>
      )}
    </div>
  );
}

const SCENARIO_TONE: Record<string, string> = { 'heal-all': 'tone-ok' };

function Scenarios({ data, onRun }: { data: PanelData; onRun: (id: string, label: string) => void }) {
  const running = data.run && data.run.finished_ms === null ? data.run.id : null;
  return (
    <Panel
      title="One-click scenarios"
      className="sims-scenarios"
      extra={running ? <Chip tone="accent">running: {data.run?.label}</Chip> : null}
    >
      <div className="sims-scenario-row">
        {data.scenarios.map((s) => (
          <div key={s.id} className={`sims-scenario${running === s.id ? ' is-running' : ''}`} data-testid={`scenario-${s.id}`}>
            <button type="button" className={`tbtn ${SCENARIO_TONE[s.id] ?? 'tone-warn'}`} onClick={() => onRun(s.id, s.label)}>
              {s.label}
            </button>
            <p className="sims-expect">{s.expect}</p>
          </div>
        ))}
      </div>
    </Panel>
  );
}

function leaves(s: State): { license: string; policy: string; flow: string; mode: string | null } {
  const flow = s.control.terminated
    ? 'TERMINATED'
    : s.control.recovery
      ? 'RECOVERY'
      : s.execution.phase !== null
        ? `EXECUTION.${s.execution.phase}`
        : s.boot.phase === 'UNINITIALIZED' || s.boot.phase === 'LICENSE_CHECK'
          ? `BOOT.${s.boot.phase}`
          : `Council.${s.council.phase} · Environment.${s.environment.phase}`;
  return { license: s.boot.phase, policy: s.policy.quarantined ? 'QUARANTINED' : 'CLEAR', flow, mode: s.control.mode };
}

function WhatHappened({ run }: { run: ScenarioRun | null }) {
  const { head, lastRejected } = useLive();
  const recent = useRecent(head?.index ?? 0);
  const s = head?.state ?? null;
  const l = s ? leaves(s) : null;
  return (
    <Panel title="What happened" className="sims-happened" testId="sims-happened">
      {l && (
        <div className="sims-leaves" data-testid="sims-leaves">
          <Chip tone={l.license === 'LICENSED' ? 'ok' : l.license === 'GRACE' ? 'warn' : 'danger'}>LICENCE {stateLabel(l.license)}</Chip>
          <Chip tone={l.policy === 'CLEAR' ? 'ok' : 'danger'}>POLICY {l.policy}</Chip>
          <Chip tone={l.flow.startsWith('EXECUTION') ? 'ok' : 'accent'}>FLOW {l.flow}</Chip>
          {l.mode && <Chip tone="warn">mode {l.mode}</Chip>}
        </div>
      )}
      {run && (
        <div className="sims-run" data-testid="sims-run">
          <div className="sims-run-head">
            <b>{run.label}</b> <span className="muted">{run.finished_ms === null ? 'running' : 'done'}</span>
          </div>
          <ol>
            {run.log.map((e, i) => (
              <li key={`${e.at_ms}-${i}`}>
                <span className="mono muted">+{((e.at_ms - run.started_ms) / 1000).toFixed(1)} s</span> {e.line}
              </li>
            ))}
          </ol>
        </div>
      )}
      <h3 className="sims-sub">Latest transitions</h3>
      <ul className="sims-recent" data-testid="sims-recent">
        {recent.map((r) => (
          <li key={r.index}>
            <span className="mono muted">#{r.index}</span> <span className="mono">{r.transition}</span>{' '}
            <span className="muted">by {signerName(s, r.signer)}</span>
          </li>
        ))}
      </ul>
      {lastRejected && (
        <div className="sims-rejected" data-testid="sims-rejected">
          <h3 className="sims-sub">Latest refusal</h3>
          <span className="mono">{lastRejected.transition ?? '—'}</span>{' '}
          <Chip tone="danger">{lastRejected.guard ?? lastRejected.code}</Chip> <span className="muted">{lastRejected.reason}</span>
        </div>
      )}
    </Panel>
  );
}

function SimulatorCard({ sim, onSet }: { sim: Simulator; onSet: (sim: string, knob: string, value: unknown) => void }) {
  const paths = Object.entries(sim.by_path);
  return (
    <Panel
      title={
        <>
          {sim.name} <span className="sims-service">{sim.service}</span>
        </>
      }
      extra={
        <span className="count" title={paths.map(([p, n]) => `${p}: ${n}`).join('\n') || 'no calls yet'}>
          {formatInt(sim.requests)} req
        </span>
      }
      className="sims-card"
      testId={`sim-${sim.name}`}
    >
      {sim.error && <div className="sims-card-error">{sim.error}</div>}
      <table className="table sims-knobs">
        <tbody>
          {sim.knobs.map((k) => (
            <tr key={k.name} className={k.changed ? 'is-changed' : ''} title={k.help}>
              <td className="mono sims-knob-name">{k.name}</td>
              <td className="sims-knob-control">
                <KnobControl knob={k} onSet={(v) => onSet(sim.name, k.name, v)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {paths.length > 0 && (
        <div className="sims-paths muted mono">
          {paths.map(([p, n]) => (
            <span key={p}>
              {p} {formatInt(n)}
            </span>
          ))}
        </div>
      )}
    </Panel>
  );
}

function KnobControl({ knob, onSet }: { knob: SimulatorKnob; onSet: (value: unknown) => void }) {
  if (knob.kind === 'boolean') {
    const on = knob.value === true;
    return (
      <button
        type="button"
        role="switch"
        aria-checked={on}
        aria-label={knob.name}
        className={`sims-switch${on ? ' is-on' : ''}`}
        data-testid={`knob-${knob.name}`}
        onClick={() => onSet(!on)}
      >
        <span className="sims-switch-dot" />
        <span className="sims-switch-text">{on ? 'on' : 'off'}</span>
      </button>
    );
  }
  return <TextKnob knob={knob} onSet={onSet} />;
}

function shown(k: SimulatorKnob): string {
  return k.kind === 'string' || k.kind === 'number' ? String(k.value) : JSON.stringify(k.value);
}

/** Numbers, strings and JSON (lists, maps): edited in place, applied on Enter or blur. */
function TextKnob({ knob, onSet }: { knob: SimulatorKnob; onSet: (value: unknown) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const value = draft ?? shown(knob);
  const apply = () => {
    if (draft === null || draft === shown(knob)) {
      setDraft(null);
      return;
    }
    const parsed = parseKnob(knob, draft);
    if ('problem' in parsed) {
      setProblem(parsed.problem);
      return;
    }
    setProblem(null);
    setDraft(null);
    onSet(parsed.value);
  };
  return (
    <span className="sims-text-knob">
      <input
        className={`sims-input${knob.kind === 'number' ? ' is-number' : ''}${problem ? ' is-bad' : ''}`}
        value={value}
        type={knob.name === 'bearer' ? 'password' : 'text'}
        inputMode={knob.kind === 'number' ? 'numeric' : undefined}
        aria-label={knob.name}
        aria-invalid={problem !== null}
        data-testid={`knob-${knob.name}`}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
          if (e.key === 'Escape') {
            setDraft(null);
            setProblem(null);
          }
        }}
      />
      {knob.unit && <span className="sims-unit">{knob.unit}</span>}
      {problem && <span className="sims-problem">{problem}</span>}
    </span>
  );
}

/** The typed value of an edited knob, or why not (the host checks again, with the bounds). */
export function parseKnob(k: SimulatorKnob, text: string): { value: unknown } | { problem: string } {
  if (k.kind === 'string') return { value: text };
  if (k.kind === 'number') {
    const n = Number(text.trim());
    if (text.trim() === '' || !Number.isSafeInteger(n)) return { problem: 'a whole number' };
    if ((k.min !== null && n < k.min) || (k.max !== null && n > k.max)) return { problem: `${k.min ?? '…'}..${k.max ?? '…'}` };
    return { value: n };
  }
  try {
    const v = JSON.parse(text) as unknown;
    const isList = Array.isArray(v);
    const isMap = typeof v === 'object' && v !== null && !isList;
    if (k.kind === 'list' ? isList : isMap) return { value: v };
    return { problem: k.kind === 'list' ? 'a JSON list, e.g. ["a"]' : 'a JSON object, e.g. {"a": "b"}' };
  } catch {
    return { problem: 'JSON' };
  }
}
