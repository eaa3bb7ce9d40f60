// RFC 8785 JSON Canonicalization Scheme (JCS), docs/protocol.md §1.
//
// Every hash and every signature in SWOOSH is over the bytes produced here, so this
// file is deliberately strict: anything that is not plain JSON data is an error
// (CanonicalError), never silently dropped or coerced the way JSON.stringify would.
//
// - Object keys are sorted by UTF-16 code units (RFC 8785 §3.2.3); that is exactly
//   what Array.prototype.sort does for strings without a comparator.
// - Numbers use ECMAScript Number::toString (RFC 8785 §3.2.2.3); -0 serializes as 0.
// - Strings use JSON.stringify, which since ES2019 emits exactly the JCS escapes
//   (\b \t \n \f \r \" \\, other C0 controls as \u00xx lowercase, everything else raw).
// - Strings containing lone surrogates are rejected: RFC 8785 requires I-JSON input
//   (RFC 7493 §2.1), and a lone surrogate has no UTF-8 encoding.

export const CANONICAL_DEPTH_MAX = 64;

export class CanonicalError extends Error {
  readonly code = 'not_canonicalizable' as const;
  /** JSONPath-like location of the offending value, e.g. `$.inputs.x` or `$.votes[2]`. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`${reason} at ${path}`);
    this.name = 'CanonicalError';
    this.path = path;
  }
}

// In unicode mode a surrogate class only matches surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True for `{}`-style objects: prototype is Object.prototype or null (not arrays, Dates, Maps, class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalError(path, 'string contains a lone surrogate');
  return JSON.stringify(s);
}

function serialize(value: unknown, path: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalError(path, `number ${String(value)} is not finite`);
      // String(-0) === '0', as JCS requires.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      throw new CanonicalError(path, 'undefined is not JSON');
    case 'bigint':
      throw new CanonicalError(path, 'bigint is not JSON');
    case 'symbol':
      throw new CanonicalError(path, 'symbol is not JSON');
    case 'function':
      throw new CanonicalError(path, 'function is not JSON');
    case 'object':
      break;
    default:
      throw new CanonicalError(path, `unsupported type ${typeof value}`);
  }
  if (value === null) return 'null';
  if (depth >= CANONICAL_DEPTH_MAX) {
    throw new CanonicalError(path, `nesting deeper than ${CANONICAL_DEPTH_MAX}`);
  }
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) {
      throw new CanonicalError(path, 'array subclass is not plain JSON');
    }
    const parts: string[] = [];
    // Index loop (not forEach/map) so that holes in sparse arrays are seen as undefined.
    for (let i = 0; i < value.length; i += 1) {
      parts.push(serialize(value[i], `${path}[${i}]`, depth + 1));
    }
    return `[${parts.join(',')}]`;
  }
  if (!isPlainObject(value)) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    throw new CanonicalError(path, `${typeof name === 'string' ? name : 'object'} is not a plain object`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw new CanonicalError(path, 'symbol-keyed property is not JSON');
  }
  // Object.keys on the value itself: own enumerable string keys, including an own
  // `__proto__` (as JSON.parse creates) and `constructor`.
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const p = childPath(path, key);
    const v = (value as Record<string, unknown>)[key];
    parts.push(`${serializeString(key, p)}:${serialize(v, p, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Thrown by the fast path on anything unusual; the precise error comes from `serialize`. */
const BAIL: unique symbol = Symbol('bail');

/**
 * The hot path (every state hash and signature goes through here): the same encoding as
 * `serialize` without building a path for every key. Anything it does not like makes it
 * bail, and the slow path then names the exact problem and where it is.
 */
function serializeFast(value: unknown, depth: number): string {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw BAIL;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw BAIL;
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  if (typeof value !== 'object' || depth >= CANONICAL_DEPTH_MAX) throw BAIL;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw BAIL;
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + serializeFast(value[i], depth + 1);
    return `${out}]`;
  }
  if (!isPlainObject(value) || Object.getOwnPropertySymbols(value).length > 0) throw BAIL;
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (!key.isWellFormed()) throw BAIL;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:${serializeFast((value as Record<string, unknown>)[key], depth + 1)}`;
  }
  return `${out}}`;
}

/** RFC 8785 canonical JSON text of `value`. Throws CanonicalError for anything that is not plain JSON. */
export function canonicalize(value: unknown): string {
  try {
    return serializeFast(value, 0);
  } catch (err) {
    if (err !== BAIL) throw err;
    return serialize(value, '$', 0);
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `s` (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

const REPLACEMENT = 0xfffd;

/** Code point at UTF-16 index i (a lone surrogate reads as U+FFFD), plus its width in code units. */
function codePointAt(s: string, i: number): [number, number] {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return [((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000, 2];
  }
  if (c >= 0xd800 && c <= 0xdfff) return [REPLACEMENT, 1];
  return [c, 1];
}

/**
 * Byte-wise comparison of utf8(a) and utf8(b), without encoding. UTF-8 byte order is
 * code point order; it differs from JS `<` (UTF-16 code unit order) only when an astral
 * character meets a BMP character in U+E000..U+FFFF. Exactly equal to comparing utf8()
 * outputs, including for lone surrogates (which both sides read as U+FFFD).
 */
export function compareUtf8(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Fast path: skip the common prefix of code units; nothing is allocated.
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  if (i < n) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    // Both below the surrogate range: code unit order is code point order.
    if (ca < 0xd800 && cb < 0xd800) return ca < cb ? -1 : 1;
  } else if (i === n) {
    // One string is a prefix of the other in code units. If the prefix does not end in
    // a high surrogate the longer one is greater; otherwise fall through to decode.
    const last = i > 0 ? a.charCodeAt(i - 1) : 0;
    if (!(last >= 0xd800 && last <= 0xdbff)) return a.length < b.length ? -1 : 1;
  }
  // Slow path: back up to the start of a possibly split surrogate pair, then compare
  // code points (lone surrogates as U+FFFD) to the end.
  if (i > 0) {
    const prev = a.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) i -= 1;
  }
  let ia = i;
  let ib = i;
  while (ia < a.length && ib < b.length) {
    const [pa, wa] = codePointAt(a, ia);
    const [pb, wb] = codePointAt(b, ib);
    if (pa !== pb) return pa < pb ? -1 : 1;
    ia += wa;
    ib += wb;
  }
  if (ia < a.length) return 1;
  if (ib < b.length) return -1;
  return 0;
}
