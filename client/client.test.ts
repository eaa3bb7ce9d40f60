// SwooshClient against a scripted fetch: retries and their bounds, HLC merging, window ids,
// default idem keys, tagged outcomes, the SSE parser. The real-server path is covered by
// main/api/conformance.test.ts.

import { describe, expect, it } from 'vitest';
import { nobleVerifier, proposalSigningBytes } from '../core/crypto';
import { H } from '../core/hash';
import { compareHlc, formatHlc, ManualClock, parseHlc } from '../core/hlc';
import { initialState } from '../core/state';
import { makeCast, makeGenesis, wallAt } from '../core/testing/kit';
import type { Proposal } from '../core/types';
import { retryAfterMs, SwooshClient, SwooshError, SwooshNetworkError } from './client';

const cast = makeCast();
const genesis = makeGenesis(cast);
const state0 = initialState(genesis, H({ spec: 'test' }));
const HEAD = H(state0);

interface Call {
  method: string;
  path: string;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; text?: string };

/** A fetch that answers GET /state with `state` and POST /transition from a script. */
function scripted(posts: Array<Reply | ((p: Proposal) => Reply)>, state: { hash: string; hlc: string | null } = { hash: HEAD, hlc: null }) {
  const calls: Call[] = [];
  let i = 0;
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = init?.body ? (JSON.parse(String(init.body)) as unknown) : undefined;
    calls.push({ method, path: url.pathname + url.search, body });
    let reply: Reply;
    if (method === 'GET' && url.pathname === '/state')
      reply = { status: 200, body: { hash: state.hash, index: 0, hlc: state.hlc, state: state0 } };
    else if (method === 'POST' && url.pathname === '/transition') {
      const next = posts[Math.min(i, posts.length - 1)]!;
      i += 1;
      reply = typeof next === 'function' ? next(body as Proposal) : next;
    } else reply = { status: 404, body: { error: { code: 'not_found', reason: 'no route' } } };
    const text = reply.text ?? JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: { 'content-type': 'application/json', ...(reply.headers ?? {}) } });
  }) as typeof fetch;
  return { fetch: f, calls, posted: () => calls.filter((c) => c.method === 'POST').map((c) => c.body as Proposal) };
}

const accepted = (index = 1): Reply => ({
  status: 202,
  body: { index, state_post_hash: H({ index }), decision_id: `bubble://dr/${index}` },
});

function client(f: typeof fetch, extra: Partial<ConstructorParameters<typeof SwooshClient>[0]> = {}) {
  const sleeps: number[] = [];
  const c = new SwooshClient({
    url: 'http://swoosh.test/',
    signer: cast.agents[0]!,
    fetch: f,
    clock: new ManualClock(genesis.backbeat.epoch_ms + 1000),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    uuid: () => 'u-1',
    ...extra,
  });
  return { c, sleeps };
}

