// "Open in Stately Inspector" (docs/architecture.md §3): an optional extra for when a network is there.
// The browser inspector opens the hosted stately.ai page in a new window and posts the
// feed actor's inspection events to it, so it is offered in browser mode only (the
// Electron window denies new windows) and loaded on demand: @statelyai/inspect is its own
// chunk, fetched on the first click, never in the main bundle. Without a network it fails
// quietly: a one-line note, the window it opened closed, never a page error.

import { useEffect, useRef, useState } from 'react';
import type { XstateFeed } from '../lib/xstateFeed';
import { useConsole } from '../state/context';

/** How long the stately.ai page has to say it is connected before we call it unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
const CONNECTED = '@statelyai.connected';

export function StatelyInspectButton({ feed }: { feed: XstateFeed }) {
  const { api } = useConsole();
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = useRef<(() => void) | null>(null);

  // The feed is per view: leaving the view detaches the inspector.
  useEffect(() => () => close.current?.(), [feed]);

  if (api.mode === 'electron') return null;

  const open = async (): Promise<void> => {
    close.current?.();
    close.current = null;
    if (!navigator.onLine) {
      setNote('Offline: the Stately Inspector is hosted on stately.ai.');
      return;
    }
    setBusy(true);
    try {
      const { createBrowserInspector } = await import('@statelyai/inspect');
      const inspector = createBrowserInspector({ autoStart: false });
      inspector.start();
      const popup = inspector.adapter.targetWindow;
      if (popup === null) {
        setNote('The browser blocked the inspector window.');
        return;
      }
      const detach = feed.attach(inspector.inspect);
      const onMessage = (e: MessageEvent): void => {
        if (e.source !== popup || (e.data as { type?: unknown } | null)?.type !== CONNECTED) return;
        clearTimeout(timer);
        setNote('Connected to the Stately Inspector.');
      };
      const timer = setTimeout(() => {
        window.removeEventListener('message', onMessage);
        detach();
        inspector.stop();
        popup.close();
        close.current = null;
        setNote('stately.ai did not answer (no network?): the chart here is the console’s own view.');
      }, CONNECT_TIMEOUT_MS);
      window.addEventListener('message', onMessage);
      close.current = () => {
        clearTimeout(timer);
        window.removeEventListener('message', onMessage);
        detach();
        inspector.stop();
      };
      setNote('Opening stately.ai/inspect…');
    } catch (err) {
      setNote(`Stately Inspector unavailable: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="tbtn stately-open"
        onClick={() => void open()}
        disabled={busy}
        data-testid="stately-open"
        title="Opens stately.ai/inspect in a new window and sends it this chart's xstate inspection events (needs a network)"
      >
        Open in Stately Inspector
      </button>
      {note !== null && (
        <span className="stately-note" data-testid="stately-note" title={note}>
          {note}
        </span>
      )}
    </>
  );
}
