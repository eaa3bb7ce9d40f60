// The time-travel cursor: which moment every view shows (null = follow HEAD), playback,
// and the frame loaded at the cursor. A store beside the live one (state/live.ts), so
// views read it through useCursor() instead of taking it from the root component, and
// the root's keyboard shortcuts drive it without re-rendering on every step.
//
// Loading: only the latest request may land. A discrete move (a typed jump, a click on a
// row, one step) loads at once; a continuous one (a slider drag, a held arrow key) waits
// SETTLE_MS for the input to rest, so dragging over a million records does not fire a
// million requests. Playback advances only after the current frame has landed (natural
// back-pressure) and stops at HEAD.

import { createContext, useContext, useMemo, useSyncExternalStore } from 'react';
import { describeError } from '../api/ConsoleApi';
import type { Frame } from './frames';
import type { LiveView } from './live';

/** Settle time for continuous input only (see the header). */
export const SETTLE_MS = 40;
export const SPEED_DEFAULT = 4;

/** How a cursor move was made: `continuous` moves (drag, key repeat) wait SETTLE_MS. */
export interface MoveOptions {
  continuous?: boolean;
}

/** What the views read: the cursor's position and the frame there. */
export interface CursorView {
  /** null: live (follow HEAD). */
  index: number | null;
  playing: boolean;
  /** Playback speed, records per second. */
  speed: number;
  /** The frame at the cursor (or at HEAD when live); null while loading. */
  frame: Frame | null;
  loading: boolean;
  error: string | null;
  headIndex: number;
}

export interface Cursor extends CursorView {
  set(index: number | null, o?: MoveOptions): void;
  step(delta: number, o?: MoveOptions): void;
  setPlaying(p: boolean): void;
  setSpeed(s: number): void;
}

/** What the loader last answered, and for which index. */
export interface Travel {
  index: number | null;
  frame: Frame | null;
  error: string | null;
}

/** The store's own state; the view adds what the live store knows. */
export interface CursorState {
  index: number | null;
  playing: boolean;
  speed: number;
  travel: Travel;
}

/** What the cursor store needs of the live store (LiveStore is one). */
export interface CursorSource {
  readonly loader: { frame(n: number, headIndex: number): Promise<Frame> };
  getSnapshot(): LiveView;
  subscribe(listener: () => void): () => void;
}

export function clampIndex(index: number, headIndex: number): number {
  return Math.max(0, Math.min(index, headIndex));
}

/** The index `delta` records from the cursor (from HEAD when live), kept in 0..HEAD. */
export function stepIndex(index: number | null, delta: number, headIndex: number): number {
  return clampIndex((index ?? headIndex) + delta, headIndex);
}

/**
 * The view of a cursor state over the live view. Live: HEAD's frame. Travelling: the
 * loaded frame only when it is the cursor's (an answer for an older index is not shown);
 * "loading" is derived (the cursor is ahead of the answer), so starting a load costs no
 * extra render.
 */
export function cursorView(s: CursorState, live: Pick<LiveView, 'head' | 'frame' | 'error'>): CursorView {
  const headIndex = live.head?.index ?? 0;
  const { index, playing, speed, travel } = s;
  if (index === null) return { index, playing, speed, frame: live.frame, loading: live.frame === null, error: live.error, headIndex };
  const answered = travel.index === index;
  return {
    index,
    playing,
    speed,
    headIndex,
    frame: answered && travel.frame?.index === index ? travel.frame : null,
    loading: !answered,
    error: answered ? travel.error : null,
  };
}

/** Playback's next move: wait for the frame, stop at HEAD, or step after 1/speed s. */
export function playbackStep(v: CursorView): 'wait' | 'stop' | 'advance' {
  if (!v.playing || v.index === null || v.loading || v.frame?.index !== v.index) return 'wait';
  return v.index >= v.headIndex ? 'stop' : 'advance';
}

export class CursorStore {
  private state: CursorState = { index: null, playing: false, speed: SPEED_DEFAULT, travel: { index: null, frame: null, error: null } };
  private view: CursorView;
  private readonly listeners = new Set<() => void>();
  /** Bumped by every load: an answer lands only while it is still the latest. */
  private loadSeq = 0;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private playTimer: ReturnType<typeof setTimeout> | undefined;
  /** The inputs the armed playback timer was set for: re-armed only when they change. */
  private playKey = '';
  private unsubscribeLive: (() => void) | null = null;

