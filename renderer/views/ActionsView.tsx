// Operator actions: what awaits the operator now, the five signed actions with whether
// the current state allows each (and why not), and the operator's keys. Every action
// opens the ActionDialog, which shows the exact payload before anything is signed.
// Actions always act on live HEAD, whatever the time-travel cursor shows.

import { useEffect, useMemo, useState } from 'react';
import { ActionDialog } from '../components/ActionDialog';
import { KeysPanel } from '../components/KeysPanel';
import { useOperatorKeys } from '../components/useOperatorKeys';
import { Chip, Empty, Panel } from '../components/ui';
import { actionOptions, type ActionDef, type ActionOption } from '../lib/actions';
import { actionWindow } from '../lib/backbeat';
import { confirmationOf, FOLLOWUPS_MAX } from '../lib/confirmation';
import type { SignedAction } from '../state/session';
import type { WalRecord } from '../api/ConsoleApi';
import { formatInt, signerName } from '../lib/format';
import { useConsole, useLive, useSession } from '../state/context';
import { useNow } from '../state/clock';
import { useCursor } from '../state/cursor';
import type { State } from '../../core/state';

function ApprovalStatus({ state, now }: { state: State; now: number }) {
  const { spec } = useConsole();
  // The same "which window, how long" as the signing dialog and the BACKBEAT strip.
  const w = actionWindow(state.execution.backbeat, spec.transitions.Execution_Approve?.window ?? [], now);
  const approvals = state.execution.approvals.filter((a) => a.beat === w.beat);
  return (
    <div className="act-detail" data-testid="approval-status">
      <span className="mono">{w.window_id}</span> <Chip tone={w.open ? 'ok' : 'warn'}>{w.label}</Chip>{' '}
      <span className="muted">approvals this beat</span> <b>{approvals.length}</b>
      <span className="muted">/{state.council.threshold}</span>
      {approvals.length > 0 && <span className="muted"> · {approvals.map((a) => signerName(state, a.signer)).join(', ')}</span>}
    </div>
  );
}

function ActionRow({ o, state, now, onOpen }: { o: ActionOption; state: State; now: number; onOpen: (d: ActionDef) => void }) {
  const { def } = o;
  return (
    <li className={`act-row${o.allowed ? ' is-allowed' : ''}`} data-testid={`act-${def.transition}`}>
      <button
        type="button"
        className={`tbtn act-button tone-${def.tone}`}
        disabled={!o.allowed}
        onClick={() => onOpen(def)}
        title={o.allowed ? `${def.verb}: opens the signing dialog` : o.blocked.join('; ')}
      >
        {def.verb}…
      </button>
      <div className="act-text">
        <div className="act-title">
          <span className="mono act-tr">{def.transition}</span>
          {o.allowed ? <Chip tone="ok">allowed now</Chip> : <Chip>{o.blocked.join(' · ')}</Chip>}
          {def.irreversible && <Chip tone="danger">irreversible</Chip>}
        </div>
        <div className="muted act-summary">{def.summary}</div>
        {def.transition === 'Execution_Approve' && state.execution.phase !== null && <ApprovalStatus state={state} now={now} />}
      </div>
    </li>
  );
}

