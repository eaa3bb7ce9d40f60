// BUBBLE decision records (GET /decisions/N): why a transition was accepted — guard
// outcomes, evidence, hashes — with the UCXL backlink to its WAL record. A backlink that
// names this orchestrator's own WAL opens the timeline there.

import { useEffect, useState } from 'react';
import { useCursor } from '../state/cursor';
import type { DecisionRecord, WalRecord } from '../api/ConsoleApi';
import { describeError } from '../api/ConsoleApi';
import { JsonTree } from '../components/JsonTree';
import { Chip, Empty, HashText, Kv, Mark, Panel } from '../components/ui';
import { parseUcxl } from '../../core/ucxl';
import { formatInt, shortHlc, signerName } from '../lib/format';
import { parseRecordIndex } from '../lib/recordIndex';
import { useConsole, useLive } from '../state/context';

/** The WAL index a UCXL address points at, when it is this orchestrator's `wal/<n>`. */
export function walIndexOf(ucxl: string): number | null {
  const a = parseUcxl(ucxl);
  if (a?.agent !== 'swoosh' || a.role !== 'orchestrator') return null;
  const m = /^wal\/(\d{1,15})$/.exec(a.path);
  return m ? Number(m[1]) : null;
}

export function DecisionsView({ onOpenTimeline }: { onOpenTimeline: (index: number) => void }) {
  const cursor = useCursor();
  const { api, live: liveStore } = useConsole();
  const live = useLive();
  const head = cursor.headIndex;
  const [index, setIndex] = useState<number>(() => Math.max(1, cursor.index ?? head));
  const [dr, setDr] = useState<DecisionRecord | null>(null);
  const [record, setRecord] = useState<WalRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [input, setInput] = useState('');
  const [inputError, setInputError] = useState<string | null>(null);

  // Follow the time-travel cursor (or HEAD) until the operator picks another index here.
  useEffect(() => {
    setIndex(Math.max(1, cursor.index ?? head));
  }, [cursor.index, head]);

  useEffect(() => {
    if (head < 1) return;
    let stale = false;
    liveStore.loader.record(index, head).then(
      (r) => !stale && setRecord(r),
      () => !stale && setRecord(null),
    );
    api.getDecision(index).then(
      (d) => {
        if (!stale) {
          setDr(d);
          setError(null);
        }
      },
      (err: unknown) => !stale && setError(describeError(err)),
    );
    return () => {
      stale = true;
    };
  }, [api, liveStore, index, head]);

  const state = live.head?.state ?? null;
  const backlink = dr ? walIndexOf(dr.ucxl) : null;

  return (
    <div className="view view-decisions">
      <div className="view-head">
        <h1>Decision records</h1>
        <span className="view-sub">BUBBLE DR for each accepted transition</span>
        <div className="view-tools">
          <button
            type="button"
            className="tbtn"
            onClick={() => setIndex((i) => Math.max(1, i - 1))}
            disabled={index <= 1}
            aria-label="Previous record"
          >
            ◀
          </button>
          <span className="position mono">
            <b>#{formatInt(index)}</b> / {formatInt(head)}
          </span>
          <button
            type="button"
            className="tbtn"
            onClick={() => setIndex((i) => Math.min(head, i + 1))}
            disabled={index >= head}
            aria-label="Next record"
          >
            ▶
          </button>
          <form
            className="jump"
            onSubmit={(e) => {
              e.preventDefault();
              const r = parseRecordIndex(input, head);
              setInputError(r.ok ? null : r.reason);
              if (r.ok) {
                setIndex(r.index);
                setInput('');
              }
            }}
          >
            <input
              value={input}
              onChange={(e) => {
                setInput(e.target.value);
                setInputError(null);
              }}
              placeholder="Record #"
              aria-label="Decision record index"
              className={inputError ? 'has-error' : ''}
              aria-invalid={inputError !== null}
              title={inputError ?? 'a record number, e.g. 44 or #44 (Enter)'}
              data-testid="decision-jump"
            />
            {inputError && (
              <span className="jump-error" data-testid="decision-jump-error">
                {inputError}
              </span>
            )}
          </form>
        </div>
      </div>
      {head < 1 && <Empty>No transition has been accepted yet.</Empty>}
      {error && (
        <div className="inline-error">
          decision #{index}: {error}
        </div>
      )}
      {dr && (
        <div className="decision-grid" data-testid="decision">
          <Panel title={<span className="dr-id mono">{dr.id}</span>} extra={<Chip tone="accent">{dr.transition}</Chip>}>
            <Kv
              rows={[
                ['Transition', <b>{dr.transition}</b>],
                ['Signer', <span title={dr.signer}>{signerName(state, dr.signer)}</span>],
                [
                  'HLC',
                  <span className="mono" title={dr.hlc}>
                    {shortHlc(dr.hlc)}
                  </span>,
                ],
                ['Window', <span className="mono">{dr.window_id ?? '—'}</span>],
                ['State before', <HashText value={dr.state_pre_hash} />],
                ['State after', <HashText value={dr.state_post_hash} />],
                ['Inputs hash', <HashText value={dr.inputs_hash} />],
                [
                  'UCXL',
                  backlink !== null ? (
                    <button
                      type="button"
                      className="ucxl-link mono"
                      onClick={() => onOpenTimeline(backlink)}
                      title="Open this record in the timeline"
                    >
                      {dr.ucxl}
                    </button>
                  ) : (
                    <span className="mono">{dr.ucxl}</span>
                  ),
                ],
              ]}
            />
          </Panel>
          <Panel title="Guards" extra={<span className="count">{dr.guards.length}</span>}>
            {dr.guards.length === 0 ? (
              <Empty>No guards: accepted from an enabled state.</Empty>
            ) : (
              <table className="table guards-table">
                <thead>
                  <tr>
                    <th />
                    <th>Guard</th>
                    <th>Reasons</th>
                  </tr>
                </thead>
                <tbody>
                  {dr.guards.map((g, i) => (
                    <tr key={`${g.guard}-${i}`}>
                      <td>
                        <Mark ok={g.ok} />
                      </td>
                      <td className="mono">{g.guard}</td>
                      <td>{g.reasons.join('; ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Panel>
          <Panel title="Justification">
            <ul className="justification">
              {dr.justification.split(' | ').map((part, i) => (
                <li key={i}>{part}</li>
              ))}
            </ul>
          </Panel>
          <Panel title="Evidence" extra={<span className="count">{dr.evidence.length}</span>}>
            {dr.evidence.length === 0 ? (
              <Empty>No evidence attached.</Empty>
            ) : (
              <ul className="evidence">
                {dr.evidence.map((e) => {
                  const a = parseUcxl(e);
                  const wal = walIndexOf(e);
                  return (
                    <li key={e}>
                      {wal !== null ? (
                        <button type="button" className="ucxl-link mono" onClick={() => onOpenTimeline(wal)}>
                          {e}
                        </button>
                      ) : (
                        <span className="mono">{e}</span>
                      )}
                      {a && (
                        <span className="muted">
                          {' '}
                          · {a.agent}:{a.role} · task {a.task}
                        </span>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
          </Panel>
          <Panel
            title="Proposal inputs"
            extra={
              record && (
                <span className="muted">
                  inputs_hash <HashText value={record.inputs_hash} />
                </span>
              )
            }
            className="span-2"
          >
            {record && record.index === index ? <JsonTree value={record.proposal.inputs} openDepth={2} /> : <Empty>Loading…</Empty>}
          </Panel>
        </div>
      )}
    </div>
  );
}
