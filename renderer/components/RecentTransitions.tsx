// The last few WAL records up to the cursor: a compact trail under the chart, so the
// operator sees how the configuration got here. Clicking a row moves the cursor.

import { useEffect, useState } from 'react';
import type { Cursor } from '../state/cursor';
import type { WalRecord } from '../api/ConsoleApi';
import { describeError } from '../api/ConsoleApi';
import { formatInt, regionOf, shortHlc, signerName } from '../lib/format';
import { useConsole, useLive } from '../state/context';
import { Empty, Mark } from './ui';

const SHOWN = 10;

export function RecentTransitions({ cursor }: { cursor: Cursor }) {
  const { api } = useConsole();
  const live = useLive();
  const position = cursor.index ?? cursor.headIndex;
  const [records, setRecords] = useState<WalRecord[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (position < 1) {
      setRecords([]);
      return;
    }
    let stale = false;
    const from = Math.max(1, position - SHOWN + 1);
    api.getWal(from, position - from + 1).then(
      (w) => {
        if (stale) return;
        setRecords([...w.records].reverse());
        setError(null);
      },
      (err: unknown) => !stale && setError(describeError(err)),
    );
    return () => {
      stale = true;
    };
  }, [api, position]);

  if (error) return <div className="inline-error">{error}</div>;
  if (records.length === 0) return <Empty>No transition yet: the project is at genesis.</Empty>;
  const state = live.head?.state ?? null;
  return (
    <div className="recent" role="list" data-testid="recent-transitions">
      {records.map((r) => (
        // A grid row, not a table row: at the console's narrow widths the guard chips move
        // to a second line (container query in styles.css) instead of being cut off, and
        // at any width they wrap; none is ever hidden.
        <div
          key={r.index}
          role="listitem"
          className={`recent-row${r.index === position ? ' is-current' : ''}`}
          data-index={r.index}
          onClick={() => cursor.set(r.index)}
        >
          <span className="mono r-index">#{formatInt(r.index)}</span>
          <span className="mono muted r-when" title={r.hlc}>
            {shortHlc(r.hlc).slice(11, 23)}
          </span>
          <span className={`r-transition c-tr region-${regionOf(r.transition).toLowerCase()}`} title={r.transition}>
            {r.transition}
          </span>
          <span className="r-who">{signerName(state, r.signer)}</span>
          <span className="r-guards" data-testid="recent-guards">
            {r.guard_outcomes.length === 0 && <span className="muted r-noguard">no guards</span>}
            {r.guard_outcomes.map((g, i) => (
              <span key={`${g.guard}-${i}`} className={`guard-tag${g.ok ? '' : ' is-failed'}`} title={guardTitle(g)}>
                <Mark ok={g.ok} />
                {g.guard}
              </span>
            ))}
          </span>
        </div>
      ))}
    </div>
  );
}

function guardTitle(g: WalRecord['guard_outcomes'][number]): string {
  return `${g.ok ? '✓' : '✗'} ${g.guard}: ${g.reasons.join('; ') || 'ok'}`;
}
