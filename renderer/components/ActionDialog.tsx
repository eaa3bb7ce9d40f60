// The signed-action dialog: the operator sees exactly what will be signed — the payload,
// its hash, the key's fingerprint, the BACKBEAT window — types a justification, and the
// button names the action. What is signed is the payload on screen at the moment of the
// click; while the dialog is open it follows HEAD (the proposal must name the current
// state hash and an HLC after HEAD's), so it is rebuilt when HEAD moves, when the text
// changes, and every few seconds, never while a submission is in flight. A refusal
// keeps the dialog open with the orchestrator's code and reasons.

import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { describeError, type Proposal, type SubmitOutcome } from '../api/ConsoleApi';
import { checkWindow, nextOpening_ms, type Schedule } from '../../core/window';
import { buildAction, JUSTIFICATION_MAX, type ActionDef } from '../lib/actions';
import { formatCountdown } from '../lib/backbeat';
import { shortHlc, signerName } from '../lib/format';
import { useConsole, useLive } from '../state/context';
import { Chip } from './ui';
import type { KeysModel } from './useOperatorKeys';

/** The payload's clock reading is refreshed after this long, so an idle dialog does not sign an old time. */
const RESTAMP_MS = 5000;
const TICK_MS = 500;

export interface ActionDone {
  transition: string;
  index: number;
  duplicate: boolean;
  signer: string;
  at_ms: number;
}

type Refusal = { kind: 'refused'; status: number; code: string; reason: string; guard?: string; reasons?: string[] } | { kind: 'unknown'; reason: string; signed: Proposal };

