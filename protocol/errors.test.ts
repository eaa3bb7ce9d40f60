// Error mapping, the POST /transition outcome, the host-call answer mapping and the event
// shapes: the parts of the protocol the HTTP adapter, main's bridge and the SDK share.

import { describe, expect, it } from 'vitest';
import { ConsoleApiError, describeError, errorBodyOf, failureOf, transportFailure } from './errors';
import { acceptedEventOf, consoleEventOf, rejectedEventOf, sseDataOf } from './events';
import { answerOf, callHost, httpRequestOf, type HttpAnswer, type HttpRequest } from './http';
import { retryAfterSeconds, transitionOutcomeOf } from './outcome';

const answer = (status: number, body: unknown, retry_after: string | null = null): HttpAnswer => ({
  status,
  text: typeof body === 'string' ? body : JSON.stringify(body),
  retry_after,
});

describe('error bodies', () => {
  it('keeps the documented fields with their types and drops the rest', () => {
    const body = {
      error: {
        code: 'guard_failed',
        reason: 'no',
        guard: 'quorum',
        reasons: ['1 vote', 7],
        head_hash: 42,
        leader: 'http://n2:7420',
        secret: 'x',
      },
    };
    expect(errorBodyOf(body)).toEqual({
      code: 'guard_failed',
      reason: 'no',
      guard: 'quorum',
      reasons: ['1 vote'],
      leader: 'http://n2:7420',
    });
    for (const notError of [null, 'text', [], { error: 'x' }, { error: { code: 1, reason: 'r' } }, { error: { code: 'c' } }]) {
      expect(errorBodyOf(notError)).toBeNull();
    }
  });

  it('maps a status and body to a tagged failure, quoting the start of a non-JSON page', () => {
    expect(failureOf(409, { error: { code: 'stale_state_hash', reason: 'stale', head_hash: 'h' } }, 'POST /transition')).toEqual({
      code: 'stale_state_hash',
      reason: 'stale',
      head_hash: 'h',
      status: 409,
    });
    expect(failureOf(502, '<html>bad gateway</html>', 'GET /state')).toEqual({
      code: 'http_error',
      reason: 'GET /state: HTTP 502: <html>bad gateway</html>',
      status: 502,
    });
    expect(failureOf(500, 'x'.repeat(5000), 'GET /wal').reason.length).toBeLessThan(250);
    expect(failureOf(503, null, 'GET /health', 'bad_response')).toEqual({
      code: 'bad_response',
      reason: 'GET /health: HTTP 503',
      status: 503,
    });
  });

  it('tells a timeout from an unreachable host', () => {
    expect(transportFailure(Object.assign(new Error('took too long'), { name: 'TimeoutError' }), 'GET /state')).toMatchObject({
      code: 'timeout',
      status: 0,
    });
    expect(transportFailure(new TypeError('fetch failed'), 'GET /state')).toEqual({
      code: 'unreachable',
      reason: 'GET /state: fetch failed',
      status: 0,
    });
  });

  it("gives ConsoleApiError the failure's code, reason and status", () => {
    const e = ConsoleApiError.of({ code: 'not_found', reason: 'no record 9', status: 404 });
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.reason, e.status]).toEqual(['not_found', 'no record 9', 404]);
    expect(describeError(e)).toBe('not_found: no record 9');
  });
});

