// What-if sandbox: fork the history at an index, then skip, reorder, edit or add proposals
// and watch the pure reducer judge them here in the console (lib/sandbox.ts). The live WAL
// is only read. Each step shows accepted/rejected with code, guard and reasons, its state
// hash, and whether that state equals the live timeline's at the same index; the first
// index where they part is the divergence point. Signature handling is stated on every
// step (verified / trusted by the sandbox / signed with an operator key).
//
// Keys in the step list: ↑/↓ select · Shift+↑/↓ move · x skip · e edit · a add after ·
// Delete remove an added step.

import { useMemo, useRef, useState } from 'react';
import type { OperatorKeyInfo } from '../api/ConsoleApi';
import type { Proposal } from '../../core/types';
import { DiffTable } from '../components/DiffTable';
import { JsonTree } from '../components/JsonTree';
import { Chip, Empty, HashText, Kv, Mark, Panel } from '../components/ui';
import { formatInt, shortHlc, signerName } from '../lib/format';
import { draftProposal, parseInputs, type SandboxBase, type SandboxRun, type SandboxStep, type StepOutcome } from '../lib/sandbox';
import { useConsole, useLive } from '../state/context';
import { useCursor } from '../state/cursor';
import { DEFAULT_STEPS, useLiveDiff, useSandbox, type Fork, type SandboxModel } from './useSandbox';

export function SandboxView() {
  const cursor = useCursor();
  const liveView = useLive();
  const sb = useSandbox();
  const { fork, steps, run, key, editor } = sb;
  const state = liveView.head?.state ?? null;

  return (
    <div className="view view-sandbox" data-testid="sandbox-view">
      <div className="view-head">
        <h1>What-if</h1>
        <span className="view-sub">
          fork the history, change it, and replay it here with the pure reducer · the live WAL is never written
        </span>
      </div>
      <ForkBar sb={sb} position={cursor.index ?? cursor.headIndex} />
      {sb.error && (
        <div className="inline-error" data-testid="sandbox-error">
          {sb.error}
        </div>
      )}
      {!fork ? (
        <Empty>
          Choose an index and press Fork: the state there and the WAL proposals after it are loaded into the sandbox. Skip, reorder, edit or
          add proposals; every change re-runs the reducer here.
        </Empty>
      ) : (
        <>
          <Divergence run={run} fork={fork} onJump={sb.setSelected} />
          <div className="sb-grid">
            <StepsPanel sb={sb} fork={fork} state={state} />
            <div className="sb-side">
              {editor ? (
                <Editor
                  key={`${editor.mode}:${editor.stepId ?? editor.afterId ?? ''}`}
                  mode={editor.mode}
                  step={editor.stepId ? (steps.find((s) => s.id === editor.stepId) ?? null) : null}
                  after={sb.editorAfter(editor)}
                  baseState={fork.base.state}
                  signingAs={key}
                  onCancel={() => sb.setEditor(null)}
                  onSave={(proposal) => sb.save(editor, proposal)}
                />
              ) : (
                <StepDetail step={sb.selStep} out={sb.selOutcome} fork={fork} state={state} />
              )}
            </div>
          </div>
        </>
      )}
    </div>
  );
}