function newUuid(): string {
  const c = globalThis.crypto as Crypto & { randomUUID?: () => string };
  if (c.randomUUID) return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function ActionDialog({ def, keys, onClose, onDone }: { def: ActionDef; keys: KeysModel; onClose: () => void; onDone: (d: ActionDone) => void }) {
  const { api, spec } = useConsole();
  const live = useLive();
  const head = live.head;
  const operatorKeys = useMemo(() => {
    const ops = new Set(head?.state.boot.identities.filter((i) => i.roles.includes('operator')).map((i) => i.signer) ?? []);
    return [...keys.keys].sort((a, b) => Number(ops.has(b.signer)) - Number(ops.has(a.signer)) || Number(b.unlocked) - Number(a.unlocked));
  }, [keys.keys, head]);
  const [keyId, setKeyId] = useState<string | null>(null);
  const key = operatorKeys.find((k) => k.id === keyId) ?? operatorKeys[0] ?? null;
  const [text, setText] = useState('');
  const [pass, setPass] = useState('');
  const [unlocking, setUnlocking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [uuid] = useState(newUuid);
  const [now, setNow] = useState(() => Date.now());
  const [stamp, setStamp] = useState(() => Date.now());
  const textRef = useRef<HTMLTextAreaElement>(null);

  // Focus goes to the justification, and back to whatever opened the dialog when it closes.
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    textRef.current?.focus();
    return () => opener?.focus?.();
  }, []);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (!busy) setStamp(Date.now());
  }, [head?.hash, text, key?.id, busy]);

  const classes = spec.transitions[def.transition]?.window ?? null;
  const schedule = head?.state.execution.backbeat ?? null;
  const openAt = useCallback((ms: number) => (schedule && classes ? checkWindow(schedule, classes, ms).open : null), [schedule, classes]);
  useEffect(() => {
    if (busy) return;
    if (now - stamp > RESTAMP_MS || openAt(now) !== openAt(stamp)) setStamp(now);
  }, [now, stamp, busy, openAt]);

  const built = useMemo(() => {
    if (!head || !key) return null;
    return buildAction({ spec, head: { hash: head.hash, state: head.state }, transition: def.transition, text, signer: key.signer, now_ms: stamp, uuid });
  }, [spec, head, key, def.transition, text, stamp, uuid]);

  const blocked = !built || built.problems.length > 0 || !key || !key.unlocked;
  const submit = async () => {
    if (blocked || busy || !built || !key) return;
    const shown = built.unsigned;
    setBusy(true);
    setRefusal(null);
    let signed: Proposal;
    try {
      signed = await keys.run((s) => s.sign(key.id, shown));
    } catch (err) {
      setKeyError(describeError(err));
      setBusy(false);
      return;
    }
    await send(signed);
  };

  const send = async (signed: Proposal) => {
    setBusy(true);
    let outcome: SubmitOutcome;
    try {
      outcome = await api.submitProposal(signed);
    } catch (err) {
      setRefusal({ kind: 'unknown', reason: describeError(err), signed });
      setBusy(false);
      return;
    }
    setBusy(false);
    if (outcome.ok) {
      onDone({ transition: signed.transition, index: outcome.index, duplicate: outcome.duplicate, signer: signed.signer, at_ms: Date.now() });
      onClose();
      return;
    }
    const e = outcome.error;
    setRefusal({ kind: 'refused', status: outcome.status, code: e.code, reason: e.reason, guard: e.guard, reasons: e.reasons });
  };

  const unlock = async () => {
    if (!key || pass === '') return;
    const p = pass;
    setPass('');
    setUnlocking(true);
    setKeyError(null);
    try {
      await keys.run((s) => s.unlock(key.id, p));
    } catch (err) {
      setKeyError(describeError(err));
    } finally {
      setUnlocking(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    // The dialog is modal: the console's view shortcuts must not act behind it.
    e.stopPropagation();
    if (e.key === 'Escape' && !busy) onClose();
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  };

  const win = built?.window ?? null;
  const closeOrOpen_ms = win && schedule ? windowCountdown(schedule, win.position.beat, classes ?? [], win.open, now) : null;
  const state = head?.state ?? null;

  return (
    <div className="overlay" role="presentation" onKeyDown={onKeyDown} onClick={() => !busy && onClose()}>
      <div
        className={`dialog action-dialog tone-${def.tone}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby="action-dialog-title"
        data-testid="action-dialog"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="dialog-head">
          <h2 id="action-dialog-title">{def.verb}</h2>
          <Chip tone="neutral">{def.transition}</Chip>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close" disabled={busy}>×</button>
        </div>
        <p className="action-summary">{def.summary}</p>
        {def.irreversible && <div className="action-irreversible" role="note">This cannot be undone: TERMINATED accepts no further transition.</div>}

        <div className="action-grid">
          <div className="action-meta">
            <dl className="kv">
              <div className="kv-row">
                <dt>Key</dt>
                <dd>
                  {operatorKeys.length === 0 ? (
                    <span className="muted">no key: import one in Actions › Operator keys</span>
                  ) : operatorKeys.length === 1 ? (
                    <span>{key?.label}</span>
                  ) : (
                    <select value={key?.id ?? ''} onChange={(e) => setKeyId(e.target.value)} aria-label="Signing key" disabled={busy}>
                      {operatorKeys.map((k) => <option key={k.id} value={k.id}>{k.label} · {signerName(state, k.signer)}</option>)}
                    </select>
                  )}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Fingerprint</dt>
                <dd className="mono action-fp" data-testid="action-fingerprint" title={key?.signer}>{key?.fingerprint ?? '—'}</dd>
              </div>
              <div className="kv-row">
                <dt>Signer</dt>
                <dd title={key?.signer}>{key ? signerName(state, key.signer) : '—'} {key && <span className="muted mono">{key.signer.slice(13, 25)}…</span>}</dd>
              </div>
              <div className="kv-row">
                <dt>Window</dt>
                <dd data-testid="action-window">
                  {win ? (
                    <>
                      <span className="mono">{win.position.window_id}</span>{' '}
                      <Chip tone={win.open ? 'ok' : 'warn'}>{win.open ? `${win.open_class} open` : 'closed'}</Chip>{' '}
                      {closeOrOpen_ms !== null && <span className="muted">{win.open ? 'closes' : 'opens'} in {formatCountdown(closeOrOpen_ms)}</span>}
                    </>
                  ) : (
                    <span className="muted">not time-gated (window_id null)</span>
                  )}
                </dd>
              </div>
              <div className="kv-row">
                <dt>HEAD</dt>
                <dd><span className="mono">#{head?.index ?? '…'}</span> <span className="muted mono" title={head?.hash}>{head?.hash.slice(7, 19)}…</span></dd>
              </div>
              <div className="kv-row">
                <dt>HLC</dt>
                <dd className="mono" title={built?.unsigned.hlc}>{shortHlc(built?.unsigned.hlc)}</dd>
              </div>
            </dl>
            {key && !key.unlocked && (
              <form className="action-unlock" onSubmit={(e) => { e.preventDefault(); void unlock(); }}>
                <input type="password" value={pass} onChange={(e) => setPass(e.target.value)} placeholder={`Passphrase for ${key.label}`} aria-label="Key passphrase" autoComplete="off" data-testid="action-unlock-pass" />
                <button type="submit" className="tbtn" disabled={unlocking || pass === ''}>{unlocking ? 'Deriving…' : 'Unlock key'}</button>
              </form>
            )}
            {keyError && <div className="inline-error" role="alert">{keyError}</div>}
            <label className="action-field">
              <span>{def.fieldLabel} <span className="muted">(required · inputs.{def.field})</span></span>
              <textarea
                ref={textRef}
                value={text}
                onChange={(e) => setText(e.target.value)}
                rows={3}
                maxLength={JUSTIFICATION_MAX + 100}
                placeholder={def.field === 'note' ? 'What you reviewed and why it may proceed' : 'Why — this goes into the decision record'}
                data-testid="action-justification"
                disabled={busy}
              />
              <span className="action-count muted">{text.trim().length} / {JUSTIFICATION_MAX}</span>
            </label>
          </div>

          <div className="action-payload">
            <div className="action-payload-head">
              <span className="panel-title">Payload to sign</span>
              <span className="muted">H(payload) <span className="mono" data-testid="action-payload-hash" title={built?.payload_hash}>{built ? built.payload_hash.slice(7, 23) : '—'}…</span></span>
            </div>
            <pre className="action-json mono" data-testid="action-payload">{built ? JSON.stringify(built.unsigned, null, 2) : '…'}</pre>
            <div className="action-signed muted" title={built?.signed_text}>
              signature over <span className="mono">SWOOSH-PROPOSAL-V1\n</span> + JCS(payload without inputs) · sha256 <span className="mono">{built?.signed_bytes_sha256.slice(0, 16)}…</span>
            </div>
          </div>
        </div>

        {built && built.problems.length > 0 && (
          <ul className="action-problems" data-testid="action-problems">
            {built.problems.map((p) => <li key={p}>{p}</li>)}
          </ul>
        )}
        {built && built.warnings.length > 0 && (
          <ul className="action-warnings" data-testid="action-warnings">
            {built.warnings.map((w) => <li key={w}>{w}</li>)}
          </ul>
        )}
        {refusal && (
          <div className="action-refusal" role="alert" data-testid="action-error">
            {refusal.kind === 'refused' ? (
              <>
                <div><b>Refused by the orchestrator</b> <span className="mono">HTTP {refusal.status} · {refusal.code}{refusal.guard ? ` · guard ${refusal.guard}` : ''}</span></div>
                <div>{refusal.reason}</div>
                {refusal.reasons && refusal.reasons.length > 0 && <ul>{refusal.reasons.map((r) => <li key={r}>{r}</li>)}</ul>}
                <div className="muted">Nothing changed. The payload above follows HEAD; correct it and sign again, or cancel.</div>
              </>
            ) : (
              <>
                <div><b>No answer</b> <span className="mono">{refusal.reason}</span></div>
                <div className="muted">The outcome is unknown. Re-sending the same signed proposal is safe: its idem key is applied at most once.</div>
                <button type="button" className="tbtn" onClick={() => void send(refusal.signed)} disabled={busy}>Re-send the same signed proposal</button>
              </>
            )}
          </div>
        )}

        <div className="dialog-foot">
          <span className="muted action-hint"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> signs and submits · <kbd>Esc</kbd> cancels</span>
          <button type="button" className="tbtn" onClick={onClose} disabled={busy}>Cancel</button>
          <button
            type="button"
            className={`tbtn action-submit tone-${def.tone}`}
            disabled={blocked || busy}
            onClick={() => void submit()}
            data-testid="action-submit"
            title={blocked ? (built?.problems[0] ?? (key && !key.unlocked ? 'unlock the key first' : 'no key')) : `Sign with ${key?.label} and submit`}
          >
            {busy ? 'Signing…' : def.verb}
          </button>
        </div>
      </div>
    </div>
  );
}

/** ms until the open window closes (through adjoining windows of the same action), or until one of the classes next opens. */
function windowCountdown(schedule: Schedule, beat: number, classes: readonly string[], open: boolean, now_ms: number): number | null {
  const spans = classes.map((c) => schedule.windows[c]).filter((w): w is [number, number] => Array.isArray(w));
  if (spans.length === 0) return null;
  if (!open) {
    const next = Math.min(...classes.map((c) => nextOpening_ms(schedule, c, now_ms) ?? Infinity));
    return Number.isFinite(next) ? next - now_ms : null;
  }
  const beatStart_ms = schedule.epoch_ms + beat * schedule.period_ms;
  const offset_bp = Math.floor(((now_ms - beatStart_ms) * 10000) / schedule.period_ms);
  let end_bp = spans.find((w) => offset_bp >= w[0] && offset_bp < w[1])?.[1] ?? Math.max(...spans.map((w) => w[1]));
  for (let i = 0; i < spans.length; i += 1) {
    const adjoining = spans.find((w) => w[0] === end_bp);
    if (!adjoining) break;
    end_bp = adjoining[1];
  }
  return beatStart_ms + Math.ceil((end_bp * schedule.period_ms) / 10000) - now_ms;
}
