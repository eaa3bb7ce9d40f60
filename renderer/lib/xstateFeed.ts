// The Statechart view's xstate feed (docs/architecture.md §3): an actor of the machine generated from the
// YAML (core/xstate.ts), created with xstate's `inspect` observer. Its inspection events
// (@xstate.actor, @xstate.event, @xstate.snapshot, …) go into a bounded ring the view lists,
// and the configuration the chart highlights is the one of the latest @xstate.snapshot.
//
// Feeding: every accepted WAL transition (SSE `accepted`, noted by index) is sent to the
// actor as its event when the console reaches that record's frame; a frame one record
// ahead carries its own record, so time travel step by step is fed the same way. A jump,
// a step back, or a gap (missed events, reconnect, a branch that cannot be told) re-creates
// the actor from the state document at the frame (`machine.resolveState({ value })`).
//
// Every frame is cross-checked: the xstate configuration against activeLeaves(state
// document), the reducer's verdict and the authority. A disagreement is reported (and
// stays shown until the next transition agrees), then the actor is re-created from the
// document so the chart never draws a configuration the reducer did not reach.
//
// The WAL record does not carry the branch a transition took; for a transition with
// branches the branch is read off the frame's state document (the branch whose targets are
// all active; else the targetless one). The rest of the configuration is still checked.

import { createActor, type Actor, type InspectionEvent, type Observer, type StateValue } from 'xstate';
import type { Spec } from '../../core/spec';
import { activeLeaves, type State } from '../../core/state';
import { createSwooshMachine, leavesOf, type SwooshEvent, type SwooshMachine } from '../../core/xstate';
import { Ring } from './prom';

/** Ring entries kept (the view lists the last ~50). */
export const RING_MAX = 200;
/** SSE transitions noted ahead of the frames (a burst the coalesced HEAD refresh skips over). */
export const PENDING_MAX = 4096;

export type EntryType = InspectionEvent['type'] | 'swoosh.recreate';

export interface InspectionEntry {
  /** Monotonic, for React keys and to tell entries apart across re-creations. */
  seq: number;
  type: EntryType;
  /** WAL index the actor stands at once this event is handled. */
  index: number;
  /** The event's type, `[branch]` appended; for a re-creation, why. */
  event: string;
  /** @xstate.snapshot: the configuration after it. */
  leaves?: string[];
}

export interface FeedFrame {
  index: number;
  /** State document after record `index` (the reducer's). */
  state: State;
  /** Transition name of record `index`; null at genesis or when not in hand. */
  transition: string | null;
}

export interface Difference {
  /** Active in xstate, not in the state document. */
  only_xstate: string[];
  /** Active in the state document, not in xstate. */
  only_document: string[];
}

export interface FeedView {
  /** WAL index the actor stands at; null before the first frame. */
  index: number | null;
  /** The latest @xstate.snapshot's active leaves, sorted (what the chart highlights). */
  configuration: string[];
  /** The inspection ring, oldest first. */
  entries: readonly InspectionEntry[];
  /** null until a frame was checked. */
  agrees: boolean | null;
  /** The last disagreement (empty lists while agreeing). */
  difference: Difference;
  /** The WAL index the last disagreement was found at. */
  differs_at: number | null;
  /** Events sent to the actor and actors created, since the feed started. */
  sent: number;
  recreated: number;
}

const NO_DIFFERENCE: Difference = { only_xstate: [], only_document: [] };

/** The xstate StateValue of a configuration given by its active leaves (atomic children as `{}`). */
export function stateValueOf(leaves: readonly string[]): StateValue {
  const value: Record<string, Record<string, unknown>> = {};
  for (const leaf of leaves) {
    let node: Record<string, unknown> = value;
    for (const part of leaf.split('.')) node = (node[part] ??= {}) as Record<string, unknown>;
  }
  return value as StateValue;
}