/** The fork request (blank index = the cursor), the modes, and the run's summary. */
function ForkBar({ sb, position }: { sb: SandboxModel; position: number }) {
  const { fork, run, key } = sb;
  const [forkText, setForkText] = useState('');
  const [countText, setCountText] = useState(String(DEFAULT_STEPS));
  const unlocked = sb.keys.filter((k) => k.unlocked);
  return (
    <form
      className="sb-bar"
      onSubmit={(e) => {
        e.preventDefault();
        void sb.doFork(forkText.trim() === '' ? position : Number(forkText.replace('#', '')), Number(countText) || DEFAULT_STEPS);
      }}
    >
      <label>
        Fork at #{' '}
        <input
          className="sb-input mono"
          style={{ width: 90 }}
          value={forkText}
          placeholder={String(position)}
          onChange={(e) => setForkText(e.target.value)}
          aria-label="Fork index"
          data-testid="sandbox-fork-index"
        />
      </label>
      <label>
        then the next{' '}
        <input
          className="sb-input mono"
          style={{ width: 60 }}
          value={countText}
          onChange={(e) => setCountText(e.target.value)}
          aria-label="WAL records to load"
          data-testid="sandbox-count"
        />{' '}
        WAL proposals
      </label>
      <button type="submit" className="tbtn tbtn-primary" data-testid="sandbox-fork">
        Fork
      </button>
      <span className="muted">(blank = cursor #{formatInt(position)})</span>
      <label title="Rewrite each proposal's current_state_hash to the sandbox HEAD; without it, every proposal after a change answers stale_state_hash">
        <input type="checkbox" checked={sb.rebase} onChange={(e) => sb.setRebase(e.target.checked)} data-testid="sandbox-rebase" /> rebase
        onto the fork
      </label>
      <label title="How added and edited proposals are signed">
        added/edited:
        <select
          className="sb-select"
          value={key ? key.id : ''}
          onChange={(e) => sb.setSignWith(e.target.value)}
          aria-label="Signature mode for added proposals"
          data-testid="sandbox-sign-mode"
        >
          <option value="">unsigned (sandbox trusts signatures)</option>
          {unlocked.map((k) => (
            <option key={k.id} value={k.id}>
              sign with {k.label} ({k.fingerprint})
            </option>
          ))}
          {sb.keys
            .filter((k) => !k.unlocked)
            .map((k) => (
              <option key={k.id} value={k.id} disabled>
                {k.label} — locked (unlock in Actions)
              </option>
            ))}
        </select>
      </label>
      {run && fork && (
        <span className="sb-summary" data-testid="sandbox-summary">
          <Chip tone="ok">{run.accepted} accepted</Chip>
          <Chip tone={run.rejected > 0 ? 'warn' : 'neutral'}>{run.rejected} rejected</Chip>
          {run.skipped > 0 && <Chip>{run.skipped} skipped</Chip>}
          <span className="muted">
            HEAD #{formatInt(run.head.index)} <HashText value={run.head.hash} />
          </span>
          {sb.running && <span className="muted">running…</span>}
        </span>
      )}
    </form>
  );
}

/** The editable list of steps with each one's outcome. */
function StepsPanel({ sb, fork, state }: { sb: SandboxModel; fork: Fork; state: Parameters<typeof signerName>[0] }) {
  const { steps, run, selected, outcomes } = sb;
  return (
    <Panel
      className="sb-steps"
      title={
        <>
          Steps from #{formatInt(fork.base.index)} <span className="count">{steps.length}</span>
        </>
      }
      extra={
        <span style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
          <span className="muted">↑↓ · ⇧↑↓ move · x skip · e edit · a add</span>
          <button
            type="button"
            className="tbtn"
            onClick={() => sb.setEditor({ mode: 'add', afterId: selected, stepId: null })}
            data-testid="sandbox-add"
          >
            + Add proposal
          </button>
        </span>
      }
      testId="sandbox-steps"
    >
      <div className="sb-head" aria-hidden="true">
        <span className="sb-n">#</span>
        <span>Origin</span>
        <span>Transition</span>
        <span>Signer</span>
        <span>Outcome</span>
        <span className="sb-idx">Index</span>
        <span>State hash</span>
        <span>vs live</span>
        <span />
      </div>
      <div
        className="sb-list"
        ref={sb.listRef}
        tabIndex={0}
        onKeyDown={sb.onListKey}
        role="listbox"
        aria-label="Sandbox steps"
        data-testid="sandbox-list"
      >
        {steps.length === 0 && <Empty>No steps: add a proposal.</Empty>}
        {steps.map((s, i) => (
          <StepRow
            key={s.id}
            n={i + 1}
            step={s}
            out={outcomes.get(s.id) ?? null}
            selected={s.id === selected}
            divergence={run?.divergence?.step_id === s.id}
            state={state}
            onSelect={() => sb.setSelected(s.id)}
            onSkip={() => sb.skip(s.id)}
            onMove={(d) => sb.move(s.id, d)}
            onEdit={() => sb.setEditor({ mode: 'edit', afterId: null, stepId: s.id })}
            onRemove={() => sb.remove(s.id)}
          />
        ))}
      </div>
    </Panel>
  );
}

function Divergence({ run, fork, onJump }: { run: SandboxRun | null; fork: Fork; onJump: (stepId: string) => void }) {
  if (!run) return null;
  const d = run.divergence;
  if (!d) {
    const same = run.head_same_as_live;
    return (
      <div className="sb-diverge is-same" data-testid="sandbox-divergence" data-diverged="false">
        <Mark ok />
        {same === true ? (
          <span>No divergence: every sandbox state up to #{formatInt(run.head.index)} equals the live timeline's.</span>
        ) : (
          <span>
            No differing state among the {formatInt(fork.live.size)} loaded live records
            {same === null ? ` (live #${formatInt(run.head.index)} not loaded)` : ''}.
          </span>
        )}
      </div>
    );
  }
  return (
    <div className="sb-diverge" data-testid="sandbox-divergence" data-diverged="true" data-index={d.index}>
      <Mark ok={false} />
      <span>
        Diverges at <b className="mono">#{formatInt(d.index)}</b>: sandbox <HashText value={d.sandbox_hash} /> · live{' '}
        <HashText value={d.live_hash} />
      </span>
      <button type="button" className="link-button" onClick={() => onJump(d.step_id)} style={{ textDecoration: 'underline' }}>
        show the step
      </button>
    </div>
  );
}

function outcomeChip(o: StepOutcome | null) {
  if (!o) return <span className="muted">…</span>;
  if (o.result === 'skipped') return <Chip>skipped</Chip>;
  if (o.result === 'accepted') return <Chip tone="ok">✓ accepted</Chip>;
  if (o.result === 'duplicate') return <Chip tone="info">duplicate</Chip>;
  return (
    <Chip tone={o.code === 'guard_failed' ? 'warn' : 'danger'} title={o.reason ?? undefined}>
      {o.code}
      {o.guard ? ` · ${o.guard}` : ''}
    </Chip>
  );
}

function StepRow(p: {
  n: number;
  step: SandboxStep;
  out: StepOutcome | null;
  selected: boolean;
  divergence: boolean;
  state: Parameters<typeof signerName>[0];
  onSelect: () => void;
  onSkip: () => void;
  onMove: (d: number) => void;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const { step, out } = p;
  const signer = out?.judged?.signer ?? step.proposal.signer;
  return (
    <div
      className={`sb-row${p.selected ? ' is-selected' : ''}${step.skip ? ' is-skipped' : ''}${p.divergence ? ' is-divergence' : ''}`}
      onClick={p.onSelect}
      role="option"
      aria-selected={p.selected}
      data-step-id={step.id}
      data-result={out?.result ?? 'pending'}
      data-code={out?.code ?? ''}
    >
      <span className="sb-n mono">{p.n}</span>
      <span>
        {step.origin === 'wal' ? (
          <Chip title={`WAL record #${step.wal_index}`}>#{step.wal_index}</Chip>
        ) : step.origin === 'edited' ? (
          <Chip tone="info" title={`edited from #${step.wal_index}`}>
            edited
          </Chip>
        ) : (
          <Chip tone="accent">added</Chip>
        )}
      </span>
      <span className="mono" title={step.proposal.transition}>
        {step.proposal.transition}
      </span>
      <span title={signer}>{signerName(p.state, signer)}</span>
      <span>{outcomeChip(out)}</span>
      <span className="sb-idx mono">{out?.index !== null && out?.index !== undefined ? `#${formatInt(out.index)}` : '—'}</span>
      <span>{out && out.result === 'accepted' ? <HashText value={out.hash} /> : <span className="muted">—</span>}</span>
      <span title={out?.live_hash ?? 'live state not loaded at this index'}>
        {out?.same_as_live === true ? (
          <span className="guards-ok">✓ same</span>
        ) : out?.same_as_live === false ? (
          <Chip tone="danger">differs</Chip>
        ) : (
          <span className="muted">·</span>
        )}
      </span>
      <span className="sb-ctl" onClick={(e) => e.stopPropagation()}>
        <button
          type="button"
          onClick={p.onSkip}
          title={step.skip ? 'Include (x)' : 'Skip (x)'}
          aria-label={step.skip ? 'Include step' : 'Skip step'}
          data-testid="sandbox-skip"
        >
          {step.skip ? '↺' : '⊘'}
        </button>
        <button type="button" onClick={() => p.onMove(-1)} title="Move up (Shift+↑)" aria-label="Move up">
          ↑
        </button>
        <button type="button" onClick={() => p.onMove(1)} title="Move down (Shift+↓)" aria-label="Move down">
          ↓
        </button>
        <button type="button" onClick={p.onEdit} title="Edit (e)" aria-label="Edit step">
          ✎
        </button>
        {step.origin === 'added' && (
          <button type="button" onClick={p.onRemove} title="Remove (Delete)" aria-label="Remove step">
            ×
          </button>
        )}
      </span>
    </div>
  );
}

function StepDetail({
  step,
  out,
  fork,
  state,
}: {
  step: SandboxStep | null;
  out: StepOutcome | null;
  fork: Fork;
  state: Parameters<typeof signerName>[0];
}) {
  const liveDiff = useLiveDiff(out);

  if (!step)
    return (
      <Panel title="Step">
        <Empty>Select a step.</Empty>
      </Panel>
    );
  return (
    <Panel
      className="sb-detail"
      title={
        <>
          Step · <span className="mono">{step.proposal.transition}</span>
        </>
      }
      extra={outcomeChip(out)}
      testId="sandbox-detail"
    >
      {out?.result === 'skipped' && <Empty>Skipped: not judged.</Empty>}
      {out && out.result !== 'skipped' && (
        <>
          {out.reason && (
            <p className="reason" style={{ margin: 0 }} data-testid="sandbox-reason">
              {out.reason}
            </p>
          )}
          {out.reasons.length > 0 && (
            <ul className="reasons">
              {out.reasons.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          )}
          <div className={`sb-sig is-${out.signature ?? 'none'}`} data-testid="sandbox-signature" data-mode={out.signature ?? ''}>
            <b>Signature: {out.signature === 'trusted' ? 'unsigned — sandbox trusts it' : out.signature}</b> · {out.signature_note}
          </div>
          <Kv
            rows={[
              ['Judged at', <span className="mono">sandbox #{formatInt(out.at_index)}</span>],
              ['Result', <span className="mono">{out.index !== null ? `sandbox #${formatInt(out.index)}` : 'no new state'}</span>],
              ['State hash', <HashText value={out.hash} />],
              [
                'Live hash',
                out.live_hash ? (
                  <HashText value={out.live_hash} />
                ) : (
                  <span className="muted">{out.index === null ? '—' : fork.live.has(out.index) ? '—' : 'not loaded'}</span>
                ),
              ],
              ['Rebased', out.rebased ? 'yes: current_state_hash set to the sandbox HEAD' : 'no'],
              ['Signer', signerName(state, out.judged?.signer ?? step.proposal.signer)],
              ['HLC', <span className="mono">{shortHlc(out.judged?.hlc ?? step.proposal.hlc)}</span>],
            ]}
          />
          {out.guard_outcomes.length > 0 && (
            <ul className="guards" data-testid="sandbox-guards">
              {out.guard_outcomes.map((g, i) => (
                <li key={i}>
                  <Mark ok={g.ok} />
                  <span className="guard-name">{g.guard}</span>
                  <span className="guard-reason" title={g.reasons.join('\n')}>
                    {g.reasons.join('; ')}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {liveDiff && (
            <div data-testid="sandbox-live-diff">
              <div className="panel-title" style={{ margin: '6px 0 4px' }}>
                Against live #{formatInt(liveDiff.index)}
              </div>
              {'error' in liveDiff ? (
                <span className="tl-scan-error">{liveDiff.error}</span>
              ) : (
                <DiffTable entries={liveDiff.entries} sides={['Live', 'Sandbox']} preview_chars={50} />
              )}
            </div>
          )}
          <details>
            <summary className="muted" style={{ cursor: 'pointer', fontSize: 12 }}>
              Proposal as judged
            </summary>
            <JsonTree value={out.judged ?? step.proposal} openDepth={1} />
          </details>
        </>
      )}
    </Panel>
  );
}

function Editor({
  mode,
  step,
  after,
  baseState,
  signingAs,
  onCancel,
  onSave,
}: {
  mode: 'add' | 'edit';
  step: SandboxStep | null;
  after: Proposal | null;
  baseState: SandboxBase['state'];
  signingAs: OperatorKeyInfo | null;
  onCancel: () => void;
  onSave: (p: Proposal) => void;
}) {
  const { spec } = useConsole();
  const identities = baseState.boot.identities;
  const transitions = useMemo(() => Object.keys(spec.transitions).sort(), [spec]);
  const [transition, setTransition] = useState(step?.proposal.transition ?? 'Control_Pause');
  const [signer, setSigner] = useState(step?.proposal.signer ?? identities.find((i) => i.roles.includes('operator'))?.signer ?? '');
  const [hlc, setHlc] = useState(step?.proposal.hlc ?? '');
  const [inputs, setInputs] = useState(JSON.stringify(step?.proposal.inputs ?? { reason: 'what if' }, null, 2));
  const [err, setErr] = useState<string | null>(null);
  const idem = useRef(`sandbox:${Math.random().toString(36).slice(2, 10)}`);

  const save = () => {
    const parsed = parseInputs(inputs);
    if (!parsed.ok) {
      setErr(parsed.error);
      return;
    }
    const draft = draftProposal({
      spec,
      schedule: baseState.execution.backbeat,
      transition,
      signer: signingAs?.signer ?? signer,
      inputs: parsed.inputs,
      hlc: hlc.trim() === '' ? null : hlc.trim(),
      afterHlc: after?.hlc ?? baseState.hlc_last,
      idem_key: step?.proposal.idem_key ?? idem.current,
      evidence: step?.proposal.evidence,
    });
    onSave(draft);
  };

  return (
    <Panel
      className="sb-editor"
      title={mode === 'add' ? 'Add a proposal' : `Edit ${step?.origin === 'wal' ? `WAL #${step.wal_index}` : 'step'}`}
      testId="sandbox-editor"
    >
      <div
        className="sb-form"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onCancel();
          }
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) save();
        }}
      >
        <span>Transition</span>
        <select
          value={transition}
          onChange={(e) => setTransition(e.target.value)}
          aria-label="Transition"
          data-testid="sandbox-editor-transition"
        >
          {transitions.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <span>Signer</span>
        {signingAs ? (
          <span className="mono" title={signingAs.signer}>
            {signingAs.label} (operator key, signs it)
          </span>
        ) : (
          <select value={signer} onChange={(e) => setSigner(e.target.value)} aria-label="Signer" data-testid="sandbox-editor-signer">
            {identities.map((i) => (
              <option key={i.signer} value={i.signer}>
                {i.id} ({i.roles.join(', ')})
              </option>
            ))}
          </select>
        )}
        <span>HLC</span>
        <input
          className="mono"
          value={hlc}
          onChange={(e) => setHlc(e.target.value)}
          placeholder={`next tick after ${after?.hlc ?? baseState.hlc_last ?? 'the fork'}`}
          aria-label="HLC"
          data-testid="sandbox-editor-hlc"
        />
      </div>
      <div className="panel-title" style={{ margin: '8px 0 4px' }}>
        Inputs (JSON)
      </div>
      <textarea
        value={inputs}
        onChange={(e) => setInputs(e.target.value)}
        spellCheck={false}
        aria-label="Inputs JSON"
        data-testid="sandbox-editor-inputs"
      />
      {err && <div className="tl-scan-error">{err}</div>}
      <p className="footnote">
        inputs_hash is recomputed; window_id is the window of the HLC for time-gated transitions; current_state_hash is set when it runs.
        {signingAs ? ` Signed with ${signingAs.label} and verified.` : ' Unsigned: the sandbox trusts its signature and says so.'}
      </p>
      <div className="sb-actions">
        <button type="button" className="tbtn" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="tbtn tbtn-primary" onClick={save} data-testid="sandbox-editor-save">
          {mode === 'add' ? 'Add' : 'Save'} <kbd>Ctrl+↵</kbd>
        </button>
      </div>
    </Panel>
  );
}
