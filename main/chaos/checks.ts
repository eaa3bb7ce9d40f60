// The checks a chaos run ends with, over the writer's file read after a clean stop:
//
//   replay   every WAL record replayed in this process from genesis (replayRows: hash,
//            link, pre-state, every signature, the exact record body) lands on the state
//            hash the model computed for that index;
//   invariants  core checkInvariants over every consecutive pair of states;
//   windows  every time-gated transition (REVIEW/REVERB class) carries a passing `window`
//            guard outcome whose recorded reason names an open window of the schedule in
//            force at its HLC, and the window_id of that HLC;
//   decisions  every accepted transition has a complete BUBBLE decision record (as served
//            by GET /decisions/N) that agrees with its WAL record and whose UCXL link parses
//            back to swoosh:orchestrator@<project>:<transition>/wal/<N>;
//   set      Jepsen-style: every acknowledged idem key is in the WAL at the acknowledged
//            index and state (lost = []), no idem key twice (duplicated = []), nothing in
//            the WAL that was never sent or was only ever rejected (unexpected = []).
//
// Each check is a pure function over data, so the tests feed it doctored inputs.

import { canonicalize } from '../../core/canonical';
import { decisionUcxl } from '../../core/decision';
import { parseHlc } from '../../core/hlc';
import { checkInvariants } from '../../core/invariants';
import type { Spec } from '../../core/spec';
import type { State } from '../../core/state';
import type { DecisionRecord, Genesis, WalRecord } from '../../core/types';
import { parseUcxl } from '../../core/ucxl';
import { beatPosition, checkWindow } from '../../core/window';
import { CorruptionError, genesisHead, replayRows, type ReplayHead } from '../engine/replay';
import { NodeVerifier } from '../engine/verifier';
import { openDatabase } from '../store/native';
import { parseRecord } from '../store/store';

export interface WalRow {
  index: number;
  body: string;
  record_hash: string;
  idem_key: string;
}

export interface Finding {
  index: number;
  problem: string;
}

export interface WalAudit {
  replayed: number;
  final: { index: number; hash: string };
  corrupt: Finding | null;
  /** Indexes where the replayed state differs from the model's. */
  model_mismatch: Finding[];
  invariants: Array<{ index: number; invariant: string; detail: string }>;
  windows_checked: number;
  windows: Finding[];
  records: WalRecord[];
}

/** The WAL straight from the file (the writer must be stopped, it holds the file exclusively). */
export function readWal(path: string): WalRow[] {
  const db = openDatabase(path, { readonly: true });
  try {
    return (
      db.prepare('SELECT idx, body, record_hash, idem_key FROM wal ORDER BY idx').all() as Array<{
        idx: number;
        body: string;
        record_hash: string;
        idem_key: string;
      }>
    ).map((r) => ({ index: r.idx, body: r.body, record_hash: r.record_hash, idem_key: r.idem_key }));
  } finally {
    db.close();
  }
}

/** Replays the WAL from genesis and checks model hashes, invariants and windows at every record. */
export function auditWal(rows: readonly WalRow[], genesis: Genesis, spec: Spec, modelHashes: readonly string[]): WalAudit {
  let head: ReplayHead = genesisHead(genesis, spec);
  const verifier = new NodeVerifier();
  const out: WalAudit = {
    replayed: 0,
    final: { index: 0, hash: head.hash },
    corrupt: null,
    model_mismatch: [],
    invariants: [],
    windows_checked: 0,
    windows: [],
    records: [],
  };
  if (modelHashes[0] !== head.hash)
    out.model_mismatch.push({ index: 0, problem: `state 0 is ${head.hash}, the model's is ${String(modelHashes[0])}` });
  for (const row of rows) {
    let next: ReplayHead;
    try {
      next = replayRows(head, [row], { spec, verifier, strict: true });
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      out.corrupt = { index: err.index, problem: err.problem };
      break;
    }
    const record = parseRecord(row.body, row.record_hash);
    out.records.push(record);
    out.replayed += 1;
    if (next.hash !== modelHashes[row.index]) {
      out.model_mismatch.push({
        index: row.index,
        problem: `replayed state ${next.hash}, the model's ${String(modelHashes[row.index] ?? 'none (the model has fewer records)')}`,
      });
    }
    for (const v of checkInvariants(head.state, next.state, record)) out.invariants.push({ index: row.index, ...v });
    const gated = spec.transitions[record.transition]?.window ?? null;
    if (gated !== null) out.windows_checked += 1;
    const w = windowProblem(head.state, record, spec);
    if (w !== null) out.windows.push({ index: row.index, problem: w });
    head = next;
  }
  if (out.corrupt === null && rows.length + 1 < modelHashes.length) {
    out.model_mismatch.push({
      index: rows.length + 1,
      problem: `the WAL ends at ${rows.length}; the model has ${modelHashes.length - 1} records`,
    });
  }
  out.final = { index: head.index, hash: head.hash };
  return out;
}

const WINDOW_REASON = /^(\S+) window open: beat (-?\d+) at (\d+) bp in \[(\d+), (\d+)\)$/;

