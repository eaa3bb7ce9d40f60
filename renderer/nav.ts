// The console's views, in rail order: number keys 1–n and `g <key>` select them.

export type ViewId = 'statechart' | 'timeline' | 'rejections' | 'decisions';

export const VIEWS: ReadonlyArray<{ id: ViewId; label: string; key: string; hint: string }> = [
  { id: 'statechart', label: 'Statechart', key: 's', hint: 'Regions, active states, last transition' },
  { id: 'timeline', label: 'Timeline', key: 't', hint: 'WAL, time travel, diffs' },
  { id: 'rejections', label: 'Rejections', key: 'r', hint: 'Refused proposals by guard' },
  { id: 'decisions', label: 'Decisions', key: 'd', hint: 'BUBBLE decision records' },
];
