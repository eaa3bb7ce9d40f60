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
    <table className="table recent" data-testid="recent-transitions">
      <tbody>
        {records.map((r) => (
          <tr key={r.index} className={r.index === position ? 'is-current' : ''} onClick={() => cursor.set(r.index)}>
            <td className="mono r-index">#{formatInt(r.index)}</td>
            <td className="mono muted r-when" title={r.hlc}>
              {shortHlc(r.hlc).slice(11, 23)}
            </td>
            <td className={`r-transition c-tr region-${regionOf(r.transition).toLowerCase()}`}>{r.transition}</td>
            <td className="r-who">{signerName(state, r.signer)}</td>
            <td
              className="r-guards"
              title={r.guard_outcomes.map((g) => `${g.ok ? '✓' : '✗'} ${g.guard}: ${g.reasons.join('; ')}`).join('\n') || 'no guards'}
            >
              {r.guard_outcomes.map((g, i) => (
                <span key={`${g.guard}-${i}`} className="guard-tag">
                  <Mark ok={g.ok} />
                  {g.guard}
                </span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
