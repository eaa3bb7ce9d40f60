// Ed25519 verification off the reducer's thread (docs/architecture.md §4: verification is pure).
//
// Plain JavaScript using only node:crypto, so the same file loads as a worker under tsx,
// vitest, `swoosh serve` and Electron alike. The parent has already checked every key
// (canonical, not of small order: core/crypto isValidPublicKey) and decoded every
// signature strictly; this thread only runs OpenSSL's verify.
//
// Request:  { id, items: [{ key: Uint8Array(32), message: string, signature: Uint8Array(64) }] }
// Answer:   { id, verdicts: Uint8Array }  (1 = verifies, 0 = does not)

import { createPublicKey, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_CACHE_MAX = 10_000;
const keys = new Map();

function keyOf(raw) {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  let key = keys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
    if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value);
    keys.set(id, key);
  }
  return key;
}

function verifyOne(item) {
  const key = keyOf(item.key);
  if (key === null) return 0;
  try {
    return verify(null, Buffer.from(item.message, 'utf8'), key, item.signature) ? 1 : 0;
  } catch {
    return 0;
  }
}

parentPort.on('message', (request) => {
  const verdicts = new Uint8Array(request.items.length);
  for (let i = 0; i < request.items.length; i += 1) verdicts[i] = verifyOne(request.items[i]);
  parentPort.postMessage({ id: request.id, verdicts });
});
