// H(x) = "sha256-" + lowercase hex(sha256(JCS(x))), docs/protocol.md §1.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalize, utf8 } from './canonical';

const HASH_PREFIX = 'sha256-';
const HASH_PATTERN = /^sha256-[0-9a-f]{64}$/;

/** Lowercase hex of sha256(bytes). */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/** Hash of the JCS form of x. Throws CanonicalError when x is not plain JSON. */
export function H(x: unknown): string {
  return hashText(canonicalize(x));
}

/**
 * Hash of text that is already canonical JSON (saves re-canonicalizing large documents).
 * The caller vouches for canonicality; passing non-canonical text yields a hash that
 * no other party will reproduce.
 */
export function hashText(canonicalJson: string): string {
  return HASH_PREFIX + sha256Hex(utf8(canonicalJson));
}

export function isHash(s: unknown): s is string {
  return typeof s === 'string' && HASH_PATTERN.test(s);
}
