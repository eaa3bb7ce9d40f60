// swoosh vault: create, fill, list, remove, re-key. Secrets come from the environment,
// standard input or a key file, never from argv, and no action prints one.

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './args';
import { signerOfSecret } from '../../core/keyformat';
import { rejectionOf } from '../../core/testing/rejection';
import { encodeKeyFile, writeKeyFile } from '../keys/keyfile';
import { Vault } from '../keys/vault';
import { runSwoosh } from '../testing/proc';
import { vaultCommand, type VaultIo } from './vault';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-vault-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PASS = 'vault-cmd passphrase 5541';
const CREDENTIAL = 'slurp_live_7f3e1a9b0c2d4e5f';

function io(env: Record<string, string | undefined> = { SWOOSH_VAULT_PASSPHRASE: PASS }, stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const value: VaultIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), passphrase: { env }, stdin: () => stdin };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

async function usage(args: string[]): Promise<string> {
  return (await rejectionOf(vaultCommand(args, io().io), UsageError)).message;
}

describe('swoosh vault', () => {
  it('init → genkey → import-key → set → list → rm → passwd, printing names and signer ids only', async () => {
    const path = join(dir, 'keys.age');
    const a = io();
    expect(await vaultCommand(['init', '--vault', path, '--scrypt-log-n', '15'], a.io)).toBe(0);
    expect(a.out()).toBe(`created vault ${path} (age, scrypt work factor 2^15, mode 0600)\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = io();
    expect(await vaultCommand(['init', '--vault', path, '--scrypt-log-n', '15'], again.io)).toBe(1);
    expect(again.err()).toBe(`swoosh vault init: vault ${path} already exists; open it instead of creating it\n`);

    const g = io();
    expect(await vaultCommand(['genkey', '--vault', path, 'agent-1'], g.io)).toBe(0);
    expect(g.out()).toMatch(/^agent-1 hmmm:ed25519:[A-Za-z0-9_-]{43}\n$/);
    const dup = io();
    expect(await vaultCommand(['genkey', '--vault', path, 'agent-1'], dup.io)).toBe(1);
    expect(dup.err()).toContain('already has an entry "agent-1"');

    const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const keyFile = join(dir, 'op.key');
    writeKeyFile(keyFile, encodeKeyFile(seed, 'kf-pass'));
    const imp = io({ SWOOSH_VAULT_PASSPHRASE: PASS, KEYPASS: 'kf-pass' });
    expect(await vaultCommand(['import-key', '--vault', path, 'op-bot', '--key', keyFile, '--passphrase-env', 'KEYPASS'], imp.io)).toBe(0);
    expect(imp.out()).toBe(`op-bot ${signerOfSecret(seed)}\n`);

    const s1 = io({ SWOOSH_VAULT_PASSPHRASE: PASS, TOKEN: CREDENTIAL });
    expect(await vaultCommand(['set', '--vault', path, 'slurp-token', '--from-env', 'TOKEN'], s1.io)).toBe(0);
    expect(s1.out()).toBe(`slurp-token credential stored (${CREDENTIAL.length} characters)\n`);
    const s2 = io(undefined, 'kt-from-stdin\n');
    expect(await vaultCommand(['set', '--vault', path, 'kaching-token', '--from-stdin'], s2.io)).toBe(0);

    const l = io();
    expect(await vaultCommand(['list', '--vault', path], l.io)).toBe(0);
    const lines = l.out().trim().split('\n');
    expect(lines.map((x) => x.split('\t').slice(0, 2).join(' '))).toEqual([
      'agent-1 ed25519-seed',
      'kaching-token credential',
      'op-bot ed25519-seed',
      'slurp-token credential',
    ]);
    expect(lines[2]).toBe(`op-bot\ted25519-seed\t${signerOfSecret(seed)}`);
    const printed = [a, g, imp, s1, s2, l].map((x) => x.out() + x.err()).join('');
    for (const secret of [CREDENTIAL, 'kt-from-stdin', PASS, Buffer.from(seed).toString('hex')]) expect(printed).not.toContain(secret);
    expect(readFileSync(path, 'utf8')).not.toContain(CREDENTIAL);

    const v = await Vault.open(path, PASS);
    expect(v.credential('kaching-token')).toBe('kt-from-stdin');
    expect(v.credential('slurp-token')).toBe(CREDENTIAL);
    v.lock();

    expect(await vaultCommand(['rm', '--vault', path, 'kaching-token'], io().io)).toBe(0);
    const gone = io();
    expect(await vaultCommand(['rm', '--vault', path, 'kaching-token'], gone.io)).toBe(1);
    expect(gone.err()).toBe(`swoosh vault rm: vault ${path} has no entry "kaching-token"\n`);

    const pw = io({ SWOOSH_VAULT_PASSPHRASE: PASS, SWOOSH_VAULT_NEW_PASSPHRASE: 'next one' });
    expect(await vaultCommand(['passwd', '--vault', path], pw.io)).toBe(0);
    const old = io();
    expect(await vaultCommand(['list', '--vault', path], old.io)).toBe(1);
    expect(old.err()).toBe(`swoosh vault list: cannot unlock vault ${path}: wrong passphrase\n`);
    expect(await vaultCommand(['list', '--vault', path], io({ SWOOSH_VAULT_PASSPHRASE: 'next one' }).io)).toBe(0);
  });

  it('clear errors: missing vault, no passphrase, bad arguments, no secret on the command line', async () => {
    const missing = join(dir, 'none.age');
    const m = io();
    expect(await vaultCommand(['list', '--vault', missing], m.io)).toBe(1);
    expect(m.err()).toBe(`swoosh vault list: vault ${missing} does not exist; create it with: swoosh vault init --vault ${missing}\n`);
    const np = io({});
    expect(await vaultCommand(['init', '--vault', join(dir, 'x.age')], np.io)).toBe(1);
    expect(np.err()).toBe(
      `swoosh vault init: no passphrase for new vault ${join(dir, 'x.age')}: set SWOOSH_VAULT_PASSPHRASE or run on a terminal to be asked\n`,
    );
    expect(await usage(['list'])).toBe('--vault FILE is required');
    expect(await usage(['frob', '--vault', 'v'])).toBe('unknown action "frob" (init, genkey, import-key, set, list, rm, passwd)');
    expect(await usage(['genkey', '--vault', 'v'])).toBe('vault genkey takes exactly one entry NAME, got 0');
    expect(await usage(['set', '--vault', 'v', 'tok'])).toBe(
      'vault set takes exactly one of --from-env VAR or --from-stdin (never the value itself)',
    );
    expect(await usage(['set', '--vault', 'v', 'tok', '--value', 'x'])).toMatch(/Unknown option '--value'/);
  });

  it('is a registered command of the real CLI', async () => {
    const path = join(dir, 'cli.age');
    const env = { SWOOSH_VAULT_PASSPHRASE: PASS };
    const init = await runSwoosh(['vault', 'init', '--vault', path, '--scrypt-log-n', '15'], { env });
    expect(init.code).toBe(0);
    const gen = await runSwoosh(['vault', 'genkey', '--vault', path, 'agent'], { env });
    expect(gen.stdout).toMatch(/^agent hmmm:ed25519:/);
    const bad = await runSwoosh(['vault', 'list', '--vault', path], { env: { SWOOSH_VAULT_PASSPHRASE: 'nope' } });
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({
      code: 1,
      stderr: `swoosh vault list: cannot unlock vault ${path}: wrong passphrase\n`,
    });
  });
});
