// Invariants checked after every accepted transition: by the tests, by the chaos suite,
// and optionally by the host in production. Each is a pure check over (before, after,
// record body) that names what broke; an empty list means all hold.

import { compareOrderKey, parseHlc, type Hlc } from './hlc';
import { memberSetHash } from './guards/quorum';
import { deriveMode, MIGRATION_ORDER, REGION_KEYS, ROUTE_MODES, routeOrderProblem, type State } from './state';
import { regionChanged } from './reduce';
import type { RecordBody } from './types';
import { checkWindow } from './window';

export interface Violation {
  invariant: string;
  detail: string;
}

/** While quarantined, only these get through (docs/protocol.md §6). */
export const QUARANTINE_ALLOWED: ReadonlySet<string> = new Set([
  'Quarantine_Release',
  'Policy_Update',
  'Quarantine_ConfirmBlock',
  'License_Refresh',
  'Migration_Route',
  'Migration_Bypass',
  'Migration_Restore',
]);

/** The transitions that may change the migration region (and so epoch.migration). */
export const MIGRATION_TRANSITIONS: ReadonlySet<string> = new Set(['Migration_Route', 'Migration_Bypass', 'Migration_Restore']);

export function checkInvariants(prev: State, next: State, body: RecordBody): Violation[] {
  const out: Violation[] = [];
  hlcMonotonic(prev, next, out);
  epochsExactlyOnce(prev, next, out);
  executionEntry(prev, next, out);
  quorumMatchesElectedSet(next, out);
  quarantineSticky(prev, body, out);
  if (prev.control.terminated) out.push({ invariant: 'terminated_absorbing', detail: `${body.transition} accepted after TERMINATED` });
  gatedPhasesInWindow(prev, next, body, out);
  migrationRoutes(prev, next, body, out);
  if (next.control.mode !== deriveMode(next)) {
    out.push({ invariant: 'control_mode', detail: `control.mode ${String(next.control.mode)} but flags say ${String(deriveMode(next))}` });
  }
  return out;
}

function orderKey(s: State): { hlc: Hlc; signer: string; idem_key: string } | null {
  if (s.hlc_last === null) return null;
  const hlc = parseHlc(s.hlc_last);
  return hlc ? { hlc, signer: s.meta.last_signer ?? '', idem_key: s.meta.last_idem_key ?? '' } : null;
}

function hlcMonotonic(prev: State, next: State, out: Violation[]): void {
  const a = orderKey(prev);
  const b = orderKey(next);
  if (b === null) out.push({ invariant: 'hlc_monotonic', detail: 'hlc_last missing or unparseable after a transition' });
  else if (a !== null && compareOrderKey(a, b) >= 0) {
    out.push({ invariant: 'hlc_monotonic', detail: `order key went from ${prev.hlc_last} to ${next.hlc_last}` });
  }
}

function epochsExactlyOnce(prev: State, next: State, out: Violation[]): void {
  for (const key of REGION_KEYS) {
    const step = next.epoch[key] - prev.epoch[key];
    const want = regionChanged(prev, next, key) ? 1 : 0;
    if (step !== want) out.push({ invariant: 'epoch_once', detail: `epoch.${key} advanced by ${step}, expected ${want}` });
  }
}

function executionEntry(prev: State, next: State, out: Violation[]): void {
  if (next.execution.phase === null) return;
  const s = next;
  const ready = s.ingestion.phase === 'READY' && s.council.phase === 'READY' && s.environment.phase === 'READY';
  const pins = s.execution.pins;
  const match =
    pins !== null &&
    pins.content_hash === s.ingestion.content_hash &&
    pins.version === s.ingestion.version &&
    pins.member_set_hash === s.council.member_set_hash &&
    pins.env_hash === s.environment.env_hash;
  if (!ready || !match) {
    const when = prev.execution.phase === null ? 'entered' : 'running';
    out.push({ invariant: 'execution_ready_pins', detail: `EXECUTION ${when} without all three READY pins matching` });
  }
}

function quorumMatchesElectedSet(s: State, out: Violation[]): void {
  if (s.council.phase !== 'TOOLING_SYNC' && s.council.phase !== 'READY') return;
  const cert = s.council.quorum_cert;
  const actual = memberSetHash(s.council.members);
  if (cert === null) {
    out.push({ invariant: 'quorum_cert', detail: `council ${s.council.phase} without a quorum certificate` });
    return;
  }
  if (cert.member_set_hash !== actual || s.council.member_set_hash !== actual) {
    out.push({ invariant: 'quorum_cert', detail: `certificate over ${cert.member_set_hash}, elected set hashes to ${actual}` });
  }
  const members = new Set(s.council.members);
  if (cert.voters.length < s.council.threshold || cert.voters.some((v) => !members.has(v))) {
    out.push({
      invariant: 'quorum_cert',
      detail: `${cert.voters.length} certified voters for threshold ${s.council.threshold}, all must be members`,
    });
  }
}

function quarantineSticky(prev: State, body: RecordBody, out: Violation[]): void {
  if (prev.policy.quarantined && !QUARANTINE_ALLOWED.has(body.transition)) {
    out.push({ invariant: 'quarantine_sticky', detail: `${body.transition} accepted while QUARANTINED` });
  }
}

function gatedPhasesInWindow(prev: State, next: State, body: RecordBody, out: Violation[]): void {
  const phase = next.execution.phase;
  if ((phase !== 'REVIEW' && phase !== 'REVERB') || phase === prev.execution.phase) return;
  const hlc = parseHlc(body.hlc);
  const cls = phase === 'REVIEW' ? 'review' : 'reverb';
  if (!hlc || !checkWindow(next.execution.backbeat, [cls], hlc.wall_ms).open) {
    out.push({ invariant: 'window', detail: `${phase} entered at ${body.hlc} outside the ${cls} window` });
  }
}

/**
 * Routes are always modes, obey the order rule, move by at most one step and only on a
 * migration transition, which always changes the migration region (so epoch.migration
 * advances exactly on migration transitions).
 */
function migrationRoutes(prev: State, next: State, body: RecordBody, out: Violation[]): void {
  const routes = next.migration.routes;
  const bad = MIGRATION_ORDER.filter((r) => !ROUTE_MODES.includes(routes[r]));
  if (bad.length > 0)
    out.push({
      invariant: 'migration_routes',
      detail: `not a route mode: ${bad.map((r) => `${r} ${JSON.stringify(routes[r])}`).join(', ')}`,
    });
  const order = routeOrderProblem(routes);
  if (order !== null) out.push({ invariant: 'migration_order', detail: order });
  const moved = MIGRATION_ORDER.filter((r) => routes[r] !== prev.migration.routes[r]);
  const steps = moved.map((r) => Math.abs(ROUTE_MODES.indexOf(routes[r]) - ROUTE_MODES.indexOf(prev.migration.routes[r])));
  if (moved.length > 1 || steps.some((n) => n !== 1)) {
    out.push({
      invariant: 'migration_step',
      detail: `${body.transition} moved [${moved.join(', ')}] by [${steps.join(', ')}] steps; one region, one step at a time`,
    });
  }
  const changed = regionChanged(prev, next, 'migration');
  if (changed !== MIGRATION_TRANSITIONS.has(body.transition)) {
    out.push({ invariant: 'migration_epoch', detail: `${body.transition} ${changed ? 'changed' : 'left'} the migration region` });
  }
}
