// Lays the statechart spec out as nested boxes for the SVG view. Pure and deterministic
// (same spec → same geometry), so it is unit-tested and cached per spec.
//
// Conventions, chosen for reading at a glance rather than for generality:
//   - root regions are panels; the first (FLOW) takes the left column, the others stack
//     in a right column (each region is orthogonal to the rest, drawn with a solid frame);
//   - a parallel state lays its regions side by side, split by dashed lines;
//   - a compound state whose children are all atomic lays them in a row, or in a column
//     when it is itself a region of a parallel state (Ingestion, Council, Environment);
//   - a compound state with composite children stacks them, grouping runs of atomic
//     siblings into rows;
//   - text width is estimated from character counts (no DOM needed); the SVG scales.

import type { Spec, StateNodeSpec } from '../../core/spec';

export interface ChartBox {
  path: string;
  name: string;
  kind: StateNodeSpec['kind'];
  /** 0 for a root region. */
  depth: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Atomic or final: drawn as a state pill. Otherwise a container with a label. */
  leaf: boolean;
  /** Region of a parallel state: drawn without a frame, separated by dashed lines. */
  region: boolean;
  /** The initial child of its compound parent (gets the initial-state dot). */
  initial: boolean;
}

export interface ChartSeparator {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  boxes: ChartBox[];
  byPath: Map<string, ChartBox>;
  separators: ChartSeparator[];
}

export const METRICS = {
  charW: 6.9,
  leafH: 24,
  leafMinW: 92,
  leafPadX: 12,
  headerH: 20,
  rootHeaderH: 24,
  pad: 8,
  gap: 6,
  columnGap: 12,
} as const;

interface Tree {
  path: string;
  w: number;
  h: number;
  children: Array<{ tree: Tree; dx: number; dy: number }>;
  separators: ChartSeparator[];
  /** How to grow when a parent stretches this node: leaf columns widen their leaves,
   *  parallel states share the extra width among their regions. */
  grow: 'none' | 'leaves' | 'regions';
}

const M = METRICS;

function textW(s: string): number {
  return s.length * M.charW;
}

function leafTree(node: StateNodeSpec): Tree {
  return {
    path: node.path,
    w: Math.max(M.leafMinW, Math.ceil(textW(node.name) + 2 * M.leafPadX)),
    h: M.leafH,
    children: [],
    separators: [],
    grow: 'none',
  };
}

function isLeaf(n: StateNodeSpec): boolean {
  return n.kind === 'atomic' || n.kind === 'final';
}

function measure(spec: Spec, path: string, depth: number): Tree {
  const node = spec.states[path] as StateNodeSpec;
  if (isLeaf(node)) return leafTree(node);
  const kids = node.children.map((c) => spec.states[c] as StateNodeSpec);
  const headerH = depth === 0 ? M.rootHeaderH : M.headerH;
  const labelW = textW(node.name) + 2 * M.pad + 8;
  if (node.kind === 'parallel') return measureParallel(spec, node, kids, depth, headerH, labelW);
  const parent = node.parent === null ? null : spec.states[node.parent];
  if (kids.every(isLeaf)) {
    const column = parent?.kind === 'parallel' && depth > 0;
    return column ? measureColumn(node, kids, headerH, labelW) : measureRow(node, kids, headerH, labelW);
  }
  return measureStack(spec, node, kids, depth, headerH, labelW);
}

function measureColumn(node: StateNodeSpec, kids: StateNodeSpec[], headerH: number, labelW: number): Tree {
  const trees = kids.map(leafTree);
  const innerW = Math.max(...trees.map((t) => t.w), labelW - 2 * M.pad);
  let y = headerH;
  const children = trees.map((tree) => {
    tree.w = innerW;
    const placed = { tree, dx: M.pad, dy: y };
    y += tree.h + M.gap;
    return placed;
  });
  return { path: node.path, w: innerW + 2 * M.pad, h: y - M.gap + M.pad, children, separators: [], grow: 'leaves' };
}

function measureRow(node: StateNodeSpec, kids: StateNodeSpec[], headerH: number, labelW: number): Tree {
  const trees = kids.map(leafTree);
  let x = M.pad;
  const children = trees.map((tree) => {
    const placed = { tree, dx: x, dy: headerH };
    x += tree.w + M.gap;
    return placed;
  });
  return { path: node.path, w: Math.max(x - M.gap + M.pad, labelW), h: headerH + M.leafH + M.pad, children, separators: [], grow: 'none' };
}

function measureParallel(spec: Spec, node: StateNodeSpec, kids: StateNodeSpec[], depth: number, headerH: number, labelW: number): Tree {
  const trees = kids.map((k) => measure(spec, k.path, depth + 1));
  const innerH = Math.max(...trees.map((t) => t.h));
  let x = 0;
  const separators: ChartSeparator[] = [];
  const children = trees.map((tree, i) => {
    stretch(tree, tree.w, innerH);
    if (i > 0) separators.push({ x1: x, y1: headerH + 2, x2: x, y2: headerH + innerH - 2 });
    const placed = { tree, dx: x, dy: headerH };
    x += tree.w;
    return placed;
  });
  return { path: node.path, w: Math.max(x, labelW), h: headerH + innerH + 2, children, separators, grow: 'regions' };
}

