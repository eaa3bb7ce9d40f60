// The statechart drawn from the spec layout: regions as panels, parallel regions split by
// dashed lines, compound states as labelled frames, atomic states as pills. Active leaves
// are filled; their ancestors are outlined. The last transition is animated: an arrow
// from each state it left to each state it entered (within a root region) and its name
// flashed in that region's header bar (never over the states it names); a transition
// that moved nothing pulses its source.

import { memo } from 'react';
import type { State } from '../../core/state';
import { type ChartBox, type ChartLayout, flashLabelBox } from '../lib/chartLayout';
import { stateLabel } from '../lib/format';
import { activeLeaves, activeSet, leafDelta } from '../lib/spec';

export interface LastTransition {
  /** Changes whenever a new transition should animate (record index). */
  key: number | string;
  name: string;
  from: State | null;
}

interface Props {
  layout: ChartLayout;
  state: State | null;
  /** Active leaves to highlight (the xstate feed's configuration); default: activeLeaves(state). */
  leaves?: readonly string[];
  last: LastTransition | null;
  /** Source states of the transition (spec `from`), pulsed when nothing moved. */
  sources?: readonly string[];
  compact?: boolean;
  onSelect?: (path: string) => void;
  selected?: string | null;
}

function center(b: ChartBox): [number, number] {
  return [b.x + b.w / 2, b.y + b.h / 2];
}

function rootOf(path: string): string {
  return path.split('.')[0] as string;
}

/** A gentle curve from a to b, bowing to the left of the direction of travel. */
function arrowPath(a: ChartBox, b: ChartBox): { d: string } {
  const [x1, y1] = center(a);
  const [x2, y2] = center(b);
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len = Math.max(1, Math.hypot(dx, dy));
  // Start and end at the pills' edges rather than their centres.
  const trim = (bx: ChartBox, ux: number, uy: number) => {
    const tx = ux === 0 ? Infinity : bx.w / 2 / Math.abs(ux);
    const ty = uy === 0 ? Infinity : bx.h / 2 / Math.abs(uy);
    return Math.min(tx, ty) + 3;
  };
  const ux = dx / len;
  const uy = dy / len;
  const sx = x1 + ux * trim(a, ux, uy);
  const sy = y1 + uy * trim(a, ux, uy);
  const ex = x2 - ux * trim(b, ux, uy);
  const ey = y2 - uy * trim(b, ux, uy);
  const bow = Math.min(40, len * 0.25);
  const cx = (sx + ex) / 2 + uy * bow;
  const cy = (sy + ey) / 2 - ux * bow;
  return {
    d: `M${sx.toFixed(1)},${sy.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`,
  };
}

