// Timeline filters (transition, region, signer, regex; rejected-only) and bounded scans.
//
// The WAL can hold a million records, so a filter never fetches it whole: a scan reads
// pages on demand, newest first, a budget of records per run, and reports exactly which
// range it has looked at ("n matches in #a–#b"). The user continues the scan for more;
// new records at HEAD are caught up in small steps. Matches are kept as compact rows with
// a bound, and the scan says when it hit that bound instead of silently dropping rows.
// The rejections log is scanned the same way (ids ascending; the API pages forward).

import type { RejectionRow, WalRecord } from '../api/ConsoleApi';
import { regionOf } from './format';

export interface WalFilter {
  transition: string;
  region: string;
  /** A signer id string (`hmmm:ed25519:…`), '' for any. */
  signer: string;
  rejectedOnly: boolean;
  regex: string;
}

export const NO_FILTER: WalFilter = { transition: '', region: '', signer: '', rejectedOnly: false, regex: '' };

export function filterActive(f: WalFilter): boolean {
  return f.rejectedOnly || f.transition !== '' || f.region !== '' || f.signer !== '' || f.regex.trim() !== '';
}

/** What a filter tests against: the fields of a record or a rejection it applies to. */
export interface Matchable {
  transition: string | null;
  signer: string | null;
  /** Text the regex searches (one field per line). */
  text: string;
}

export type CompiledFilter = { ok: true; test: (m: Matchable) => boolean } | { ok: false; error: string };

const REGEX_MAX_CHARS = 500;

export function compileFilter(f: WalFilter): CompiledFilter {
  let re: RegExp | null = null;
  const src = f.regex.trim();
  if (src !== '') {
    if (src.length > REGEX_MAX_CHARS) return { ok: false, error: `regex longer than ${REGEX_MAX_CHARS} characters` };
    try {
      re = new RegExp(src, 'i');
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
  const test = (m: Matchable): boolean => {
    if (f.transition !== '' && m.transition !== f.transition) return false;
    if (f.region !== '' && (m.transition === null || regionOf(m.transition) !== f.region)) return false;
    if (f.signer !== '' && m.signer !== f.signer) return false;
    if (re !== null && !re.test(m.text)) return false;
    return true;
  };
  return { ok: true, test };
}

/** Cuts a long JSON text so a regex over a huge input costs a bounded time. */
function jsonCut(x: unknown, max = 4000): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? '';
  } catch {
    s = '';
  }
  return s.length > max ? s.slice(0, max) : s;
}

export function matchableRecord(r: WalRecord, signerName: (signer: string) => string): Matchable {
  const text = [
    r.transition,
    signerName(r.signer),
    r.signer,
    r.idem_key,
    r.hlc,
    r.window_id ?? '',
    r.evidence.join(' '),
    r.guard_outcomes.map((g) => `${g.guard} ${g.reasons.join(' ')}`).join(' '),
    jsonCut(r.proposal.inputs),
  ].join('\n');
  return { transition: r.transition, signer: r.signer, text };
}

export function matchableRejection(r: RejectionRow, signerName: (signer: string) => string): Matchable {
  const text = [
    r.transition ?? '',
    r.signer ? signerName(r.signer) : '',
    r.signer ?? '',
    r.idem_key ?? '',
    r.hlc ?? '',
    r.code,
    r.guard ?? '',
    r.reason,
    r.reasons.join(' '),
  ].join('\n');
  return { transition: r.transition, signer: r.signer, text };
}

/** A matched WAL record, compact (the full record is re-read from its page when opened). */
export interface WalMatch {
  index: number;
  hlc: string;
  transition: string;
  signer: string;
  window_id: string | null;
  guards_n: number;
  guards_failed: number;
}

export function walMatch(r: WalRecord): WalMatch {
  return {
    index: r.index,
    hlc: r.hlc,
    transition: r.transition,
    signer: r.signer,
    window_id: r.window_id,
    guards_n: r.guard_outcomes.length,
    guards_failed: r.guard_outcomes.filter((g) => !g.ok).length,
  };
}

export type RejectionMatch = Omit<RejectionRow, 'proposal'>;

export const MATCHES_MAX = 50_000;

/** Shared progress shape: what has been looked at, what matched, whether more remains. */
export interface ScanView<M> {
  matches: M[];
  scanned: number;
  /** Human range of what was scanned: `#lo–#hi` (WAL) or `ids lo–hi` (rejections). */
  lo: number;
  hi: number;
  /** Nothing further back (WAL) / nothing newer on the host yet (rejections). */
  exhausted: boolean;
  /** The match bound was hit: the scan stopped rather than drop rows. */
  capped: boolean;
}

