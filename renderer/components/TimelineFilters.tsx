// Timeline filters and repro export (the Timeline view's lower half when a filter is on).
//
// Filtering never fetches the whole WAL: a scan reads pages newest-first from the shared
// page cache, SCAN_BUDGET records per run, shows its progress, and says how much it has
// looked at ("n matches in #a–#b"); "Scan further" continues it. Records appended while a
// filter is on are caught up in small steps. Rejected-only lists the rejections log
// (GET /rejections) in the same place, with the same filters.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Cursor } from '../state/cursor';
import { describeError, type RejectionRow, type WalRecord } from '../api/ConsoleApi';
import { nobleVerifier } from '../../core/crypto';
import { formatInt, regionOf, shortHlc, signerName } from '../lib/format';
import { buildRepro, replayRepro, REPRO_RECORDS_MAX, reproFileName, type ReproFile } from '../../core/repro';
import {
  compileFilter,
  filterActive,
  matchableRecord,
  matchableRejection,
  RejectionScan,
  WalScan,
  type Abort,
  type RejectionMatch,
  type ScanView,
  type WalFilter,
  type WalMatch,
} from '../lib/walFilter';
import { useConsole, useLive } from '../state/context';
import { PAGE_SIZE, pageOf } from '../state/frames';
import { Chip, Empty, Mark } from './ui';
import { VirtualRows, type ScrollRequest } from './VirtualRows';
import { WalHeader, WalRecordCells } from './WalCells';

/** Records read per scan run: 20 pages of the host's WAL API. */
export const SCAN_BUDGET = 10_000;
const REJECTION_BUDGET = 5_000;
/** New records at HEAD caught up automatically per refresh; beyond, the user is asked. */
const CATCHUP_MAX = 2_000;
const ROW_H = 24;
/** Records replayed (signatures verified) before an export is saved; larger slices are saved unchecked. */
const EXPORT_CHECK_MAX = 1_000;

type AnyView = { kind: 'wal'; view: ScanView<WalMatch> } | { kind: 'rejections'; view: ScanView<RejectionMatch> };

interface ScanState {
  result: AnyView | null;
  running: boolean;
  /** Records (or rows) read in the current run, for the progress bar. */
  runDone: number;
  runBudget: number;
  error: string | null;
  /** Records appended at HEAD that the scan has not read yet. */
  behind: number;
}

const IDLE: ScanState = { result: null, running: false, runDone: 0, runBudget: 0, error: null, behind: 0 };

