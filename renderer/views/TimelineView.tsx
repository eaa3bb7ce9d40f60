// Timeline and time travel over the WAL: a virtualized record list (paged from GET /wal,
// smooth at a million records), transport controls, a slider and jump-to index/HLC. The
// cursor drives the whole console: the chart, the state document and the diff follow it.

import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useCursor, type Cursor } from '../state/cursor';
import type { WalRecord } from '../api/ConsoleApi';
import { describeError } from '../api/ConsoleApi';
import { Icon } from '../components/Icon';
import { JsonTree } from '../components/JsonTree';
import { StatechartSvg, type LastTransition } from '../components/StatechartSvg';
import { DiffTable } from '../components/DiffTable';
import { VirtualRows, type ScrollRequest } from '../components/VirtualRows';
import { WalHeader, WalRecordCells } from '../components/WalCells';
import { ExportPanel, FilterBar, FilteredList } from '../components/TimelineFilters';
import { filterActive, NO_FILTER, walMatch, type WalFilter } from '../lib/walFilter';
import { Empty, HashText, Mark, Panel } from '../components/ui';
import { chainStatus, type ChainStatus } from '../lib/chain';
import { diffJson } from '../lib/diff';
import { formatInt, signerName } from '../lib/format';
import { findIndexAtHlc, HLC_TARGET_EXAMPLES, parseHlcTarget } from '../lib/hlcSearch';
import { parseHlc } from '../../core/hlc';
import { useConsole, useLive } from '../state/context';
import { PAGE_SIZE, pageOf } from '../state/frames';

const ROW_H = 24;
const PAGES_KEPT = 24;
const SPEEDS = [1, 4, 16, 64];

export function TimelineView() {
  const cursor = useCursor();
  const { layout, spec } = useConsole();
  const frame = cursor.frame;
  const [tab, setTab] = useState<'diff' | 'state' | 'record'>('diff');
  const last: LastTransition | null = useMemo(
    () => (frame?.record ? { key: frame.index, name: frame.record.transition, from: frame.prev?.state ?? null } : null),
    [frame],
  );
  const diff = useMemo(() => (frame?.prev ? diffJson(frame.prev.state, frame.at.state) : []), [frame]);
  const changed = useMemo(() => new Set(diff.map((d) => d.path)), [diff]);
  const sources = frame?.record ? (spec.transitions[frame.record.transition]?.from ?? []) : [];
  const position = cursor.index ?? cursor.headIndex;
  const [filter, setFilter] = useState<WalFilter>(NO_FILTER);
  const [exporting, setExporting] = useState(false);
  const regexRef = useRef<HTMLInputElement>(null);
  const filtered = filterActive(filter);

  // f: focus the regex filter; e: open the repro export (when not typing).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'f') {
        e.preventDefault();
        regexRef.current?.focus();
      } else if (e.key === 'e') {
        e.preventDefault();
        setExporting(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="view view-timeline">
      <div className="view-head">
        <h1>Timeline</h1>
        <span className="view-sub">
          {formatInt(cursor.headIndex)} records · {cursor.index === null ? 'following HEAD' : `cursor at #${formatInt(cursor.index)}`}
        </span>
        <div className="view-tools">
          <button
            type="button"
            className={`tbtn${exporting ? ' is-on' : ''}`}
            onClick={() => setExporting((x) => !x)}
            title="Export a slice of the WAL as a repro file (e)"
            data-testid="export-open"
          >
            Export repro…
          </button>
        </div>
      </div>
      <Transport cursor={cursor} />
      <FilterBar filter={filter} onChange={setFilter} regexRef={regexRef} />
      {exporting && <ExportPanel cursor={cursor} onClose={() => setExporting(false)} />}
      <div className="timeline-grid">
        <Panel
          className="wal-panel"
          title={filtered ? (filter.rejectedOnly ? 'Rejections log · filtered' : 'Write-ahead log · filtered') : 'Write-ahead log'}
          extra={
            filtered ? (
              <span className="muted" title="pages are scanned on demand, newest first; nothing is fetched wholesale">
                scanned on demand
              </span>
            ) : (
              <span className="muted" title="each visible record's hash is recomputed here and its links to the previous record checked">
                hash chain checked in view
              </span>
            )
          }
        >
          {filtered ? (
            <FilteredList filter={filter} cursor={cursor} />
          ) : (
            <WalList index={cursor.index} headIndex={cursor.headIndex} set={cursor.set} />
          )}
        </Panel>
        <div className="timeline-side">
          <Panel
            className="mini-chart"
            title={
              <>
                State at{' '}
                <span className="mono" data-testid="cursor-index">
                  #{formatInt(position)}
                </span>
              </>
            }
            extra={frame && <SourceNote frame={frame} />}
            testId="timeline-chart"
          >
            {frame ? (
              <StatechartSvg layout={layout} state={frame.at.state} last={last} sources={sources} compact />
            ) : (
              <Empty>{cursor.error ?? 'Loading…'}</Empty>
            )}
          </Panel>
          <Panel
            className="doc-panel"
            title={
              <div className="tabs" role="tablist">
                {(['diff', 'state', 'record'] as const).map((t) => (
                  <button
                    key={t}
                    type="button"
                    role="tab"
                    aria-selected={tab === t}
                    className={`tab${tab === t ? ' is-current' : ''}`}
                    onClick={() => setTab(t)}
                  >
                    {t === 'diff' ? `Changes${frame?.prev ? ` (${diff.length})` : ''}` : t === 'state' ? 'State document' : 'Record'}
                  </button>
                ))}
              </div>
            }
            extra={frame && <HashText value={frame.at.hash} />}
          >
            {!frame && <Empty>{cursor.error ?? 'Loading…'}</Empty>}
            {frame &&
              tab === 'diff' &&
              (frame.prev === null ? (
                <Empty>Genesis (state 0): nothing before it.</Empty>
              ) : diff.length === 0 ? (
                <Empty>No change to the state document.</Empty>
              ) : (
                <DiffTable entries={diff} sides={['Before', 'After']} preview_chars={60} testId="diff" />
              ))}
            {frame && tab === 'state' && <JsonTree value={frame.at.state} changed={changed} openDepth={0} />}
            {frame &&
              tab === 'record' &&
              (frame.record ? (
                <JsonTree value={frame.record} openDepth={1} />
              ) : (
                <Empty>Index 0 is the genesis state; it has no record.</Empty>
              ))}
          </Panel>
        </div>
      </div>
    </div>
  );
}

