// Browser key files against the CLI's (main/keys/keyfile.ts): the same bytes decode on
// both sides, a wrong passphrase or an edited signer does not decrypt, and the
// fingerprint is what the dialog shows.

import { describe, expect, it } from 'vitest';
import { b64uEncode } from '../../core/b64u';
import { sha256Hex } from '../../core/hash';
import { publicKeyFromSigner } from '../../core/crypto';
import { fingerprintOf, SCRYPT_PARAMS, signerOfSecret } from '../../core/keyformat';
import { rejectionOf } from '../../core/testing/rejection';
import { testKey } from '../../core/testing/kit';
import { checkKeyFile, decodeKeyFile, encodeKeyFile, KeyFileError, keyFileText, parseKeyFile, type KeyFile } from './keyfile';

/** The CLI's key file module, loaded at run time: it uses node:crypto, which the renderer's typecheck does not know. */
interface CliKeyfile {
  encodeKeyFile(secret: Uint8Array, passphrase: string | null): unknown;
  decodeKeyFile(doc: unknown, passphrase: string | null): { secret: Uint8Array; signer: string; encrypted: boolean };
}
const CLI_KEYFILE = '../../main/keys/keyfile.ts';
const cli = (): Promise<CliKeyfile> => import(/* @vite-ignore */ CLI_KEYFILE) as Promise<CliKeyfile>;

const op = testKey('op-1');

const rejection = (p: Promise<unknown>) => rejectionOf(p, KeyFileError);

describe('key files (browser side)', () => {
  it('round-trips a secret and writes the CLI layout and cost', async () => {
    const doc = await encodeKeyFile(op.secret, 'correct horse');
    expect(doc.signer).toBe(op.signer);
    expect(doc.secret).toBeUndefined();
    expect(doc.secret_encrypted).toMatchObject({ kdf: 'scrypt', cipher: 'aes-256-gcm', ...SCRYPT_PARAMS });
    const text = keyFileText(doc);
    expect(text).not.toContain(b64uEncode(op.secret));
    const back = await decodeKeyFile(parseKeyFile(text), 'correct horse');
    expect(Array.from(back)).toEqual(Array.from(op.secret));
  });

  it('refuses a wrong passphrase, an empty one, and a file whose signer was edited', async () => {
    const doc = await encodeKeyFile(op.secret, 'pw');
    expect((await rejection(decodeKeyFile(doc, 'not-pw'))).code).toBe('bad_passphrase');
    expect((await rejection(decodeKeyFile(doc, ''))).code).toBe('bad_passphrase');
    // The signer is the GCM additional data: pointing the file at another key breaks the tag.
    const edited: KeyFile = { ...doc, signer: testKey('op-2').signer };
    expect((await rejection(decodeKeyFile(edited, 'pw'))).code).toBe('bad_passphrase');
  });

  it('rejects what is not a key file, and scrypt costs beyond the CLI bounds', async () => {
    expect(() => parseKeyFile('nope')).toThrow(/not JSON/);
    expect(() => checkKeyFile({ kind: 'other' })).toThrow(/kind/);
    expect(() => checkKeyFile({ kind: 'swoosh-ed25519-key', version: 2, signer: op.signer, secret: 'x' })).toThrow(/version 2/);
    expect(() => checkKeyFile({ kind: 'swoosh-ed25519-key', version: 1, signer: 'hmmm:ed25519:short', secret: 'x' })).toThrow(/signer/);
    const doc = await encodeKeyFile(op.secret, 'pw');
    const greedy: KeyFile = { ...doc, secret_encrypted: { ...doc.secret_encrypted!, N: 1 << 20 } };
    const err = await rejection(decodeKeyFile(greedy, 'pw'));
    expect(err.code).toBe('bad_key_file');
    expect(err.reason).toMatch(/scrypt/);
  });

  it('the fingerprint is the first 16 hex of sha256(public key), grouped by four', () => {
    const hex = sha256Hex(publicKeyFromSigner(op.signer)!).slice(0, 16);
    expect(fingerprintOf(op.signer)).toBe(`${hex.slice(0, 4)} ${hex.slice(4, 8)} ${hex.slice(8, 12)} ${hex.slice(12, 16)}`);
    expect(fingerprintOf('garbage')).toBe('—');
    expect(signerOfSecret(op.secret)).toBe(op.signer);
  });
});

describe('key files: cross-check with `swoosh keygen` (main/keys/keyfile.ts)', () => {
  it('a file the CLI wrote decodes here', async () => {
    const { encodeKeyFile: cliEncode } = await cli();
    const text = `${JSON.stringify(cliEncode(op.secret, 'demo'), null, 2)}\n`;
    const secret = await decodeKeyFile(parseKeyFile(text), 'demo');
    expect(Array.from(secret)).toEqual(Array.from(op.secret));
    expect((await rejection(decodeKeyFile(parseKeyFile(text), 'Demo'))).code).toBe('bad_passphrase');
  });

  it('a file written here decodes in the CLI', async () => {
    const { decodeKeyFile: cliDecode } = await cli();
    const text = keyFileText(await encodeKeyFile(op.secret, 'päss wörd'));
    const out = cliDecode(JSON.parse(text), 'päss wörd');
    expect(out.signer).toBe(op.signer);
    expect(out.encrypted).toBe(true);
    expect(Array.from(out.secret)).toEqual(Array.from(op.secret));
    expect(() => cliDecode(JSON.parse(text), 'pass word')).toThrow(/wrong passphrase/);
  });

  it('both sides normalise the passphrase to NFC', async () => {
    const { decodeKeyFile: cliDecode } = await cli();
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const text = keyFileText(await encodeKeyFile(op.secret, decomposed));
    expect(cliDecode(JSON.parse(text), composed).signer).toBe(op.signer);
  });
});
