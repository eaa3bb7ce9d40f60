// Statechart view: the machine as the YAML defines it, the configuration at the cursor
// (live HEAD unless time-travelling), the last transition animated, and beside it the
// active configuration, the last transition's guard outcomes and what the configuration
// structurally allows next.
//
// The highlight comes from xstate (docs/architecture.md §3): an actor of the machine generated from the
// YAML, fed the accepted transitions (renderer/lib/xstateFeed.ts); its inspection events
// are listed under the chart and its configuration is cross-checked against the state
// document at every frame ("xstate model ✓ agrees").

import { useMemo } from 'react';
import { useCursor } from '../state/cursor';
import { Chip, Empty, Kv, Mark, Panel } from '../components/ui';
import { InspectionEvents, ModelCheck, SHOWN_MAX } from '../components/InspectionEvents';
import { RecentTransitions } from '../components/RecentTransitions';
import { StatechartSvg, type LastTransition } from '../components/StatechartSvg';
import { StatelyInspectButton } from '../components/StatelyInspectButton';
import { formatInt, shortHlc, signerName, stateLabel } from '../lib/format';
import { activeLeaves, enabledTransitions } from '../lib/spec';
import { useXstateFeed } from '../components/useXstateFeed';
import { useConsole } from '../state/context';

export function StatechartView() {
  const cursor = useCursor();
  const { layout, spec } = useConsole();
  const frame = cursor.frame;
  const state = frame?.at.state ?? null;
  const record = frame?.record ?? null;
  const last: LastTransition | null = useMemo(
    () => (frame && record ? { key: frame.index, name: record.transition, from: frame.prev?.state ?? null } : null),
    [frame, record],
  );
  const sources = record ? (spec.transitions[record.transition]?.from ?? []) : [];
  const { feed, view: xs } = useXstateFeed(frame);
  // The feed stands at the frame once synced; the document's leaves only before its first frame.
  const leaves = state && xs.index === frame?.index ? xs.configuration : state ? activeLeaves(state) : [];
  const enabled = useMemo(() => (state ? enabledTransitions(spec, state) : []), [spec, state]);

  return (
    <div className="view view-statechart">
      <div className="view-head">
        <h1>Statechart</h1>
        <span className="view-sub">
          {cursor.index === null ? (
            <>
              live · HEAD <b>#{formatInt(cursor.headIndex)}</b>
            </>
          ) : (
            <>
              time travel · record <b>#{formatInt(cursor.index)}</b> of {formatInt(cursor.headIndex)}
            </>
          )}
          {' · '}machine{' '}
          <span className="mono" title={spec.hash}>
            {spec.id}
          </span>
        </span>
        <span className="view-head-tools">
          <StatelyInspectButton feed={feed} />
        </span>
      </div>
      <div className="statechart-grid">
        <div className="chart-column">
          <Panel className="chart-panel" testId="chart-panel">
            {state ? (
              <StatechartSvg layout={layout} state={state} leaves={leaves} last={last} sources={sources} />
            ) : (
              <Empty>{cursor.error ?? 'Loading state…'}</Empty>
            )}
            <div className="chart-legend" aria-hidden="true">
              <span>
                <i className="lg lg-active" /> active
              </span>
              <span>
                <i className="lg lg-path" /> contains active
              </span>
              <span>
                <i className="lg lg-idle" /> inactive
              </span>
              <span>
                <i className="lg lg-initial" /> initial
              </span>
              <span>
                <i className="lg lg-par" /> parallel regions
              </span>
              <span className="legend-right">
                {spec.regions.length} orthogonal regions · {Object.keys(spec.states).length} states · {Object.keys(spec.transitions).length}{' '}
                transitions
              </span>
            </div>
          </Panel>
          <div className="chart-bottom">
            <Panel
              title="Recent transitions"
              extra={
                <span className="muted">up to {cursor.index === null ? 'HEAD' : `#${formatInt(cursor.index)}`} · click to travel</span>
              }
              className="recent-panel"
            >
              <RecentTransitions cursor={cursor} />
            </Panel>
            <Panel
              title="Inspection events"
              extra={
                <>
                  <ModelCheck view={xs} />
                  <span className="muted">last {SHOWN_MAX}</span>
                </>
              }
              className="inspect-panel"
              testId="inspection-panel"
            >
              <InspectionEvents view={xs} />
            </Panel>
          </div>
        </div>
        <div className="side">
          <Panel title="Last transition" testId="last-transition">
            {record && frame ? (
              <>
                <div className="big-name" data-testid="last-transition-name">
                  {record.transition}
                </div>
                <Kv
                  rows={[
                    ['Record', <span className="mono">#{formatInt(frame.index)}</span>],
                    ['Signer', signerName(state, record.signer)],
                    ['HLC', <span className="mono">{shortHlc(record.hlc)}</span>],
                    ['Window', <span className="mono">{record.window_id ?? '—'}</span>],
                  ]}
                />
                <ul className="guards">
                  {record.guard_outcomes.length === 0 && <li className="muted">no guards</li>}
                  {record.guard_outcomes.map((g, i) => (
                    <li key={`${g.guard}-${i}`} title={g.reasons.join('\n')}>
                      <Mark ok={g.ok} />
                      <span className="guard-name">{g.guard}</span>
                      <span className="guard-reason">{g.reasons[0] ?? ''}</span>
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <Empty>{frame?.index === 0 ? 'Genesis: no transition yet.' : 'Loading…'}</Empty>
            )}
          </Panel>
          <Panel title="Active configuration" extra={<span className="count">{leaves.length}</span>} testId="active-config">
            <ul className="leaves">
              {leaves.map((l) => {
                const parts = l.split('.');
                return (
                  <li key={l} data-leaf={l} title={l}>
                    <span className="leaf-region">{stateLabel(parts[0] ?? '')}</span>
                    <span className="leaf-path">{parts.slice(1, -1).map(stateLabel).join(' › ')}</span>
                    <span className="leaf-name">{stateLabel(parts[parts.length - 1] ?? '')}</span>
                  </li>
                );
              })}
            </ul>
          </Panel>
          <Panel
            title="Enabled by configuration"
            extra={<span className="count">{enabled.filter((e) => e.blocked.length === 0).length}</span>}
            className="enabled-panel"
          >
            <ul className="enabled">
              {enabled.map(({ transition: t, blocked }) => (
                <li
                  key={t.name}
                  className={blocked.length > 0 ? 'is-blocked' : ''}
                  title={blocked.length > 0 ? `blocked: ${blocked.join(', ')}` : `roles ${t.roles.join(', ')}`}
                >
                  <span className="t-name">{t.name}</span>
                  <span className="t-chips">
                    {t.roles.includes('operator') && <Chip tone="accent">operator</Chip>}
                    {t.window && <Chip tone="info">{t.window.join('|')}</Chip>}
                    {t.guards.map((g) => (
                      <Chip key={g}>{g}</Chip>
                    ))}
                    {blocked.map((b) => (
                      <Chip key={b} tone="warn">
                        {b}
                      </Chip>
                    ))}
                  </span>
                </li>
              ))}
            </ul>
            <p className="footnote">Structural gates only; signatures, quorum, windows and pins are judged by the reducer.</p>
          </Panel>
        </div>
      </div>
    </div>
  );
}
