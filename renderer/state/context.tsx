// React wiring: the ConsoleApi, the live store and the loaded spec, provided once at the
// root. Views read them through these hooks and never construct transports themselves.

import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { ConsoleApi } from '../api/ConsoleApi';
import type { ChartLayout } from '../lib/chartLayout';
import type { Spec } from '../lib/spec';
import type { LiveStore, LiveView } from './live';
import type { SessionStore, SessionView } from './session';

export interface ConsoleContext {
  api: ConsoleApi;
  live: LiveStore;
  /** Remembered across views for the session (signed actions, metrics history). */
  session: SessionStore;
  spec: Spec;
  layout: ChartLayout;
}

const Ctx = createContext<ConsoleContext | null>(null);

export function ConsoleProvider({ value, children }: { value: ConsoleContext; children: ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useConsole(): ConsoleContext {
  const c = useContext(Ctx);
  if (!c) throw new Error('useConsole outside ConsoleProvider');
  return c;
}

export function useLive(): LiveView {
  const { live } = useConsole();
  return useSyncExternalStore(live.subscribe, live.getSnapshot);
}

export function useSession(): SessionView {
  const { session } = useConsole();
  return useSyncExternalStore(session.subscribe, session.getSnapshot);
}
