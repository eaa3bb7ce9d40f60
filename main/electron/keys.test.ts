import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { b64uEncode } from '../../core/b64u';
import { nobleVerifier, proposalSigningBytes } from '../../core/crypto';
import { H } from '../../core/hash';
import { signerOfSecret } from '../../core/keyformat';
import { decodeKeyFile, encodeKeyFile, generateSecret, loadSigner } from '../keys/keyfile';
import { until } from '../testing/until';
import { createMainKeys, KeysError } from './keys';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function store(confirm: (r: { payload_json: string }) => boolean = () => true, clock = { now: 1_000 }) {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-main-keys-'));
  dirs.push(dir);
  const seen: string[] = [];
  const keys = createMainKeys({
    dir,
    confirm: async (r) => {
      seen.push(r.payload_json);
      return confirm(r);
    },
    now_ms: () => clock.now,
    auto_lock_ms: 60_000,
  });
  return { dir, keys, seen, clock };
}

function unsigned(signer: string) {
  const inputs = { justification: 'checked by hand' };
  return {
    current_state_hash: `sha256-${'0'.repeat(64)}`,
    transition: 'Quarantine_Release',
    inputs,
    inputs_hash: H(inputs),
    signer,
    idem_key: 'idem-1',
    hlc: '2026-11-26T06:00:00.000+00:00#0',
    window_id: null,
    evidence: [],
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KeysError);
    return (err as KeysError).code;
  }
  return 'resolved';
}

describe('operator keys in Electron main', () => {
  it('stores a created key as an encrypted swoosh key file that the CLI can load', async () => {
    const { dir, keys } = store();
    const k = await keys.create('op desk', 'correct horse');
    expect(k).toMatchObject({ label: 'op desk', unlocked: true });
    expect(k.id).toMatch(/^k-[0-9a-f]{16}$/);
    const text = readFileSync(join(dir, `${k.id}.key`), 'utf8');
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(doc.secret).toBeUndefined();
    expect(doc.secret_encrypted).toBeDefined();
    expect(decodeKeyFile(doc, 'correct horse').signer).toBe(k.signer);
    expect(loadSigner(join(dir, `${k.id}.key`), 'correct horse').signer).toBe(k.signer);
    expect(readFileSync(join(dir, 'index.json'), 'utf8')).not.toContain('secret');
  });

  it('signs exactly the confirmed payload, with a signature the verifier accepts', async () => {
    const { keys, seen } = store();
    const k = await keys.create('a', 'pw');
    const u = unsigned(k.signer);
    const signed = await keys.sign(k.id, u);
    expect(JSON.parse(seen[0] ?? 'null')).toEqual(u);
    expect(nobleVerifier.verify(k.signer, proposalSigningBytes(u), signed.signature)).toBe(true);
    expect({ ...signed, signature: undefined }).toEqual({ ...u, signature: undefined });
  });

  it('refuses, before asking the operator, inputs other than those hashed, and payloads the host would not parse', async () => {
    const { keys, seen } = store();
    const k = await keys.create('a', 'pw');
    const shown = unsigned(k.signer);
    const swapped = { ...shown, inputs_hash: H({ justification: 'something the operator never saw' }) };
    expect(await code(keys.sign(k.id, swapped))).toBe('malformed');
    expect(await code(keys.sign(k.id, { ...shown, transition: 42 }))).toBe('malformed');
    expect(await code(keys.sign(k.id, { ...shown, extra: 'field' }))).toBe('malformed');
    expect(seen).toEqual([]);
  });

  it('refuses to sign when the operator declines, when locked, or for another signer', async () => {
    let answer = false;
    const { keys } = store(() => answer);
    const k = await keys.create('a', 'pw');
    expect(await code(keys.sign(k.id, unsigned(k.signer)))).toBe('declined');
    answer = true;
    expect(await code(keys.sign(k.id, unsigned('hmmm:ed25519:someone-else')))).toBe('malformed');
    expect(await code(keys.sign(k.id, { ...unsigned(k.signer), signature: 'x' }))).toBe('malformed');
    await keys.lock(k.id);
    expect((await keys.list())[0]?.unlocked).toBe(false);
    expect(await code(keys.sign(k.id, unsigned(k.signer)))).toBe('locked');
    expect(await code(keys.unlock(k.id, 'wrong'))).toBe('bad_passphrase');
    expect((await keys.unlock(k.id, 'pw')).unlocked).toBe(true);
    expect(await code(keys.sign('k-0000000000000000', unsigned(k.signer)))).toBe('unknown_key');
  });

  it('locks a key left unused for longer than auto_lock_ms', async () => {
    const { keys, clock } = store();
    const k = await keys.create('a', 'pw');
    clock.now += 60_001;
    expect((await keys.list())[0]?.unlocked).toBe(false);
    expect(await code(keys.sign(k.id, unsigned(k.signer)))).toBe('locked');
  });

  it('imports a keygen file, re-encrypted, and refuses a wrong passphrase, junk and duplicates', async () => {
    const { dir, keys } = store();
    const secret = generateSecret();
    const file = JSON.stringify(encodeKeyFile(secret, 'file pw'));
    expect(await code(keys.importFile('x', file, 'nope'))).toBe('bad_passphrase');
    expect(await code(keys.importFile('x', '{"kind":"other"}', 'pw'))).toBe('bad_key_file');
    expect(await code(keys.importFile('x', 'not json', 'pw'))).toBe('bad_key_file');
    const k = await keys.importFile('imported', file, 'file pw');
    expect(k.signer).toBe(signerOfSecret(secret));
    expect(readFileSync(join(dir, `${k.id}.key`), 'utf8')).not.toContain(b64uEncode(secret));
    expect(await code(keys.importFile('again', file, 'file pw'))).toBe('duplicate_key');
    await keys.remove(k.id);
    expect(existsSync(join(dir, `${k.id}.key`))).toBe(false);
    expect(await keys.list()).toEqual([]);
  });

  it('locks an idle key on a timer, without anyone touching the key manager; close() drops every key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swoosh-main-keys-'));
    dirs.push(dir);
    const clock = { now: 1_000 };
    const locked: string[] = [];
    const keys = createMainKeys({
      dir,
      confirm: async () => true,
      now_ms: () => clock.now,
      auto_lock_ms: 1_000,
      on_auto_lock: (id) => locked.push(id),
    });
    try {
      const k = await keys.create('desk', 'pw');
      expect(keys.heldCount()).toBe(1);
      clock.now += 1_001;
      await until('the sweep to lock the idle key', () => keys.heldCount() === 0, 5_000);
      expect(locked).toEqual([k.id]);
      await keys.unlock(k.id, 'pw');
      expect(keys.heldCount()).toBe(1);
      keys.close();
      expect(keys.heldCount()).toBe(0);
    } finally {
      keys.close();
    }
  });
});
