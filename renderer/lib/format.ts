// Display helpers shared by the views.

import type { State } from '../../core/state';

/** `sha256-1a2b3c…9f0e`: enough to compare by eye, the full hash goes in a title. */
export function shortHash(h: string | null | undefined, head = 8, tail = 4): string {
  if (!h) return '—';
  const body = h.startsWith('sha256-') ? h.slice(7) : h;
  return body.length <= head + tail + 1 ? body : `${body.slice(0, head)}…${body.slice(-tail)}`;
}

/** Genesis identity name for a signer id (`op-1`), else a shortened key. */
export function signerName(state: State | null | undefined, signer: string | null | undefined): string {
  if (!signer) return '—';
  const id = state?.boot.identities.find((i) => i.signer === signer);
  if (id) return id.id;
  const key = signer.startsWith('hmmm:ed25519:') ? signer.slice(13) : signer;
  return `${key.slice(0, 6)}…`;
}

/** HLC text without the date when it is today's: `03:07:42.123 #4`. */
export function shortHlc(hlc: string | null | undefined): string {
  if (!hlc) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}\.\d{3})(?:\+00:00|Z)#(\d+)$/.exec(hlc);
  if (!m) return hlc;
  return `${m[1]} ${m[2]} #${m[3]}`;
}

export function regionOf(transition: string): string {
  return transition.split('_')[0] ?? transition;
}

// One formatter for the page: toLocaleString builds a new one per call (≈4 ms a jump
// over the ~55 visible timeline rows).
const INT_EN_US = new Intl.NumberFormat('en-US');

export function formatInt(n: number): string {
  return INT_EN_US.format(n);
}

/** Raw signer keys inside free text ("… hmmm:ed25519:AbC… already approved") as operator ids (op-1). */
export function nameSigners(text: string, state: State | null | undefined): string {
  return text.replace(/hmmm:ed25519:[A-Za-z0-9_-]{8,}/g, (signer) => signerName(state, signer));
}

/**
 * A statechart state's name as the console shows it. The console writes "licence" (the
 * noun, as the docs do); the statechart's ids (`LICENSE`, `LICENSE_CHECK`) are wire names
 * and stay as they are in data attributes, tooltips, the API and the WAL. "LICENSED" and
 * "UNLICENSED" are the verb and are spelled the same either way.
 */
export function stateLabel(name: string): string {
  return name.replace(/\bLICENSE(?=_|\.|\b)/g, 'LICENCE');
}
