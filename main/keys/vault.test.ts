// The age-encrypted vault: round trip, wrong passphrase, atomic 0600 writes, and that no
// secret escapes through the file, errors, JSON or util.inspect.

import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Decrypter, armor } from 'age-encryption';
import { b64uEncode } from '../../core/b64u';
import { nobleSigner, nobleVerifier, signerFromPublicKey, publicKeyFromSecret } from '../../core/crypto';
import { rejectionOf } from '../../core/testing/rejection';
import { passphraseFromEnv, Vault, VaultError } from './vault';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `v${(n += 1)}.age`);
// The minimum work factor keeps the suite fast; the default (18) is for operators.
const FAST = { scrypt_log_n: 15 };
const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const rejects = (p: Promise<unknown>) => rejectionOf(p, VaultError);

describe('Vault', () => {
  it('round-trips keys and credentials through an age file only the passphrase opens', async () => {
    const path = fresh();
    const v = await Vault.create(path, 'correct horse battery staple', FAST);
    const id = await v.putKey('op-1', seed);
    expect(id).toBe(signerFromPublicKey(publicKeyFromSecret(seed)));
    await v.putCredential('kaching-token', 'kt_live_0123456789abcdef');
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);

    const w = await Vault.open(path, 'correct horse battery staple');
    expect(w.names()).toEqual(['kaching-token', 'op-1']);
    expect(w.kind('op-1')).toBe('ed25519-seed');
    expect(hex(w.get('op-1'))).toBe(hex(seed));
    expect(w.credential('kaching-token')).toBe('kt_live_0123456789abcdef');
    expect(w.signerId('op-1')).toBe(id);

    // Interoperable: the plain age library (as `age -d` would) decrypts it to the vault JSON.
    const d = new Decrypter();
    d.addPassphrase('correct horse battery staple');
    const doc = JSON.parse(await d.decrypt(armor.decode(text), 'text')) as { kind: string; entries: Record<string, { kind: string }> };
    expect(doc.kind).toBe('swoosh-vault');
    expect(Object.keys(doc.entries).sort()).toEqual(['kaching-token', 'op-1']);
  });

  it('refuses a wrong passphrase with a clear error, and an empty one', async () => {
    const path = fresh();
    await Vault.create(path, 'right', FAST);
    const err = await rejects(Vault.open(path, 'wrong'));
    expect(err.code).toBe('bad_passphrase');
    expect(err.message).toBe(`cannot unlock vault ${path}: wrong passphrase`);
    expect((await rejects(Vault.open(path, ''))).code).toBe('bad_passphrase');
    expect((await rejects(Vault.create(fresh(), '', FAST))).message).toMatch(/passphrase is empty/);
  });

  it('names missing, damaged, foreign and world-readable files', async () => {
    expect((await rejects(Vault.open(join(dir, 'nope.age'), 'x'))).code).toBe('not_found');
    const junk = fresh();
    writeFileSync(junk, 'not age at all\n', { mode: 0o600 });
    expect((await rejects(Vault.open(junk, 'x'))).message).toMatch(/not an ASCII-armored age file/);
    // An age file of something else: decrypts, but is not a vault.
    const { Encrypter } = await import('age-encryption');
    const e = new Encrypter();
    e.setScryptWorkFactor(10);
    e.setPassphrase('pw');
    const foreign = fresh();
    writeFileSync(foreign, armor.encode(await e.encrypt('{"hello": 1}')), { mode: 0o600 });
    expect((await rejects(Vault.open(foreign, 'pw'))).message).toMatch(/not a SWOOSH vault/);
    // Like ssh: a vault others can read is refused before it is unlocked.
    const open = fresh();
    await Vault.create(open, 'pw', FAST);
    chmodSync(open, 0o644);
    if (process.platform !== 'win32') {
      const err = await rejects(Vault.open(open, 'pw'));
      expect(err.code).toBe('insecure_permissions');
      expect(err.message).toContain('chmod 600');
    }
    // create never replaces a vault.
    expect((await rejects(Vault.create(open, 'pw', FAST))).code).toBe('exists');
    expect((await rejects(Vault.create(fresh(), 'pw', { scrypt_log_n: 4 }))).code).toBe('bad_options');
    // New vaults start at the floor, 2^15, or above.
    expect((await rejects(Vault.create(fresh(), 'pw', { scrypt_log_n: 14 }))).message).toBe(
      'scrypt_log_n must be an integer in 15..20, got 14',
    );
  });

  it('writes atomically with mode 0600 and leaves no temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'vault.age');
    const v = await Vault.create(path, 'pw', FAST);
    for (let i = 0; i < 5; i += 1) await v.put(`cred-${i}`, Uint8Array.of(i + 1, 2, 3));
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(sub)).toEqual(['vault.age']);
    const w = await Vault.open(path, 'pw');
    expect(w.names()).toHaveLength(5);
    expect(await w.delete('cred-0')).toBe(true);
    expect(await w.delete('cred-0')).toBe(false);
    expect((await Vault.open(path, 'pw')).names()).toEqual(['cred-1', 'cred-2', 'cred-3', 'cred-4']);
    await w.changePassphrase('pw2');
    expect((await rejects(Vault.open(path, 'pw'))).code).toBe('bad_passphrase');
    expect((await Vault.open(path, 'pw2')).names()).toHaveLength(4);
    expect(readdirSync(sub)).toEqual(['vault.age']);
  });

  it('signer(name) signs exactly like the seed it hides, and prints only its id', async () => {
    const v = await Vault.create(fresh(), 'pw', FAST);
    await v.putKey('agent-1', seed);
    const s = v.signer('agent-1');
    const reference = nobleSigner(seed);
    const msg = new TextEncoder().encode('SWOOSH-PROPOSAL-V1\n{}');
    expect(s.signer).toBe(reference.signer);
    expect(s.sign(msg)).toBe(reference.sign(msg));
    expect(nobleVerifier.verify(s.signer, msg, s.sign(msg))).toBe(true);
    const shown = [
      JSON.stringify(s),
      inspect(s, { showHidden: true, depth: 5 }),
      JSON.stringify(v),
      inspect(v, { showHidden: true, depth: 5 }),
      String(v),
    ];
    for (const text of shown) {
      expect(text).not.toContain(hex(seed));
      expect(text).not.toContain(b64uEncode(seed));
    }
    expect(JSON.stringify(s)).toBe(JSON.stringify({ signer: reference.signer }));
    expect(JSON.parse(JSON.stringify(v))).toEqual({ kind: 'swoosh-vault', path: v.path });
    // A fresh key never leaves the vault except as a signer.
    const id = await v.generateKey('op-2');
    expect(v.signer('op-2').signer).toBe(id);
  });

  it('validates names, sizes and kinds; errors never quote a secret', async () => {
    const v = await Vault.create(fresh(), 'pw', FAST);
    expect((await rejects(v.put('../etc/passwd', seed))).code).toBe('bad_name');
    expect((await rejects(v.put('', seed))).code).toBe('bad_name');
    expect((await rejects(v.put('x', new Uint8Array(0)))).code).toBe('bad_secret');
    expect((await rejects(v.put('x', new Uint8Array(64 * 1024 + 1)))).code).toBe('bad_secret');
    const short = await rejects(v.put('k', seed.slice(0, 31), 'ed25519-seed'));
    expect(short.message).toMatch(/Ed25519 seed is 32 bytes, got 31/);
    expect(short.message).not.toContain(hex(seed.slice(0, 31)));
    await v.putCredential('token', 'sekrit-token-value');
    expect(() => v.signer('token')).toThrow(/not an ed25519-seed/);
    expect(() => v.get('missing')).toThrow(/has no entry "missing" \(it has: token\)/);
    const e = (() => {
      try {
        v.signer('token');
      } catch (err) {
        return err as Error;
      }
      return null;
    })();
    expect(e?.message).not.toContain('sekrit');
    expect(v.names()).toEqual(['token']);
  });

  it('get() hands out a copy; lock() forgets everything', async () => {
    const v = await Vault.create(fresh(), 'pw', FAST);
    await v.putKey('k', seed);
    const copy = v.get('k');
    copy.fill(0);
    expect(hex(v.get('k'))).toBe(hex(seed));
    v.lock();
    expect(() => v.get('k')).toThrow(VaultError);
    expect((await rejects(v.put('j', seed))).code).toBe('locked');
  });

  it('reads the passphrase from the environment with a clear error when it is not there', () => {
    expect(passphraseFromEnv('SWOOSH_VAULT_PASSPHRASE', { SWOOSH_VAULT_PASSPHRASE: 'pw' })).toBe('pw');
    expect(() => passphraseFromEnv('SWOOSH_VAULT_PASSPHRASE', {})).toThrow(/SWOOSH_VAULT_PASSPHRASE holds no vault passphrase/);
  });
});
