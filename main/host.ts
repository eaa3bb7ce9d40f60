// The orchestrator host: opens (or creates) the database, recovers HEAD from the newest
// valid snapshot plus the WAL suffix, and starts the engine. It does not import electron:
// `swoosh serve` runs it under Node and the Electron main process runs the same host.

import { H } from '../core/hash';
import { HlcClock, parseHlc, type Clock, type Hlc } from '../core/hlc';
import { decisionRecord } from '../core/decision';
import type { Spec } from '../core/spec';
import type { State } from '../core/state';
import type { DecisionRecord, Genesis, Hash } from '../core/types';
import { validateGenesis } from '../core/wire';
import { canonicalize } from '../core/canonical';
import { Engine, type EngineHead } from './engine/engine';
import { CorruptionError, genesisHead, replayRows, type ReplayHead } from './engine/replay';
import { NodeVerifier } from './engine/verifier';
import { RULES_VERSION } from '../core/rules';
import { diagnoseDamage, isDamageError } from './store/integrity';
import { defaultVerifyWorkers, VerifyPool } from './engine/verify-pool';
import { loadMachine } from './machine';
import { Store, type Durability } from './store/store';

export interface HostOptions {
  db: string;
  /** Required for a new database; checked against the stored one otherwise. */
  genesis?: Genesis;
  durability?: Durability;
  clock?: Clock;
  snapshot_every?: number;
  queue_max?: number;
  batch_max?: number;
  check_invariants?: boolean;
  spec?: Spec;
  /** Worker threads verifying signatures while proposals queue (default: cores − 1, 1..4); 0 verifies inline. */
  verify_workers?: number;
}

export interface RecoveryReport {
  snapshot_index: number | null;
  skipped_snapshots: Array<{ index: number; problem: string }>;
  replayed: number;
  duration_ms: number;
}

export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const systemClock: Clock = { now_ms: () => Date.now() };

/**
 * Records between snapshots. Time travel to N replays up to this many − 1 records from the
 * nearest snapshot, so it bounds /state/at latency; each snapshot is one ≈ 4 kB row
 * (docs/benchmarks.md has the trade-off: 250 keeps p99 well under 50 ms for about 1 %
 * more file than 1000).
 */
export const DEFAULT_SNAPSHOT_EVERY = 250;

export class Host {
  private constructor(
    readonly store: Store,
    readonly engine: Engine,
    readonly genesis: Genesis,
    readonly spec: Spec,
    readonly recovery: RecoveryReport,
    readonly clock: Clock,
    private readonly verifyPool: VerifyPool | null,
  ) {}

  static open(opts: HostOptions): Host {
    try {
      return Host.openUnchecked(opts);
    } catch (err) {
      if (!isDamageError(err)) throw err;
      // SQLite itself failed on a damaged file: name the first unreadable record, not a stack.
      const report = diagnoseDamage(opts.db);
      const at = report.first_bad_index === null ? 'The database' : `WAL record ${report.first_bad_index} is unreadable:`;
      throw new HostError(
        'db_damaged',
        `${at} ${report.problem}. The orchestrator will not start on it: run \`swoosh verify --db ${opts.db}\` and follow docs/runbooks/corrupted-wal.md (restore from a backup or a replica).`,
      );
    }
  }

