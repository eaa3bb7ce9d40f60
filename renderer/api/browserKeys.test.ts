// The browser key store over an in-memory Web Storage: what is stored is a `swoosh keygen`
// key file (never the secret), create/import/unlock/lock/remove/export behave as the
// OperatorKeys contract says, and errors are tagged.

import { describe, expect, it } from 'vitest';
import { b64uEncode } from '../../core/b64u';
import { testKey } from '../../core/testing/kit';
import { encodeKeyFile, keyFileText, parseKeyFile, decodeKeyFile } from '../lib/keyfile';
import { createBrowserKeys, STORAGE_KEY, type KeyStorage } from './browserKeys';

function memoryStorage(): KeyStorage & { dump(): string } {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), dump: () => m.get(STORAGE_KEY) ?? '' };
}

const op = testKey('op-1');

describe('browser key store', () => {
  it('imports a key file, keeps only the encrypted file at rest, and survives a reload locked', async () => {
    const storage = memoryStorage();
    const keys = createBrowserKeys({ storage, now_ms: () => 1000, auto_lock_ms: 0 });
    const info = await keys.importFile(' Alice  ', keyFileText(await encodeKeyFile(op.secret, 'pw')), 'pw');
    expect(info).toMatchObject({ label: 'Alice', signer: op.signer, unlocked: true, created_ms: 1000 });
    expect(info.fingerprint).toMatch(/^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$/);
    expect(storage.dump()).not.toContain(b64uEncode(op.secret));
    expect(storage.dump()).toContain('secret_encrypted');
    // A new page over the same storage: the key is there, locked.
    const reloaded = createBrowserKeys({ storage, auto_lock_ms: 0 });
    expect(await reloaded.list()).toEqual([{ ...info, unlocked: false }]);
    await expect(reloaded.unlock(info.id, 'nope')).rejects.toMatchObject({ code: 'bad_passphrase' });
    expect((await reloaded.unlock(info.id, 'pw')).unlocked).toBe(true);
    await expect(reloaded.importFile('again', keyFileText(await encodeKeyFile(op.secret, 'x')), 'x')).rejects.toMatchObject({
      code: 'duplicate_key',
    });
  });

  it('creates a key that exports as a CLI key file and can be removed', async () => {
    const keys = createBrowserKeys({ storage: memoryStorage(), auto_lock_ms: 0 });
    const info = await keys.create('console key', 'secret words');
    const exported = await keys.exportFile(info.id);
    const doc = parseKeyFile(exported);
    expect(doc.signer).toBe(info.signer);
    expect((await decodeKeyFile(doc, 'secret words')).length).toBe(32);
    await keys.remove(info.id);
    expect(await keys.list()).toEqual([]);
    await expect(keys.unlock(info.id, 'secret words')).rejects.toMatchObject({ code: 'unknown_key' });
  });

  it('a plaintext CLI file is stored encrypted under the passphrase given on import', async () => {
    const storage = memoryStorage();
    const keys = createBrowserKeys({ storage, auto_lock_ms: 0 });
    const plaintext = JSON.stringify({ kind: 'swoosh-ed25519-key', version: 1, signer: op.signer, secret: b64uEncode(op.secret) });
    const info = await keys.importFile('plain', plaintext, 'new pass');
    expect(storage.dump()).not.toContain(b64uEncode(op.secret));
    await keys.lock(info.id);
    expect((await keys.unlock(info.id, 'new pass')).unlocked).toBe(true);
  });

  it('rejects junk with a tagged error, and an empty passphrase on create', async () => {
    const keys = createBrowserKeys({ storage: memoryStorage(), auto_lock_ms: 0 });
    await expect(keys.importFile('x', '{"kind":"nope"}', 'pw')).rejects.toMatchObject({ code: 'bad_key_file' });
    await expect(keys.create('x', '')).rejects.toMatchObject({ code: 'bad_passphrase' });
    expect(await keys.list()).toEqual([]);
  });

  it('locks itself after the idle time', async () => {
    const keys = createBrowserKeys({ storage: memoryStorage(), auto_lock_ms: 30 });
    const info = await keys.create('idle', 'pw');
    expect((await keys.list())[0]?.unlocked).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect((await keys.list())[0]?.unlocked).toBe(false);
    await expect(keys.lock(info.id)).resolves.toBeUndefined();
  });
});
