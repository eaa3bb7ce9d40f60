// The console shell: header (live status), BACKBEAT strip, view rail, the active view
// and a status line. Owns the time-travel cursor (null = follow HEAD) so every view —
// chart, state document, decisions — shows the same moment.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from './api/ConsoleApi';
import { BackbeatStrip } from './components/BackbeatStrip';
import { Header } from './components/Header';
import { HelpOverlay } from './components/HelpOverlay';
import { useConsole, useLive } from './state/context';
import type { Frame } from './state/frames';
import { VIEWS, type ViewId } from './nav';
import { toggleTheme } from './theme';
import { DecisionsView } from './views/DecisionsView';
import { RejectionsView } from './views/RejectionsView';
import { StatechartView } from './views/StatechartView';
import { TimelineView } from './views/TimelineView';
import { QuorumView } from './views/QuorumView';
import { ActionsView } from './views/ActionsView';
import { SandboxView } from './views/SandboxView';
import { MetricsView } from './views/MetricsView';
import { HealthView } from './views/HealthView';

/**
 * Settle time for continuous input only (a slider drag, a held arrow key): dragging over a
 * million records must not fire a million requests, so only where it comes to rest is
 * loaded. A discrete move (a typed jump, a click on a row, one step) loads at once.
 */
const SETTLE_MS = 40;

/** How a cursor move was made: `continuous` moves (drag, key repeat) wait SETTLE_MS. */
export interface MoveOptions {
  continuous?: boolean;
}

