// The xstate inspection stream of the Statechart view's actor (renderer/lib/xstateFeed.ts),
// newest first: each @xstate.event with the transition it carried, each @xstate.snapshot
// with the leaves it entered and left, and the actor's (re-)creations with their reason.

import type { FeedView, InspectionEntry } from '../lib/xstateFeed';
import { formatInt } from '../lib/format';
import { Empty } from './ui';

export const SHOWN_MAX = 50;
const LISTED = new Set<InspectionEntry['type']>(['@xstate.actor', '@xstate.event', '@xstate.snapshot', 'swoosh.recreate']);

const TYPE_LABEL: Partial<Record<InspectionEntry['type'], string>> = {
  '@xstate.actor': 'actor',
  '@xstate.event': 'event',
  '@xstate.snapshot': 'snapshot',
  'swoosh.recreate': 're-created',
};

const tail = (leaf: string): string => leaf.split('.').slice(-1).join('.');

/** What a snapshot changed against the snapshot before it (in the ring), e.g. `+EXECUTION.REVIEW −EXECUTION.WORK`. */
function changeOf(entry: InspectionEntry, before: InspectionEntry | undefined): string {
  const now = entry.leaves ?? [];
  if (before?.leaves === undefined) return `${now.length} active`;
  const entered = now.filter((l) => !before.leaves?.includes(l)).map((l) => `+${tail(l)}`);
  const exited = before.leaves.filter((l) => !now.includes(l)).map((l) => `−${tail(l)}`);
  return entered.length + exited.length === 0 ? 'unchanged' : [...entered, ...exited].join(' ');
}

export function InspectionEvents({ view }: { view: FeedView }) {
  const rows: Array<{ entry: InspectionEntry; detail: string }> = [];
  let lastSnapshot: InspectionEntry | undefined;
  for (const entry of view.entries) {
    if (!LISTED.has(entry.type)) continue;
    let detail = '';
    if (entry.type === '@xstate.snapshot') {
      detail = changeOf(entry, lastSnapshot);
      lastSnapshot = entry;
    }
    rows.push({ entry, detail });
  }
  const shown = rows.slice(-SHOWN_MAX).reverse();
  if (shown.length === 0) return <Empty>No inspection event yet.</Empty>;
  return (
    <table className="table inspect-events" data-testid="inspection-events">
      <tbody>
        {shown.map(({ entry, detail }) => (
          <tr key={entry.seq} className={`row-${entry.type.replace(/^@?[a-z]+\./, '')}`} title={entry.leaves?.join('\n')}>
            <td className="mono ie-index">#{formatInt(entry.index)}</td>
            <td className="ie-type">{TYPE_LABEL[entry.type] ?? entry.type}</td>
            <td className="mono ie-event">{entry.event}</td>
            <td className="mono ie-detail">{detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "xstate model ✓ agrees" / "✗ differs at #n: …": the live model check of the feed. */
export function ModelCheck({ view }: { view: FeedView }) {
  if (view.agrees === null)
    return (
      <span className="xstate-check is-pending" data-testid="xstate-check">
        xstate model …
      </span>
    );
  if (view.agrees) {
    return (
      <span
        className="xstate-check is-ok"
        data-testid="xstate-check"
        data-agrees="true"
        title={`xstate's configuration equals the state document's at #${formatInt(view.index ?? 0)}; ${formatInt(view.sent)} events sent, actor created ${formatInt(view.recreated)}×`}
      >
        xstate model ✓ agrees
      </span>
    );
  }
  const { only_xstate, only_document } = view.difference;
  const text = [...only_xstate.map((l) => `xstate ${tail(l)}`), ...only_document.map((l) => `document ${tail(l)}`)].join(', ');
  return (
    <span
      className="xstate-check is-bad"
      data-testid="xstate-check"
      data-agrees="false"
      title={`only in xstate: ${only_xstate.join(', ') || '—'}\nonly in the state document: ${only_document.join(', ') || '—'}`}
    >
      xstate model ✗ differs at #{formatInt(view.differs_at ?? 0)}: {text}
    </span>
  );
}