function SourceNote({ frame }: { frame: NonNullable<Cursor['frame']> }) {
  return frame.at.source === 'replayed' ? (
    <span
      className="muted"
      title="computed in the console by the pure reducer from the previous state; its hash equals the record's state_post_hash"
    >
      replayed here ✓
    </span>
  ) : (
    <span className="muted" title="answered by the host">
      from host
    </span>
  );
}

function Transport({ cursor }: { cursor: Cursor }) {
  const { live } = useConsole();
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const jumpRef = useRef<HTMLInputElement>(null);
  const position = cursor.index ?? cursor.headIndex;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT') {
        e.preventDefault();
        jumpRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const go = useCallback(async () => {
    const text = jump.trim();
    setJumpError(null);
    if (text === '') return;
    if (/^#?\d{1,15}$/.test(text)) {
      const n = Number(text.replace('#', ''));
      if (n > cursor.headIndex) setJumpError(`HEAD is #${cursor.headIndex}`);
      else {
        cursor.set(n);
        setJump('');
      }
      return;
    }
    try {
      const head = cursor.headIndex;
      const hlcAt = async (i: number) => (await live.loader.record(i, head))?.hlc ?? null;
      // A time without a date ("06:48:30.295 #1", as the rows show it) is on HEAD's day.
      const head_hlc = head > 0 ? await hlcAt(head) : null;
      const target = parseHlcTarget(text, (head_hlc ? parseHlc(head_hlc)?.wall_ms : null) ?? Date.now());
      if (!target) {
        setJumpError(`not a position: try ${HLC_TARGET_EXAMPLES}`);
        return;
      }
      const found = await findIndexAtHlc(target, head, hlcAt);
      if (found === null) setJumpError('no record at or after that time');
      else {
        cursor.set(found);
        setJump('');
      }
    } catch (err) {
      setJumpError(describeError(err));
    }
  }, [jump, cursor, live]);

  return (
    <div className="transport" data-testid="transport">
      <div className="transport-buttons" role="group" aria-label="Transport">
        <button type="button" className="tbtn" onClick={() => cursor.set(0)} title="Genesis (Home)" aria-label="Go to genesis">
          <Icon name="first" />
        </button>
        <button
          type="button"
          className="tbtn"
          onClick={() => cursor.step(-1)}
          title="Step back (←)"
          aria-label="Step back"
          data-testid="step-back"
        >
          <Icon name="back" />
        </button>
        <button
          type="button"
          className={`tbtn tbtn-play${cursor.playing ? ' is-on' : ''}`}
          onClick={() => cursor.setPlaying(!cursor.playing)}
          title="Play / pause (Space)"
          aria-label={cursor.playing ? 'Pause' : 'Play'}
        >
          <Icon name={cursor.playing ? 'pause' : 'play'} />
        </button>
        <button
          type="button"
          className="tbtn"
          onClick={() => cursor.step(1)}
          title="Step forward (→)"
          aria-label="Step forward"
          data-testid="step-forward"
        >
          <Icon name="forward" />
        </button>
        <button
          type="button"
          className={`tbtn tbtn-live${cursor.index === null ? ' is-on' : ''}`}
          onClick={() => cursor.set(null)}
          title="Live HEAD (L)"
          aria-label="Live"
        >
          LIVE
        </button>
      </div>
      <label className="speed" title="Playback speed (records per second)">
        <select value={cursor.speed} onChange={(e) => cursor.setSpeed(Number(e.target.value))} aria-label="Playback speed">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}/s
            </option>
          ))}
        </select>
      </label>
      <input
        className="scrubber"
        type="range"
        min={0}
        max={Math.max(0, cursor.headIndex)}
        value={position}
        // A drag is continuous: only where the slider rests is loaded (App's SETTLE_MS).
        onChange={(e) => cursor.set(Number(e.target.value), { continuous: true })}
        aria-label="Timeline position"
        data-testid="scrubber"
      />
      <span className="position mono">
        <b>{formatInt(position)}</b> / {formatInt(cursor.headIndex)}
      </span>
      <form
        className="jump"
        onSubmit={(e) => {
          e.preventDefault();
          void go();
        }}
      >
        <input
          ref={jumpRef}
          value={jump}
          onChange={(e) => setJump(e.target.value)}
          placeholder="Jump: index or HLC  ( / )"
          aria-label="Jump to index or HLC"
          data-testid="jump"
          className={jumpError ? 'has-error' : ''}
          title={jumpError ?? HLC_TARGET_EXAMPLES}
        />
        {jumpError && <span className="jump-error">{jumpError}</span>}
      </form>
    </div>
  );
}

