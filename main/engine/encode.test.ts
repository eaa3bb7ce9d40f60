import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/canonical';
import { proposalSigningBytes } from '../../core/crypto';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Proposal, WalRecord } from '../../core/types';
import { loadMachine } from '../machine';
import { proposalHashOf, recordBodyText } from '../store/store';
import { encodeProposal, recordText } from './encode';

const spec = loadMachine();

/** Proposals of a lifecycle with awkward text in them (astral, BMP above U+E000, escapes). */
function proposals(): Proposal[] {
  const sc = new Scenario(spec);
  const out = recordSubmissions(sc);
  sc.toExecution();
  sc.step('Control_Pause', { reason: 'tab\t quote" back\\ astral 𝄞 private \uE000 nul \u0000 é' }, sc.operator);
  sc.step('Control_Resume', { reason: '\u2028 line sep, ﬀ ligature' }, sc.operator);
  return out;
}

describe('encodeProposal / recordText (computed once per proposal)', () => {
  const all = proposals();

  it('give exactly canonicalize, proposalSigningBytes and proposalHashOf for every proposal', () => {
    expect(all.length).toBeGreaterThan(10);
    for (const p of all) {
      const e = encodeProposal(p);
      expect(e.text).toBe(canonicalize(p));
      expect(e.hash).toBe(proposalHashOf(p));
      expect(Buffer.from(e.signing_text, 'utf8').equals(Buffer.from(proposalSigningBytes(p)))).toBe(true);
    }
  });

  it('recordText with the proposal text equals recordBodyText of the whole record', () => {
    for (const [i, p] of all.entries()) {
      const record: Omit<WalRecord, 'record_hash'> = {
        state_pre_hash: `sha256-${'1'.repeat(64)}`,
        transition: p.transition,
        proposal: p,
        inputs_hash: p.inputs_hash,
        signer: p.signer,
        idem_key: p.idem_key,
        hlc: p.hlc,
        window_id: p.window_id,
        guard_outcomes: [{ guard: 'g', ok: true, reasons: ['𝄞 \uE000'] }],
        evidence: p.evidence,
        state_post_hash: `sha256-${'2'.repeat(64)}`,
        index: i + 1,
        prev_record_hash: `sha256-${'3'.repeat(64)}`,
        accepted_at_ms: 1_700_000_000_000 + i,
      };
      expect(recordText(record, encodeProposal(p).text)).toBe(recordBodyText(record));
      expect(recordText({ ...record, record_hash: 'x' } as Omit<WalRecord, 'record_hash'>, encodeProposal(p).text)).toBe(
        recordBodyText(record),
      );
    }
  });
});