function StatechartSvgImpl({ layout, state, leaves: given, last, sources = [], compact = false, onSelect, selected = null }: Props) {
  const leaves = given ?? (state ? activeLeaves(state) : []);
  const active = activeSet(leaves);
  const delta = state && last ? leafDelta(last.from, state) : { exited: [], entered: [] };
  const arrows: Array<{ d: string; key: string; root: string }> = [];
  for (const from of delta.exited) {
    for (const to of delta.entered) {
      if (rootOf(from) !== rootOf(to)) continue;
      const a = layout.byPath.get(from);
      const b = layout.byPath.get(to);
      if (a && b) arrows.push({ d: arrowPath(a, b).d, key: `${from}->${to}`, root: rootOf(from) });
    }
  }
  const moved = new Set(delta.entered);
  const pulsed = arrows.length === 0 && last ? leaves.filter((l) => sources.some((s) => l === s || l.startsWith(`${s}.`))) : [];
  // The name goes in the header bar of the region that moved (never over its states).
  const labelRegion = arrows[0]?.root ?? pulsed[0] ?? delta.entered[0] ?? null;
  const labelAt = last && labelRegion ? flashLabelBox(layout, labelRegion, last.name) : null;
  const pad = 4;

  return (
    <svg
      className={`chart${compact ? ' is-compact' : ''}`}
      viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}
      preserveAspectRatio="xMidYMin meet"
      role="img"
      aria-label={`Statechart; active: ${leaves.join(', ')}`}
      data-testid="statechart"
    >
      <defs>
        <marker id="arrowhead" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="chart-arrowhead" />
        </marker>
      </defs>
      {layout.boxes.map((b) => {
        const isActive = active.has(b.path);
        const cls = [
          b.leaf ? 'st-leaf' : b.depth === 0 ? 'st-root' : b.region ? 'st-region' : 'st-compound',
          `kind-${b.kind}`,
          isActive ? 'is-active' : '',
          moved.has(b.path) && last ? 'is-entered' : '',
          selected === b.path ? 'is-selected' : '',
        ]
          .filter(Boolean)
          .join(' ');
        if (b.leaf) {
          return (
            <g
              key={b.path}
              className={cls}
              data-path={b.path}
              data-active={isActive ? 'true' : 'false'}
              onClick={onSelect ? () => onSelect(b.path) : undefined}
            >
              <title>
                {b.path}
                {isActive ? ' (active)' : ''}
              </title>
              {isActive && moved.has(b.path) && last && (
                <rect
                  key={`ring-${String(last.key)}`}
                  className="st-ring"
                  x={b.x - 3}
                  y={b.y - 3}
                  width={b.w + 6}
                  height={b.h + 6}
                  rx={8}
                />
              )}
              <rect className="st-pill" x={b.x} y={b.y} width={b.w} height={b.h} rx={5} />
              {b.kind === 'final' && <rect className="st-final" x={b.x + 2.5} y={b.y + 2.5} width={b.w - 5} height={b.h - 5} rx={3.5} />}
              <text className="st-name" x={b.x + b.w / 2} y={b.y + b.h / 2} dominantBaseline="central" textAnchor="middle">
                {stateLabel(b.name)}
              </text>
              {b.initial && <circle className="st-initial" cx={b.x - 4} cy={b.y + b.h / 2} r={2.2} />}
            </g>
          );
        }
        return (
          <g key={b.path} className={cls} data-path={b.path} data-active={isActive ? 'true' : 'false'}>
            {!b.region && <rect className="st-frame" x={b.x} y={b.y} width={b.w} height={b.h} rx={b.depth === 0 ? 6 : 5} />}
            {b.depth === 0 && <rect className="st-root-head" x={b.x} y={b.y} width={b.w} height={24} rx={6} />}
            <text
              className={b.depth === 0 ? 'st-root-label' : 'st-label'}
              x={b.x + 8}
              y={b.y + (b.depth === 0 ? 12 : 10)}
              dominantBaseline="central"
            >
              {stateLabel(b.name)}
              {b.kind === 'parallel' && b.depth > 0 ? ' ∥' : ''}
            </text>
            {b.initial && <circle className="st-initial" cx={b.x - 4} cy={b.y + 10} r={2.2} />}
          </g>
        );
      })}
      {layout.separators.map((s, i) => (
        <line key={i} className="st-separator" x1={s.x1} y1={s.y1} x2={s.x2} y2={s.y2} />
      ))}
      {last && (
        <g className="flash" key={`flash-${String(last.key)}`} data-testid="transition-flash" data-transition={last.name}>
          {arrows.map((a) => (
            <path key={a.key} className="flash-arrow" d={a.d} markerEnd="url(#arrowhead)" pathLength={100} />
          ))}
          {pulsed.map((p) => {
            const b = layout.byPath.get(p);
            return b ? <rect key={p} className="flash-pulse" x={b.x - 3} y={b.y - 3} width={b.w + 6} height={b.h + 6} rx={8} /> : null;
          })}
          {labelAt && (
            <g className="flash-label" data-testid="flash-label">
              <rect x={labelAt.x} y={labelAt.y} width={labelAt.w} height={labelAt.h} rx={labelAt.h / 2} />
              <text x={labelAt.x + labelAt.w / 2} y={labelAt.y + labelAt.h / 2} textAnchor="middle" dominantBaseline="central">
                {last.name}
              </text>
            </g>
          )}
        </g>
      )}
    </svg>
  );
}

export const StatechartSvg = memo(StatechartSvgImpl);
