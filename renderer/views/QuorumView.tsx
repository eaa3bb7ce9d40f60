// Council quorum certificates: every Council_QuorumCert in the WAL (scanned backwards from
// HEAD in bounded pages), and for the selected one its members, threshold, each vote with
// its signature verified here in the console (core's noble verifier, not the host's
// word), the member-set hash recomputed, and who has not voted.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useCursor } from '../state/cursor';
import { describeError, type WalRecord } from '../api/ConsoleApi';
import { Chip, Empty, HashText, Kv, Mark, Panel } from '../components/ui';
import { nobleVerifier } from '../../core/crypto';
import type { State } from '../../core/state';
import { formatInt, shortHlc, signerName } from '../lib/format';
import { certRecords, checkCert } from '../lib/quorum';
import { useConsole, useLive } from '../state/context';

const PAGE = 500;
/** Records scanned per "scan" (initially and per "scan further"): bounded work per click. */
const SCAN_BUDGET = 20_000;
const CERTS_MAX = 200;

interface Scan {
  certs: WalRecord[];
  /** Indexes scanned so far (null before the first scan). */
  low: number | null;
  high: number | null;
  busy: boolean;
  error: string | null;
}

/** The next range to scan: the newest SCAN_BUDGET records first, then new records at HEAD, or older ones on request. */
function nextRange(s: Scan, kind: 'tail' | 'further', head: number): [number, number] {
  if (s.low === null || s.high === null) return [Math.max(1, head - SCAN_BUDGET + 1), head];
  return kind === 'tail' ? [s.high + 1, head] : [Math.max(1, s.low - SCAN_BUDGET), s.low - 1];
}

function useCertScan(headIndex: number) {
  const { api } = useConsole();
  const [scan, setScan] = useState<Scan>({ certs: [], low: null, high: null, busy: false, error: null });
  const ref = useRef(scan);
  ref.current = scan;
  const running = useRef(false);
  const pending = useRef(false);

  const scanRange = useCallback(
    async (from: number, to: number): Promise<WalRecord[]> => {
      const found: WalRecord[] = [];
      // Newest pages first, so the current certificate shows up before the scan ends.
      for (let end = to; end >= from; end -= PAGE) {
        const start = Math.max(from, end - PAGE + 1);
        const page = await api.getWal(start, end - start + 1);
        found.push(...certRecords(page.records));
      }
      return found;
    },
    [api],
  );

  const run = useCallback(
    async (kind: 'tail' | 'further', head: number) => {
      if (running.current) {
        // A HEAD that moves during a scan is picked up when it ends.
        if (kind === 'tail') pending.current = true;
        return;
      }
      const [from, to] = nextRange(ref.current, kind, head);
      if (to < from) return;
      running.current = true;
      setScan((x) => ({ ...x, busy: true, error: null }));
      try {
        const found = await scanRange(from, to);
        setScan((x) => ({
          certs: certRecords([...x.certs, ...found]).slice(0, CERTS_MAX),
          low: Math.min(x.low ?? from, from),
          high: Math.max(x.high ?? to, to),
          busy: false,
          error: null,
        }));
      } catch (err) {
        setScan((x) => ({ ...x, busy: false, error: describeError(err) }));
      } finally {
        running.current = false;
      }
    },
    [scanRange],
  );

  useEffect(() => {
    if (headIndex < 1) return;
    void run('tail', headIndex);
  }, [headIndex, run]);

  useEffect(() => {
    if (!scan.busy && pending.current) {
      pending.current = false;
      void run('tail', headIndex);
    }
  }, [scan.busy, headIndex, run]);

  return { scan, further: () => void run('further', headIndex) };
}

