// A strict pre-pass over a request body before JSON.parse: what JSON.parse lets through but
// a hashed SWOOSH document must not carry, and what a hostile client can make expensive.
//
// - Duplicate member names: JSON.parse keeps the last one silently, so two parties could
//   read one body two ways. Canonical JSON (RFC 8785) requires I-JSON input (RFC 7493
//   §2.3: member names unique), so a duplicate is `malformed`.
// - Cost: the number of values and the nesting depth are bounded, and the scan stops at
//   the first value past the bound, so a 1 MiB body of 340k empty arrays costs a few
//   thousand steps instead of a full parse and a large object graph.
//
// The scanner only checks structure it needs (brackets, strings, member names); JSON.parse
// still runs afterwards and remains the judge of everything else (number syntax, literals,
// escapes inside values).

/** Values (objects, arrays, strings, numbers, literals) one body may hold. */
export const JSON_VALUES_MAX = 20_000;
/** Nesting depth one body may reach (the reducer's own document bound is 48). */
export const JSON_DEPTH_MAX = 48;

export interface StrictJsonLimits {
  values_max: number;
  depth_max: number;
}

export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; reason: string };

const DEFAULT_LIMITS: StrictJsonLimits = { values_max: JSON_VALUES_MAX, depth_max: JSON_DEPTH_MAX };

/** Checks `text` (already UTF-8 decoded), then parses it. Never throws. */
export function parseStrictJson(text: string, limits: StrictJsonLimits = DEFAULT_LIMITS): StrictJsonResult {
  const problem = scan(text, limits);
  if (problem !== null) return { ok: false, reason: problem };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `body is not JSON: ${(err as Error).message}` };
  }
}

/** An open object being scanned: its member names so far, and whether a name comes next. */
interface Frame {
  keys: Set<string> | null;
  expectKey: boolean;
  path: string;
}

/** First structural problem in `text`, or null (JSON.parse then decides the rest). */
function scan(text: string, limits: StrictJsonLimits): string | null {
  const stack: Frame[] = [];
  let values = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (end < 0) return null; // unterminated: JSON.parse reports it precisely
      const top = stack[stack.length - 1];
      if (top !== undefined && top.keys !== null && top.expectKey) {
        const name = memberName(text, i, end);
        if (name === null) return null;
        if (top.keys.has(name))
          return `duplicate member name ${JSON.stringify(name.slice(0, 64))} in ${top.path} (JSON members must be unique)`;
        top.keys.add(name);
        top.expectKey = false;
      } else if ((values += 1) > limits.values_max) {
        return tooMany(limits);
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if ((values += 1) > limits.values_max) return tooMany(limits);
      if (stack.length >= limits.depth_max) return `nesting deeper than ${limits.depth_max} levels`;
      const path = `${stack[stack.length - 1]?.path ?? '$'}${c === 0x7b ? '{}' : '[]'}`.slice(0, 200);
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, path });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.keys !== null) top.expectKey = true;
    } else if (isScalarStart(c)) {
      if ((values += 1) > limits.values_max) return tooMany(limits);
      i = scalarEnd(text, i);
      continue;
    }
    i += 1;
  }
  return null;
}

function tooMany(limits: StrictJsonLimits): string {
  return `more than ${limits.values_max} JSON values in one body`;
}

/** Index of the closing quote of the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i;
    else i += 1;
  }
  return -1;
}

/** The decoded member name between the quotes at start and end, or null if not valid JSON. */
function memberName(text: string, start: number, end: number): string | null {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return null;
  }
}

function isScalarStart(c: number): boolean {
  // - 0-9 t f n
  return c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
}

/** Index just past a number or literal starting at `start`. */
function scalarEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a) break;
    i += 1;
  }
  return i;
}