function measureStack(spec: Spec, node: StateNodeSpec, kids: StateNodeSpec[], depth: number, headerH: number, labelW: number): Tree {
  // Runs of atomic siblings share a row; composite children get a row each.
  const rows: Tree[][] = [];
  for (const k of kids) {
    const tree = measure(spec, k.path, depth + 1);
    const last = rows[rows.length - 1];
    if (isLeaf(k) && last && last.length > 0 && last.every((t) => t.children.length === 0)) last.push(tree);
    else rows.push([tree]);
  }
  const rowW = (row: Tree[]): number => row.reduce((s, t) => s + t.w, 0) + M.gap * (row.length - 1);
  const innerW = Math.max(...rows.map(rowW), labelW - 2 * M.pad);
  let y = headerH;
  const children: Tree['children'] = [];
  for (const row of rows) {
    let x = M.pad;
    const rowH = Math.max(...row.map((t) => t.h));
    for (const tree of row) {
      if (row.length === 1 && tree.children.length > 0) stretch(tree, innerW, tree.h);
      children.push({ tree, dx: x, dy: y });
      x += tree.w + M.gap;
    }
    y += rowH + M.gap;
  }
  return { path: node.path, w: innerW + 2 * M.pad, h: y - M.gap + M.pad, children, separators: [], grow: 'none' };
}

/** Grows a container to (w, h): leaf columns widen their leaves, parallel states their regions. */
function stretch(tree: Tree, w: number, h: number): void {
  const extraW = w - tree.w;
  const extraH = h - tree.h;
  if (tree.grow === 'leaves' && extraW > 0) {
    for (const c of tree.children) c.tree.w += extraW;
  }
  if (tree.grow === 'regions' && (extraW > 0 || extraH > 0)) {
    const n = tree.children.length;
    const per = extraW > 0 ? extraW / n : 0;
    tree.children.forEach((c, i) => {
      c.dx += i * per;
      stretch(c.tree, c.tree.w + per, c.tree.h + Math.max(0, extraH));
    });
    tree.separators.forEach((s, i) => {
      s.x1 += (i + 1) * per;
      s.x2 += (i + 1) * per;
      s.y2 += Math.max(0, extraH);
    });
  }
  tree.w = Math.max(tree.w, w);
  tree.h = Math.max(tree.h, h);
}

function flatten(spec: Spec, tree: Tree, x: number, y: number, depth: number, out: ChartBox[], seps: ChartSeparator[]): void {
  const node = spec.states[tree.path] as StateNodeSpec;
  const parent = node.parent === null ? null : (spec.states[node.parent] as StateNodeSpec);
  out.push({
    path: node.path,
    name: node.name,
    kind: node.kind,
    depth,
    x,
    y,
    w: tree.w,
    h: tree.h,
    leaf: isLeaf(node),
    region: parent?.kind === 'parallel',
    initial: parent?.kind === 'compound' && parent.initial === node.name,
  });
  for (const s of tree.separators) seps.push({ x1: s.x1 + x, y1: s.y1 + y, x2: s.x2 + x, y2: s.y2 + y });
  for (const c of tree.children) flatten(spec, c.tree, x + c.dx, y + c.dy, depth + 1, out, seps);
}

/** The whole chart: root regions in two columns (the first alone on the left, the rest stacked). */
export function layoutChart(spec: Spec): ChartLayout {
  const roots = spec.regions.map((r) => measure(spec, r, 0));
  const [first, ...rest] = roots;
  const boxes: ChartBox[] = [];
  const separators: ChartSeparator[] = [];
  if (!first) return { width: 0, height: 0, boxes, byPath: new Map(), separators };
  const restW = rest.length > 0 ? Math.max(...rest.map((t) => t.w)) : 0;
  const restH = rest.reduce((s, t) => s + t.h, 0) + M.columnGap * Math.max(0, rest.length - 1);
  const height = Math.max(first.h, restH);
  // The right column shares one width; its regions keep their own heights.
  for (const t of rest) stretch(t, restW, t.h);
  flatten(spec, first, 0, 0, 0, boxes, separators);
  let y = 0;
  for (const t of rest) {
    flatten(spec, t, first.w + M.columnGap, y, 0, boxes, separators);
    y += t.h + M.columnGap;
  }
  const width = first.w + (rest.length > 0 ? M.columnGap + restW : 0);
  return { width, height, boxes, byPath: new Map(boxes.map((b) => [b.path, b])), separators };
}

export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The flash label's pill: height, and width per character of its monospace text. */
export const FLASH_LABEL = { h: 18, charW: 7.2, padX: 8 } as const;

/**
 * Where the last transition's name is drawn: in the header bar of the root region it
 * happened in, right-aligned. It used to sit on the arrow's midpoint, where its pill
 * covered the states at the arrow's ends (PLAN under "Execution_PlanLocked"). A header bar
 * holds no state by construction, so the label never hides the states it names, at any
 * scale; the arrow still shows the move itself.
 */
export function flashLabelBox(layout: ChartLayout, path: string, name: string): LabelBox | null {
  const root = layout.byPath.get(path.split('.')[0] ?? '');
  if (!root) return null;
  const w = name.length * FLASH_LABEL.charW + 2 * FLASH_LABEL.padX;
  // Right of the region's own label (its name in the header), never past the region's edge.
  const minX = root.x + M.pad + root.name.length * M.charW * 1.3 + M.gap;
  const x = Math.max(minX, root.x + root.w - M.gap - w);
  const y = root.y + (M.rootHeaderH - FLASH_LABEL.h) / 2;
  return { x, y, w, h: FLASH_LABEL.h };
}