/** Runs and continues a bounded scan for the current filter. */
function useFilterScan(filter: WalFilter) {
  const { api, live } = useConsole();
  const liveView = useLive();
  const head = liveView.head?.index ?? 0;
  const identities = liveView.head?.state.boot.identities;
  const [st, setSt] = useState<ScanState>(IDLE);
  const scanRef = useRef<{ wal: WalScan | null; rej: RejectionScan | null; abort: Abort; busy: boolean }>({
    wal: null,
    rej: null,
    abort: { aborted: false },
    busy: false,
  });
  const nameOf = useCallback((s: string) => identities?.find((i) => i.signer === s)?.id ?? s.slice(13, 19), [identities]);
  const compiled = useMemo(() => compileFilter(filter), [filter]);
  const active = filterActive(filter);
  const key = JSON.stringify(filter);
  const ready = head > 0;

  const publish = useCallback((patch: Partial<ScanState> = {}) => {
    const s = scanRef.current;
    const result: AnyView | null = s.wal
      ? { kind: 'wal', view: { ...s.wal.view() } }
      : s.rej
        ? { kind: 'rejections', view: { ...s.rej.view() } }
        : null;
    setSt((old) => ({ ...old, result, ...patch }));
  }, []);

  const run = useCallback(
    async (job: (abort: Abort, onPage: (n: number) => void) => Promise<void>, budget: number) => {
      const s = scanRef.current;
      if (s.busy) return;
      s.busy = true;
      const abort = s.abort;
      let done = 0;
      publish({ running: true, runDone: 0, runBudget: budget, error: null });
      try {
        await job(abort, (n) => {
          done = n;
          publish({ runDone: done });
        });
        if (!abort.aborted) publish({ running: false });
      } catch (err) {
        if (!abort.aborted) publish({ running: false, error: describeError(err) });
      } finally {
        if (s.abort === abort) s.busy = false;
      }
    },
    [publish],
  );

  const more = useCallback(() => {
    const s = scanRef.current;
    if (s.wal) {
      const wal = s.wal;
      const h = live.getSnapshot().head?.index ?? 0;
      const start = wal.view().scanned;
      void run((abort, onPage) => wal.older(SCAN_BUDGET, h, abort, () => onPage(wal.view().scanned - start)), SCAN_BUDGET);
    } else if (s.rej) {
      const rej = s.rej;
      const start = rej.view().scanned;
      void run((abort, onPage) => rej.more(REJECTION_BUDGET, abort, () => onPage(rej.view().scanned - start)), REJECTION_BUDGET);
    }
  }, [run, live]);

  const stop = useCallback(() => {
    const s = scanRef.current;
    s.abort.aborted = true;
    s.abort = { aborted: false };
    s.busy = false;
    publish({ running: false });
  }, [publish]);

  // A new filter: a new scan from HEAD.
  useEffect(() => {
    const s = scanRef.current;
    s.abort.aborted = true;
    s.abort = { aborted: false };
    s.busy = false;
    s.wal = null;
    s.rej = null;
    if (!ready) return;
    if (!active || !compiled.ok) {
      setSt({ ...IDLE, error: compiled.ok ? null : `regex: ${compiled.error}` });
      return;
    }
    const test = compiled.test;
    if (filter.rejectedOnly) {
      s.rej = new RejectionScan(
        async (from, limit) => (await api.getRejections(from, limit)).rejections,
        (r: RejectionRow) => test(matchableRejection(r, nameOf)),
      );
    } else {
      const h = live.getSnapshot().head?.index ?? 0;
      s.wal = new WalScan(
        h,
        PAGE_SIZE,
        (p, hh) => live.loader.page(p, hh),
        (r: WalRecord) => test(matchableRecord(r, nameOf)),
      );
    }
    setSt(IDLE);
    more();
    // The filter's key stands for the filter; nameOf only changes with the genesis.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, compiled, ready]);

  // Live: catch up on what was appended (WAL) or refused (rejections) since.
  useEffect(() => {
    const s = scanRef.current;
    if (s.busy) return;
    if (s.wal) {
      const wal = s.wal;
      const behind = head - wal.view().hi;
      if (behind <= 0) return;
      if (behind > CATCHUP_MAX) {
        setSt((o) => ({ ...o, behind }));
        return;
      }
      void run(async (abort) => {
        const left = await wal.newer(head, CATCHUP_MAX, abort);
        setSt((o) => ({ ...o, behind: left }));
      }, 0);
    } else if (s.rej?.view().exhausted) {
      const rej = s.rej;
      void run((abort) => rej.more(1000, abort), 0);
    }
  }, [head, liveView.rejected, run]);

  const catchUp = useCallback(() => {
    const wal = scanRef.current.wal;
    if (!wal) return;
    const h = live.getSnapshot().head?.index ?? 0;
    void run(async (abort) => {
      const left = await wal.newer(h, Number.MAX_SAFE_INTEGER, abort);
      setSt((o) => ({ ...o, behind: left }));
    }, h - wal.view().hi);
  }, [run, live]);

  useEffect(
    () => () => {
      scanRef.current.abort.aborted = true;
    },
    [],
  );

  return { st, more, stop, catchUp, active };
}

export function FilterBar({
  filter,
  onChange,
  regexRef,
}: {
  filter: WalFilter;
  onChange: (f: WalFilter) => void;
  regexRef: React.RefObject<HTMLInputElement | null>;
}) {
  const { spec } = useConsole();
  const liveView = useLive();
  const transitions = useMemo(() => Object.keys(spec.transitions).sort(), [spec]);
  const regions = useMemo(() => [...new Set(transitions.map(regionOf))].sort(), [transitions]);
  const identities = liveView.head?.state.boot.identities ?? [];
  const [regexText, setRegexText] = useState(filter.regex);
  const regexError = useMemo(
    () =>
      regexText.trim() === ''
        ? null
        : (() => {
            const c = compileFilter({ ...filter, regex: regexText });
            return c.ok ? null : c.error;
          })(),
    [regexText, filter],
  );

  // The regex applies after a short pause in typing, not on every keystroke.
  useEffect(() => {
    if (regexText === filter.regex) return;
    const t = setTimeout(() => onChange({ ...filter, regex: regexText }), 350);
    return () => clearTimeout(t);
  }, [regexText, filter, onChange]);

  const set = (patch: Partial<WalFilter>) => onChange({ ...filter, ...patch });
  const on = filterActive(filter);
  return (
    <div className="tl-filters" role="search" aria-label="Filter the timeline" data-testid="timeline-filters">
      <span className="tl-filters-label">Filter</span>
      <select
        value={filter.transition}
        onChange={(e) => set({ transition: e.target.value })}
        aria-label="Transition"
        data-testid="filter-transition"
        className={filter.transition ? 'is-set' : ''}
      >
        <option value="">any transition</option>
        {transitions.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <select
        value={filter.region}
        onChange={(e) => set({ region: e.target.value })}
        aria-label="Region"
        data-testid="filter-region"
        className={filter.region ? 'is-set' : ''}
      >
        <option value="">any region</option>
        {regions.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <select
        value={filter.signer}
        onChange={(e) => set({ signer: e.target.value })}
        aria-label="Signer"
        data-testid="filter-signer"
        className={filter.signer ? 'is-set' : ''}
      >
        <option value="">any signer</option>
        {identities.map((i) => (
          <option key={i.signer} value={i.signer}>
            {i.id} ({i.roles.join(', ')})
          </option>
        ))}
      </select>
      <label className={`tl-check${filter.rejectedOnly ? ' is-set' : ''}`}>
        <input
          type="checkbox"
          checked={filter.rejectedOnly}
          onChange={(e) => set({ rejectedOnly: e.target.checked })}
          data-testid="filter-rejected"
        />
        rejected only
      </label>
      <input
        ref={regexRef}
        className={`tl-regex${regexError ? ' has-error' : ''}${filter.regex ? ' is-set' : ''}`}
        value={regexText}
        onChange={(e) => setRegexText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onChange({ ...filter, regex: regexText });
        }}
        placeholder="regex: idem key, HLC, inputs…  ( f )"
        aria-label="Regex search"
        aria-invalid={regexError !== null}
        title={
          regexError ??
          'case-insensitive; searches transition, signer, idem key, HLC, window, evidence, guard reasons and inputs (rejections: code, guard, reason)'
        }
        data-testid="filter-regex"
        spellCheck={false}
      />
      {on && (
        <button
          type="button"
          className="tbtn"
          onClick={() => {
            setRegexText('');
            onChange({ transition: '', region: '', signer: '', rejectedOnly: false, regex: '' });
          }}
          data-testid="filter-clear"
        >
          Clear
        </button>
      )}
    </div>
  );
}

/** Binary search: the position of `index` among ascending `keys`, or -1. */
function positionOf(keys: ArrayLike<number>, index: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = keys[mid] as number;
    if (k === index) return mid;
    if (k < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function FilteredList({ filter, cursor }: { filter: WalFilter; cursor: Cursor }) {
  const liveView = useLive();
  const state = liveView.head?.state ?? null;
  const { st, more, stop, catchUp } = useFilterScan(filter);
  const position = cursor.index ?? cursor.headIndex;
  const [nonce, setNonce] = useState(0);
  const key = JSON.stringify(filter);
  useEffect(() => setNonce((n) => n + 1), [key]);

  const result = st.result;
  const count = result ? result.view.matches.length : 0;
  const keys = useMemo(() => (result?.kind === 'wal' ? result.view.matches.map((m) => m.index) : []), [result]);
  const selectedRow = result?.kind === 'wal' ? positionOf(keys, position) : -1;
  const scrollTo: ScrollRequest = useMemo(
    () => (selectedRow >= 0 ? { index: selectedRow, align: 'auto', nonce } : { index: Math.max(0, count - 1), align: 'end', nonce }),
    // Follow the cursor when it lands on a match; otherwise stay at the newest after a new filter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [selectedRow, nonce],
  );

  return (
    <div className="wal tl-filtered" data-testid="filtered-list">
      <ScanStatus st={st} rejected={filter.rejectedOnly} onMore={more} onStop={stop} onCatchUp={catchUp} />
      {result?.kind === 'rejections' ? (
        <div className="wal-header tl-rej-grid" aria-hidden="true">
          <span className="c-idx">at #</span>
          <span className="c-hlc">HLC</span>
          <span className="c-tr">Transition</span>
          <span className="c-signer">Signer</span>
          <span>Code</span>
          <span>Guard · reason</span>
        </div>
      ) : (
        <WalHeader />
      )}
      {count === 0 ? (
        <Empty>{st.running ? 'Scanning…' : st.error ? '' : 'No match in the scanned range.'}</Empty>
      ) : (
        <VirtualRows
          className="wal-scroll"
          ariaLabel={result?.kind === 'rejections' ? 'Matching rejections' : 'Matching WAL records'}
          count={count}
          rowHeight={ROW_H}
          overscan={12}
          scrollTo={scrollTo}
          renderRow={(i, top) => {
            const style = { top, height: ROW_H };
            if (result?.kind === 'rejections') {
              const r = result.view.matches[i] as RejectionMatch;
              return (
                <div
                  key={r.id}
                  className={`wal-row tl-rej-grid${i % 2 ? ' is-odd' : ''}${r.head_index === position && cursor.index !== null ? ' is-selected' : ''}`}
                  style={style}
                  onClick={() => cursor.set(r.head_index)}
                  data-rejection-id={r.id}
                  data-index={r.head_index}
                  title={`rejection ${r.id}: judged against HEAD #${r.head_index}; click to travel there`}
                >
                  <span className="c-idx mono">{formatInt(r.head_index)}</span>
                  <span className="c-hlc mono" title={r.hlc ?? undefined}>
                    {r.hlc ? shortHlc(r.hlc).slice(11) : '—'}
                  </span>
                  <span className={`c-tr region-${regionOf(r.transition ?? '').toLowerCase()}`}>{r.transition ?? '—'}</span>
                  <span className="c-signer" title={r.signer ?? undefined}>
                    {signerName(state, r.signer)}
                  </span>
                  <span>
                    <Chip
                      tone={r.code === 'guard_failed' ? 'warn' : r.code === 'quarantined' || r.code === 'terminated' ? 'danger' : 'neutral'}
                    >
                      {r.code}
                    </Chip>
                  </span>
                  <span className="muted" title={[r.reason, ...r.reasons].join('\n')}>
                    {r.guard ? <b className="mono">{r.guard} </b> : null}
                    {r.reason}
                  </span>
                </div>
              );
            }
            const m = result?.view.matches[i] as WalMatch;
            return (
              <div
                key={m.index}
                className={`wal-row${i % 2 ? ' is-odd' : ''}${m.index === position ? ' is-selected' : ''}`}
                style={style}
                onClick={() => cursor.set(m.index)}
                data-index={m.index}
                data-transition={m.transition}
              >
                <WalRecordCells m={m} signerLabel={signerName(state, m.signer)} />
                <span className="c-chain" title="the hash chain is checked in the unfiltered list">
                  <Mark ok={null} />
                </span>
              </div>
            );
          }}
        />
      )}
    </div>
  );
}

function ScanStatus({
  st,
  rejected,
  onMore,
  onStop,
  onCatchUp,
}: {
  st: ScanState;
  rejected: boolean;
  onMore: () => void;
  onStop: () => void;
  onCatchUp: () => void;
}) {
  const v = st.result?.view;
  const n = v?.matches.length ?? 0;
  const pct = st.runBudget > 0 ? Math.min(100, (100 * st.runDone) / st.runBudget) : 0;
  let range = '';
  if (v && st.result?.kind === 'wal')
    range =
      v.scanned === 0
        ? 'nothing scanned yet'
        : `in #${formatInt(v.lo)}–#${formatInt(v.hi)} (${formatInt(v.scanned)} of ${formatInt(v.hi)} records)`;
  if (v && st.result?.kind === 'rejections')
    range = v.scanned === 0 ? 'nothing scanned yet' : `in ${formatInt(v.scanned)} rejections (ids up to ${formatInt(v.hi)})`;
  const canMore = v !== undefined && !st.running && !v.capped && (st.result?.kind === 'wal' ? !v.exhausted : true);
  return (
    <div className="tl-scan" data-testid="scan-status" aria-live="polite">
      <span className="tl-scan-count">
        <b data-testid="match-count">{formatInt(n)}</b> {rejected ? 'rejections' : 'records'} match
      </span>
      <span className="muted" data-testid="scan-range">
        {range}
      </span>
      {v?.exhausted && st.result?.kind === 'wal' && <Chip tone="ok">whole WAL scanned</Chip>}
      {v?.exhausted && st.result?.kind === 'rejections' && <Chip tone="ok">up to date</Chip>}
      {v?.capped && (
        <Chip tone="warn" title="the scan stops here rather than drop rows; narrow the filter">
          first {formatInt(n)} matches only
        </Chip>
      )}
      {st.behind > 0 && (
        <button type="button" className="link-button tl-behind" onClick={onCatchUp} data-testid="scan-catch-up">
          {formatInt(st.behind)} newer records not scanned — scan them
        </button>
      )}
      {st.error && <span className="tl-scan-error">{st.error}</span>}
      <span className="tl-scan-spacer" />
      {st.running && st.runBudget > 0 && (
        <span
          className="tl-progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={st.runBudget}
          aria-valuenow={st.runDone}
          aria-label="Scan progress"
        >
          <i style={{ width: `${pct}%` }} />
        </span>
      )}
      {st.running ? (
        <button type="button" className="tbtn" onClick={onStop} data-testid="scan-stop">
          Stop
        </button>
      ) : (
        canMore && (
          <button
            type="button"
            className="tbtn"
            onClick={onMore}
            data-testid="scan-more"
            title={rejected ? `reads ${formatInt(REJECTION_BUDGET)} more rejections` : `reads ${formatInt(SCAN_BUDGET)} older records`}
          >
            {rejected ? 'Scan more' : `Scan ${formatInt(SCAN_BUDGET)} older`}
          </button>
        )
      )}
    </div>
  );
}

// ---- repro export -------------------------------------------------------------

type ExportState =
  | { phase: 'idle' }
  | { phase: 'working'; note: string }
  | { phase: 'done'; file: ReproFile; checked: string }
  | { phase: 'error'; error: string };

function download(file: ReproFile): void {
  const blob = new Blob([`${JSON.stringify(file, null, 1)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = reproFileName(file);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Records first..last from the shared page cache (PAGE_SIZE-aligned pages). */
async function loadSlice(
  first: number,
  last: number,
  head: number,
  page: (p: number, head: number) => Promise<WalRecord[]>,
): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for (let p = pageOf(first); p <= pageOf(last); p += 1) {
    for (const r of await page(p, head)) if (r.index >= first && r.index <= last) out.push(r);
  }
  return out;
}

export function ExportPanel({ cursor, onClose }: { cursor: Cursor; onClose: () => void }) {
  const { live, spec } = useConsole();
  const head = cursor.headIndex;
  const at = cursor.index ?? head;
  const [first, setFirst] = useState(String(Math.max(1, at - 49)));
  const [last, setLast] = useState(String(Math.max(1, at)));
  const [st, setSt] = useState<ExportState>({ phase: 'idle' });
  const firstRef = useRef<HTMLInputElement>(null);
  useEffect(() => firstRef.current?.focus(), []);

  const go = async () => {
    const a = Number(first);
    const b = Number(last);
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a || b > head) {
      setSt({ phase: 'error', error: `need 1 ≤ first ≤ last ≤ ${formatInt(head)}` });
      return;
    }
    if (b - a + 1 > REPRO_RECORDS_MAX) {
      setSt({ phase: 'error', error: `at most ${formatInt(REPRO_RECORDS_MAX)} records per file` });
      return;
    }
    try {
      setSt({ phase: 'working', note: `reading state #${formatInt(a - 1)} and records #${formatInt(a)}–#${formatInt(b)}…` });
      const [start, records] = await Promise.all([
        live.loader.stateAt(a - 1, head),
        loadSlice(a, b, head, (p, h) => live.loader.page(p, h)),
      ]);
      const built = buildRepro(start, records);
      if (!built.ok) {
        setSt({ phase: 'error', error: built.error });
        return;
      }
      let checked = `not replayed here (over ${formatInt(EXPORT_CHECK_MAX)} records)`;
      if (records.length <= EXPORT_CHECK_MAX) {
        setSt({ phase: 'working', note: `replaying ${formatInt(records.length)} records with signatures verified…` });
        await new Promise((r) => setTimeout(r, 0));
        const replay = replayRepro(built.file, { spec, verifier: nobleVerifier });
        if (!replay.ok) {
          setSt({ phase: 'error', error: `the slice does not replay here (${replay.code} at #${replay.index ?? '?'}): ${replay.reason}` });
          return;
        }
        checked = `replayed here: ${formatInt(replay.replayed)} records, signatures verified, every state hash as recorded`;
      }
      download(built.file);
      setSt({ phase: 'done', file: built.file, checked });
    } catch (err) {
      setSt({ phase: 'error', error: describeError(err) });
    }
  };

  return (
    <form
      className="tl-export"
      data-testid="export-panel"
      onSubmit={(e) => {
        e.preventDefault();
        void go();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <span className="tl-filters-label">Repro</span>
      <label>
        records #{' '}
        <input
          ref={firstRef}
          className="tl-num"
          value={first}
          onChange={(e) => setFirst(e.target.value)}
          aria-label="First record"
          data-testid="export-first"
          inputMode="numeric"
        />
      </label>
      <label>
        to #{' '}
        <input
          className="tl-num"
          value={last}
          onChange={(e) => setLast(e.target.value)}
          aria-label="Last record"
          data-testid="export-last"
          inputMode="numeric"
        />
      </label>
      <button type="submit" className="tbtn tbtn-primary" disabled={st.phase === 'working'} data-testid="export-go">
        Export JSON
      </button>
      <span className="tl-export-msg" data-testid="export-status">
        {st.phase === 'idle' && (
          <span className="muted">
            state before the first record + the records with their proposals + expected hashes (docs/repro-files.md)
          </span>
        )}
        {st.phase === 'working' && <span className="muted">{st.note}</span>}
        {st.phase === 'done' && (
          <span>
            <Mark ok /> {reproFileName(st.file)} · <span className="muted">{st.checked}</span>
          </span>
        )}
        {st.phase === 'error' && <span className="tl-scan-error">{st.error}</span>}
      </span>
      <button type="button" className="icon-button" onClick={onClose} aria-label="Close export">
        ×
      </button>
    </form>
  );
}
