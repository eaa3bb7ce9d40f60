// Unlocking the vault at start: the passphrase comes from SWOOSH_VAULT_PASSPHRASE or, on
// a terminal, from a prompt that echoes nothing. It is never written anywhere: not to the
// terminal, not to a log, not into an error message. Read from the environment, it is
// deleted from it at once, so no child process (Electron, a provider shim) inherits it.

import { existsSync } from 'node:fs';
import { SCRYPT_LOG_N_MIN, Vault, VaultError } from './vault';

export const VAULT_PASSPHRASE_ENV = 'SWOOSH_VAULT_PASSPHRASE';
const PASSPHRASE_CHARS_MAX = 1024;

/** The parts of a TTY read stream the prompt needs (process.stdin satisfies it). */
export interface TtyInput {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  setEncoding(enc: BufferEncoding): unknown;
  on(event: 'data', fn: (chunk: string | Buffer) => void): unknown;
  off(event: 'data', fn: (chunk: string | Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PassphraseSource {
  env: Record<string, string | undefined>;
  /** The terminal to prompt on; omitted or not a TTY means no prompt. */
  input?: TtyInput;
  /** Where the prompt text goes (stderr, so stdout stays scriptable). */
  output?: { write(text: string): unknown };
}

export const processPassphraseSource = (): PassphraseSource => ({ env: process.env, input: process.stdin, output: process.stderr });

/**
 * Reads one line from a terminal in raw mode without echoing it. Backspace edits, Enter
 * ends, Ctrl-C / Ctrl-D cancel (a `bad_passphrase` VaultError that says so).
 */
export function promptHidden(input: TtyInput, output: { write(text: string): unknown }, prompt: string): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new VaultError('bad_passphrase', 'cannot prompt for a passphrase: standard input is not a terminal'));
  }
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err: VaultError | null) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new VaultError('bad_passphrase', 'passphrase entry cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ' && typed.length < PASSPHRASE_CHARS_MAX) typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The passphrase: the environment first, then a hidden prompt (twice when `confirm`). */
export async function vaultPassphrase(src: PassphraseSource, what: string, confirm = false): Promise<string> {
  const fromEnv = src.env[VAULT_PASSPHRASE_ENV];
  delete src.env[VAULT_PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!src.input?.isTTY || !src.output) {
    throw new VaultError('bad_passphrase', `no passphrase for ${what}: set ${VAULT_PASSPHRASE_ENV} or run on a terminal to be asked`);
  }
  const first = await promptHidden(src.input, src.output, `passphrase for ${what}: `);
  if (first === '') throw new VaultError('bad_passphrase', 'the vault passphrase is empty');
  if (!confirm) return first;
  const again = await promptHidden(src.input, src.output, 'again: ');
  if (again !== first) throw new VaultError('bad_passphrase', 'the two passphrases differ');
  return first;
}

/** Opens the vault at `path`, saying how to create it when it is missing (before asking anything). */
export async function unlockVault(path: string, src: PassphraseSource): Promise<Vault> {
  if (!existsSync(path))
    throw new VaultError('not_found', `vault ${path} does not exist; create it with: swoosh vault init --vault ${path}`);
  const vault = await Vault.open(path, await vaultPassphrase(src, `vault ${path}`));
  const weak = vault.weakKdf();
  if (weak !== null) {
    src.output?.write(
      `swoosh: warning: vault ${path} is encrypted with scrypt work factor 2^${weak}, below the floor 2^${SCRYPT_LOG_N_MIN}; re-key it with: swoosh vault passwd --vault ${path}\n`,
    );
  }
  return vault;
}
