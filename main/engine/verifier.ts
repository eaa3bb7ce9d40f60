// Ed25519 verification with node:crypto, about an order of magnitude faster than pure-JS
// noble on this class of machine (docs/architecture.md §4). Public keys are parsed once and cached
// (bounded). Keys that fail noble's strict point checks (small-order or non-canonical) are
// refused outright: OpenSSL would accept a small-order key, for which one signature
// verifies on every message.

import { createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';
import { b64uDecode } from '../../core/b64u';
import { isValidPublicKey, publicKeyFromSigner, type Verifier } from '../../core/crypto';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_CACHE_MAX = 10_000;

export class NodeVerifier implements Verifier {
  private readonly keys = new Map<string, KeyObject | null>();

  verify(signer: string, message: Uint8Array, signature_b64u: string): boolean {
    const key = this.keyOf(signer);
    if (key === null) return false;
    const sig = b64uDecode(signature_b64u);
    if (sig === null || sig.length !== 64) return false;
    try {
      return edVerify(null, message, key, sig);
    } catch {
      return false;
    }
  }

  private keyOf(signer: string): KeyObject | null {
    const cached = this.keys.get(signer);
    if (cached !== undefined) return cached;
    const raw = publicKeyFromSigner(signer);
    let key: KeyObject | null = null;
    if (raw !== null && isValidPublicKey(raw)) {
      try {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
    }
    if (this.keys.size >= KEY_CACHE_MAX) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(signer, key);
    return key;
  }
}

/**
 * For replaying records this host already verified and hash-chained: recovery and time
 * travel check every record's hash, link and state_post_hash instead, and `swoosh
 * verify` re-checks every signature with a real verifier.
 */
export const chainTrustingVerifier: Verifier = { verify: () => true };
