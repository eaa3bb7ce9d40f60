import { describe, expect, it } from 'vitest';
import { PeerTokenBuckets, peerKey } from './peer-rate';

/** A clock the test moves by hand. */
function manualClock(start_ms = 1_000_000): { now_ms: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let now = start_ms;
  return { now_ms: () => now, advance: (ms) => (now += ms), set: (ms) => (now = ms) };
}

function takeMany(b: PeerTokenBuckets, peer: string, n: number): number {
  let granted = 0;
  for (let i = 0; i < n; i += 1) if (b.take(peer)) granted += 1;
  return granted;
}

describe('PeerTokenBuckets', () => {
  it('grants the burst at once, then the rate per second, never more than the burst', () => {
    const clock = manualClock();
    const b = new PeerTokenBuckets(clock, { rate_per_s: 50, burst: 200, peers_max: 10 });
    expect(takeMany(b, 'a', 250)).toBe(200);
    clock.advance(1000);
    expect(takeMany(b, 'a', 100)).toBe(50);
    clock.advance(100); // 5 tokens
    expect(takeMany(b, 'a', 10)).toBe(5);
    clock.advance(3_600_000); // an hour: back to the burst, not 180,000
    expect(takeMany(b, 'a', 1000)).toBe(200);
  });

  it('keeps one bucket per peer', () => {
    const clock = manualClock();
    const b = new PeerTokenBuckets(clock, { rate_per_s: 1, burst: 3, peers_max: 10 });
    expect(takeMany(b, 'a', 5)).toBe(3);
    expect(takeMany(b, 'b', 5)).toBe(3);
    expect(b.take('a')).toBe(false);
  });

  it('refills nothing when the clock steps back, and does not lose tokens either', () => {
    const clock = manualClock(10_000);
    const b = new PeerTokenBuckets(clock, { rate_per_s: 10, burst: 2, peers_max: 10 });
    expect(takeMany(b, 'a', 3)).toBe(2);
    clock.set(5_000);
    expect(b.take('a')).toBe(false);
    clock.set(10_100); // 100 ms after the newest time seen: one token
    expect(takeMany(b, 'a', 3)).toBe(1);
  });

  it('remembers at most peers_max peers, forgetting the least recently seen', () => {
    const clock = manualClock();
    const b = new PeerTokenBuckets(clock, { rate_per_s: 0, burst: 1, peers_max: 3 });
    for (const p of ['a', 'b', 'c']) expect(b.take(p)).toBe(true);
    expect(b.take('a')).toBe(false); // a is now the most recent
    expect(b.take('d')).toBe(true); // evicts b, the least recently seen
    expect(b.peers).toBe(3);
    expect(b.take('a')).toBe(false); // still remembered: empty
    expect(b.take('c')).toBe(false);
    expect(b.take('b')).toBe(true); // forgotten: a fresh bucket
    for (let i = 0; i < 10_000; i += 1) b.take(`p${i}`);
    expect(b.peers).toBe(3);
  });

  it('refuses options that would make it meaningless', () => {
    const clock = manualClock();
    expect(() => new PeerTokenBuckets(clock, { rate_per_s: 1, burst: 0, peers_max: 1 })).toThrow(RangeError);
    expect(() => new PeerTokenBuckets(clock, { rate_per_s: -1, burst: 1, peers_max: 1 })).toThrow(RangeError);
    expect(() => new PeerTokenBuckets(clock, { rate_per_s: Number.NaN, burst: 1, peers_max: 1 })).toThrow(RangeError);
    expect(() => new PeerTokenBuckets(clock, { rate_per_s: 1, burst: 1, peers_max: 0 })).toThrow(RangeError);
  });
});

describe('peerKey', () => {
  it('IPv4 as itself, IPv4-mapped IPv6 as its IPv4, IPv6 as its /64', () => {
    expect(peerKey('127.0.0.1')).toBe('127.0.0.1');
    expect(peerKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(peerKey('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(peerKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(peerKey('2001:0db8:0000:0001:ffff:ffff:ffff:fffe')).toBe('2001:db8:0:1::/64');
    expect(peerKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(peerKey('::1')).toBe('0:0:0:0::/64');
    expect(peerKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('unknown or unparseable addresses', () => {
    expect(peerKey(undefined)).toBeNull();
    expect(peerKey('')).toBeNull();
    expect(peerKey('1::2::3')).toBe('1::2::3');
    expect(peerKey('1:2:3:4:5:6:7:8:9')).toBe('1:2:3:4:5:6:7:8:9');
  });
});