describe('POST /transition outcome', () => {
  const body = { index: 4, state_post_hash: 'sha256:ab', decision_id: 'bubble://dr/4' };

  it('accepts 202, and 200 as a duplicate', () => {
    expect(transitionOutcomeOf(202, body, null)).toEqual({ ok: true, status: 202, ...body, duplicate: false });
    expect(transitionOutcomeOf(200, { ...body, duplicate: true }, null)).toEqual({ ok: true, status: 200, ...body, duplicate: true });
  });

  it('resolves refusals as data, with Retry-After in seconds', () => {
    const busy = transitionOutcomeOf(429, { error: { code: 'overloaded', reason: 'busy' } }, '3');
    expect(busy).toEqual({ ok: false, status: 429, error: { code: 'overloaded', reason: 'busy' }, retry_after_s: 3 });
    const follower = transitionOutcomeOf(503, { error: { code: 'not_writer', reason: 'follower', leader: 'http://n1:7420' } }, null);
    expect(follower.ok === false && follower.error.leader).toBe('http://n1:7420');
  });

  it('does not take a 2xx without the accepted fields, or a refusal without an error body, at face value', () => {
    expect(transitionOutcomeOf(202, { index: 'four' }, null)).toMatchObject({ ok: false, status: 202, error: { code: 'bad_response' } });
    expect(transitionOutcomeOf(502, '<html>', null)).toMatchObject({ ok: false, status: 502, error: { code: 'bad_response' } });
  });

  it('reads Retry-After as bounded delta-seconds only', () => {
    expect([
      retryAfterSeconds(null),
      retryAfterSeconds(' 5 '),
      retryAfterSeconds('Wed, 21 Oct 2026 07:28:00 GMT'),
      retryAfterSeconds('-1'),
      retryAfterSeconds('999999'),
    ]).toEqual([null, 5, null, null, 3600]);
  });
});

describe('host calls over HTTP', () => {
  it('builds the request from the table row', () => {
    expect(httpRequestOf('getWal', { from: 2, limit: 10 })).toEqual({
      method: 'GET',
      url: '/wal?from=2&limit=10',
      headers: { accept: 'application/json' },
    });
    const post = httpRequestOf('submitProposal', { proposal: { transition: 'Control_Pause' } });
    expect(post).toMatchObject({
      method: 'POST',
      url: '/transition',
      headers: { 'content-type': 'application/json' },
      body: '{"transition":"Control_Pause"}',
    });
  });

  it('maps answers by the row: JSON, text, 503 health as an answer, errors as failures', () => {
    const req: HttpRequest = { method: 'GET', url: '/x', headers: {} };
    expect(answerOf('getState', req, answer(200, { index: 0 }))).toEqual({ ok: true, value: { index: 0 } });
    expect(answerOf('getState', req, answer(200, 'not json'))).toMatchObject({ ok: false, error: { code: 'malformed', status: 200 } });
    expect(answerOf('getHealth', req, answer(503, { status: 'recovering' }))).toEqual({ ok: true, value: { status: 'recovering' } });
    expect(answerOf('getMetricsText', req, answer(200, '# HELP x'))).toEqual({ ok: true, value: '# HELP x' });
    expect(answerOf('getDecision', req, answer(404, { error: { code: 'not_found', reason: 'none' } }))).toEqual({
      ok: false,
      error: { code: 'not_found', reason: 'none', status: 404 },
    });
    expect(answerOf('submitProposal', req, answer(409, { error: { code: 'stale_state_hash', reason: 's' } }))).toMatchObject({
      ok: true,
      value: { ok: false, status: 409 },
    });
  });

  it('turns a send that gets no answer into an unreachable failure, without throwing', async () => {
    const down = async (): Promise<HttpAnswer> => {
      throw new TypeError('fetch failed');
    };
    expect(await callHost('getState', {}, down)).toEqual({
      ok: false,
      error: { code: 'unreachable', reason: 'GET /state: fetch failed', status: 0 },
    });
  });
});

describe('event shapes', () => {
  it('builds accepted and rejected events, and reads them back from SSE data', () => {
    const a = acceptedEventOf(
      {
        index: 3,
        transition: 'Control_Pause',
        signer: 's',
        hlc: 'h',
        window_id: null,
        state_pre_hash: 'p',
        state_post_hash: 'q',
        guard_outcomes: [],
      },
      'bubble://dr/3',
    );
    expect(a).toMatchObject({ type: 'accepted', index: 3, decision_id: 'bubble://dr/3' });
    expect(consoleEventOf('accepted', JSON.stringify(sseDataOf(a)))).toEqual(a);
    const r = rejectedEventOf(
      { code: 'malformed', guard: null, reason: 'r', reasons: [], transition: null, signer: null, hlc: null, idem_key: null },
      400,
    );
    expect(consoleEventOf('rejected', r)).toEqual(r);
  });

  it('ignores unknown event names and data that is not a JSON object', () => {
    expect(consoleEventOf('link', '{}')).toBeNull();
    expect(consoleEventOf('accepted', 'not json')).toBeNull();
    expect(consoleEventOf('health', '[1]')).toBeNull();
  });
});
