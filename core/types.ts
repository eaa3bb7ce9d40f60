// Shared data shapes of the deterministic core. Everything here is plain JSON data:
// no classes, no functions, so that every value can be canonicalized (JCS) and hashed.
// Field names follow docs/protocol.md; units are last in names (`*_ms`, `*_bp`).

/** A JSON value as it appears on the wire and in hashed documents. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** `"sha256-" + 64 lowercase hex digits`. */
export type Hash = string;
/** `hmmm:ed25519:<b64u 32-byte public key>`. */
export type SignerId = string;

export type Role = 'operator' | 'agent' | 'council';

// ---------------------------------------------------------------------------
// Genesis (docs/protocol.md §4)

export interface GenesisSigner {
  id: string;
  signer: SignerId;
  roles: Role[];
}

export interface Genesis {
  project: string;
  signers: GenesisSigner[];
  kaching: { signer: SignerId };
  mcp: { signer: SignerId; max_age_ms: number; pins: Record<string, string> };
  policy: { version: number; deny: string[] };
  quorum: { threshold: number };
  backbeat: {
    epoch_ms: number;
    period_ms: number;
    /** transition class → [from_bp, to_bp) of the beat, basis points of period_ms. */
    windows: Record<string, [number, number]>;
  };
  max_drift_ms: number;
  /** A project migrating from WHOOSH starts with these routes; absent, every route is "swoosh". */
  migration?: { routes: MigrationRoutes };
}

/** Who serves a region's requests during a migration from WHOOSH (statechart/README.md, "Migration from WHOOSH"). */
export type RouteMode = 'legacy' | 'shadow' | 'swoosh';
/** The migrated regions, in the order they must reach "swoosh". */
export type MigrationRegion = 'council' | 'ingestion' | 'execution';
export type MigrationRoutes = Record<MigrationRegion, RouteMode>;

// ---------------------------------------------------------------------------
// Signed facts carried in proposal inputs (docs/protocol.md §6)

export interface Vote {
  voter: SignerId;
  member_set_hash: Hash;
  council_epoch: number;
  signature: string;
}

export interface LicenseToken {
  licensee: string;
  issued_ms: number;
  expires_ms: number;
  grace_ms: number;
  signature: string;
}

export interface McpTool {
  name: string;
  version: string;
  reachable: boolean;
}

export interface McpReport {
  registry: string;
  observed_ms: number;
  tools: McpTool[];
  signer: SignerId;
  signature: string;
}

export interface PolicyFinding {
  kind: string;
  path: string;
  detail: string;
}

// ---------------------------------------------------------------------------
// Proposal (docs/protocol.md §5)

export interface Proposal {
  current_state_hash: Hash;
  transition: string;
  inputs: JsonObject;
  inputs_hash: Hash;
  signer: SignerId;
  idem_key: string;
  hlc: string;
  window_id: string | null;
  evidence: string[];
  signature: string;
}

// ---------------------------------------------------------------------------
// Outcomes

export interface GuardOutcome {
  guard: string;
  ok: boolean;
  reasons: string[];
}

/** Error codes of docs/protocol.md §8 that the pure core can produce. */
export type RejectionCode =
  | 'malformed'
  | 'inputs_hash_mismatch'
  | 'bad_signature'
  | 'unknown_signer'
  | 'role_denied'
  | 'unknown_transition'
  | 'invalid_from_state'
  | 'guard_failed'
  | 'hlc_regression'
  | 'hlc_from_future'
  | 'wrong_window'
  | 'idem_key_conflict'
  | 'quarantined'
  | 'terminated'
  | 'stale_state_hash'
  /** Not the caller's fault: the judge itself failed (a bug). Logged, counted, answered 500. */
  | 'internal';

export interface Rejection {
  code: RejectionCode;
  reason: string;
  guard?: string;
  reasons?: string[];
  /** Present with stale_state_hash: the hash the caller should re-read and use. */
  head_hash?: Hash;
  /** Guards evaluated before the failing one (and the failing one), for the rejections log. */
  guard_outcomes?: GuardOutcome[];
}

/**
 * The part of a WAL record (docs/protocol.md §9) that the pure core decides. The store adds
 * `index`, `prev_record_hash`, `accepted_at_ms` and `record_hash`.
 */
export interface RecordBody {
  state_pre_hash: Hash;
  transition: string;
  proposal: Proposal;
  inputs_hash: Hash;
  signer: SignerId;
  idem_key: string;
  hlc: string;
  window_id: string | null;
  guard_outcomes: GuardOutcome[];
  evidence: string[];
  state_post_hash: Hash;
}

export interface WalRecord extends RecordBody {
  index: number;
  prev_record_hash: Hash;
  accepted_at_ms: number;
  record_hash: Hash;
}

/** BUBBLE decision record (docs/protocol.md §9). */
export interface DecisionRecord {
  id: string;
  transition: string;
  signer: SignerId;
  state_pre_hash: Hash;
  state_post_hash: Hash;
  inputs_hash: Hash;
  hlc: string;
  window_id: string | null;
  guards: GuardOutcome[];
  evidence: string[];
  ucxl: string;
  justification: string;
}
