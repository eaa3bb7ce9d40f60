// Loads the machine (statechart YAML → Spec → layout) and starts the live store, then
// hands over to App. A spec that fails to load is shown, not swallowed: the console must
// never draw a machine other than the one the host runs.

import { useEffect, useMemo, useState } from 'react';
import type { ConsoleApi } from './api/ConsoleApi';
import { describeError } from './api/ConsoleApi';
import { App } from './App';
import { layoutChart } from './lib/chartLayout';
import { specFromYaml } from './lib/spec';
import { ConsoleProvider, type ConsoleContext } from './state/context';
import { LiveStore } from './state/live';
import { consoleOrigin, SessionStore } from './state/session';
import { initialTheme, applyTheme } from './theme';

export function Boot({ api }: { api: ConsoleApi }) {
  const [ctx, setCtx] = useState<ConsoleContext | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = useMemo(() => new LiveStore(api), [api]);
  const session = useMemo(() => new SessionStore(api), [api]);

  useEffect(() => applyTheme(initialTheme()), []);

  useEffect(() => {
    let cancelled = false;
    api.getStatechartYaml().then(
      (yaml) => {
        if (cancelled) return;
        const r = specFromYaml(yaml);
        if (!r.ok) {
          setError(`The statechart spec does not load:\n${r.error}`);
          return;
        }
        live.loader.setSpec(r.spec);
        setCtx({ api, live, session, spec: r.spec, layout: layoutChart(r.spec) });
      },
      (err: unknown) => !cancelled && setError(describeError(err)),
    );
    live.start();
    // The session remembers the cluster it saw (leader history) whichever view is open.
    let seen = live.getSnapshot().health;
    const unobserve = live.subscribe(() => {
      const h = live.getSnapshot().health;
      if (h === seen) return;
      seen = h;
      session.observeHealth(h, Date.now(), consoleOrigin());
    });
    return () => {
      cancelled = true;
      unobserve();
      live.stop();
      session.stop();
    };
  }, [api, live, session]);

  if (error) {
    return (
      <div className="fatal" role="alert">
        <h1>SWOOSH console cannot start</h1>
        <pre>{error}</pre>
      </div>
    );
  }
  if (!ctx) return <div className="splash">Loading machine…</div>;
  return (
    <ConsoleProvider value={ctx}>
      <App />
    </ConsoleProvider>
  );
}
