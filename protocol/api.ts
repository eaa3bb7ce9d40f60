// The console's wire shapes and the ConsoleApi interface: what renderer and main agree on.
//
// Renderer and main meet only in protocol/ (docs/console-protocol.md): the renderer's adapters
// (HTTP + SSE, Electron IPC) implement ConsoleApi, main's IPC bridge answers it, and the
// SDK (client/) reads the same bodies. The host's own types (store rows, engine events)
// are restated here as the wire shapes they are; only core/ types are imported.
// Errors crossing this boundary are tagged data (errors.ts), never bare strings.

import type { State } from '../core/state';
import type { DecisionRecord, GuardOutcome, Hash, Proposal, WalRecord } from '../core/types';

export type { DecisionRecord, GuardOutcome, Hash, Proposal, State, WalRecord };

/** GET /state and GET /state/at/N. */
export interface StateAt {
  index: number;
  hash: Hash;
  hlc: string | null;
  state: State;
}

/** GET /wal?from&limit. */
export interface WalPage {
  from: number;
  count: number;
  head_index: number;
  records: WalRecord[];
}

/** One row of the rejections log (GET /rejections). */
export interface RejectionRow {
  id: number;
  at_ms: number;
  head_index: number;
  idem_key: string | null;
  transition: string | null;
  signer: string | null;
  hlc: string | null;
  code: string;
  guard: string | null;
  reason: string;
  reasons: string[];
  proposal: unknown;
}

export interface RejectionsPage {
  from: number;
  count: number;
  rejections: RejectionRow[];
}

/** GET /health (200 or 503 — both are answers, not errors). */
export interface Health {
  status: string;
  consensus: { role: string; mode: string; nodes: number } | Record<string, unknown>;
  lastSnapshotHLC: string | null;
  walLag: number;
  index?: number;
  hash?: Hash;
  hlc?: string | null;
  queue?: number;
  recovery?: { snapshot_index: number | null; replayed: number; duration_ms: number; skipped_snapshots?: unknown[] };
  [extra: string]: unknown;
}

/** POST /transition: 202/200 accepted (200 = duplicate), anything else refused. */
export type SubmitOutcome =
  | { ok: true; status: number; index: number; state_post_hash: Hash; decision_id: string; duplicate: boolean }
  | { ok: false; status: number; error: ApiErrorBody; retry_after_s: number | null };

/**
 * The error body of every refusal: `{"error": {code, reason, guard?, reasons?, head_hash?, leader?}}`
 * (docs/protocol.md). `leader` is where a follower sends writes (the cluster's 503
 * not_writer); `writer` is the same for a single-writer host that is not the writer.
 */
export interface ApiErrorBody {
  code: string;
  reason: string;
  guard?: string;
  reasons?: string[];
  head_hash?: Hash;
  leader?: string;
  writer?: string;
}

/** SSE `accepted`: a summary of the new WAL record. */
export interface AcceptedEvent {
  type: 'accepted';
  index: number;
  transition: string;
  signer: string;
  hlc: string;
  window_id: string | null;
  state_pre_hash: Hash;
  state_post_hash: Hash;
  guard_outcomes: GuardOutcome[];
  decision_id: string;
}

/** SSE `rejected`. */
export interface RejectedEvent {
  type: 'rejected';
  code: string;
  guard?: string | null;
  reason: string;
  reasons?: string[];
  transition?: string | null;
  signer?: string | null;
  hlc?: string | null;
  idem_key?: string | null;
  status?: number;
}

/** SSE `health`. */
export interface HealthEvent {
  type: 'health';
  status: string;
  index?: number;
  hash?: Hash;
}

/** The event stream itself: connecting, open, or down (it retries on its own). */
export interface LinkEvent {
  type: 'link';
  status: 'connecting' | 'open' | 'down';
}

export type ConsoleEvent = AcceptedEvent | RejectedEvent | HealthEvent | LinkEvent;