export function differenceOf(xstate: readonly string[], document: readonly string[]): Difference {
  return { only_xstate: xstate.filter((l) => !document.includes(l)), only_document: document.filter((l) => !xstate.includes(l)) };
}

/** The xstate event for an accepted transition, the branch read off the state document after it. */
export function eventFor(spec: Spec, transition: string, post: State | null): SwooshEvent | null {
  const t = spec.transitions[transition];
  if (t === undefined) return null;
  if (t.branches === null) return { type: transition };
  if (post === null) return null;
  const leaves = activeLeaves(post);
  const entries = Object.entries(t.branches);
  const hit = entries.find(([, b]) => b.to.length > 0 && b.to.every((p) => leaves.some((l) => l === p || l.startsWith(`${p}.`))));
  const branch = hit ?? entries.find(([, b]) => b.to.length === 0);
  return branch === undefined ? null : { type: transition, branch: branch[0] };
}

const label = (e: { type: string; branch?: unknown }): string => (typeof e.branch === 'string' ? `${e.type}[${e.branch}]` : e.type);

export class XstateFeed {
  readonly machine: SwooshMachine;
  private actor: Actor<SwooshMachine> | null = null;
  private index: number | null = null;
  /** The state document the actor was last checked against (for re-creation on attach). */
  private document: State | null = null;
  private readonly ring = new Ring<InspectionEntry>(RING_MAX);
  private readonly pending = new Map<number, string>();
  private readonly observers = new Set<Observer<InspectionEvent>>();
  private seq = 0;
  private configuration: string[] = [];
  private agrees: boolean | null = null;
  private difference: Difference = NO_DIFFERENCE;
  private differsAt: number | null = null;
  private sent = 0;
  private sentSinceCheck = false;
  /** False while an old actor stops: its last events are not this feed's. */
  private listening = true;
  private recreated = 0;
  private snapshotView: FeedView | null = null;

  constructor(readonly spec: Spec) {
    this.machine = createSwooshMachine(spec);
  }

  /** An SSE `accepted` event: remembered until the frames reach it. */
  noteAccepted(index: number, transition: string): void {
    if (this.index !== null && index <= this.index) return;
    this.pending.set(index, transition);
    if (this.pending.size > PENDING_MAX) {
      const drop = [...this.pending.keys()].sort((a, b) => a - b).slice(0, this.pending.size - PENDING_MAX);
      for (const k of drop) this.pending.delete(k);
    }
  }

  /** Brings the actor to `frame` (sending events or re-creating it) and cross-checks it. */
  sync(frame: FeedFrame): FeedView {
    if (this.actor === null || this.index === null) {
      this.recreate(frame, 'start');
    } else if (frame.index < this.index) {
      this.recreate(frame, `back to #${frame.index}`);
    } else if (frame.index > this.index) {
      const plan = this.plan(frame);
      if (typeof plan === 'string') this.recreate(frame, plan);
      else for (const step of plan) this.send(step.index, step.event);
    }
    this.check(frame);
    return this.view();
  }

  /** Extra observers of every inspection event (the Stately Inspector); the actor is re-created so they see it from @xstate.actor. */
  attach(observer: Observer<InspectionEvent>): () => void {
    this.observers.add(observer);
    if (this.index !== null && this.document !== null)
      this.recreate({ index: this.index, state: this.document, transition: null }, 'inspector attached');
    return () => this.observers.delete(observer);
  }

  stop(): void {
    this.stopActor();
  }

  private stopActor(): void {
    const old = this.actor;
    this.actor = null;
    this.listening = false;
    old?.stop();
    this.listening = true;
  }

  /** The actor (for tests and the inspector); null before the first frame. */
  get actorRef(): Actor<SwooshMachine> | null {
    return this.actor;
  }

