// BUBBLE decision records (docs/protocol.md §9): one per accepted transition, carrying the guard
// outcomes, hashes, evidence and a UCXL backlink to the WAL record it explains.

import { formatUcxl } from './ucxl';
import type { DecisionRecord, RecordBody } from './types';

/** Input fields that carry a human's or agent's own words, in the order they are quoted. */
const WORDS = ['justification', 'rationale', 'reason', 'note'] as const;

export function decisionUcxl(project: string, transition: string, index: number): string {
  return formatUcxl({
    agent: 'swoosh',
    role: 'orchestrator',
    project,
    task: transition,
    path: `wal/${index}`,
    temporal: { kind: 'latest' },
  });
}

/** Why the transition was accepted: the signer's words, then every guard's reasons. */
export function justification(body: RecordBody): string {
  const inputs = body.proposal.inputs as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of WORDS) {
    const v = inputs[key];
    if (typeof v === 'string' && v !== '') parts.push(`${key}: ${v}`);
  }
  for (const g of body.guard_outcomes) parts.push(`${g.guard} ${g.ok ? 'ok' : 'diverted'}: ${g.reasons.join('; ')}`);
  if (parts.length === 0) parts.push(`${body.transition} has no guards; accepted from an enabled state`);
  return parts.join(' | ');
}

export function decisionRecord(index: number, body: RecordBody, project: string): DecisionRecord {
  return {
    id: `bubble://dr/${index}`,
    transition: body.transition,
    signer: body.signer,
    state_pre_hash: body.state_pre_hash,
    state_post_hash: body.state_post_hash,
    inputs_hash: body.inputs_hash,
    hlc: body.hlc,
    window_id: body.window_id,
    guards: body.guard_outcomes,
    evidence: body.evidence,
    ucxl: decisionUcxl(project, body.transition, index),
    justification: justification(body),
  };
}