export interface Cursor {
  /** null: live (follow HEAD). */
  index: number | null;
  set(index: number | null, o?: MoveOptions): void;
  step(delta: number, o?: MoveOptions): void;
  playing: boolean;
  setPlaying(p: boolean): void;
  speed: number;
  setSpeed(s: number): void;
  /** The frame at the cursor (or at HEAD when live); null while loading. */
  frame: Frame | null;
  loading: boolean;
  error: string | null;
  headIndex: number;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

function viewFromHash(): ViewId {
  const h = window.location.hash.replace(/^#\/?/, '');
  return (VIEWS.find((v) => v.id === h)?.id ?? 'statechart');
}

export function App() {
  const { live } = useConsole();
  const liveView = useLive();
  const headIndex = liveView.head?.index ?? 0;
  const [view, setViewState] = useState<ViewId>(viewFromHash);
  const [index, setIndex] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(4);
  // What the loader last answered, and for which index: "loading" is derived from it (the
  // cursor is ahead of the answer), so starting a load costs no extra render of the console.
  const [travel, setTravel] = useState<{ index: number | null; frame: Frame | null; error: string | null }>({ index: null, frame: null, error: null });
  const travelLoading = index !== null && travel.index !== index;
  const [help, setHelp] = useState(false);
  const pendingG = useRef<number>(0);
  /** Whether the latest move was continuous (read by the frame loader's effect). */
  const settleNext = useRef(false);

  const setView = useCallback((v: ViewId) => {
    setViewState(v);
    if (window.location.hash !== `#/${v}`) window.history.replaceState(null, '', `#/${v}`);
  }, []);

  const set = useCallback((i: number | null, o?: MoveOptions) => {
    settleNext.current = o?.continuous === true;
    if (i === null) {
      setIndex(null);
      setPlaying(false);
      return;
    }
    setIndex(Math.max(0, Math.min(i, live.getSnapshot().head?.index ?? 0)));
  }, [live]);

  const step = useCallback((delta: number, o?: MoveOptions) => {
    settleNext.current = o?.continuous === true;
    setIndex((cur) => {
      const head = live.getSnapshot().head?.index ?? 0;
      const from = cur ?? head;
      return Math.max(0, Math.min(head, from + delta));
    });
  }, [live]);

  // Load the frame at the cursor; only the latest request may land. A discrete move starts
  // loading in this very effect (its requests go out before the list has even scrolled);
  // a continuous one waits for the input to rest.
  useEffect(() => {
    if (index === null) return;
    let stale = false;
    const load = () => {
      live.loader.frame(index, live.getSnapshot().head?.index ?? index).then(
        (frame) => !stale && setTravel({ index, frame, error: null }),
        (err: unknown) => !stale && setTravel({ index, frame: null, error: describeError(err) }),
      );
    };
    const timer = settleNext.current ? setTimeout(load, SETTLE_MS) : undefined;
    if (timer === undefined) load();
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [index, live]);

  // Playback advances only after the current frame has loaded (natural back-pressure).
  useEffect(() => {
    if (!playing || index === null || travelLoading || travel.frame?.index !== index) return;
    if (index >= headIndex) {
      setPlaying(false);
      return;
    }
    const t = setTimeout(() => step(1), 1000 / speed);
    return () => clearTimeout(t);
  }, [playing, index, travel, travelLoading, headIndex, speed, step]);

  const cursor: Cursor = useMemo(() => {
    const isLive = index === null;
    return {
      index,
      set,
      step,
      playing,
      setPlaying: (p: boolean) => {
        if (p && index === null) {
          settleNext.current = false;
          setIndex(0);
        }
        setPlaying(p);
      },
      speed,
      setSpeed,
      frame: isLive ? liveView.frame : travel.frame?.index === index ? travel.frame : null,
      loading: isLive ? liveView.frame === null : travelLoading,
      error: isLive ? liveView.error : travel.index === index ? travel.error : null,
      headIndex,
    };
  }, [index, set, step, playing, speed, liveView.frame, liveView.error, travel, travelLoading, headIndex]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setHelp(false);
        if (isTyping(e.target)) (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const now = Date.now();
      if (now - pendingG.current < 1200) {
        pendingG.current = 0;
        const v = VIEWS.find((x) => x.key === e.key);
        if (v) {
          setView(v.id);
          e.preventDefault();
          return;
        }
      }
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= VIEWS.length) {
        setView((VIEWS[n - 1] as (typeof VIEWS)[number]).id);
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case 'g':
          pendingG.current = now;
          break;
        case '?':
          setHelp((h) => !h);
          break;
        case 'T':
          toggleTheme();
          break;
        case 'l':
        case 'End':
          set(null);
          break;
        case 'Home':
          set(0);
          break;
        case 'ArrowLeft':
        case 'k':
          step(e.shiftKey ? -10 : -1, { continuous: e.repeat });
          break;
        case 'ArrowRight':
        case 'j':
          step(e.shiftKey ? 10 : 1, { continuous: e.repeat });
          break;
        case ' ':
          cursor.setPlaying(!playing);
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [set, step, playing, cursor, setView]);

  useEffect(() => {
    const onHash = () => setViewState(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  return (
    <div className="app">
      <Header cursor={cursor} onHelp={() => setHelp(true)} />
      <BackbeatStrip cursor={cursor} />
      <nav className="rail" aria-label="Views">
        {VIEWS.map((v, i) => (
          <button
            key={v.id}
            type="button"
            className={`rail-item${view === v.id ? ' is-current' : ''}`}
            aria-current={view === v.id ? 'page' : undefined}
            onClick={() => setView(v.id)}
            title={`${v.hint} (${i + 1} or g ${v.key})`}
          >
            <span className="rail-label">{v.label}</span>
            <kbd>{i + 1}</kbd>
          </button>
        ))}
        <div className="rail-spacer" />
        <div className="rail-foot">
          <button type="button" className="link-button" onClick={() => setHelp(true)}>Keyboard <kbd>?</kbd></button>
        </div>
      </nav>
      <main className="main" id="main">
        {view === 'statechart' && <StatechartView cursor={cursor} />}
        {view === 'timeline' && <TimelineView cursor={cursor} />}
        {view === 'rejections' && <RejectionsView />}
        {view === 'decisions' && <DecisionsView cursor={cursor} onOpenTimeline={(i) => { set(i); setView('timeline'); }} />}
        {view === 'quorum' && <QuorumView cursor={cursor} />}
        {view === 'actions' && <ActionsView cursor={cursor} />}
        {view === 'sandbox' && <SandboxView cursor={cursor} />}
        {view === 'metrics' && <MetricsView cursor={cursor} />}
        {view === 'health' && <HealthView cursor={cursor} />}
      </main>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}
