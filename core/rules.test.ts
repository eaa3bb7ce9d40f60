// The frozen history of the current rules is the conformance vectors. If they change, an
// outcome or a state hash changed for some WAL: that is a new rules version (core/rules.ts,
// docs/upgrading.md) — unless only the answers to rejected proposals changed, which replay
// never sees (core/rules.ts says when). This test pins the vectors' hash to the version, so
// the two move together.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { H } from './hash';
import { RULES_VERSION, RULES_VECTORS_HASH } from './rules';

it('the conformance vectors are the frozen history of RULES_VERSION', () => {
  const files = ['vectors.json', 'vectors-migration.json'].map(
    (f) => JSON.parse(readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8')) as unknown,
  );
  const hash = H(files as never);
  expect(
    hash,
    `core/testdata/vectors*.json changed: if the semantics changed, bump RULES_VERSION in core/rules.ts (and say what changed there), then set RULES_VECTORS_HASH to ${hash}`,
  ).toBe(RULES_VECTORS_HASH);
  expect(RULES_VERSION).toBeGreaterThanOrEqual(2);
});
