// One upstream event source (the SSE stream in browser mode, the preload's event channel
// in Electron) shared by every ConsoleApi subscriber: started by the first subscribe and
// stopped when the last one leaves. A listener that throws is logged and does not keep
// the event from the others.

import type { ConsoleEvent } from './ConsoleApi';

export type Listener = (e: ConsoleEvent) => void;

/**
 * `start` opens the upstream and returns how to stop it, or null when it could not start
 * (then the next subscribe tries again).
 */
export function eventFanout(start: (emit: Listener) => (() => void) | null): { emit: Listener; subscribe: (l: Listener) => () => void } {
  const listeners = new Set<Listener>();
  let stop: (() => void) | null = null;
  const emit = (e: ConsoleEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        console.error('console event listener failed', err);
      }
    }
  };
  const subscribe = (listener: Listener): (() => void) => {
    listeners.add(listener);
    if (stop === null) stop = start(emit);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && stop !== null) {
        stop();
        stop = null;
      }
    };
  };
  return { emit, subscribe };
}