  /** An immutable view, the same object until something changes. */
  view(): FeedView {
    this.snapshotView ??= {
      index: this.index,
      configuration: this.configuration,
      entries: this.ring.toArray(),
      agrees: this.agrees,
      difference: this.difference,
      differs_at: this.differsAt,
      sent: this.sent,
      recreated: this.recreated,
    };
    return this.snapshotView;
  }

  /** The events from the actor's index to the frame's, or why they cannot be sent. */
  private plan(frame: FeedFrame): Array<{ index: number; event: SwooshEvent }> | string {
    const from = (this.index as number) + 1;
    const out: Array<{ index: number; event: SwooshEvent }> = [];
    for (let i = from; i <= frame.index; i += 1) {
      const name = i === frame.index && frame.transition !== null ? frame.transition : this.pending.get(i);
      if (name === undefined) return from === frame.index ? `jump to #${frame.index}` : `gap #${from}…#${frame.index}`;
      const event = eventFor(this.spec, name, i === frame.index ? frame.state : null);
      if (event === null) return `branch of ${name} at #${i} not known`;
      out.push({ index: i, event });
    }
    return out;
  }

  private send(index: number, event: SwooshEvent): void {
    this.index = index;
    this.pending.delete(index);
    this.sent += 1;
    this.sentSinceCheck = true;
    (this.actor as Actor<SwooshMachine>).send(event);
  }

  private recreate(frame: FeedFrame, why: string): void {
    this.stopActor();
    this.index = frame.index;
    this.document = frame.state;
    for (const k of this.pending.keys()) if (k <= frame.index) this.pending.delete(k);
    this.recreated += 1;
    this.push({ type: 'swoosh.recreate', event: why });
    const snapshot = this.machine.resolveState({ value: stateValueOf(activeLeaves(frame.state)) });
    const actor = createActor(this.machine, { snapshot, inspect: (e) => this.onInspect(e) });
    this.actor = actor;
    actor.start();
  }

  private check(frame: FeedFrame): void {
    this.document = frame.state;
    const document = activeLeaves(frame.state);
    const difference = differenceOf(this.configuration, document);
    const agrees = difference.only_xstate.length === 0 && difference.only_document.length === 0;
    if (agrees) {
      // A disagreement stays shown until a transition (not a re-creation) agrees again.
      if (this.agrees !== false || this.sentSinceCheck) this.setCheck(true, NO_DIFFERENCE, null);
      this.sentSinceCheck = false;
      return;
    }
    this.sentSinceCheck = false;
    this.setCheck(false, difference, frame.index);
    this.recreate(frame, `re-created after disagreeing at #${frame.index}`);
  }

  private setCheck(agrees: boolean, difference: Difference, at: number | null): void {
    if (this.agrees === agrees && this.difference === difference && this.differsAt === at) return;
    this.agrees = agrees;
    this.difference = difference;
    this.differsAt = at;
    this.snapshotView = null;
  }

  private onInspect(e: InspectionEvent): void {
    if (!this.listening) return;
    for (const o of this.observers) o.next?.(e);
    // Only the root actor's own events (null: it is being created and not yet assigned).
    if (this.actor !== null && e.actorRef !== this.actor) return;
    if (e.type === '@xstate.snapshot') {
      const leaves = leavesOf(e.snapshot as unknown as { value: StateValue });
      this.configuration = leaves;
      this.push({ type: e.type, event: label(e.event), leaves });
    } else if (e.type === '@xstate.event' || e.type === '@xstate.microstep' || e.type === '@xstate.transition') {
      this.push({ type: e.type, event: label(e.event) });
    } else if (e.type === '@xstate.actor') {
      this.push({ type: e.type, event: this.machine.id });
    } else if (e.type === '@xstate.action') {
      this.push({ type: e.type, event: e.action.type });
    }
  }

  private push(entry: Omit<InspectionEntry, 'seq' | 'index'>): void {
    this.seq += 1;
    this.ring.push({ ...entry, seq: this.seq, index: this.index ?? 0 });
    this.snapshotView = null;
  }
}
