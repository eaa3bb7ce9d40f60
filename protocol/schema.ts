// Payload schemas of the method table: one small validator per field.
//
// A field carries, beside its check, one value it accepts and values it refuses, so the
// tests derive their cases from the table itself (protocol/methods.test.ts) instead of a
// hand-kept list that could fall behind a new method.

export interface Field {
  /** Why a value is refused, or null when it is fine. */
  check(v: unknown): string | null;
  /** A value the check accepts. */
  example: unknown;
  /** Values the check refuses (wrong type, out of range, too long); built on demand, some are large. */
  counterexamples(): unknown[];
}

export type Schema = Readonly<Record<string, Field>>;
export type Payload = Record<string, unknown>;

export function int(min: number, max: number): Field {
  return {
    check: (v) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? null : `must be an integer in ${min}..${max}`),
    example: min,
    counterexamples: () => [min - 1, max + 1, min + 0.5, String(min), null],
  };
}

export function text(min: number, max: number): Field {
  return {
    check: (v) => (typeof v === 'string' && v.length >= min && v.length <= max ? null : `must be a string of ${min}..${max} characters`),
    example: 'x'.repeat(Math.max(min, 1)),
    counterexamples: () => [...(min > 0 ? [''] : []), 'x'.repeat(max + 1), 42, null],
  };
}

/** UTF-8 length of a string, counted without allocating (lone surrogates count 3, as U+FFFD). */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      bytes += 4;
      i += 1;
    } else bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return bytes;
}

/** A JSON object (the host or the signer checks the inside), bounded so nothing huge is copied. */
export function jsonObject(bytes_max: number): Field {
  return {
    check: (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be a JSON object';
      let json: string;
      try {
        json = JSON.stringify(v);
      } catch {
        return 'must be plain JSON';
      }
      return utf8Length(json) <= bytes_max ? null : `must be at most ${bytes_max} bytes of JSON`;
    },
    example: {},
    counterexamples: () => ['text', [], null, { pad: 'x'.repeat(bytes_max) }],
  };
}

/** An object with exactly the schema's keys, each passing its check; the reason names the field. */
export function checkPayload(schema: Schema, payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'payload must be an object';
  const p = payload as Payload;
  for (const key of Object.keys(p)) {
    if (!Object.hasOwn(schema, key)) return `unexpected field "${key}"`;
  }
  for (const [key, field] of Object.entries(schema)) {
    const problem = Object.hasOwn(p, key) ? field.check(p[key]) : 'is missing';
    if (problem !== null) return `${key} ${problem}`;
  }
  return null;
}
