// Unlocking at start: the environment first, else a hidden prompt on a terminal (nothing
// echoed, backspace edits, Ctrl-C cancels), else a clear error; a missing vault is named
// with the command that creates it, before anything is asked.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../core/testing/rejection';
import { armor, Encrypter } from 'age-encryption';
import { processPassphraseSource, promptHidden, unlockVault, vaultPassphrase, VAULT_PASSPHRASE_ENV, type TtyInput } from './unlock';
import { SCRYPT_LOG_N_MIN, Vault, VaultError } from './vault';

/** A terminal as the prompt sees it: raw mode, data events (what a user types). */
class FakeTty extends EventEmitter implements TtyInput {
  isTTY = true;
  raw: boolean[] = [];
  paused = true;
  setRawMode(raw: boolean) {
    this.raw.push(raw);
  }
  setEncoding() {}
  resume() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
  type(text: string) {
    this.emit('data', text);
  }
}

function screen() {
  const written: string[] = [];
  return { written, write: (t: string) => written.push(t) };
}

const failure = (p: Promise<unknown>) => rejectionOf(p, VaultError);

describe('promptHidden', () => {
  it('echoes nothing, edits with backspace, ends on Enter and restores the terminal', async () => {
    const tty = new FakeTty();
    const out = screen();
    const p = promptHidden(tty, out, 'passphrase: ');
    tty.type('hunter');
    tty.type('x\u007f2');
    tty.type('\r');
    expect(await p).toBe('hunter2');
    expect(out.written.join('')).toBe('passphrase: \n');
    expect(tty.raw).toEqual([true, false]);
    expect(tty.paused).toBe(true);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('Ctrl-C cancels; no terminal is refused', async () => {
    const tty = new FakeTty();
    const p = promptHidden(tty, screen(), '> ');
    tty.type('abc\u0003');
    expect((await failure(p)).message).toBe('passphrase entry cancelled');
    expect(tty.raw).toEqual([true, false]);
    const pipe = Object.assign(new FakeTty(), { isTTY: false });
    expect((await failure(promptHidden(pipe, screen(), '> '))).message).toBe(
      'cannot prompt for a passphrase: standard input is not a terminal',
    );
  });
});

describe('vaultPassphrase / unlockVault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-unlock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers SWOOSH_VAULT_PASSPHRASE, else asks (twice to confirm), else says how to give one', async () => {
    expect(await vaultPassphrase({ env: { SWOOSH_VAULT_PASSPHRASE: 'from-env' } }, 'v')).toBe('from-env');
    const tty = new FakeTty();
    const out = screen();
    const asked = vaultPassphrase({ env: {}, input: tty, output: out }, 'vault x', true);
    tty.type('pw-1\r');
    await new Promise((r) => setImmediate(r));
    tty.type('pw-1\n');
    expect(await asked).toBe('pw-1');
    expect(out.written.join('')).toBe('passphrase for vault x: \nagain: \n');
    const tty2 = new FakeTty();
    const differ = vaultPassphrase({ env: {}, input: tty2, output: screen() }, 'v', true);
    tty2.type('a\r');
    await new Promise((r) => setImmediate(r));
    tty2.type('b\r');
    expect((await failure(differ)).message).toBe('the two passphrases differ');
    expect((await failure(vaultPassphrase({ env: {} }, 'vault y'))).message).toBe(
      'no passphrase for vault y: set SWOOSH_VAULT_PASSPHRASE or run on a terminal to be asked',
    );
  });

  it('a missing file names `swoosh vault init`; a wrong passphrase is bad_passphrase; the right one opens', async () => {
    const path = join(dir, 'keys.age');
    const missing = await failure(unlockVault(path, { env: {} }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe(`vault ${path} does not exist; create it with: swoosh vault init --vault ${path}`);
    (await Vault.create(path, 'right', { scrypt_log_n: 15 })).lock();
    const wrong = await failure(unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'wrong' } }));
    expect({ code: wrong.code, message: wrong.message }).toEqual({
      code: 'bad_passphrase',
      message: `cannot unlock vault ${path}: wrong passphrase`,
    });
    expect(wrong.message).not.toContain('wrong"');
    const v = await unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'right' } });
    expect(v.names()).toEqual([]);
  });

  it('deletes the passphrase from the environment once read, so no child process inherits it', async () => {
    const env: Record<string, string | undefined> = { [VAULT_PASSPHRASE_ENV]: 'from-env', OTHER: 'kept' };
    expect(await vaultPassphrase({ env }, 'v')).toBe('from-env');
    expect(env).toEqual({ OTHER: 'kept' });
    process.env[VAULT_PASSPHRASE_ENV] = 'process-secret';
    try {
      expect(await vaultPassphrase(processPassphraseSource(), 'v')).toBe('process-secret');
      expect(VAULT_PASSPHRASE_ENV in process.env).toBe(false);
      const child = spawnSync(process.execPath, ['-e', `process.stdout.write(String(process.env.${VAULT_PASSPHRASE_ENV}))`], {
        encoding: 'utf8',
      });
      expect(child.stdout).toBe('undefined');
    } finally {
      delete process.env[VAULT_PASSPHRASE_ENV];
    }
  });

  it('opens a vault written below the scrypt floor by an older build, warns naming `swoosh vault passwd`, and re-keys it on write', async () => {
    const path = join(dir, 'old.age');
    const enc = new Encrypter();
    enc.setScryptWorkFactor(10);
    enc.setPassphrase('old-pw');
    const doc = { kind: 'swoosh-vault', version: 1, scrypt_log_n: 10, entries: { token: { kind: 'credential', value: 'c2VjcmV0' } } };
    writeFileSync(path, armor.encode(await enc.encrypt(new TextEncoder().encode(JSON.stringify(doc)))), { mode: 0o600 });
    const out = screen();
    const v = await unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'old-pw' }, output: out });
    expect(v.names()).toEqual(['token']);
    expect(v.weakKdf()).toBe(10);
    expect(out.written.join('')).toBe(
      `swoosh: warning: vault ${path} is encrypted with scrypt work factor 2^10, below the floor 2^${SCRYPT_LOG_N_MIN}; re-key it with: swoosh vault passwd --vault ${path}\n`,
    );
    await v.changePassphrase('new-pw');
    expect(v.weakKdf()).toBeNull();
    const again = screen();
    const reopened = await unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'new-pw' }, output: again });
    expect(reopened.weakKdf()).toBeNull();
    expect(again.written).toEqual([]);
    expect(reopened.credential('token')).toBe('secret');
  });
});