function Attention({ state, options, onOpen }: { state: State; options: ActionOption[]; onOpen: (d: ActionDef) => void }) {
  const allowed = (t: string) => options.find((o) => o.def.transition === t && o.allowed)?.def;
  const release = allowed('Quarantine_Release');
  const block = allowed('Quarantine_ConfirmBlock');
  const approve = allowed('Execution_Approve');
  if (state.policy.quarantined) {
    return (
      <div className="attention tone-danger" data-testid="attention">
        <div className="attention-text">
          <b>QUARANTINED</b> — only release, confirm block, policy update and licence refresh are accepted.
          <ul>
            {state.policy.rationale.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
        <div className="attention-buttons">
          {release && (
            <button type="button" className="tbtn act-button tone-ok" onClick={() => onOpen(release)}>
              {release.verb}…
            </button>
          )}
          {block && (
            <button type="button" className="tbtn act-button tone-danger" onClick={() => onOpen(block)}>
              {block.verb}…
            </button>
          )}
        </div>
      </div>
    );
  }
  if (approve) {
    return (
      <div className="attention tone-accent" data-testid="attention">
        <div className="attention-text">
          <b>EXECUTION · {state.execution.phase}</b> — REVERB opens when {state.council.threshold} operators approve within one beat's
          review/reverb window.
        </div>
        <div className="attention-buttons">
          <button type="button" className="tbtn act-button tone-accent" onClick={() => onOpen(approve)}>
            {approve.verb}…
          </button>
        </div>
      </div>
    );
  }
  return null;
}

/**
 * "Released at #44" after an accepted action, the index a link to the timeline, and the
 * records right after it ("re-quarantined at #45 by op-2"), re-read as HEAD moves.
 */
function Confirmed({ done, state, headIndex }: { done: SignedAction; state: State; headIndex: number }) {
  const { live } = useConsole();
  const cursor = useCursor();
  const [after, setAfter] = useState<WalRecord[]>([]);
  useEffect(() => {
    let stale = false;
    const last = Math.min(headIndex, done.index + FOLLOWUPS_MAX);
    const wanted = Array.from({ length: Math.max(0, last - done.index) }, (_, i) => done.index + 1 + i);
    void Promise.all(wanted.map((i) => live.loader.record(i, headIndex).catch(() => null))).then((rs) => {
      if (!stale) setAfter(rs.filter((r): r is WalRecord => r !== null));
    });
    return () => {
      stale = true;
    };
  }, [live, done.index, headIndex]);
  const c = confirmationOf(done, after, (signer) => signerName(state, signer));
  const open = (index: number) => {
    cursor.set(index);
    window.location.hash = '#/timeline';
  };
  const verb = c.headline.slice(0, c.headline.lastIndexOf(' at #'));
  return (
    <div className="act-confirm" role="status" data-testid="act-confirm">
      <span className="act-confirm-head">
        {verb} at{' '}
        <button type="button" className="ucxl-link mono" onClick={() => open(c.index)} title="Open this record in the timeline">
          #{formatInt(c.index)}
        </button>
        {done.duplicate ? ' (already applied)' : ''}
      </span>
      {c.followups.map((f) => (
        <span key={f.index} className="act-confirm-next" data-testid="act-confirm-next">
          then{' '}
          <button type="button" className="ucxl-link mono" onClick={() => open(f.index)}>
            {f.text}
          </button>
        </span>
      ))}
    </div>
  );
}

export function ActionsView() {
  const cursor = useCursor();
  const { api, spec } = useConsole();
  const live = useLive();
  const keys = useOperatorKeys(api);
  const now = useNow();
  const [open, setOpen] = useState<ActionDef | null>(null);
  const { session } = useConsole();
  const done = useSession().signed;
  const state = live.head?.state ?? null;
  const options = useMemo(() => (state ? actionOptions(spec, state) : []), [spec, state]);

  return (
    <div className="view view-actions">
      <div className="view-head">
        <h1>Operator actions</h1>
        <span className="view-sub">
          Signed with your operator key · the orchestrator judges · always against live HEAD <b>#{formatInt(live.head?.index ?? 0)}</b>
        </span>
        {cursor.index !== null && (
          <div className="view-tools">
            <Chip tone="info" title="Actions act on live HEAD, not on the record the other views show">
              viewing #{formatInt(cursor.index)} · actions use HEAD
            </Chip>
          </div>
        )}
      </div>
      {!state ? (
        <Empty>Loading HEAD…</Empty>
      ) : (
        <div className="actions-grid">
          <div className="actions-main">
            {done[0] && <Confirmed done={done[0]} state={state} headIndex={live.head?.index ?? 0} />}
            <Attention state={state} options={options} onOpen={setOpen} />
            <Panel
              title="Actions"
              extra={<span className="count">{options.filter((o) => o.allowed).length} allowed</span>}
              testId="actions-list"
            >
              <ul className="act-list">
                {options.map((o) => (
                  <ActionRow key={o.def.transition} o={o} state={state} now={now} onOpen={setOpen} />
                ))}
              </ul>
            </Panel>
            <Panel title="Signed from this console" extra={<span className="count">{done.length}</span>} className="act-done-panel">
              {done.length === 0 ? (
                <Empty>Nothing signed in this session yet.</Empty>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Time</th>
                      <th>Transition</th>
                      <th>Signer</th>
                      <th>WAL</th>
                    </tr>
                  </thead>
                  <tbody>
                    {done.map((d) => (
                      <tr key={`${d.at_ms}-${d.index}`} data-testid="act-done">
                        <td className="mono">{new Date(d.at_ms).toISOString().slice(11, 19)}</td>
                        <td className="mono">{d.transition}</td>
                        <td>{signerName(state, d.signer)}</td>
                        <td className="mono">
                          #{formatInt(d.index)}
                          {d.duplicate ? ' (already applied)' : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Panel>
          </div>
          <KeysPanel model={keys} state={state} className="actions-keys" />
        </div>
      )}
      {open && <ActionDialog def={open} keys={keys} onClose={() => setOpen(null)} onDone={(d) => session.recordSigned(d)} />}
    </div>
  );
}
