// Pure engines behind the Timeline filters, repro export, What-if sandbox and Metrics:
// Prometheus parsing and rates, bounded WAL/rejection scans, repro files replayed through
// core's reduce with real signatures, and the sandbox's outcomes and signature modes.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { nobleVerifier, type Verifier } from '../../core/crypto';
import { H } from '../../core/hash';
import { reduce } from '../../core/reduce';
import { nobleSigner, proposalSigningBytes } from '../../core/crypto';
import { testKey } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import type { Proposal, WalRecord } from '../../core/types';
import type { RejectionRow } from '../api/ConsoleApi';
import { counterRate, increaseBy, parseProm, parseSampleLine, pointBetween, Ring, sumBy, total } from './prom';
import { buildRepro, replayRepro, REPRO_FORMAT, type ReproFile } from '../../core/repro';
import { draftProposal, moveStep, runSandbox, stepsFromWal, trustingVerifier, type SandboxStep } from './sandbox';
import { specFromYaml } from './spec';
import { compileFilter, matchableRecord, matchableRejection, NO_FILTER, RejectionScan, WalScan } from './walFilter';

const loaded = specFromYaml(yamlText);
if (!loaded.ok) throw new Error(loaded.error);
const spec = loaded.spec;

/** A scripted history as the host would store it: WAL records with a real hash chain. */
function history(loops = 1) {
  const sc = new Scenario(spec);
  const states = [{ index: 0, hash: sc.head.hash, hlc: null as string | null, state: sc.head.state }];
  sc.toExecution();
  for (let i = 0; i < loops; i += 1) sc.reverbLoop();
  const replay = new Scenario(spec);
  let prev = states[0]?.hash as string;
  const records: WalRecord[] = sc.records.map((body, i) => {
    const res = replay.submit(body.proposal);
    if (!res.ok) throw new Error('replay failed');
    states.push({ index: i + 1, hash: res.hash, hlc: res.state.hlc_last, state: res.state });
    const rec = { ...body, index: i + 1, prev_record_hash: prev, accepted_at_ms: 1000 + i };
    const record_hash = H(rec);
    prev = record_hash;
    return { ...rec, record_hash };
  });
  return { sc, states, records };
}

