// The version of the reducer's semantics: the statechart YAML (its hash is in every state)
// *and* the guard and effect code, which the YAML hash does not cover. A WAL replays to its
// recorded hashes only under the rules that wrote it, so the host records the version with
// the database and refuses, plainly, to run a database written under other rules
// (docs/upgrading.md) instead of calling the first record that replays differently corrupt.
//
// Bump RULES_VERSION with every change that can change an outcome or a state hash for an
// existing WAL (a guard, an effect, a schema, the statechart), add a line below, and
// regenerate the conformance vectors (`npm run vectors`): core/testdata/vectors*.json are
// the frozen history of the current rules, replayed in CI (core/testdata/vectors.test.ts).
//
//   1  the first release (statechart without the migration region)
//   2  migration routing (Migration_Route/Bypass/Restore, state.migration, epoch.migration);
//      HLC counters above 2^32 − 1 are malformed (docs/decisions/0100, 0101)

export const RULES_VERSION = 2;

/** H([vectors.json, vectors-migration.json]) under RULES_VERSION; core/rules.test.ts keeps the two together. */
export const RULES_VECTORS_HASH = 'sha256-e1e733d85d9b843e1a651a0f131045b358aac57b7175aa0dbcc89c4cbff6bccd';