/**
 * One divergence the migration shim recorded in shadow mode (docs/migration.md): the
 * legacy (WHOOSH) value beside SWOOSH's, for a comparison pair or a refused mirror.
 */
export interface ShadowDivergence {
  seq: number;
  region: string;
  route: string;
  legacy: unknown;
  swoosh: unknown;
  detail: string;
  at_ms: number;
}

/** GET /migration/divergences?from&limit: the shim's GET /shadow/divergences, through the host. */
export interface DivergencesPage {
  from: number;
  count: number;
  divergences: ShadowDivergence[];
}

/** GET /migration/health: the shim's GET /health (200 or 503 — both are answers). */
export interface ShimHealth {
  status?: string;
  [fact: string]: unknown;
}

/** One knob of a demo simulator (GET /demo/simulators). */
export interface SimulatorKnob {
  name: string;
  /** The current value; a bearer token shows as `<redacted>`, never itself. */
  value: unknown;
  kind: 'boolean' | 'number' | 'string' | 'list' | 'map';
  unit: string | null;
  /** Bounds of a number knob (integers); null when the simulator checks only the type. */
  min: number | null;
  max: number | null;
  /** What the knob does to the project, read in the code. */
  help: string;
  /** Differs from the value the demo started with. */
  changed: boolean;
}

/** A simulator of the demo: its knobs and request counters (knob and stats calls excluded). */
export interface Simulator {
  name: string;
  service: string;
  url: string;
  knobs: SimulatorKnob[];
  requests: number;
  by_path: Record<string, number>;
  /** Set when the simulator did not answer its knob or stats endpoint. */
  error: string | null;
}

/** A named one-click scenario and what the person should expect to see. */
export interface SimulatorScenario {
  id: string;
  label: string;
  expect: string;
}

/** The scenario started last: what it did so far (bounded), and when it finished. */
export interface ScenarioRun {
  id: string;
  label: string;
  started_ms: number;
  finished_ms: number | null;
  log: Array<{ at_ms: number; line: string }>;
}

/** GET /demo/simulators. */
/** The migration demo's WHOOSH fault knobs (GET/POST /migration/demo/knobs). */
export interface MigrationDemoKnobs {
  /** The WHOOSH simulator's own address. */
  whoosh: string;
  /** split_brain_council, index_swap, duplicate_delivery, restart_reorder: on or off. */
  knobs: Record<string, boolean>;
}

export interface SimulatorsView {
  simulators: Simulator[];
  scenarios: SimulatorScenario[];
  run: ScenarioRun | null;
}

/** An operator key as the console may see it: never the secret. */
export interface OperatorKeyInfo {
  /** Stable local id (the signer string is unique too, but long). */
  id: string;
  label: string;
  /** `hmmm:ed25519:<b64u public key>` (docs/protocol.md). */
  signer: string;
  /** Short fingerprint shown in dialogs: first 16 hex chars of sha256(public key), grouped. */
  fingerprint: string;
  created_ms: number;
  /** Whether the secret is decrypted in memory right now (it is never stored decrypted). */
  unlocked: boolean;
}

/** A proposal exactly as it will be signed: everything but `signature`. */
export type UnsignedProposal = Omit<Proposal, 'signature'>;

/**
 * Operator keys, stored encrypted at rest. In browser mode the renderer keeps them
 * (encrypted in local storage) and signs with @noble/ed25519; in Electron the main
 * process keeps and signs, so the secret never reaches the renderer (docs/electron.md).
 * Rejects with ConsoleApiError: `bad_passphrase`, `locked`, `unknown_key`, `bad_key_file`,
 * `duplicate_key` (importing a key already held), `wrong_signer` (the proposal names another signer).
 */