/** `HH:MM:SS.mmm` of an HLC (the date is in the title and the record). */
interface PageState {
  pages: Map<number, WalRecord[]>;
  version: number;
}

interface WalListProps {
  index: Cursor['index'];
  headIndex: number;
  set: Cursor['set'];
}

/**
 * Memoized on the cursor's position alone: a frame landing (the chart and diff redraw)
 * must not redraw every visible row on a jump's critical path.
 */
const WalList = memo(function WalList({ index, headIndex, set }: WalListProps) {
  const { live } = useConsole();
  const liveView = useLive();
  const head = headIndex;
  const state = liveView.head?.state ?? null;
  const count = head + 1; // row 0 is the genesis state
  const [range, setRange] = useState<[number, number]>([0, 0]);
  const [data, setData] = useState<PageState>({ pages: new Map(), version: 0 });
  const [genesisHash, setGenesisHash] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const inflight = useRef(new Set<string>());
  const chainCache = useRef(new WeakMap<WalRecord, ChainStatus>());
  const position = index ?? head;

  useEffect(() => {
    live.loader.stateAt(0, head).then(
      (s) => setGenesisHash(s.hash),
      () => undefined,
    );
    // State 0 never changes; load it once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live]);

  const [first, lastRow] = range;
  const onRange = useCallback((a: number, b: number) => setRange([a, b]), []);

  // Fetch the pages the visible rows need (plus the one before, for chain links).
  useEffect(() => {
    const needed = new Set<number>();
    for (let i = Math.max(1, first - 1); i <= Math.min(head, lastRow); i += 1) needed.add(pageOf(i));
    for (const p of needed) {
      const have = data.pages.get(p);
      const complete = (p + 1) * PAGE_SIZE <= head;
      const fresh = have && (complete || have[have.length - 1]?.index === head);
      const key = `${p}@${complete ? 'c' : head}`;
      if (fresh || inflight.current.has(key)) continue;
      inflight.current.add(key);
      live.loader.page(p, head).then(
        (records) => {
          inflight.current.delete(key);
          setLoadError(null);
          setData((d) => {
            const pages = new Map(d.pages);
            pages.set(p, records);
            // Bounded: forget the pages farthest from the visible ones.
            if (pages.size > PAGES_KEPT) {
              const centre = pageOf(Math.max(1, first));
              const far = [...pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
              for (const k of far.slice(0, pages.size - PAGES_KEPT)) pages.delete(k);
            }
            return { pages, version: d.version + 1 };
          });
        },
        (err: unknown) => {
          inflight.current.delete(key);
          setLoadError(describeError(err));
        },
      );
    }
  }, [first, lastRow, head, data.pages, live]);

  // Keep the cursor row in view; follow the tail while live.
  const scrollTo: ScrollRequest = useMemo(() => ({ index: position, align: index === null ? 'end' : 'auto', nonce: 0 }), [position, index]);

  const recordAt = (i: number): WalRecord | null => {
    if (i < 1) return null;
    const page = data.pages.get(pageOf(i));
    return page?.[i - 1 - pageOf(i) * PAGE_SIZE] ?? null;
  };
  const chainOf = (r: WalRecord): ChainStatus => {
    const prev = recordAt(r.index - 1);
    const cached = chainCache.current.get(r);
    if (cached && cached.mark !== 'unknown') return cached;
    const status = chainStatus(r, prev, genesisHash);
    chainCache.current.set(r, status);
    return status;
  };

  return (
    <div className="wal" data-testid="wal-list">
      <WalHeader />
      <VirtualRows
        className="wal-scroll"
        ariaLabel="WAL records"
        count={count}
        rowHeight={ROW_H}
        overscan={12}
        onRange={onRange}
        scrollTo={scrollTo}
        renderRow={(i, top) => {
          const r = recordAt(i);
          const selected = i === position;
          const cls = `wal-row${selected ? ' is-selected' : ''}${i % 2 ? ' is-odd' : ''}`;
          const style = { top, height: ROW_H };
          if (i === 0) {
            return (
              <div key={i} className={cls} style={style} onClick={() => set(0)} data-index={0}>
                <span className="c-idx mono">0</span>
                <span className="c-hlc mono muted">—</span>
                <span className="c-tr muted">genesis (state 0)</span>
                <span className="c-signer" />
                <span className="c-win" />
                <span className="c-guards" />
                <span className="c-chain" title={genesisHash ?? undefined}>
                  <Mark ok={genesisHash === null ? null : true} />
                </span>
              </div>
            );
          }
          if (!r) {
            return (
              <div key={i} className={`${cls} is-loading`} style={style} data-index={i}>
                <span className="c-idx mono">{formatInt(i)}</span>
                <span className="c-hlc muted">…</span>
              </div>
            );
          }
          const chain = chainOf(r);
          return (
            <div key={i} className={cls} style={style} onClick={() => set(i)} data-index={i} data-transition={r.transition}>
              <WalRecordCells
                m={walMatch(r)}
                signerLabel={signerName(state, r.signer)}
                guardsTitle={r.guard_outcomes.map((g) => `${g.ok ? '✓' : '✗'} ${g.guard}: ${g.reasons.join('; ')}`).join('\n')}
              />
              <span className="c-chain" title={chain.detail}>
                <Mark ok={chain.mark === 'ok' ? true : chain.mark === 'unknown' ? null : false} />
              </span>
            </div>
          );
        }}
      />
      {loadError && <div className="inline-error">WAL: {loadError}</div>}
    </div>
  );
});
