// The signed-action dialog: the operator sees exactly what will be signed — the payload,
// its hash, the key's fingerprint, the BACKBEAT window — types a justification, and the
// button names the action. What is signed is the payload on screen at the moment of the
// click; while the dialog is open it follows HEAD (the proposal must name the current
// state hash and an HLC after HEAD's), so it is rebuilt when HEAD moves, when the text
// changes, and every few seconds, never while a submission is in flight. A refusal
// keeps the dialog open with the orchestrator's code and reasons, until the payload
// changes. The logic is in useActionDialog.ts; this file draws it.

import { JUSTIFICATION_MAX } from '../lib/actions';
import { shortHlc, signerName } from '../lib/format';
import { Chip } from './ui';
import { useActionDialog, type ActionDialogProps, type ActionDialogModel } from './useActionDialog';

export type { ActionDone } from './useActionDialog';

export function ActionDialog(props: ActionDialogProps) {
  const m = useActionDialog(props);
  const { def } = props;
  const { key, built, busy } = m;

  return (
    <div className="overlay" role="presentation" onKeyDown={m.onKeyDown} onClick={m.close}>
      <div
        className={`dialog action-dialog tone-${def.tone}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby="action-dialog-title"
        data-testid="action-dialog"
        ref={m.dialogRef}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="dialog-head">
          <h2 id="action-dialog-title">{def.verb}</h2>
          <Chip tone="neutral">{def.transition}</Chip>
          <button type="button" className="icon-button" onClick={m.close} aria-label="Close" disabled={busy}>
            ×
          </button>
        </div>
        <p className="action-summary">{def.summary}</p>
        {def.irreversible && (
          <div className="action-irreversible" role="note">
            This cannot be undone: TERMINATED accepts no further transition.
          </div>
        )}
        {(def.transition === 'Quarantine_Release' || def.transition === 'Quarantine_ConfirmBlock') && m.state?.policy.quarantined && (
          // What is being released or confirmed, so the operator judges it without leaving the dialog.
          <div className="action-quarantine" role="note" data-testid="action-quarantine-reasons">
            <b>Quarantined because</b>
            <ul>
              {m.state.policy.rationale.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          </div>
        )}

        <div className="action-grid">
          <div className="action-meta">
            <SigningFacts m={m} />
            {key && !key.unlocked && (
              <form
                className="action-unlock"
                onSubmit={(e) => {
                  e.preventDefault();
                  void m.unlock.run();
                }}
              >
                <input
                  type="password"
                  value={m.unlock.pass}
                  onChange={(e) => m.unlock.setPass(e.target.value)}
                  placeholder={`Passphrase for ${key.label}`}
                  aria-label="Key passphrase"
                  autoComplete="off"
                  data-testid="action-unlock-pass"
                />
                <button type="submit" className="tbtn" disabled={m.unlock.unlocking || m.unlock.pass === ''}>
                  {m.unlock.unlocking ? 'Deriving…' : 'Unlock key'}
                </button>
              </form>
            )}
            {m.keyError && (
              <div className="inline-error" role="alert">
                {m.keyError}
              </div>
            )}
            <label className="action-field">
              <span>
                {def.fieldLabel} <span className="muted">(required · inputs.{def.field})</span>
              </span>
              <textarea
                ref={m.textRef}
                value={m.text}
                onChange={(e) => m.setText(e.target.value)}
                rows={3}
                maxLength={JUSTIFICATION_MAX + 100}
                placeholder={def.field === 'note' ? 'What you reviewed and why it may proceed' : 'Why — this goes into the decision record'}
                data-testid="action-justification"
                disabled={busy}
              />
              <span className="action-count muted">
                {m.text.trim().length} / {JUSTIFICATION_MAX}
              </span>
            </label>
          </div>

          <PayloadPanel built={built} />
        </div>

        {built && built.problems.length > 0 && (
          <ul className="action-problems" data-testid="action-problems">
            {built.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {built && built.warnings.length > 0 && (
          <ul className="action-warnings" data-testid="action-warnings">
            {built.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        {m.refusal && <RefusalPanel m={m} />}
        <DialogFoot m={m} def={def} />
      </div>
    </div>
  );
}

function RefusalPanel({ m }: { m: ActionDialogModel }) {
  const r = m.refusal;
  if (!r) return null;
  return (
    <div className="action-refusal" role="alert" data-testid="action-error" data-code={r.kind === 'refused' ? r.code : 'unknown'}>
      {r.kind === 'refused' ? (
        <>
          <div>
            <b>Refused by the orchestrator</b>{' '}
            <span className="mono">
              HTTP {r.status} · {r.code}
              {r.guard ? ` · guard ${r.guard}` : ''}
            </span>
          </div>
          <div>{r.reason}</div>
          {r.reasons && r.reasons.length > 0 && (
            <ul>
              {r.reasons.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ul>
          )}
          <div className="muted">
            Nothing changed. The payload above follows HEAD; correct it and sign again, or cancel. This notice goes when the payload
            changes.
          </div>
        </>
      ) : (
        <>
          <div>
            <b>No answer</b> <span className="mono">{r.reason}</span>
          </div>
          <div className="muted">
            The outcome is unknown. Re-sending the same signed proposal is safe: its idem key is applied at most once.
          </div>
          <button type="button" className="tbtn" onClick={() => m.resend(r.signed)} disabled={m.busy}>
            Re-send the same signed proposal
          </button>
        </>
      )}
    </div>
  );
}

/** Cancel and the submit button; when the button is disabled, the reason is shown beside it. */
function DialogFoot({ m, def }: { m: ActionDialogModel; def: ActionDialogProps['def'] }) {
  const { busy, blockReason, key } = m;
  return (
    <div className="dialog-foot">
      <span className="muted action-hint">
        {blockReason !== null ? (
          <span id="action-blocked" data-testid="action-blocked">
            Not signable: {blockReason}
          </span>
        ) : (
          <>
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> signs and submits
          </>
        )}
        {' · '}
        <kbd>Esc</kbd> cancels
      </span>
      <button type="button" className="tbtn" onClick={m.close} disabled={busy}>
        Cancel
      </button>
      <button
        type="button"
        className={`tbtn action-submit tone-${def.tone}`}
        disabled={blockReason !== null || busy}
        onClick={() => void m.submit()}
        data-testid="action-submit"
        aria-describedby={blockReason !== null ? 'action-blocked' : undefined}
        title={blockReason ?? `Sign with ${key?.label} and submit`}
      >
        {busy ? 'Signing…' : def.verb}
      </button>
    </div>
  );
}

/** What will sign and against what: key, fingerprint, signer, window, HEAD, HLC. */
function SigningFacts({ m }: { m: ActionDialogModel }) {
  const { head, state, key, built, busy } = m;
  return (
    <dl className="kv">
      <div className="kv-row">
        <dt>Key</dt>
        <dd>
          {m.operatorKeys.length === 0 ? (
            <span className="muted">no key: import one in Actions › Operator keys</span>
          ) : m.operatorKeys.length === 1 ? (
            <span>{key?.label}</span>
          ) : (
            <select value={key?.id ?? ''} onChange={(e) => m.setKeyId(e.target.value)} aria-label="Signing key" disabled={busy}>
              {m.operatorKeys.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.label} · {signerName(state, k.signer)}
                </option>
              ))}
            </select>
          )}
        </dd>
      </div>
      <div className="kv-row">
        <dt>Fingerprint</dt>
        <dd className="mono action-fp" data-testid="action-fingerprint" title={key?.signer}>
          {key?.fingerprint ?? '—'}
        </dd>
      </div>
      <div className="kv-row">
        <dt>Signer</dt>
        <dd title={key?.signer}>
          {key ? signerName(state, key.signer) : '—'} {key && <span className="muted mono">{key.signer.slice(13, 25)}…</span>}
        </dd>
      </div>
      <div className="kv-row">
        <dt>Window</dt>
        <dd data-testid="action-window">
          {m.act_window ? (
            <>
              <span className="mono">{m.act_window.window_id}</span>{' '}
              <Chip tone={m.act_window.open ? 'ok' : 'warn'}>{m.act_window.label}</Chip>
            </>
          ) : (
            <span className="muted">not time-gated (window_id null)</span>
          )}
        </dd>
      </div>
      <div className="kv-row">
        <dt>HEAD</dt>
        <dd>
          <span className="mono">#{head?.index ?? '…'}</span>{' '}
          <span className="muted mono" title={head?.hash}>
            {head?.hash.slice(7, 19)}…
          </span>
        </dd>
      </div>
      <div className="kv-row">
        <dt>HLC</dt>
        <dd className="mono" title={built?.unsigned.hlc}>
          {shortHlc(built?.unsigned.hlc)}
        </dd>
      </div>
    </dl>
  );
}

/** The exact payload to be signed, its hash, and what the signature covers. */
function PayloadPanel({ built }: { built: ActionDialogModel['built'] }) {
  return (
    <div className="action-payload">
      <div className="action-payload-head">
        <span className="panel-title">Payload to sign</span>
        <span className="muted">
          H(payload){' '}
          <span className="mono" data-testid="action-payload-hash" title={built?.payload_hash}>
            {built ? built.payload_hash.slice(7, 23) : '—'}…
          </span>
        </span>
      </div>
      <pre className="action-json mono" data-testid="action-payload">
        {built ? JSON.stringify(built.unsigned, null, 2) : '…'}
      </pre>
      <div className="action-signed muted" title={built?.signed_text}>
        signature over <span className="mono">SWOOSH-PROPOSAL-V1\n</span> + JCS(payload without inputs) · sha256{' '}
        <span className="mono">{built?.signed_bytes_sha256.slice(0, 16)}…</span>
      </div>
    </div>
  );
}
