// A small JSON Schema (2020-12 subset) validator. The same schema objects are what the
// host publishes in /openapi.json, so what is documented is exactly what is enforced.
// Errors name the first offending path (`$.inputs.votes[2].voter`) and stay within
// bounds: depth is limited and nothing here recurses on attacker-chosen depth beyond it.

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'null' | Array<'string' | 'null' | 'integer' | 'object'>;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: Array<string | number | boolean | null>;
  prefixItems?: JsonSchema[];
  /** Extension: a named format checked by a predicate the caller registers. */
  'x-format'?: string;
}

export interface SchemaError {
  path: string;
  reason: string;
}

/** true when the value has the format; false or a reason (shown to the caller) when not. */
export type FormatCheck = (value: unknown) => boolean | string;

const MAX_DEPTH = 32;
const patternCache = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Returns the first error, or null when `value` satisfies `schema`. */
export function validate(
  schema: JsonSchema,
  value: unknown,
  path = '$',
  formats: Record<string, FormatCheck> = {},
  depth = 0,
): SchemaError | null {
  if (depth > MAX_DEPTH) return { path, reason: `nested deeper than ${MAX_DEPTH}` };
  const typeError = checkType(schema, value, path);
  if (typeError) return typeError;
  if (schema.enum && !schema.enum.includes(value as never)) {
    return { path, reason: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` };
  }
  if (typeof value === 'string') return checkString(schema, value, path, formats);
  if (typeof value === 'number') return checkNumber(schema, value, path);
  if (Array.isArray(value)) return checkArray(schema, value, path, formats, depth);
  if (typeof value === 'object' && value !== null) return checkObject(schema, value as Record<string, unknown>, path, formats, depth);
  return null;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function checkType(schema: JsonSchema, value: unknown, path: string): SchemaError | null {
  if (schema.type === undefined) return null;
  const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = typeOf(value);
  if ((allowed as string[]).includes(actual)) return null;
  if (actual === 'integer' && (allowed as string[]).includes('number')) return null;
  const want = allowed.join(' or ');
  const extra = actual === 'number' && allowed.includes('integer') ? ' (numbers in SWOOSH documents are integers)' : '';
  return { path, reason: `expected ${want}, got ${actual}${extra}` };
}

function checkString(schema: JsonSchema, value: string, path: string, formats: Record<string, FormatCheck>): SchemaError | null {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return { path, reason: schema.minLength === 1 ? 'must not be empty' : `shorter than ${schema.minLength} characters` };
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    return { path, reason: `longer than ${schema.maxLength} characters` };
  if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) return { path, reason: `does not match ${schema.pattern}` };
  return checkFormat(schema, value, path, formats);
}

function checkFormat(schema: JsonSchema, value: unknown, path: string, formats: Record<string, FormatCheck>): SchemaError | null {
  const name = schema['x-format'];
  if (name === undefined) return null;
  const check = formats[name];
  const verdict = check ? check(value) : true;
  if (verdict === true) return null;
  return { path, reason: typeof verdict === 'string' ? `not a valid ${name}: ${verdict}` : `not a valid ${name}` };
}

function checkNumber(schema: JsonSchema, value: number, path: string): SchemaError | null {
  if (!Number.isSafeInteger(value) && schema.type === 'integer') return { path, reason: 'integer out of the safe range' };
  if (schema.minimum !== undefined && value < schema.minimum) return { path, reason: `less than ${schema.minimum}` };
  if (schema.maximum !== undefined && value > schema.maximum) return { path, reason: `greater than ${schema.maximum}` };
  return null;
}

function checkArray(
  schema: JsonSchema,
  value: unknown[],
  path: string,
  formats: Record<string, FormatCheck>,
  depth: number,
): SchemaError | null {
  if (schema.minItems !== undefined && value.length < schema.minItems) return { path, reason: `needs at least ${schema.minItems} items` };
  if (schema.maxItems !== undefined && value.length > schema.maxItems) return { path, reason: `more than ${schema.maxItems} items` };
  if (schema.prefixItems) {
    for (const [i, item] of schema.prefixItems.entries()) {
      const err = validate(item, value[i], `${path}[${i}]`, formats, depth + 1);
      if (err) return err;
    }
  }
  if (schema.items) {
    for (let i = 0; i < value.length; i += 1) {
      const err = validate(schema.items, value[i], `${path}[${i}]`, formats, depth + 1);
      if (err) return err;
    }
  }
  if (schema.uniqueItems) {
    const seen = new Set<string>();
    for (let i = 0; i < value.length; i += 1) {
      const key = JSON.stringify(value[i]);
      if (seen.has(key)) return { path: `${path}[${i}]`, reason: 'duplicate item' };
      seen.add(key);
    }
  }
  return checkFormat(schema, value, path, formats);
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  formats: Record<string, FormatCheck>,
  depth: number,
): SchemaError | null {
  const props = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (!Object.hasOwn(value, key)) return { path: `${path}.${key}`, reason: 'required' };
  }
  for (const key of Object.keys(value)) {
    const sub = Object.hasOwn(props, key) ? props[key] : undefined;
    if (sub) {
      const err = validate(sub, value[key], `${path}.${key}`, formats, depth + 1);
      if (err) return err;
    } else if (schema.additionalProperties === false) {
      return { path: `${path}.${key}`, reason: 'unknown field' };
    }
  }
  return checkFormat(schema, value, path, formats);
}