describe('SwooshClient.propose', () => {
  it('builds a correctly hashed and signed proposal against HEAD with a default idem key', async () => {
    const s = scripted([accepted()]);
    const { c } = client(s.fetch);
    const r = await c.propose('Ingestion_SourcesResolved', { sources: ['git://a'] }, { evidence: ['ucxl://agent-1:ingest@demo:t/p*^/'] });
    expect(r).toMatchObject({ ok: true, status: 202, index: 1, duplicate: false, attempts: 1 });
    const [p] = s.posted();
    expect(p!.current_state_hash).toBe(HEAD);
    expect(p!.inputs_hash).toBe(H({ sources: ['git://a'] }));
    expect(p!.idem_key).toBe('demo:Ingestion_SourcesResolved:u-1');
    expect(p!.window_id).toBeNull();
    expect(p!.evidence).toEqual(['ucxl://agent-1:ingest@demo:t/p*^/']);
    expect(p!.hlc).toBe(formatHlc({ wall_ms: genesis.backbeat.epoch_ms + 1000, counter: 0 }));
    expect(nobleVerifier.verify(p!.signer, proposalSigningBytes(p!), p!.signature)).toBe(true);
  });

  it("orders its HLC after the server's hlc_last", async () => {
    const ahead = '2026-06-01T00:00:00.000+00:00#7';
    const s = scripted([accepted()], { hash: HEAD, hlc: ahead });
    const { c } = client(s.fetch);
    await c.propose('Control_Pause', { reason: 'x' });
    expect(compareHlc(parseHlc(s.posted()[0]!.hlc)!, parseHlc(ahead)!)).toBe(1);
  });

  it('computes window ids for gated transitions from the HLC and the schedule in state', async () => {
    const s = scripted([accepted()]);
    const clock = new ManualClock(wallAt(genesis.backbeat, 42, 5100));
    const { c } = client(s.fetch, { clock });
    await c.propose('Execution_BeatReviewGate', {});
    expect(s.posted()[0]!.window_id).toBe('backbeat:W-42');
    const custom = client(scripted([accepted()]).fetch, { gated: ['Custom_Gated'] });
    expect(custom.c.isGated('Custom_Gated')).toBe(true);
    expect(custom.c.isGated('Execution_Submit')).toBe(false);
  });

  it('answers 200 duplicates as ok with duplicate: true', async () => {
    const s = scripted([
      { status: 200, body: { index: 4, state_post_hash: H({ index: 4 }), decision_id: 'bubble://dr/4', duplicate: true } },
    ]);
    expect(await client(s.fetch).c.propose('Control_Pause', { reason: 'x' })).toMatchObject({
      ok: true,
      status: 200,
      duplicate: true,
      index: 4,
    });
  });

  it('follows 409 stale_state_hash with a re-read HEAD, a fresh HLC and the same idem key', async () => {
    const newHead = H({ head: 2 });
    const s = scripted([
      { status: 409, body: { error: { code: 'stale_state_hash', reason: 'stale', head_hash: newHead } } },
      (p) => (p.current_state_hash === newHead ? accepted(2) : { status: 500, body: {} }),
    ]);
    let served = HEAD;
    const f = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await s.fetch(input, init);
      // After the first POST, HEAD has moved.
      if (init?.method === 'POST') served = newHead;
      if ((init?.method ?? 'GET') === 'GET')
        return new Response(JSON.stringify({ hash: served, index: 1, hlc: null, state: state0 }), { status: 200 });
      return res;
    }) as typeof fetch;
    const { c } = client(f);
    const r = await c.propose('Control_Pause', { reason: 'x' }, { idem_key: 'k-1' });
    expect(r).toMatchObject({ ok: true, index: 2, attempts: 2 });
    const [first, second] = s.posted();
    expect(second!.idem_key).toBe(first!.idem_key);
    expect(second!.current_state_hash).toBe(newHead);
    expect(compareHlc(parseHlc(second!.hlc)!, parseHlc(first!.hlc)!)).toBe(1);
  });

  it('bounds stale retries, and does not rebase a caller-chosen HEAD unless asked', async () => {
    const stale: Reply = { status: 409, body: { error: { code: 'stale_state_hash', reason: 'stale', head_hash: HEAD } } };
    const s = scripted([stale]);
    const r = await client(s.fetch, { stale_retries_max: 3 }).c.propose('Control_Pause', { reason: 'x' });
    expect(r).toMatchObject({ ok: false, status: 409, code: 'stale_state_hash', head_hash: HEAD, attempts: 4 });
    expect(new Set(s.posted().map((p) => p.idem_key)).size).toBe(1);
    const pinned = scripted([stale]);
    const r2 = await client(pinned.fetch).c.propose('Control_Pause', { reason: 'x' }, { current_state_hash: H({ old: 1 }) });
    expect(r2).toMatchObject({ ok: false, code: 'stale_state_hash', attempts: 1 });
  });

  it('honours 429 Retry-After with a bounded wait and a bounded number of retries', async () => {
    const busy = (after: string): Reply => ({
      status: 429,
      body: { error: { code: 'overloaded', reason: 'busy' } },
      headers: { 'retry-after': after },
    });
    const s = scripted([busy('2'), busy('3600'), accepted()]);
    const { c, sleeps } = client(s.fetch, { retry_after_max_ms: 5000 });
    expect(await c.propose('Control_Pause', { reason: 'x' })).toMatchObject({ ok: true, attempts: 3 });
    expect(sleeps).toEqual([2000, 5000]);
    const always = scripted([busy('1')]);
    const bounded = client(always.fetch, { overloaded_retries_max: 2 });
    expect(await bounded.c.propose('Control_Pause', { reason: 'x' })).toMatchObject({
      ok: false,
      status: 429,
      code: 'overloaded',
      attempts: 3,
    });
    expect(bounded.sleeps).toEqual([1000, 1000]);
  });

  it('returns rejections as tagged data with guard, reasons and writer', async () => {
    const s = scripted([{ status: 400, body: { error: { code: 'guard_failed', reason: 'no', guard: 'quorum', reasons: ['1 vote'] } } }]);
    expect(await client(s.fetch).c.propose('Council_QuorumCert', {})).toMatchObject({
      ok: false,
      status: 400,
      code: 'guard_failed',
      guard: 'quorum',
      reasons: ['1 vote'],
    });
    const w = scripted([{ status: 503, body: { error: { code: 'not_writer', reason: 'follower', writer: 'http://w:7420' } } }]);
    expect(await client(w.fetch).c.propose('Control_Pause', { reason: 'x' })).toMatchObject({
      ok: false,
      status: 503,
      code: 'not_writer',
      writer: 'http://w:7420',
    });
    const junk = scripted([{ status: 502, text: '<html>bad gateway</html>' }]);
    expect(await client(junk.fetch).c.propose('Control_Pause', { reason: 'x' })).toMatchObject({
      ok: false,
      status: 502,
      code: 'bad_response',
    });
  });

  it('reports connection failures as `network` (propose) or SwooshNetworkError (reads)', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    const { c } = client(down);
    expect(await c.propose('Control_Pause', { reason: 'x' })).toMatchObject({ ok: false, status: 0, code: 'network' });
    await expect(c.state()).rejects.toThrow(SwooshNetworkError);
    await expect(c.state()).rejects.toThrow(/ECONNREFUSED/);
    // Sent, then the connection dropped: the signed proposal comes back for a safe re-send.
    let n = 0;
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'POST' && n++ === 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return scripted([accepted(9)]).fetch(input, init);
    }) as typeof fetch;
    const fc = client(flaky).c;
    const r = await fc.propose('Control_Pause', { reason: 'x' });
    expect(r).toMatchObject({ ok: false, code: 'network' });
    if (r.ok) throw new Error('unreachable');
    expect(await fc.submit(r.proposal!)).toMatchObject({ ok: true, index: 9 });
  });

  it('refuses non-JSON inputs locally without sending anything', async () => {
    const s = scripted([accepted()]);
    const r = await client(s.fetch).c.propose('Control_Pause', { reason: 'x', bad: undefined as never, f: (() => 1) as never });
    expect(r).toMatchObject({ ok: false, status: 0, code: 'malformed' });
    expect(s.posted()).toHaveLength(0);
  });
});

