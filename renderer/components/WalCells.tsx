// The WAL list's columns, one definition for the full timeline (views/TimelineView.tsx) and
// the filtered list (components/TimelineFilters.tsx): both draw accepted records alike and
// differ only in the chain cell (checked in the full list, not in a filtered one).

import { formatInt, regionOf, shortHlc } from '../lib/format';
import type { WalMatch } from '../lib/walFilter';
import { Chip } from './ui';

export function WalHeader() {
  return (
    <div className="wal-header" aria-hidden="true">
      <span className="c-idx">#</span>
      <span className="c-hlc">HLC</span>
      <span className="c-tr">Transition</span>
      <span className="c-signer">Signer</span>
      <span className="c-win">Window</span>
      <span className="c-guards">Guards</span>
      <span className="c-chain">Chain</span>
    </div>
  );
}

/** The cells of one accepted record up to its guards; the caller adds the chain cell. */
export function WalRecordCells({ m, signerLabel, guardsTitle }: { m: WalMatch; signerLabel: string; guardsTitle?: string }) {
  return (
    <>
      <span className="c-idx mono">{formatInt(m.index)}</span>
      <span className="c-hlc mono" title={m.hlc}>
        {shortHlc(m.hlc).slice(11, 23)}
        <span className="hlc-counter">#{m.hlc.slice(m.hlc.lastIndexOf('#') + 1)}</span>
      </span>
      <span className={`c-tr region-${regionOf(m.transition).toLowerCase()}`} title={m.transition}>
        {m.transition}
      </span>
      <span className="c-signer" title={m.signer}>
        {signerLabel}
      </span>
      <span className="c-win mono muted">{m.window_id ? m.window_id.replace('backbeat:', '') : ''}</span>
      <span className="c-guards" title={guardsTitle}>
        {m.guards_n === 0 ? (
          <span className="muted">—</span>
        ) : m.guards_failed > 0 ? (
          <Chip tone="warn">{m.guards_failed} diverted</Chip>
        ) : (
          <span className="guards-ok">✓ {m.guards_n}</span>
        )}
      </span>
    </>
  );
}
