// Per-peer token buckets: how many rejection rows one peer may have stored (decision 0102
// bounds what a row costs; this bounds how fast one peer makes them). Past its bucket a
// peer's rejection is still answered with its precise 4xx; only the row is not kept.
//
// Time comes from the clock the engine runs on, so tests drive it by hand. The map of
// buckets is bounded: past `peers_max` the least recently seen peer is forgotten (a
// forgotten peer comes back with a full burst, which is what a new peer gets anyway).

import type { Clock } from '../../core/hlc';

/** Rejection rows one peer may have stored per second, on average. */
export const REJECTIONS_STORED_PER_PEER_PER_S = 50;
/** Rejection rows one peer may have stored at once after a quiet spell. */
export const REJECTIONS_STORED_PER_PEER_BURST = 200;
/** Peers remembered at once (≈ 100 bytes each). */
export const RATE_PEERS_MAX = 10_000;

export interface PeerRateOptions {
  rate_per_s: number;
  burst: number;
  peers_max: number;
}

export const DEFAULT_REJECTION_RATE: PeerRateOptions = {
  rate_per_s: REJECTIONS_STORED_PER_PEER_PER_S,
  burst: REJECTIONS_STORED_PER_PEER_BURST,
  peers_max: RATE_PEERS_MAX,
};

interface Bucket {
  tokens: number;
  at_ms: number;
}

export class PeerTokenBuckets {
  /** Insertion order is recency order: a peer is re-inserted on every take. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    readonly options: PeerRateOptions = DEFAULT_REJECTION_RATE,
  ) {
    if (!(options.rate_per_s >= 0 && options.burst >= 1 && options.peers_max >= 1)) {
      throw new RangeError(`rate_per_s ≥ 0, burst ≥ 1 and peers_max ≥ 1 are required, got ${JSON.stringify(options)}`);
    }
  }

  get peers(): number {
    return this.buckets.size;
  }

  /** Takes one token from `peer`'s bucket; false when it is empty. */
  take(peer: string): boolean {
    const now_ms = this.clock.now_ms();
    const bucket = this.buckets.get(peer) ?? { tokens: this.options.burst, at_ms: now_ms };
    this.buckets.delete(peer);
    // A clock that steps back refills nothing (and does not go negative).
    const elapsed_ms = Math.max(0, now_ms - bucket.at_ms);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (elapsed_ms * this.options.rate_per_s) / 1000);
    bucket.at_ms = Math.max(bucket.at_ms, now_ms);
    this.buckets.set(peer, bucket);
    this.evict();
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private evict(): void {
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.options.peers_max) return;
      this.buckets.delete(oldest);
    }
  }
}

/**
 * The peer a socket's remote address stands for: an IPv4 address (IPv4-mapped IPv6 included)
 * as itself, an IPv6 address as its /64 (one host usually holds a whole /64, so rotating
 * within it would otherwise mint fresh buckets). null when the address is unknown.
 */
export function peerKey(address: string | undefined): string | null {
  if (address === undefined || address === '') return null;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address.split('%')[0] as string);
  return groups === null ? address : `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case without leading zeros; null if it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
