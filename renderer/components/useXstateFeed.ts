// The Statechart view's xstate feed, wired to React: one feed per mounted view, fed the
// SSE `accepted` events (noted ahead) and synced to the cursor's frame during render, so
// the chart, the record named and the highlighted configuration come from one render.
// Syncing the same frame twice is a no-op (idempotent), which render may do.

import { useEffect, useMemo } from 'react';
import type { Frame } from '../state/frames';
import { useConsole } from '../state/context';
import { XstateFeed, type FeedView } from '../lib/xstateFeed';

export function useXstateFeed(frame: Frame | null): { feed: XstateFeed; view: FeedView } {
  const { api, spec } = useConsole();
  const feed = useMemo(() => new XstateFeed(spec), [spec]);
  useEffect(() => () => feed.stop(), [feed]);
  useEffect(
    () =>
      api.subscribe((e) => {
        if (e.type === 'accepted') feed.noteAccepted(e.index, e.transition);
      }),
    [api, feed],
  );
  const view = useMemo(
    () => (frame ? feed.sync({ index: frame.index, state: frame.at.state, transition: frame.record?.transition ?? null }) : feed.view()),
    [feed, frame],
  );
  return { feed, view };
}
