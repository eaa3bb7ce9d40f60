// A fixed-row-height virtual list that stays exact at millions of rows.
//
// Why not one tall spacer: a million 24 px rows is 24M px, past 2^24, where Chromium's
// compositor (single-precision scroll offsets and transforms) rounds to 2 px and rows
// visibly overlap. So the scrolled content is capped at SCROLL_PX_MAX: below the cap the
// list scrolls 1:1; above it, the scrollbar position maps proportionally onto the rows
// (a wheel notch moves a few more rows) and rows are drawn relative to the viewport, so
// every coordinate the browser sees stays a small exact integer.

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/** Well under 2^24, so every pixel offset is exact in single precision. */
export const SCROLL_PX_MAX = 8_000_000;

export interface ScrollRequest {
  index: number;
  align: 'auto' | 'start' | 'end';
  /** Changes to repeat a request for the same index. */
  nonce: number;
}

interface Props {
  count: number;
  rowHeight: number;
  overscan?: number;
  /** Renders row `index` at `top` px inside the scrolled content. */
  renderRow: (index: number, top: number) => ReactNode;
  /** Visible range, for fetching what the rows need. */
  onRange?: (first: number, last: number) => void;
  scrollTo?: ScrollRequest | null;
  className?: string;
  ariaLabel?: string;
}

export interface Geometry {
  total: number;
  inner: number;
  /** Content offset (px into the full list) shown at the top for a scrollTop. */
  offsetOf: (scrollTop: number) => number;
  /** The scrollTop that shows content offset `offset` at the top. */
  scrollTopOf: (offset: number) => number;
}

/** The scroll mapping, pure (tested without a DOM). */
export function geometry(count: number, rowHeight: number, viewport: number): Geometry {
  const total = count * rowHeight;
  const inner = Math.min(total, SCROLL_PX_MAX);
  const span = Math.max(0, total - viewport);
  const innerSpan = Math.max(0, inner - viewport);
  if (total <= SCROLL_PX_MAX || innerSpan === 0) {
    return { total, inner, offsetOf: (s) => Math.min(span, Math.max(0, s)), scrollTopOf: (o) => Math.min(span, Math.max(0, o)) };
  }
  return {
    total,
    inner,
    offsetOf: (s) => Math.round((Math.min(innerSpan, Math.max(0, s)) / innerSpan) * span),
    scrollTopOf: (o) => Math.round((Math.min(span, Math.max(0, o)) / span) * innerSpan),
  };
}

export function VirtualRows({ count, rowHeight, overscan = 8, renderRow, onRange, scrollTo, className = '', ariaLabel }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  // A programmatic scroll remembers its exact content offset (the proportional mapping
  // would otherwise round it by up to total/inner px).
  const anchor = useRef<{ scrollTop: number; offset: number } | null>(null);
  const geo = geometry(count, rowHeight, viewport);
  const offset = anchor.current && anchor.current.scrollTop === scrollTop ? anchor.current.offset : geo.offsetOf(scrollTop);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    setViewport(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (el) setScrollTop(Math.round(el.scrollTop));
  }, []);

  useEffect(() => {
    if (!scrollTo || !ref.current) return;
    const el = ref.current;
    const rowTop = scrollTo.index * rowHeight;
    let target = offset;
    if (scrollTo.align === 'start') target = rowTop;
    else if (scrollTo.align === 'end') target = rowTop + rowHeight - viewport;
    else if (rowTop < offset) target = rowTop;
    else if (rowTop + rowHeight > offset + viewport) target = rowTop + rowHeight - viewport;
    if (target === offset) return;
    const g = geometry(count, rowHeight, viewport);
    const clamped = Math.min(Math.max(0, g.total - viewport), Math.max(0, target));
    const top = g.scrollTopOf(clamped);
    anchor.current = { scrollTop: top, offset: clamped };
    el.scrollTop = top;
    setScrollTop(top);
    // Only a new request scrolls; offset changes from the user's own scrolling do not, and
    // nor do new rows — except when following the tail ('end'): a record arriving while the
    // operator reads an old one must not yank the list back to the cursor row.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollTo?.index, scrollTo?.align, scrollTo?.nonce, scrollTo?.align === 'end' ? count : -1, viewport]);

  const first = Math.max(0, Math.floor(offset / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((offset + viewport) / rowHeight) + overscan);

  useEffect(() => {
    onRange?.(first, last);
  }, [first, last, onRange]);

  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i += 1) rows.push(renderRow(i, scrollTopPlus(geo, scrollTop, offset, i * rowHeight)));
  return (
    <div className={`vrows ${className}`} ref={ref} onScroll={onScroll} tabIndex={0} aria-label={ariaLabel}>
      <div className="vrows-inner" style={{ height: geo.inner }}>
        {rows}
      </div>
    </div>
  );
}

/** Where content position `y` is drawn inside the (capped) scrolled content. */
function scrollTopPlus(geo: Geometry, scrollTop: number, offset: number, y: number): number {
  return geo.total <= SCROLL_PX_MAX ? y : scrollTop + (y - offset);
}
