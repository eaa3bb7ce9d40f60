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
// A change that only changes how a *rejected* proposal is answered (its code, guard or
// reason) does not bump it: rejections are not in the WAL, so every record replays to the
// same state; the vectors change (they pin the answers too), so set RULES_VECTORS_HASH
// anew and say so here.
//
//   1  the first release (statechart without the migration region)
//   2  migration routing (Migration_Route/Bypass/Restore, state.migration, epoch.migration);
//      HLC counters above 2^32 − 1 are malformed (docs/decisions/0100, 0101)
//   2  (no bump) a closed window with the HLC's own window_id answers guard_failed /
//      guard "window", not wrong_window: same accepted records (docs/decisions/0103)

export const RULES_VERSION = 2;

/** H([vectors.json, vectors-migration.json]) under RULES_VERSION; core/rules.test.ts keeps the two together. */
export const RULES_VECTORS_HASH = 'sha256-4ae954a57137b97e959a7e41bfedc6c15d4cbb842783c2a3ad554420d8ad4412';