/** Null when the record's window facts hold (or it is not time-gated), else what is wrong. */
export function windowProblem(prev: State, r: WalRecord, spec: Spec): string | null {
  const t = spec.transitions[r.transition];
  if (!t) return `unknown transition ${r.transition}`;
  const outcome = r.guard_outcomes.find((g) => g.guard === 'window');
  if (t.window === null) {
    if (r.window_id !== null) return `${r.transition} is not time-gated but carries window_id ${r.window_id}`;
    if (outcome) return `${r.transition} is not time-gated but records a window outcome`;
    return null;
  }
  const hlc = parseHlc(r.hlc);
  if (!hlc) return `unparseable hlc ${r.hlc}`;
  const schedule = prev.execution.backbeat;
  const pos = beatPosition(schedule, hlc.wall_ms);
  if (r.window_id !== pos.window_id) return `window_id ${String(r.window_id)} is not the window of its hlc (${pos.window_id})`;
  if (!outcome?.ok) return 'no passing window guard outcome recorded';
  const check = checkWindow(schedule, t.window, hlc.wall_ms);
  if (!check.open) return `accepted at ${r.hlc} with every [${t.window.join(', ')}] window closed: ${check.reasons.join('; ')}`;
  const m = WINDOW_REASON.exec(outcome.reasons[outcome.reasons.length - 1] ?? '');
  if (!m) return `recorded window outcome does not say which window was open: ${outcome.reasons.join('; ')}`;
  const [, cls, beat, bp, from, to] = m as unknown as [string, string, string, string, string, string];
  const interval = schedule.windows[cls];
  if (!t.window.includes(cls) || !interval) return `recorded open window ${cls} is not a window of ${r.transition}`;
  if (Number(beat) !== pos.beat || Number(bp) !== pos.offset_bp)
    return `recorded beat ${beat} at ${bp} bp, the hlc says beat ${pos.beat} at ${pos.offset_bp} bp`;
  if (Number(from) !== interval[0] || Number(to) !== interval[1])
    return `recorded interval [${from}, ${to}) is not the schedule's ${cls} window [${interval[0]}, ${interval[1]})`;
  if (pos.offset_bp < interval[0] || pos.offset_bp >= interval[1])
    return `offset ${pos.offset_bp} bp lies outside [${interval[0]}, ${interval[1]})`;
  return null;
}

/** A served decision record against the WAL record it explains. */
export function decisionProblem(dr: DecisionRecord | null, r: WalRecord, project: string): string | null {
  if (dr === null) return 'no decision record served';
  const want: Array<[string, unknown, unknown]> = [
    ['id', dr.id, `bubble://dr/${r.index}`],
    ['transition', dr.transition, r.transition],
    ['signer', dr.signer, r.signer],
    ['state_pre_hash', dr.state_pre_hash, r.state_pre_hash],
    ['state_post_hash', dr.state_post_hash, r.state_post_hash],
    ['inputs_hash', dr.inputs_hash, r.inputs_hash],
    ['hlc', dr.hlc, r.hlc],
    ['window_id', dr.window_id, r.window_id],
  ];
  for (const [field, got, expected] of want) {
    if (got !== expected) return `${field} is ${JSON.stringify(got)}, the WAL record says ${JSON.stringify(expected)}`;
  }
  if (!Array.isArray(dr.guards) || canonicalize(dr.guards) !== canonicalize(r.guard_outcomes))
    return "guards differ from the record's guard_outcomes";
  if (!Array.isArray(dr.evidence) || canonicalize(dr.evidence) !== canonicalize(r.evidence)) return "evidence differs from the record's";
  if (typeof dr.justification !== 'string' || dr.justification.trim() === '') return 'empty justification';
  if (typeof dr.ucxl !== 'string') return 'no ucxl link';
  const u = parseUcxl(dr.ucxl);
  if (u === null) return `ucxl link does not parse: ${dr.ucxl}`;
  if (
    dr.ucxl !== decisionUcxl(project, r.transition, r.index) ||
    u.agent !== 'swoosh' ||
    u.role !== 'orchestrator' ||
    u.project !== project ||
    u.task !== r.transition ||
    u.path !== `wal/${r.index}` ||
    u.temporal.kind !== 'latest'
  ) {
    return `ucxl link ${dr.ucxl} does not name ${project}:${r.transition}/wal/${r.index}`;
  }
  return null;
}

export interface Ack {
  index: number;
  state_post_hash: string;
}

export interface SetCheck {
  acknowledged: number;
  /** Acknowledged idem keys missing from the WAL, or found at another index or state. */
  lost: string[];
  lost_detail: string[];
  /** Idem keys present more than once in the WAL. */
  duplicated: string[];
  /** WAL idem keys never sent, or sent and only ever rejected. */
  unexpected: string[];
  /** WAL idem keys sent but never acknowledged (every answer lost): should not happen, in-doubt proposals are re-sent until answered. */
  unacknowledged: string[];
}

export function setCheck(
  rows: readonly WalRow[],
  acks: ReadonlyMap<string, Ack>,
  sent: ReadonlySet<string>,
  rejected: ReadonlySet<string>,
): SetCheck {
  const at = new Map<string, WalRow>();
  const duplicated = new Set<string>();
  for (const r of rows) {
    if (at.has(r.idem_key)) duplicated.add(r.idem_key);
    else at.set(r.idem_key, r);
  }
  const lost: string[] = [];
  const lost_detail: string[] = [];
  for (const [key, ack] of acks) {
    const row = at.get(key);
    let problem: string | null = null;
    if (!row) problem = 'missing';
    else if (row.index !== ack.index) problem = `acknowledged at ${ack.index}, found at ${row.index}`;
    else if ((JSON.parse(row.body) as { state_post_hash: string }).state_post_hash !== ack.state_post_hash)
      problem = `acknowledged state ${ack.state_post_hash} differs from the WAL's`;
    if (problem !== null) {
      lost.push(key);
      lost_detail.push(`${key}: ${problem}`);
    }
  }
  const unexpected: string[] = [];
  const unacknowledged: string[] = [];
  for (const key of at.keys()) {
    if (!sent.has(key) || (rejected.has(key) && !acks.has(key))) unexpected.push(key);
    else if (!acks.has(key)) unacknowledged.push(key);
  }
  return { acknowledged: acks.size, lost, lost_detail, duplicated: [...duplicated], unexpected, unacknowledged };
}
