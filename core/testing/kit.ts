// Deterministic fixtures for tests, conformance vectors, benchmarks, the chaos suite and
// the simulators: named Ed25519 keys derived from their names (never use these outside a
// test or a demo), a genesis, and builders for correctly signed proposals and facts.
// Pure like the rest of core: keys come from sha256 of a label, not from randomness.

import { H, sha256Hex } from '../hash';
import { utf8 } from '../canonical';
import {
  DOMAIN, nobleSigner, proposalSigningBytes, signDoc, type Signer,
} from '../crypto';
import { formatHlc, type Hlc } from '../hlc';
import { memberSetHash } from '../guards/quorum';
import { beatPosition, type Schedule } from '../window';
import type {
  Genesis, JsonObject, LicenseToken, McpReport, McpTool, Proposal, Role, SignerId, Vote,
} from '../types';

export interface NamedKey extends Signer {
  name: string;
  secret: Uint8Array;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A deterministic key for `name`: secret = sha256("swoosh-test-key\n" + name). */
export function testKey(name: string): NamedKey {
  const secret = hexToBytes(sha256Hex(utf8(`swoosh-test-key\n${name}`)));
  const s = nobleSigner(secret);
  return { name, secret, signer: s.signer, sign: (m) => s.sign(m) };
}

export interface Cast {
  operators: NamedKey[];
  agents: NamedKey[];
  council: NamedKey[];
  kaching: NamedKey;
  mcp: NamedKey;
  stranger: NamedKey;
}

export interface KitOptions {
  project?: string;
  operators?: number;
  agents?: number;
  council?: number;
  threshold?: number;
  /** BACKBEAT epoch (ms); defaults to 2026-01-01T00:00:00Z. */
  epoch_ms?: number;
  period_ms?: number;
  max_drift_ms?: number;
}

export const DEFAULT_EPOCH_MS = 1767225600000;

export function makeCast(opts: KitOptions = {}): Cast {
  const range = (n: number, prefix: string): NamedKey[] => Array.from({ length: n }, (_, i) => testKey(`${prefix}-${i + 1}`));
  return {
    operators: range(opts.operators ?? 2, 'op'),
    agents: range(opts.agents ?? 1, 'agent'),
    council: range(opts.council ?? 3, 'c'),
    kaching: testKey('kaching'),
    mcp: testKey('mcp'),
    stranger: testKey('stranger'),
  };
}

export function makeGenesis(cast: Cast, opts: KitOptions = {}): Genesis {
  const entry = (k: NamedKey, roles: Role[]) => ({ id: k.name, signer: k.signer, roles });
  return {
    project: opts.project ?? 'demo',
    signers: [
      ...cast.operators.map((k) => entry(k, ['operator'])),
      ...cast.agents.map((k) => entry(k, ['agent'])),
      ...cast.council.map((k) => entry(k, ['council'])),
    ],
    kaching: { signer: cast.kaching.signer },
    mcp: { signer: cast.mcp.signer, max_age_ms: 30000, pins: { search: '1.4.2', fetch: '2.0.0' } },
    policy: { version: 1, deny: ['secret', 'pii', 'license:gpl'] },
    quorum: { threshold: opts.threshold ?? 2 },
    backbeat: {
      epoch_ms: opts.epoch_ms ?? DEFAULT_EPOCH_MS,
      period_ms: opts.period_ms ?? 60000,
      windows: { review: [5000, 7500], reverb: [7500, 10000] },
    },
    max_drift_ms: opts.max_drift_ms ?? 1000,
  };
}

export interface ProposalDraft {
  state_hash: string;
  transition: string;
  inputs: JsonObject;
  by: Signer;
  hlc: Hlc | string;
  idem_key: string;
  /** Defaults to the window of the HLC for time-gated transitions, else null. */
  window_id?: string | null;
  evidence?: string[];
}

export function signProposal(d: ProposalDraft): Proposal {
  const hlc = typeof d.hlc === 'string' ? d.hlc : formatHlc(d.hlc);
  const unsigned = {
    current_state_hash: d.state_hash,
    transition: d.transition,
    inputs: d.inputs,
    inputs_hash: H(d.inputs),
    signer: d.by.signer,
    idem_key: d.idem_key,
    hlc,
    window_id: d.window_id ?? null,
    evidence: d.evidence ?? [],
    signature: '',
  };
  return { ...unsigned, signature: d.by.sign(proposalSigningBytes(unsigned)) };
}

export function licenseToken(kaching: Signer, t: Omit<LicenseToken, 'signature'>): LicenseToken {
  return signDoc(kaching, DOMAIN.license, t) as LicenseToken;
}

export function castVote(voter: Signer, member_set_hash: string, council_epoch: number): Vote {
  return signDoc(voter, DOMAIN.vote, { voter: voter.signer, member_set_hash, council_epoch }) as Vote;
}

export function mcpReport(mcp: Signer, registry: string, observed_ms: number, tools: McpTool[]): McpReport {
  return signDoc(mcp, DOMAIN.mcp, { registry, observed_ms, tools, signer: mcp.signer }) as McpReport;
}

/** Members (sorted), their hash and a full set of votes for the given council epoch. */
export function quorumInputs(members: readonly Signer[], council_epoch: number): JsonObject {
  const ids: SignerId[] = members.map((m) => m.signer);
  const setHash = memberSetHash(ids);
  return {
    members: [...ids].sort(),
    member_set_hash: setHash,
    votes: members.map((m) => castVote(m, setHash, council_epoch)) as unknown as JsonObject[],
  };
}

/** A wall time `offset_bp` basis points into beat `beat` of the schedule. */
export function wallAt(schedule: Schedule, beat: number, offset_bp: number): number {
  return schedule.epoch_ms + beat * schedule.period_ms + Math.floor((offset_bp * schedule.period_ms) / 10000);
}

export function windowIdAt(schedule: Schedule, wall_ms: number): string {
  return beatPosition(schedule, wall_ms).window_id;
}

/** A content hash for test data: H of a label. */
export function fakeHash(label: string): string {
  return H({ label });
}