describe('prom', () => {
  const text = [
    '# HELP swoosh_transition_total Accepted transitions',
    '# TYPE swoosh_transition_total counter',
    'swoosh_transition_total{transition="Boot_ConfigOk"} 1',
    'swoosh_transition_total{transition="Execution_Approve"} 4',
    'swoosh_guard_fail_total{guard="quorum"} 2',
    'swoosh_guard_fail_total{guard="window",extra="a\\"b,c}"} 3',
    'swoosh_wal_lag_records 7 1700000000000',
    'swoosh_state_advance_latency_seconds_bucket{le="+Inf",region="boot"} 2',
    'not a sample line',
    '',
  ].join('\n');

  it('parses samples, escaped labels, timestamps and +Inf, and counts bad lines', () => {
    const s = parseProm(text, 1000);
    expect(s.samples).toHaveLength(6);
    expect(s.bad_lines).toBe(1);
    expect(total(s, 'swoosh_transition_total')).toBe(5);
    expect(total(s, 'swoosh_wal_lag_records')).toBe(7);
    expect(sumBy(s, 'swoosh_guard_fail_total', 'guard')).toEqual(
      new Map([
        ['quorum', 2],
        ['window', 3],
      ]),
    );
    expect(parseSampleLine('swoosh_guard_fail_total{guard="window",extra="a\\"b,c}"} 3')?.labels.extra).toBe('a"b,c}');
    expect(parseSampleLine('x{le="+Inf"} +Inf')?.value).toBe(Infinity);
    expect(parseSampleLine('x{a="b"')).toBeNull();
    expect(parseSampleLine('x 12abc')).toBeNull();
  });

  it('computes rates across scrapes and treats a drop as a counter reset', () => {
    expect(counterRate(10, 30, 2000)).toBe(10);
    expect(counterRate(30, 6, 1000)).toBe(6);
    expect(counterRate(1, 2, 0)).toBe(0);
    const a = parseProm('swoosh_transition_total{transition="a"} 10\nswoosh_guard_fail_total{guard="quorum"} 1', 0);
    const b = parseProm(
      'swoosh_transition_total{transition="a"} 16\nswoosh_guard_fail_total{guard="quorum"} 4\nswoosh_guard_fail_total{guard="mcp"} 2\nswoosh_quarantine_total 1',
      2000,
    );
    expect(increaseBy(a, b, 'swoosh_guard_fail_total', 'guard')).toEqual(
      new Map([
        ['quorum', 3],
        ['mcp', 2],
      ]),
    );
    const p = pointBetween(a, b);
    expect(p.transitions_per_s).toBe(3);
    expect(p.guard_fail).toEqual({ quorum: 3, mcp: 2 });
    expect(p.quarantine_total).toBe(1);
  });

  it('keeps a bounded ring of samples, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i += 1) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
    expect(r.last()).toBe(5);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe('WAL filters and scans', () => {
  const { records } = history(2);
  const name = (s: string) => (s === records[0]?.signer ? 'op-1' : 'agent-1');
  const PAGE = 5;
  const pages = (p: number) => Promise.resolve(records.slice(p * PAGE, (p + 1) * PAGE));

  it('filters by transition, region, signer and regex, and reports a bad regex', () => {
    const f = compileFilter({ ...NO_FILTER, region: 'Execution', regex: 'approve' });
    if (!f.ok) throw new Error(f.error);
    const hit = records.filter((r) => f.test(matchableRecord(r, name)));
    expect(hit.length).toBeGreaterThan(0);
    expect(hit.every((r) => r.transition === 'Execution_Approve')).toBe(true);
    const op = compileFilter({ ...NO_FILTER, signer: records[0]?.signer as string });
    if (!op.ok) throw new Error(op.error);
    expect(records.filter((r) => op.test(matchableRecord(r, name))).every((r) => r.signer === records[0]?.signer)).toBe(true);
    const bad = compileFilter({ ...NO_FILTER, regex: '(' });
    expect(bad.ok).toBe(false);
  });

  it('scans backwards within a budget, says what it scanned, and continues', async () => {
    const head = records.length;
    const f = compileFilter({ ...NO_FILTER, transition: 'Execution_Approve' });
    if (!f.ok) throw new Error(f.error);
    const scan = new WalScan(
      head,
      PAGE,
      (p) => pages(p),
      (r) => f.test(matchableRecord(r, name)),
    );
    await scan.older(7, head, { aborted: false });
    const v1 = scan.view();
    expect(v1.scanned).toBe(7);
    expect([v1.lo, v1.hi]).toEqual([head - 6, head]);
    const expected1 = records.filter((r) => r.index >= v1.lo && r.transition === 'Execution_Approve').map((r) => r.index);
    expect(v1.matches.map((m) => m.index)).toEqual(expected1);
    expect(v1.exhausted).toBe(false);
    await scan.older(1000, head, { aborted: false });
    const v2 = scan.view();
    expect(v2.exhausted).toBe(true);
    expect(v2.scanned).toBe(head);
    expect(v2.matches.map((m) => m.index)).toEqual(records.filter((r) => r.transition === 'Execution_Approve').map((r) => r.index));
  });

  it('catches up on records appended after the scan started', async () => {
    const all = records.length;
    const scan = new WalScan(
      all - 6,
      PAGE,
      (p) => pages(p),
      () => true,
    );
    await scan.older(3, all - 6, { aborted: false });
    const remaining = await scan.newer(all, 4, { aborted: false });
    expect(remaining).toBe(2);
    expect(scan.view().hi).toBe(all - 2);
    expect(await scan.newer(all, 100, { aborted: false })).toBe(0);
    expect(scan.view().matches.map((m) => m.index)).toEqual([all - 8, all - 7, all - 6, all - 5, all - 4, all - 3, all - 2, all - 1, all]);
  });

  it('stops between pages when aborted', async () => {
    const abort = { aborted: false };
    const scan = new WalScan(
      records.length,
      PAGE,
      (p) => pages(p),
      () => true,
    );
    await scan.older(100, records.length, abort, () => {
      abort.aborted = true;
    });
    expect(scan.view().scanned).toBeLessThanOrEqual(PAGE);
  });

  it('scans the rejections log forwards with the same filter', async () => {
    const rows: RejectionRow[] = Array.from({ length: 23 }, (_, i) => ({
      id: i,
      at_ms: i,
      head_index: i,
      idem_key: `k${i}`,
      transition: i % 2 ? 'Execution_Approve' : 'Council_QuorumCert',
      signer: 's',
      hlc: null,
      code: i % 3 ? 'guard_failed' : 'wrong_window',
      guard: i % 3 ? 'quorum' : null,
      reason: `r${i}`,
      reasons: [],
      proposal: { big: true },
    }));
    const f = compileFilter({ ...NO_FILTER, rejectedOnly: true, regex: 'wrong_window' });
    if (!f.ok) throw new Error(f.error);
    const scan = new RejectionScan(
      async (from, limit) => rows.filter((r) => r.id >= from).slice(0, limit),
      (r) => f.test(matchableRejection(r, () => 'x')),
      10,
    );
    await scan.more(15, { aborted: false });
    expect(scan.view().scanned).toBe(15);
    expect(scan.view().exhausted).toBe(false);
    await scan.more(100, { aborted: false });
    const v = scan.view();
    expect(v.scanned).toBe(23);
    expect(v.exhausted).toBe(true);
    expect(v.matches.map((m) => m.id)).toEqual(rows.filter((r) => r.code === 'wrong_window').map((r) => r.id));
    expect('proposal' in (v.matches[0] as object)).toBe(false);
  });
});

describe('repro files', () => {
  const { states, records } = history(1);

  it('exports a slice that replays through core reduce, signatures verified, to the recorded hashes', () => {
    const from = 6;
    const to = records.length;
    const start = states[from - 1];
    if (!start) throw new Error('no start');
    const built = buildRepro(start, records.slice(from - 1, to));
    if (!built.ok) throw new Error(built.error);
    // Through JSON, as a file on disk would be.
    const file = JSON.parse(JSON.stringify(built.file)) as ReproFile;
    expect(file.format).toBe(REPRO_FORMAT);
    expect(file.start.state_hash).toBe(states[from - 1]?.hash);
    expect(file.expected.map((e) => e.state_post_hash)).toEqual(states.slice(from).map((s) => s.hash));
    expect(replayRepro(file, { spec, verifier: nobleVerifier })).toEqual({
      ok: true,
      replayed: to - from + 1,
      end: { index: to, state_hash: states[to]?.hash },
    });
    // An independent loop over core reduce agrees record by record.
    let head = { state: file.start.state, hash: file.start.state_hash };
    for (const [i, r] of file.records.entries()) {
      const out = reduce(head, r.proposal, { spec, verifier: nobleVerifier });
      if (!out.ok) throw new Error(out.rejection.reason);
      expect(out.hash).toBe(file.expected[i]?.state_post_hash);
      head = { state: out.state, hash: out.hash };
    }
  });

  it('refuses a broken slice and reports the first difference on replay', () => {
    const start = states[3];
    if (!start) throw new Error('no start');
    expect(buildRepro(start, [records[3] as WalRecord, records[5] as WalRecord]).ok).toBe(false);
    expect(buildRepro(start, []).ok).toBe(false);
    const built = buildRepro(start, records.slice(3, 8));
    if (!built.ok) throw new Error(built.error);
    const tampered = JSON.parse(JSON.stringify(built.file)) as ReproFile;
    (tampered.expected[2] as { state_post_hash: string }).state_post_hash = H({ other: 1 });
    expect(replayRepro(tampered, { spec, verifier: nobleVerifier })).toMatchObject({ ok: false, index: 6, code: 'hash_mismatch' });
    const forged = JSON.parse(JSON.stringify(built.file)) as ReproFile;
    const p = (forged.records[1] as WalRecord).proposal;
    p.signature = `${p.signature.slice(0, -2)}AA`;
    expect(replayRepro(forged, { spec, verifier: nobleVerifier })).toMatchObject({ ok: false, index: 5, code: 'rejected' });
    expect(replayRepro({ format: 'nope' }, { spec, verifier: nobleVerifier })).toMatchObject({ ok: false, code: 'bad_file' });
    const wrongStart = JSON.parse(JSON.stringify(built.file)) as ReproFile;
    wrongStart.start.state.hlc_last = null;
    expect(replayRepro(wrongStart, { spec, verifier: nobleVerifier })).toMatchObject({ ok: false, code: 'start_hash' });
  });
});

describe('what-if sandbox', () => {
  const { sc, states, records } = history(1);
  const liveHashAt = (i: number) => states[i]?.hash ?? null;
  const fork = 2; // licensed; the next 8 records are ingestion, council and environment steps
  const base = { index: fork, hash: states[fork]?.hash as string, state: states[fork]?.state as never };
  const walSteps = () => stepsFromWal(records.slice(fork, fork + 8));

  it('replays the WAL unchanged: every step verified and identical to live', async () => {
    const run = await runSandbox(base, walSteps(), { spec, rebase: true, liveHashAt });
    expect(run.accepted).toBe(8);
    expect(run.divergence).toBeNull();
    expect(run.head_same_as_live).toBe(true);
    expect(run.outcomes.every((o) => o.signature === 'verified' && o.same_as_live === true && !o.rebased)).toBe(true);
  });

  it('skipping a step rejects the next one with its code and marks the divergence', async () => {
    const steps = walSteps();
    (steps[1] as SandboxStep).skip = true;
    const plain = await runSandbox(base, steps, { spec, rebase: false, liveHashAt });
    expect(plain.outcomes[1]?.result).toBe('skipped');
    expect(plain.outcomes[2]).toMatchObject({ result: 'rejected', code: 'stale_state_hash' });
    const rebased = await runSandbox(base, steps, { spec, rebase: true, liveHashAt });
    const after = rebased.outcomes[2];
    expect(after?.rebased).toBe(true);
    expect(after?.signature).toBe('trusted');
    expect(after?.signature_note).toMatch(/not checked/);
    // Ingestion is still in FETCH: the rebased SchemaOk is judged and refused by the statechart.
    expect(after).toMatchObject({ result: 'rejected', code: 'invalid_from_state' });
    expect(rebased.divergence?.index).toBe(fork + 2);
    expect(rebased.head_same_as_live).toBe(false);
  });

  it('reordering past an HLC answers hlc_regression', async () => {
    // Council_ProfilesLoaded (step 4) first: accepted; the earlier-stamped ingestion step then regresses.
    const steps = moveStep(walSteps(), 4, -4);
    expect(steps[0]?.id).toBe(`w${fork + 5}`);
    const run = await runSandbox(base, steps, { spec, rebase: true, liveHashAt });
    expect(run.outcomes[0]).toMatchObject({
      result: 'accepted',
      index: fork + 1,
      same_as_live: false,
      rebased: true,
      signature: 'trusted',
    });
    expect(run.outcomes[1]).toMatchObject({ result: 'rejected', code: 'hlc_regression' });
    expect(run.divergence?.index).toBe(fork + 1);
  });

  it('a tampered WAL proposal fails bad_signature; a trusted one still has its fact signatures verified', async () => {
    const steps = walSteps();
    const s0 = steps[0] as SandboxStep;
    s0.proposal = { ...s0.proposal, signature: `${s0.proposal.signature.slice(0, -2)}AA` };
    const run = await runSandbox(base, steps, { spec, rebase: true, liveHashAt });
    expect(run.outcomes[0]).toMatchObject({ result: 'rejected', code: 'bad_signature', signature: 'verified' });
    const quorum = records.find((r) => r.transition === 'Council_QuorumCert') as WalRecord;
    const votes = (quorum.proposal.inputs.votes as Array<{ signature: string }>).map((v) => ({
      ...v,
      signature: `${v.signature.slice(0, -2)}AA`,
    }));
    const p = { ...quorum.proposal, inputs: { ...quorum.proposal.inputs, votes } } as Proposal;
    const v = trustingVerifier(p, nobleVerifier);
    expect(v.verify(p.signer, proposalSigningBytes(p), 'garbage')).toBe(true);
    const qIndex = quorum.index - 1;
    const qBase = { index: qIndex, hash: states[qIndex]?.hash as string, state: states[qIndex]?.state as never };
    const added: SandboxStep = { id: 'a1', origin: 'edited', wal_index: quorum.index, proposal: p, skip: false };
    const out = await runSandbox(qBase, [added], { spec, rebase: true, liveHashAt });
    expect(out.outcomes[0]).toMatchObject({ result: 'rejected', code: 'guard_failed', guard: 'quorum', signature: 'trusted' });
  });

  it('signs added steps with an operator key when one is given, and models the idem index', async () => {
    const op = sc.operator;
    const counting: Verifier & { n: number } = {
      n: 0,
      verify(s, m, sig) {
        this.n += 1;
        return nobleVerifier.verify(s, m, sig);
      },
    };
    const steps = walSteps();
    const pauseStep = records[fork + 7] as WalRecord;
    const hlc = pauseStep.hlc.replace(/#\d+$/, '#999');
    const added: SandboxStep = {
      id: 'a1',
      origin: 'added',
      wal_index: null,
      skip: false,
      proposal: {
        ...pauseStep.proposal,
        transition: 'Control_Pause',
        inputs: { reason: 'what if' },
        inputs_hash: 'sha256-stale',
        signer: 'x',
        idem_key: 'sandbox:pause',
        hlc,
        window_id: null,
        signature: '',
      },
    };
    const key = {
      signer: op.signer,
      label: 'op-1',
      sign: async (u: Omit<Proposal, 'signature'>) => ({ ...u, signature: op.sign(proposalSigningBytes(u)) }),
    };
    const run = await runSandbox(base, [...steps, added, { ...added, id: 'a2' }], {
      spec,
      rebase: true,
      liveHashAt,
      sign: key,
      verifier: counting,
    });
    const o = run.outcomes[8];
    expect(o).toMatchObject({ result: 'accepted', signature: 'signed' });
    expect(o?.judged?.signer).toBe(op.signer);
    expect(o?.judged?.inputs_hash).toBe(H({ reason: 'what if' }));
    expect(o?.state?.control.paused).toBe(true);
    expect(run.outcomes[9]).toMatchObject({ result: 'duplicate', code: 'duplicate' });
    expect(counting.n).toBeGreaterThanOrEqual(9);
    // A stranger's key is verified for real and refused as unknown_signer.
    const stranger = nobleSigner(testKey('nobody').secret);
    const strangerKey = {
      signer: stranger.signer,
      label: 'nobody',
      sign: async (u: Omit<Proposal, 'signature'>) => ({ ...u, signature: stranger.sign(proposalSigningBytes(u)) }),
    };
    const refused = await runSandbox(base, [added], { spec, rebase: true, liveHashAt, sign: strangerKey });
    expect(refused.outcomes[0]).toMatchObject({ result: 'rejected', code: 'unknown_signer' });
  });
});

describe('sandbox drafts', () => {
  it('stamps the next HLC tick, the window of gated transitions and H(inputs)', () => {
    const sc = new Scenario(spec);
    const schedule = sc.state.execution.backbeat;
    const p = draftProposal({
      spec,
      schedule,
      transition: 'Execution_Approve',
      signer: 's',
      inputs: { note: 'x' },
      afterHlc: '2026-01-01T00:00:05.000+00:00#4',
      idem_key: 'k',
    });
    expect(p.hlc).toBe('2026-01-01T00:00:05.000+00:00#5');
    expect(p.window_id).toBe(`backbeat:W-${Math.floor((Date.UTC(2026, 0, 1, 0, 0, 5) - schedule.epoch_ms) / schedule.period_ms)}`);
    expect(p.inputs_hash).toBe(H({ note: 'x' }));
    const q = draftProposal({
      spec,
      schedule,
      transition: 'Control_Pause',
      signer: 's',
      inputs: {},
      afterHlc: null,
      hlc: '2026-01-02T00:00:00.000+00:00#0',
      idem_key: 'k2',
    });
    expect(q.window_id).toBeNull();
    expect(q.hlc).toBe('2026-01-02T00:00:00.000+00:00#0');
  });
});