  private static openUnchecked(opts: HostOptions): Host {
    const spec = opts.spec ?? loadMachine();
    const clock = opts.clock ?? systemClock;
    const store = new Store(opts.db, opts.durability ?? 'FULL');
    try {
      const genesis = bindGenesis(store, spec, opts.genesis);
      const started = performance.now();
      const { head, report } = recover(store, genesis, spec);
      report.duration_ms = performance.now() - started;
      const last = head.state.hlc_last === null ? null : parseHlc(head.state.hlc_last);
      const server = new HlcClock(clock, last ?? undefined);
      const engineHead: EngineHead = { ...head, server_hlc: server.now() };
      const verifyPool = VerifyPool.create(opts.verify_workers ?? defaultVerifyWorkers());
      const engine = new Engine({
        spec,
        store,
        clock,
        verifier: new NodeVerifier(),
        verify_pool: verifyPool,
        head: engineHead,
        project: genesis.project,
        snapshot_every: opts.snapshot_every ?? DEFAULT_SNAPSHOT_EVERY,
        queue_max: opts.queue_max ?? 10_000,
        batch_max: opts.batch_max ?? 512,
        // On unless asked otherwise: ≈ 46 µs per accepted transition (docs/decisions/0027).
        check_invariants: opts.check_invariants ?? true,
      });
      return new Host(store, engine, genesis, spec, report, clock, verifyPool);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  get head(): Readonly<EngineHead> {
    return this.engine.current;
  }

  /** State and hash after record `index` (time travel): nearest snapshot + short replay. */
  stateAt(index: number): ReplayHead {
    const head = this.engine.current;
    if (index === head.index) return head;
    if (index < 0 || index > head.index) throw new HostError('not_found', `index ${index} is outside 0..${head.index}`);
    return headAt(this.store, this.genesis, this.spec, index);
  }

  decision(index: number): DecisionRecord | null {
    const record = this.store.record(index);
    return record ? decisionRecord(index, record, this.genesis.project) : null;
  }

  /** Signatures verified on worker threads so far; null when verification runs inline. */
  get verifiedOffThread(): number | null {
    return this.verifyPool ? this.verifyPool.verified_items : null;
  }

  serverHlc(): Hlc {
    return this.engine.current.server_hlc;
  }

  close(): void {
    this.engine.stop();
    this.verifyPool?.close();
    this.store.close();
  }
}

/** Stores the genesis of a new database, or checks the one given against the stored one. */
function bindGenesis(store: Store, spec: Spec, given: Genesis | undefined): Genesis {
  const stored = store.getMeta('genesis');
  if (stored === null) {
    if (!given) throw new HostError('no_genesis', `${store.path} is a new database: start it with --genesis FILE`);
    const checked = validateGenesis(given);
    if (!checked.ok)
      throw new HostError('bad_genesis', `genesis rejected: ${checked.errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
    store.setMeta('genesis', canonicalize(given));
    store.setMeta('genesis_hash', H(given));
    store.setMeta('spec_hash', spec.hash);
    store.setMeta('rules_version', String(RULES_VERSION));
    return given;
  }
  const genesis = JSON.parse(stored) as Genesis;
  if (given && H(given) !== store.getMeta('genesis_hash')) {
    throw new HostError(
      'genesis_mismatch',
      `--genesis ${H(given)} differs from the genesis this database was created with (${store.getMeta('genesis_hash')}); refusing to overwrite`,
    );
  }
  const specHash = store.getMeta('spec_hash');
  // Databases from before the version was recorded were written under rules 1.
  const rules = Number(store.getMeta('rules_version') ?? '1');
  if (specHash !== spec.hash || rules !== RULES_VERSION) {
    throw new HostError(
      'rules_mismatch',
      `${store.path} was written under SWOOSH rules v${rules} (statechart ${specHash}); this build runs rules v${RULES_VERSION} (statechart ${spec.hash}). ` +
        'A WAL replays only under the rules that wrote it, so this is not corruption and nothing was changed. ' +
        'Ways forward: keep serving it with the build that wrote it, or start a new database under the new rules (docs/upgrading.md).',
    );
  }
  return genesis;
}

/** Newest valid snapshot (checksum, state hash, and agreement with its WAL record) + replay. */
function recover(store: Store, genesis: Genesis, spec: Spec): { head: ReplayHead; report: RecoveryReport } {
  const length = store.walLength();
  const report: RecoveryReport = { snapshot_index: null, skipped_snapshots: [], replayed: 0, duration_ms: 0 };
  const start = startingHead(store, genesis, spec, length, report);
  try {
    const truncated = store.headProblem();
    if (truncated !== null) throw new CorruptionError(truncated.index, truncated.problem);
    const head = replayRows(start, store.scan(start.index + 1), { spec });
    report.replayed = head.index - start.index;
    if (head.index !== length) throw new CorruptionError(head.index + 1, 'missing record (gap in the WAL)');
    store.adoptHead();
    return { head, report };
  } catch (err) {
    if (err instanceof CorruptionError) {
      throw new HostError(
        'wal_corrupt',
        `${err.message}. The orchestrator will not start past a broken chain: run \`swoosh verify --db ${store.path}\` and follow docs/runbooks/corrupted-wal.md.`,
      );
    }
    throw err;
  }
}

function startingHead(store: Store, genesis: Genesis, spec: Spec, upTo: number, report?: RecoveryReport): ReplayHead {
  for (const candidate of store.snapshotsAtOrBefore(upTo)) {
    const problem = candidate.problem ?? snapshotDisagreement(store, candidate.snapshot);
    if (problem === null && candidate.snapshot) {
      const s = candidate.snapshot;
      if (report) report.snapshot_index = s.index;
      return { state: s.state, hash: s.state_hash, index: s.index, record_hash: s.record_hash };
    }
    report?.skipped_snapshots.push({ index: candidate.index, problem: problem ?? 'unreadable' });
  }
  return genesisHead(genesis, spec);
}

function snapshotDisagreement(store: Store, s: { index: number; state_hash: Hash; record_hash: Hash; state: State } | null): string | null {
  if (!s) return 'unreadable';
  const row = store.recordText(s.index);
  if (!row) return `no WAL record ${s.index}`;
  if (row.record_hash !== s.record_hash) return `record ${s.index} hash differs from the snapshot's`;
  const record = JSON.parse(row.body) as { state_post_hash: string };
  if (record.state_post_hash !== s.state_hash) return `record ${s.index} state_post_hash differs from the snapshot's`;
  return null;
}

/** Nearest snapshot ≤ index, then replay up to index (time travel; `swoosh replay --to`). */
export function headAt(store: Store, genesis: Genesis, spec: Spec, index: number): ReplayHead {
  const start = startingHead(store, genesis, spec, index);
  return replayRows(start, store.scan(start.index + 1, 2000, index), { spec, to: index });
}
