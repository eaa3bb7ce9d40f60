// Operator keys: import a `swoosh keygen` file (picker or paste), create one, unlock and
// lock, export, remove. Passphrases live in this component's state only while typed and
// are cleared as soon as they are used; the secret never reaches React at all.

import { useRef, useState, type FormEvent } from 'react';
import { describeError, type OperatorKeyInfo } from '../api/ConsoleApi';
import type { State } from '../../core/state';
import { signerName } from '../lib/format';
import { Chip, Empty, Panel } from './ui';
import type { KeysModel } from './useOperatorKeys';

type Tab = 'import' | 'create';

function roleOf(state: State | null, signer: string): { name: string; operator: boolean; known: boolean } {
  const id = state?.boot.identities.find((i) => i.signer === signer);
  return { name: id ? id.id : signerName(state, signer), operator: id?.roles.includes('operator') ?? false, known: id !== undefined };
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function KeyRow({ k, model, state }: { k: OperatorKeyInfo; model: KeysModel; state: State | null }) {
  const [pass, setPass] = useState('');
  const [opening, setOpening] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const who = roleOf(state, k.signer);
  const canExport = model.canExport;

  const act = async (op: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await op();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const unlock = async (e: FormEvent) => {
    e.preventDefault();
    const p = pass;
    setPass('');
    if (await act(() => model.run((s) => s.unlock(k.id, p)))) setOpening(false);
  };

  return (
    <li className={`key-row${k.unlocked ? ' is-unlocked' : ''}`} data-testid="key-row" data-key-id={k.id}>
      <div className="key-main">
        <span
          className={`key-lock${k.unlocked ? ' is-open' : ''}`}
          aria-label={k.unlocked ? 'unlocked' : 'locked'}
          title={k.unlocked ? 'Unlocked: can sign (locks itself after 15 min idle)' : 'Locked: encrypted at rest'}
        >
          {k.unlocked ? '◉' : '○'}
        </span>
        <div className="key-text">
          <div className="key-label">
            <b title={k.label}>{k.label}</b>
          </div>
          <div className="key-sub">
            <span
              className="key-fp mono"
              title={`${k.signer}\nfingerprint: first 16 hex of sha256(public key)`}
              data-testid="key-fingerprint"
            >
              {k.fingerprint}
            </span>
            {who.known ? (
              <Chip tone={who.operator ? 'accent' : 'warn'} title={k.signer}>
                {who.name}
                {who.operator ? ' · operator' : ' · not an operator'}
              </Chip>
            ) : (
              <Chip tone="warn" title={k.signer}>
                not in this project
              </Chip>
            )}
          </div>
        </div>
        <div className="key-buttons">
          {k.unlocked ? (
            <button type="button" className="tbtn" disabled={busy} onClick={() => void act(() => model.run((s) => s.lock(k.id)))}>
              Lock
            </button>
          ) : (
            <button type="button" className="tbtn" disabled={busy} onClick={() => setOpening((o) => !o)} aria-expanded={opening}>
              Unlock…
            </button>
          )}
          {canExport && (
            <button
              type="button"
              className="tbtn"
              disabled={busy}
              title="Save as an encrypted swoosh keygen key file"
              onClick={() =>
                void act(async () =>
                  download(`${k.label.replace(/[^A-Za-z0-9._-]+/g, '-') || 'operator'}.key`, await model.exportFile(k.id)),
                )
              }
            >
              Export
            </button>
          )}
          {confirmRemove ? (
            <button
              type="button"
              className="tbtn tbtn-danger"
              disabled={busy}
              onClick={() => void act(() => model.run((s) => s.remove(k.id)))}
              onBlur={() => setConfirmRemove(false)}
            >
              Remove for good
            </button>
          ) : (
            <button
              type="button"
              className="tbtn"
              disabled={busy}
              onClick={() => setConfirmRemove(true)}
              title="Remove this key from the console (export it first to keep it)"
            >
              Remove
            </button>
          )}
        </div>
      </div>
      {opening && !k.unlocked && (
        <form className="key-unlock" onSubmit={(e) => void unlock(e)}>
          <input
            type="password"
            value={pass}
            onChange={(e) => setPass(e.target.value)}
            placeholder="Passphrase"
            aria-label={`Passphrase for ${k.label}`}
            autoFocus
            data-testid="key-unlock-pass"
            autoComplete="off"
          />
          <button type="submit" className="tbtn is-on" disabled={busy || pass === ''} data-testid="key-unlock-submit">
            {busy ? 'Deriving key…' : 'Unlock'}
          </button>
        </form>
      )}
      {error && (
        <div className="inline-error key-error" role="alert">
          {error}
        </div>
      )}
    </li>
  );
}

function ImportForm({ model }: { model: KeysModel }) {
  const [label, setLabel] = useState('');
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [pass, setPass] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const onFile = async (f: File | undefined) => {
    if (!f) return;
    if (f.size > 64 * 1024) {
      setError(`${f.name} is ${f.size} bytes: not a key file`);
      return;
    }
    setText(await f.text());
    setFileName(f.name);
    if (label === '') setLabel(f.name.replace(/\.(key|json)$/i, ''));
    setError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = pass;
    setPass('');
    setBusy(true);
    setError(null);
    try {
      await model.run((s) => s.importFile(label, text, p));
      setText('');
      setLabel('');
      setFileName(null);
      if (fileRef.current) fileRef.current.value = '';
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="key-form" onSubmit={(e) => void submit(e)} data-testid="key-import">
      <div className="key-form-row">
        <label className="file-pick tbtn">
          <input
            ref={fileRef}
            type="file"
            accept=".key,.json,application/json"
            onChange={(e) => void onFile(e.target.files?.[0])}
            data-testid="key-import-file"
          />
          Choose key file…
        </label>
        <span className="muted key-file-name">{fileName ?? 'or paste its text below'}</span>
      </div>
      <textarea
        className="key-paste mono"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setFileName(null);
        }}
        placeholder='{"kind": "swoosh-ed25519-key", "version": 1, "signer": "hmmm:ed25519:…", …}'
        aria-label="Key file text"
        rows={3}
        spellCheck={false}
        data-testid="key-import-text"
      />
      <div className="key-form-row">
        <input
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          placeholder="Label (e.g. op-1 laptop)"
          aria-label="Label"
          maxLength={80}
        />
        <input
          type="password"
          value={pass}
          onChange={(e) => setPass(e.target.value)}
          placeholder="File passphrase"
          aria-label="Key file passphrase"
          autoComplete="off"
          data-testid="key-import-pass"
        />
        <button type="submit" className="tbtn is-on" disabled={busy || text.trim() === '' || pass === ''} data-testid="key-import-submit">
          {busy ? 'Deriving key…' : 'Import'}
        </button>
      </div>
      {error && (
        <div className="inline-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}

function CreateForm({ model }: { model: KeysModel }) {
  const [label, setLabel] = useState('');
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mismatch = again !== '' && pass !== again;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = pass;
    setPass('');
    setAgain('');
    setBusy(true);
    setError(null);
    try {
      await model.run((s) => s.create(label, p));
      setLabel('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="key-form" onSubmit={(e) => void submit(e)} data-testid="key-create">
      <div className="key-form-row">
        <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="Label" aria-label="Label" maxLength={80} />
      </div>
      <div className="key-form-row">
        <input
          type="password"
          value={pass}
          onChange={(e) => setPass(e.target.value)}
          placeholder="Passphrase"
          aria-label="Passphrase"
          autoComplete="new-password"
        />
        <input
          type="password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          placeholder="Repeat passphrase"
          aria-label="Repeat passphrase"
          autoComplete="new-password"
          className={mismatch ? 'has-error' : undefined}
        />
        <button type="submit" className="tbtn is-on" disabled={busy || pass === '' || pass !== again}>
          {busy ? 'Encrypting…' : 'Create key'}
        </button>
      </div>
      <p className="footnote">
        A new key signs nothing until the project's genesis names it as an operator. Export it and give its signer id to whoever keeps the
        genesis.
      </p>
      {error && (
        <div className="inline-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}

export function KeysPanel({ model, state, className = '' }: { model: KeysModel; state: State | null; className?: string }) {
  const [tab, setTab] = useState<Tab>('import');
  return (
    <Panel
      title="Operator keys"
      extra={<span className="count">{model.keys.length}</span>}
      className={`keys-panel ${className}`}
      testId="keys-panel"
    >
      {model.error && <div className="inline-error">{model.error}</div>}
      {model.keys.length === 0 ? (
        !model.loading && (
          <Empty>
            No key yet. Import your <span className="mono">swoosh keygen</span> file, or create a key.
          </Empty>
        )
      ) : (
        <ul className="key-list">
          {model.keys.map((k) => (
            <KeyRow key={k.id} k={k} model={model} state={state} />
          ))}
        </ul>
      )}
      <div className="tabs key-tabs" role="tablist">
        <button
          type="button"
          role="tab"
          className={`tab${tab === 'import' ? ' is-current' : ''}`}
          aria-selected={tab === 'import'}
          onClick={() => setTab('import')}
        >
          Import key file
        </button>
        <button
          type="button"
          role="tab"
          className={`tab${tab === 'create' ? ' is-current' : ''}`}
          aria-selected={tab === 'create'}
          onClick={() => setTab('create')}
        >
          New key
        </button>
      </div>
      {tab === 'import' ? <ImportForm model={model} /> : <CreateForm model={model} />}
      <p className="footnote">
        {model.mode === 'browser'
          ? 'Stored in this browser, encrypted (scrypt + AES-256-GCM, the swoosh keygen format); decrypted only in memory while unlocked.'
          : 'Kept by the console\u2019s main process, encrypted at rest; it signs after you confirm, and the secret never reaches this window.'}
      </p>
    </Panel>
  );
}