/** Stops a running scan between pages (a new filter or leaving the view). */
export interface Abort {
  aborted: boolean;
}

/**
 * Scans the WAL backwards from HEAD in PAGE_SIZE-aligned pages, `budget` records per run.
 * Pages come from the console's shared page cache, so rows already on screen cost nothing.
 */
export class WalScan {
  /** Lowest index scanned; hi + 1 when nothing yet. */
  private lo: number;
  private hi: number;
  private readonly found: WalMatch[] = [];
  private capped = false;

  constructor(
    head: number,
    private readonly pageSize: number,
    private readonly loadPage: (pageNo: number, head: number) => Promise<WalRecord[]>,
    private readonly test: (r: WalRecord) => boolean,
  ) {
    this.hi = head;
    this.lo = head + 1;
  }

  view(): ScanView<WalMatch> {
    return {
      matches: this.found,
      scanned: this.hi - this.lo + 1,
      lo: this.lo,
      hi: this.hi,
      exhausted: this.lo <= 1,
      capped: this.capped,
    };
  }

  private pageOf(index: number): number {
    return Math.floor((index - 1) / this.pageSize);
  }

  /** Reads records [from, to] (within one page) and returns the matches in index order. */
  private async readRange(from: number, to: number, head: number): Promise<WalMatch[]> {
    const records = await this.loadPage(this.pageOf(from), head);
    const out: WalMatch[] = [];
    for (const r of records) if (r.index >= from && r.index <= to && this.test(r)) out.push(walMatch(r));
    return out;
  }

  /** Scans up to `budget` older records; `onPage` is told after each page. */
  async older(budget: number, head: number, abort: Abort, onPage?: () => void): Promise<void> {
    let left = budget;
    while (left > 0 && this.lo > 1 && !this.capped && !abort.aborted) {
      const to = this.lo - 1;
      const pageStart = this.pageOf(to) * this.pageSize + 1;
      const from = Math.max(pageStart, to - left + 1, 1);
      const got = await this.readRange(from, to, head);
      if (abort.aborted) return;
      this.found.unshift(...got);
      this.lo = from;
      left -= to - from + 1;
      if (this.found.length >= MATCHES_MAX) this.capped = true;
      onPage?.();
    }
  }

  /** Scans records appended since (hi, newHead], at most `budget`; returns how many remain. */
  async newer(newHead: number, budget: number, abort: Abort): Promise<number> {
    let left = budget;
    while (left > 0 && this.hi < newHead && !this.capped && !abort.aborted) {
      const from = this.hi + 1;
      const pageEnd = (this.pageOf(from) + 1) * this.pageSize;
      const to = Math.min(pageEnd, newHead, from + left - 1);
      const got = await this.readRange(from, to, newHead);
      if (abort.aborted) break;
      this.found.push(...got);
      this.hi = to;
      left -= to - from + 1;
      if (this.found.length >= MATCHES_MAX) this.capped = true;
    }
    return Math.max(0, newHead - this.hi);
  }
}

/** Scans the rejections log forwards by id, `budget` rows per run. */
export class RejectionScan {
  private nextId = 0;
  private rows = 0;
  private lastId = -1;
  private readonly found: RejectionMatch[] = [];
  private capped = false;
  private caughtUp = false;

  constructor(
    private readonly loadPage: (from: number, limit: number) => Promise<RejectionRow[]>,
    private readonly test: (r: RejectionRow) => boolean,
    private readonly pageLimit = 1000,
  ) {}

  view(): ScanView<RejectionMatch> {
    return { matches: this.found, scanned: this.rows, lo: 0, hi: this.lastId, exhausted: this.caughtUp, capped: this.capped };
  }

  async more(budget: number, abort: Abort, onPage?: () => void): Promise<void> {
    let left = budget;
    this.caughtUp = false;
    while (left > 0 && !this.capped && !abort.aborted) {
      const limit = Math.min(this.pageLimit, left);
      const page = await this.loadPage(this.nextId, limit);
      if (abort.aborted) return;
      for (const r of page) {
        this.rows += 1;
        this.lastId = r.id;
        if (this.test(r)) {
          const { proposal: _proposal, ...row } = r;
          this.found.push(row);
        }
      }
      const last = page[page.length - 1];
      if (last) this.nextId = last.id + 1;
      left -= page.length;
      if (this.found.length >= MATCHES_MAX) this.capped = true;
      onPage?.();
      if (page.length < limit) {
        this.caughtUp = true;
        return;
      }
    }
  }
}
