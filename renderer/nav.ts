// The console's views, in rail order: number keys 1–n and `g <key>` select them.

export type ViewId =
  | 'statechart'
  | 'timeline'
  | 'rejections'
  | 'decisions'
  | 'quorum'
  | 'actions'
  | 'sandbox'
  | 'metrics'
  | 'health'
  | 'migration'
  | 'simulators';

export const VIEWS: ReadonlyArray<{ id: ViewId; label: string; key: string; hint: string; demo_only?: true }> = [
  { id: 'statechart', label: 'Statechart', key: 's', hint: 'Regions, active states, last transition' },
  { id: 'timeline', label: 'Timeline', key: 't', hint: 'WAL, time travel, diffs' },
  { id: 'rejections', label: 'Rejections', key: 'r', hint: 'Refused proposals by guard' },
  { id: 'decisions', label: 'Decisions', key: 'd', hint: 'BUBBLE decision records' },
  { id: 'quorum', label: 'Quorum', key: 'q', hint: 'Council certificates, votes verified here' },
  { id: 'actions', label: 'Actions', key: 'a', hint: 'Signed operator actions and keys' },
  { id: 'sandbox', label: 'What-if', key: 'w', hint: 'Fork the WAL and replay in the browser' },
  { id: 'metrics', label: 'Metrics', key: 'm', hint: 'Transitions/s, guard failures, WAL lag' },
  { id: 'health', label: 'Health', key: 'h', hint: 'Host, providers and breakers' },
  { id: 'migration', label: 'Migration', key: 'o', hint: 'WHOOSH → SWOOSH routes, shadow divergences, bypass' },
  { id: 'simulators', label: 'Simulators', key: 'u', hint: "The demo's simulated services: knobs and one-click failures", demo_only: true },
];

/** A demo host lists its simulators in GET /health; only then is the Simulators view in the rail. */
export function isDemoHealth(health: { [fact: string]: unknown } | null): boolean {
  const sims = health?.simulators;
  return typeof sims === 'object' && sims !== null;
}
