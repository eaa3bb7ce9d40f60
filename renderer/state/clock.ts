// The console's one clock for "which window, and how long": the BACKBEAT strip, the
// Actions view and the signing dialog read the same tick, so they never disagree about a
// window that opened between two separate timers' ticks (seen: the dialog said "review
// open" while the strip, on its own 250 ms timer, still said "closed"). Display only: the
// reducer judges windows from each proposal's HLC, never from this clock.

import { useSyncExternalStore } from 'react';

/** How often the shared clock ticks (every subscriber re-renders in the same commit). */
export const CLOCK_TICK_MS = 250;

let now_ms = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  now_ms = Date.now();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now_ms = Date.now();
    timer = setInterval(tick, CLOCK_TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const snapshot = (): number => now_ms;

/** Wall-clock ms as of the console's last tick, the same value in every component. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
