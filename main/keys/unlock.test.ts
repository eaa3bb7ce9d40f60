// Unlocking at start: the environment first, else a hidden prompt on a terminal (nothing
// echoed, backspace edits, Ctrl-C cancels), else a clear error; a missing vault is named
// with the command that creates it, before anything is asked.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../core/testing/rejection';
import { promptHidden, unlockVault, vaultPassphrase, type TtyInput } from './unlock';
import { Vault, VaultError } from './vault';

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
    expect((await failure(promptHidden(pipe, screen(), '> '))).message).toBe('cannot prompt for a passphrase: standard input is not a terminal');
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
    expect((await failure(vaultPassphrase({ env: {} }, 'vault y'))).message).toBe('no passphrase for vault y: set SWOOSH_VAULT_PASSPHRASE or run on a terminal to be asked');
  });

  it('a missing file names `swoosh vault init`; a wrong passphrase is bad_passphrase; the right one opens', async () => {
    const path = join(dir, 'keys.age');
    const missing = await failure(unlockVault(path, { env: {} }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe(`vault ${path} does not exist; create it with: swoosh vault init --vault ${path}`);
    (await Vault.create(path, 'right', { scrypt_log_n: 10 })).lock();
    const wrong = await failure(unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'wrong' } }));
    expect({ code: wrong.code, message: wrong.message }).toEqual({ code: 'bad_passphrase', message: `cannot unlock vault ${path}: wrong passphrase` });
    expect(wrong.message).not.toContain('wrong"');
    const v = await unlockVault(path, { env: { SWOOSH_VAULT_PASSPHRASE: 'right' } });
    expect(v.names()).toEqual([]);
  });
});