function VotesTable({ check, state }: { check: ReturnType<typeof checkCert>; state: State | null }) {
  return (
    <table className="table votes-table" data-testid="quorum-votes">
      <thead>
        <tr>
          <th title="Ed25519 signature verified in this console">Sig</th>
          <th>Voter</th>
          <th>Member</th>
          <th>Set hash</th>
          <th>Epoch</th>
          <th>Counted</th>
        </tr>
      </thead>
      <tbody>
        {check.votes.map((v) => (
          <tr key={v.index} className={v.counted ? undefined : 'is-bad'} data-testid="quorum-vote">
            <td>
              <Mark ok={v.signature_ok} title={v.signature_ok ? 'signature verifies (SWOOSH-VOTE-V1)' : 'signature does not verify'} />
            </td>
            <td>
              <b>{signerName(state, v.voter)}</b>{' '}
              <span className="muted mono" title={v.voter}>
                {v.voter.slice(13, 23)}…
              </span>
            </td>
            <td>
              <Mark
                ok={v.member && !v.duplicate}
                title={v.duplicate ? 'duplicate voter' : v.member ? 'a proposed member' : 'not a proposed member'}
              />
              {v.duplicate && <span className="muted"> dup</span>}
            </td>
            <td>
              <Mark ok={v.hash_match} title={`cast over ${v.member_set_hash}`} />
            </td>
            <td>
              <Mark
                ok={v.epoch_match}
                title={v.epoch_match === null ? 'epoch before this record unknown' : `council epoch ${v.council_epoch}`}
              />{' '}
              <span className="mono muted">{v.council_epoch ?? '?'}</span>
            </td>
            <td>{v.counted ? <Chip tone="ok">counted</Chip> : <Chip tone="danger">not counted</Chip>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CertDetail({ record, head }: { record: WalRecord; head: { index: number; state: State } }) {
  const { live } = useConsole();
  const [pre, setPre] = useState<State | null>(null);
  useEffect(() => {
    let stale = false;
    setPre(null);
    live.loader.stateAt(record.index - 1, head.index).then(
      (s) => !stale && setPre(s.state),
      () => !stale && setPre(null),
    );
    return () => {
      stale = true;
    };
  }, [live, record.index, head.index]);

  const state = head.state;
  const threshold = pre?.council.threshold ?? state.council.threshold;
  const check = useMemo(
    () => checkCert(record.proposal.inputs, threshold, pre ? pre.epoch.council : null, nobleVerifier),
    [record, threshold, pre],
  );
  const current = state.council.member_set_hash === check.computed_hash && state.council.quorum_cert !== null;
  const guard = record.guard_outcomes.find((g) => g.guard === 'quorum');

  return (
    <div className="quorum-detail">
      <Panel
        title={
          <span>
            Certificate <span className="mono">#{formatInt(record.index)}</span>
          </span>
        }
        extra={
          <>
            {current ? <Chip tone="accent">current council</Chip> : <Chip>superseded</Chip>}{' '}
            {check.passes ? (
              <Chip tone="ok">
                {check.counted}/{check.threshold} valid votes
              </Chip>
            ) : (
              <Chip tone="danger">
                {check.counted}/{check.threshold} valid votes
              </Chip>
            )}
          </>
        }
        testId="quorum-cert"
      >
        <Kv
          rows={[
            ['Proposed by', <span title={record.signer}>{signerName(state, record.signer)}</span>],
            [
              'HLC',
              <span className="mono" title={record.hlc}>
                {shortHlc(record.hlc)}
              </span>,
            ],
            ['Council epoch', <span className="mono">{pre ? pre.epoch.council : '…'}</span>],
            ['Threshold', <b>{check.threshold}</b>],
            ['Members', <span>{check.members.length}</span>],
            ['Claimed set hash', <HashText value={check.claimed_hash} />],
            [
              'H(sorted members)',
              <span data-testid="quorum-hash-match">
                <Mark
                  ok={check.hash_match}
                  title={check.hash_match ? 'recomputed here; equals the claimed hash' : 'recomputed here; differs from the claimed hash'}
                />{' '}
                <HashText value={check.computed_hash} /> <span className="muted">{check.hash_match ? 'matches' : 'MISMATCH'}</span>
              </span>,
            ],
            [
              'Host guard',
              guard ? (
                <span>
                  <Mark ok={guard.ok} /> <span className="muted">{guard.reasons.join('; ')}</span>
                </span>
              ) : (
                '—'
              ),
            ],
          ]}
        />
      </Panel>
      <Panel title="Votes" extra={<span className="count">{check.votes.length}</span>}>
        {check.votes.length === 0 ? <Empty>No votes.</Empty> : <VotesTable check={check} state={state} />}
      </Panel>
      <div className="quorum-pair">
        <Panel title="Members" extra={<span className="count">{check.members.length}</span>}>
          <ul className="member-list">
            {check.members.map((m) => {
              const voted = !check.not_voted.includes(m);
              return (
                <li key={m}>
                  <Mark ok={voted} title={voted ? 'voted (counted)' : 'no counted vote'} /> <b>{signerName(state, m)}</b>{' '}
                  <span className="muted mono" title={m}>
                    {m.slice(13, 29)}…
                  </span>
                </li>
              );
            })}
          </ul>
        </Panel>
        <Panel title="Not voted" extra={<span className="count">{check.not_voted.length}</span>} testId="quorum-not-voted">
          {check.not_voted.length === 0 ? (
            <Empty>Every member voted.</Empty>
          ) : (
            <ul className="member-list">
              {check.not_voted.map((m) => (
                <li key={m}>
                  <b>{signerName(state, m)}</b>{' '}
                  <span className="muted mono" title={m}>
                    {m.slice(13, 29)}…
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
    </div>
  );
}

export function QuorumView() {
  const cursor = useCursor();
  const live = useLive();
  const headIndex = live.head?.index ?? 0;
  const { scan, further } = useCertScan(headIndex);
  const [selected, setSelected] = useState<number | null>(null);
  const state = live.head?.state ?? null;
  const record = scan.certs.find((r) => r.index === selected) ?? scan.certs[0] ?? null;
  const council = state?.council;

  return (
    <div className="view view-quorum">
      <div className="view-head">
        <h1>Quorum certificates</h1>
        <span className="view-sub">Council votes, each signature verified in this console</span>
        <div className="view-tools">
          {scan.low !== null && scan.high !== null && (
            <span className="muted">
              scanned{' '}
              <span className="mono">
                #{formatInt(scan.low)}–#{formatInt(scan.high)}
              </span>
            </span>
          )}
          <button type="button" className="tbtn" onClick={further} disabled={scan.busy || scan.low === null || scan.low <= 1}>
            {scan.busy ? 'Scanning…' : scan.low !== null && scan.low <= 1 ? 'Whole WAL scanned' : 'Scan further back'}
          </button>
        </div>
      </div>
      {scan.error && <div className="inline-error">WAL: {scan.error}</div>}
      <div className="quorum-grid">
        <div className="quorum-side">
          <Panel title="Council now">
            {council ? (
              <Kv
                rows={[
                  ['Phase', <b>{council.phase}</b>],
                  ['Threshold', <b>{council.threshold}</b>],
                  ['Members', <span>{council.members.map((m) => signerName(state, m)).join(', ') || '—'}</span>],
                  ['Set hash', <HashText value={council.member_set_hash} />],
                  [
                    'Certificate',
                    council.quorum_cert ? (
                      <span>
                        {council.quorum_cert.voters.length} voters · epoch {council.quorum_cert.council_epoch}
                      </span>
                    ) : (
                      <span className="muted">none</span>
                    ),
                  ],
                  [
                    'Ejected',
                    <span>{council.ejected.length === 0 ? '—' : council.ejected.map((m) => signerName(state, m)).join(', ')}</span>,
                  ],
                ]}
              />
            ) : (
              <Empty>Loading…</Empty>
            )}
          </Panel>
          <Panel title="Certificates" extra={<span className="count">{scan.certs.length}</span>} className="cert-list-panel">
            {scan.certs.length === 0 ? (
              <Empty>{scan.busy ? 'Scanning the WAL…' : 'No Council_QuorumCert in the scanned records.'}</Empty>
            ) : (
              <ul className="cert-list" role="listbox" aria-label="Quorum certificates">
                {scan.certs.map((r) => {
                  const votes = Array.isArray((r.proposal.inputs as { votes?: unknown }).votes)
                    ? (r.proposal.inputs as { votes: unknown[] }).votes.length
                    : 0;
                  const isSel = r.index === record?.index;
                  return (
                    <li key={r.index}>
                      <button
                        type="button"
                        role="option"
                        aria-selected={isSel}
                        className={`cert-item${isSel ? ' is-selected' : ''}`}
                        onClick={() => setSelected(r.index)}
                        data-testid="quorum-cert-item"
                      >
                        <span className="mono">#{formatInt(r.index)}</span>
                        <span className="muted mono">{shortHlc(r.hlc).slice(11)}</span>
                        <span className="muted">{votes} votes</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </Panel>
          {cursor.index !== null && (
            <p className="footnote">The certificates are the WAL's; the time-travel cursor does not filter them.</p>
          )}
        </div>
        {record && live.head ? (
          <CertDetail record={record} head={{ index: live.head.index, state: live.head.state }} />
        ) : (
          <Empty>{scan.busy ? 'Scanning…' : 'No certificate to show yet: the council has not been elected in the scanned records.'}</Empty>
        )}
      </div>
    </div>
  );
}