  constructor(private readonly source: CursorSource) {
    this.view = cursorView(this.state, source.getSnapshot());
  }

  /** Follows the live store (HEAD moves, the live frame lands). Idempotent. */
  start(): void {
    if (this.unsubscribeLive) return;
    this.unsubscribeLive = this.source.subscribe(() => this.refresh());
    this.refresh();
  }

  stop(): void {
    this.unsubscribeLive?.();
    this.unsubscribeLive = null;
    this.loadSeq += 1;
    clearTimeout(this.settleTimer);
    clearTimeout(this.playTimer);
    this.playKey = '';
  }

  getSnapshot = (): CursorView => this.view;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set = (index: number | null, o?: MoveOptions): void => {
    if (index === null) {
      this.loadSeq += 1;
      clearTimeout(this.settleTimer);
      this.patch({ index: null, playing: false });
      return;
    }
    this.moveTo(clampIndex(index, this.headIndex()), o?.continuous === true);
  };

  step = (delta: number, o?: MoveOptions): void => {
    this.moveTo(stepIndex(this.state.index, delta, this.headIndex()), o?.continuous === true);
  };

  /** Playing from live starts at genesis. */
  setPlaying = (p: boolean): void => {
    if (p && this.state.index === null) this.moveTo(0, false);
    this.patch({ playing: p });
  };

  setSpeed = (speed: number): void => this.patch({ speed });

  private headIndex(): number {
    return this.source.getSnapshot().head?.index ?? 0;
  }

  private moveTo(index: number, continuous: boolean): void {
    const same = index === this.state.index;
    this.patch({ index });
    // A move to where the cursor already is keeps its answer (or its load in flight).
    if (!same) this.load(index, continuous);
  }

  private load(index: number, continuous: boolean): void {
    const seq = ++this.loadSeq;
    clearTimeout(this.settleTimer);
    const run = () => {
      this.source.loader.frame(index, this.source.getSnapshot().head?.index ?? index).then(
        (frame) => seq === this.loadSeq && this.patch({ travel: { index, frame, error: null } }),
        (err: unknown) => seq === this.loadSeq && this.patch({ travel: { index, frame: null, error: describeError(err) } }),
      );
    };
    if (continuous) this.settleTimer = setTimeout(run, SETTLE_MS);
    else run();
  }

  private patch(p: Partial<CursorState>): void {
    this.state = { ...this.state, ...p };
    this.refresh();
  }

  /** Recomputes the view (kept by identity when nothing a view reads changed) and playback. */
  private refresh(): void {
    const next = cursorView(this.state, this.source.getSnapshot());
    if (!sameView(next, this.view)) {
      this.view = next;
      for (const l of this.listeners) l();
    }
    this.schedulePlayback();
  }

  private schedulePlayback(): void {
    const v = this.view;
    const next = playbackStep(v);
    if (next === 'stop') {
      this.patch({ playing: false });
      return;
    }
    const key = next === 'advance' ? `${v.index}:${v.headIndex}:${v.speed}` : '';
    if (key === this.playKey) return;
    this.playKey = key;
    clearTimeout(this.playTimer);
    if (next === 'advance')
      this.playTimer = setTimeout(() => {
        this.playKey = '';
        this.step(1);
      }, 1000 / v.speed);
  }
}

function sameView(a: CursorView, b: CursorView): boolean {
  return (
    a.index === b.index &&
    a.playing === b.playing &&
    a.speed === b.speed &&
    a.frame === b.frame &&
    a.loading === b.loading &&
    a.error === b.error &&
    a.headIndex === b.headIndex
  );
}

const CursorContext = createContext<CursorStore | null>(null);

/** Provides the console's one cursor store (the root creates it over the live store). */
export const CursorProvider = CursorContext.Provider;

export function useCursorStore(): CursorStore {
  const store = useContext(CursorContext);
  if (!store) throw new Error('useCursor outside CursorProvider');
  return store;
}

/** The cursor and its moves; re-renders when what it shows changes. */
export function useCursor(): Cursor {
  const store = useCursorStore();
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return useMemo(
    () => ({ ...view, set: store.set, step: store.step, setPlaying: store.setPlaying, setSpeed: store.setSpeed }),
    [view, store],
  );
}