describe('SwooshClient reads', () => {
  it('throws SwooshError with the server code for a non-2xx read', async () => {
    const { c } = client(scripted([]).fetch);
    const err = await c.decision(99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwooshError);
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('parses Server-Sent Events split across chunks, with CRLF, comments and multi-line data', async () => {
    const chunks = [
      'retry: 2000\r\n\r\n: comment\r\nevent: hea',
      'lth\r\ndata: {"status":"ok"}\r\n\r\nid: 3\nevent: accepted\ndata: {"index":',
      '3}\n\ndata: line 1\ndata: line 2\n\n',
    ];
    const f = (async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const ch of chunks) controller.enqueue(new TextEncoder().encode(ch));
            controller.close();
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream' } },
      )) as typeof fetch;
    const got = [];
    for await (const e of client(f).c.events()) got.push(e);
    expect(got).toEqual([
      { event: 'health', id: null, data: { status: 'ok' } },
      { event: 'accepted', id: '3', data: { index: 3 } },
      { event: 'message', id: '3', data: 'line 1\nline 2' },
    ]);
  });

  it('reads Retry-After as seconds or an HTTP date, bounded', () => {
    expect(retryAfterMs('3', 0, 5000)).toBe(3000);
    expect(retryAfterMs('100', 0, 5000)).toBe(5000);
    expect(retryAfterMs(null, 0, 5000)).toBe(1000);
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(retryAfterMs('Sun, 22 Nov 2026 00:00:02 GMT', now, 5000)).toBe(2000);
    expect(retryAfterMs('Sat, 21 Nov 2026 00:00:00 GMT', now, 5000)).toBe(0);
    expect(retryAfterMs('soon', now, 5000)).toBe(1000);
  });
});
