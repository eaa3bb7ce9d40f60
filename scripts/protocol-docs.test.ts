import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INPUT_SCHEMAS } from '../core/wire';
import { loadMachine } from '../main/machine';
import { PROTOCOL_PATH, fieldTable, protocolBlocks, renderProtocol, typeOf } from './protocol-docs';

describe('docs/protocol.md', () => {
  const page = readFileSync(PROTOCOL_PATH, 'utf8');

  it('matches what the generator produces from the sources (else run `npm run protocol:docs`)', () => {
    const rendered = renderProtocol(page, protocolBlocks(loadMachine()));
    if (!rendered.ok) throw new Error(`docs/protocol.md: ${rendered.reason}; run \`npm run protocol:docs\``);
    expect(rendered.text === page, 'docs/protocol.md is stale: run `npm run protocol:docs`').toBe(true);
  });

  it('keeps the section numbers §1–§12 in order, so citations by number stay valid', () => {
    const numbers = [...page.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('documents the minimum inputs of every transition of the statechart', () => {
    const missing = Object.keys(loadMachine().transitions).filter((name) => INPUT_SCHEMAS[name] === undefined);
    expect(missing).toEqual([]);
  });
});

describe('renderProtocol', () => {
  it('refuses a page without the markers of a block', () => {
    const result = renderProtocol('# page\n<!-- generated:a --><!-- /generated:a -->\n', { a: 'x\n', b: 'y\n' });
    expect(result).toEqual({ ok: false, reason: 'missing <!-- generated:b --> … <!-- /generated:b -->' });
  });

  it('refuses a page where a block appears twice (the second would never be updated)', () => {
    const block = '<!-- generated:a -->old<!-- /generated:a -->\n';
    expect(renderProtocol(block + block, { a: 'new\n' })).toEqual({ ok: false, reason: '<!-- generated:a --> appears twice' });
  });

  it('replaces only what sits between the markers', () => {
    const result = renderProtocol('before\n<!-- generated:a -->\nold\n<!-- /generated:a -->\nafter\n', { a: 'new\n' });
    expect(result).toEqual({ ok: true, text: 'before\n<!-- generated:a -->\nnew\n<!-- /generated:a -->\nafter\n' });
  });
});

describe('schema notation', () => {
  it('names hashes, signers, optional fields, bounds and closed objects', () => {
    const schema = {
      type: 'object' as const,
      properties: {
        h: { type: 'string' as const, pattern: '^sha256-[0-9a-f]{64}$' },
        n: { type: 'integer' as const, minimum: 1 },
        xs: { type: 'array' as const, items: { type: 'string' as const, maxLength: 8 }, maxItems: 3, uniqueItems: true },
      },
      required: ['h'],
      additionalProperties: false,
    };
    expect(typeOf({ type: 'string', maxLength: 4, pattern: '^[a-z]+$' })).toBe('string[0..4] /^[a-z]+$/');
    expect(typeOf(schema)).toBe('{h: hash, n?: int(1..), xs?: [string[0..8]] (≤3, unique)} (closed)');
    expect(fieldTable(schema)).toContain('| `n` | `int(1..)` | no |');
    expect(fieldTable(schema)).toContain('Other fields: refused (`malformed`).');
  });
});