export interface OperatorKeys {
  list(): Promise<OperatorKeyInfo[]>;
  /** Generates a new key, encrypted under the passphrase; it is left unlocked. */
  create(label: string, passphrase: string): Promise<OperatorKeyInfo>;
  /** Imports a `swoosh keygen` key file (its JSON text), decrypted with its passphrase. */
  importFile(label: string, keyFileText: string, passphrase: string): Promise<OperatorKeyInfo>;
  unlock(id: string, passphrase: string): Promise<OperatorKeyInfo>;
  lock(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Signs exactly the given proposal (the signing bytes of core/crypto.ts); the key must be unlocked. */
  sign(id: string, unsigned: UnsignedProposal): Promise<Proposal>;
  /**
   * The key as an encrypted `swoosh keygen` key file (JSON text), for use with the CLI or
   * another console. Optional: a shell that cannot hand the file out omits it.
   */
  exportFile?(id: string): Promise<string>;
}

export interface ConsoleApi {
  /** Where the console runs: shown in the header, and lets views offer mode-specific help. */
  readonly mode: 'browser' | 'electron';
  /** The operator's keys (browser: in the renderer; Electron: in main). */
  readonly keys: OperatorKeys;
  getState(): Promise<StateAt>;
  /** State after WAL record n (0 = genesis). */
  getStateAt(n: number): Promise<StateAt>;
  /** Records from..from+limit-1 (limit ≤ 1000). */
  getWal(from: number, limit: number): Promise<WalPage>;
  getDecision(n: number): Promise<DecisionRecord>;
  getRejections(from: number, limit: number): Promise<RejectionsPage>;
  getHealth(): Promise<Health>;
  /** Prometheus exposition text. */
  getMetricsText(): Promise<string>;
  /** The statechart YAML the host runs (the spec the chart is drawn from). */
  getStatechartYaml(): Promise<string>;
  /**
   * The migration shim's divergences, oldest first from seq `from` (limit ≤ 1000), through
   * the host (GET /migration/divergences). Rejects with `not_found` when the host knows no
   * shim (`swoosh serve --shim URL` or `--sim-migration`), `shim_unreachable` when it is down.
   */
  getShadowDivergences(from: number, limit: number): Promise<DivergencesPage>;
  /** The shim's GET /health through the host (GET /migration/health); same errors. */
  getShimHealth(): Promise<ShimHealth>;
  /** The shim's Prometheus text (GET /migration/metrics): compared and diverged counts. */
  getShimMetricsText(): Promise<string>;
  /**
   * The demo's simulators, their knobs and counters, and the one-click scenarios (GET
   * /demo/simulators). Rejects with `not_demo` (404) when the host runs no demo.
   */
  getSimulators(): Promise<SimulatorsView>;
  /** Sets knobs of one simulator (POST /demo/simulators/{name}/knobs); `bad_knob` (400) says which and why. */
  setSimulatorKnobs(name: string, knobs: Record<string, unknown>): Promise<{ simulator: string; knobs: Record<string, unknown> }>;
  /** Starts a named scenario (POST /demo/scenarios/{id}, 202); `unknown_scenario` (404). */
  runSimulatorScenario(id: string): Promise<{ scenario: string; run: ScenarioRun }>;
  /**
   * WHOOSH's fault knobs in the migration demo (`npm start -- --migration`, `serve
   * --sim-migration`); rejects when the host runs no migration demo.
   */
  getMigrationDemoKnobs(): Promise<MigrationDemoKnobs>;
  /** Turns WHOOSH fault knobs on or off (POST /migration/demo/knobs); `malformed` (400) names a bad knob. */
  setMigrationDemoKnobs(knobs: Record<string, boolean>): Promise<MigrationDemoKnobs>;
  /** Submits a signed proposal; refusals resolve (ok: false), only transport failures reject. */
  submitProposal(signed: Proposal): Promise<SubmitOutcome>;
  /** Live events; returns the unsubscribe function. */
  subscribe(listener: (e: ConsoleEvent) => void): () => void;
}
