// Hostile input against a real server (docs/protocol.md §5, §8): every case gets its precise
// status and error code, the process stays up, and neither the state hash nor the WAL
// length moves (the one exception, a duplicate, answers 200 and still writes nothing).
//
// Requests go through node:http rather than fetch so that headers (no content type, a
// lying content-length) and bytes (invalid UTF-8) are exactly what each case says.

import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN, signDoc } from '../../core/crypto';
import { formatHlc, parseHlc } from '../../core/hlc';
import { fakeHash, signProposal, wallAt, type NamedKey } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import type { JsonObject, Proposal } from '../../core/types';
import { beatPosition } from '../../core/window';
import { openServer as startServer, type Running } from '../app/server';
import { loadMachine } from '../machine';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

let dir: string;
let running: Running;
let base: URL;
const sc = new Scenario(loadMachine());

/** One HTTP exchange with full control of method, headers and body bytes. */
function http(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before a large body is fully written.
    req.on('error', (err) => reject(err));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  http('POST', '/transition', body, headers);
const postJson = (value: unknown) => post(JSON.stringify(value));

async function head(): Promise<{ hash: string; index: number; wal: number; rejections: number }> {
  const s = (await http('GET', '/state?projection=control')).json as { hash: string; index: number };
  const w = (await http('GET', '/wal?from=1&limit=1')).json as { head_index: number };
  const r = (await http('GET', '/rejections?from=0&limit=1000')).json as { count: number };
  return { hash: s.hash, index: s.index, wal: w.head_index, rejections: r.count };
}

/** A correctly signed proposal against HEAD with an HLC after the last applied one. */
function signed(
  transition: string,
  inputs: JsonObject,
  by: NamedKey = sc.cast.agents[0]!,
  over: Partial<Proposal> & { wall_ms?: number } = {},
): Proposal {
  const wall_ms = over.wall_ms ?? sc.wall_ms;
  const gated = loadMachine().transitions[transition]?.window != null;
  const p = signProposal({
    state_hash: over.current_state_hash ?? sc.head.hash,
    transition,
    inputs,
    by,
    hlc: over.hlc ?? formatHlc({ wall_ms, counter: 0 }),
    idem_key: over.idem_key ?? `hostile:${transition}:${Math.random().toString(36).slice(2)}`,
    window_id: over.window_id !== undefined ? over.window_id : gated ? beatPosition(sc.genesis.backbeat, wall_ms).window_id : null,
    evidence: over.evidence ?? [],
  });
  return p;
}

/** A well-formed, signed proposal the server would judge past the envelope: the base of most cases. */
const good = (): Proposal => signed('Execution_QuorumLost', { reason: 'hostile base' });
const mutate = (f: (p: Record<string, unknown>) => void): Record<string, unknown> => {
  const p = { ...good() } as Record<string, unknown>;
  f(p);
  return p;
};
/** The JSON text of `good()` with `inputs` replaced by raw JSON text (for shapes JSON.stringify cannot make). */
const withRawInputs = (inputsText: string): string => {
  const p = good();
  const marker = '"__INPUTS__"';
  return JSON.stringify({ ...p, inputs: '__INPUTS__' }).replace(marker, inputsText);
};

interface Case {
  name: string;
  send: () => Promise<Answer>;
  status: number;
  code?: string;
  check?: (a: Answer) => void;
}

const MIB = 1024 * 1024;
const operator = () => sc.cast.operators[0]!;

const CASES: Case[] = [
  // Body and media type
  { name: 'bad JSON', send: () => post('{"current_state_hash": '), status: 400, code: 'malformed' },
  { name: 'empty body', send: () => post(''), status: 400, code: 'malformed' },
  { name: 'JSON array body', send: () => post('[]'), status: 400, code: 'malformed' },
  { name: 'JSON number body', send: () => post('42'), status: 400, code: 'malformed' },
  { name: 'JSON null body', send: () => post('null'), status: 400, code: 'malformed' },
  { name: 'JSON string body', send: () => post('"proposal"'), status: 400, code: 'malformed' },
  { name: '2 MiB body', send: () => post(JSON.stringify({ ...good(), pad: 'x'.repeat(2 * MIB) })), status: 413, code: 'payload_too_large' },
  {
    name: 'content-length announcing 2 MiB',
    send: () => http('POST', '/transition', '{}', { 'content-type': 'application/json', 'content-length': String(2 * MIB) }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'chunked body just over 1 MiB',
    send: () =>
      http('POST', '/transition', Buffer.alloc(MIB + 1, 0x20), { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'wrong content type (text/plain)',
    send: () => post(JSON.stringify(good()), { 'content-type': 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'no content type', send: () => post(JSON.stringify(good()), {}), status: 415, code: 'unsupported_media_type' },
  {
    name: 'charset other than utf-8',
    send: () => post(JSON.stringify(good()), { 'content-type': 'application/json; charset=iso-8859-1' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'invalid UTF-8 bytes',
    send: () => post(Buffer.concat([Buffer.from('{"transition": "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])),
    status: 400,
    code: 'malformed',
  },
  { name: 'lone surrogate escape in a string', send: () => post(withRawInputs('{"reason": "\\ud800"}')), status: 400, code: 'malformed' },

  // Envelope schema
  {
    name: 'current_state_hash is a number',
    send: () =>
      postJson(
        mutate((p) => {
          p.current_state_hash = 7;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'transition is an array',
    send: () =>
      postJson(
        mutate((p) => {
          p.transition = ['Execution_QuorumLost'];
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'inputs is a string',
    send: () =>
      postJson(
        mutate((p) => {
          p.inputs = '{}';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'inputs_hash is not a hash',
    send: () =>
      postJson(
        mutate((p) => {
          p.inputs_hash = 'sha256-XYZ';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'signer is a number',
    send: () =>
      postJson(
        mutate((p) => {
          p.signer = 1;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'idem_key is an object',
    send: () =>
      postJson(
        mutate((p) => {
          p.idem_key = { k: 1 };
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'idem_key is empty',
    send: () =>
      postJson(
        mutate((p) => {
          p.idem_key = '';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'idem_key with a control character',
    send: () =>
      postJson(
        mutate((p) => {
          p.idem_key = 'a\u0000b';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'hlc is a number',
    send: () =>
      postJson(
        mutate((p) => {
          p.hlc = 1767225601000;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'hlc is not an HLC',
    send: () =>
      postJson(
        mutate((p) => {
          p.hlc = '2026-02-30T00:00:00.000+00:00#0';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'window_id is a number',
    send: () =>
      postJson(
        mutate((p) => {
          p.window_id = 3;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'evidence is a string',
    send: () =>
      postJson(
        mutate((p) => {
          p.evidence = 'ucxl://a:b@c:d/e*^/';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'signature is null',
    send: () =>
      postJson(
        mutate((p) => {
          p.signature = null;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'missing signature',
    send: () =>
      postJson(
        mutate((p) => {
          delete p.signature;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'missing inputs_hash',
    send: () =>
      postJson(
        mutate((p) => {
          delete p.inputs_hash;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'missing window_id',
    send: () =>
      postJson(
        mutate((p) => {
          delete p.window_id;
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'extra top-level field',
    send: () =>
      postJson(
        mutate((p) => {
          p.priority = 'high';
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'non-URI evidence',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { evidence: ['https://example.com/x'] })),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'duplicate evidence entries',
    send: () =>
      postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { evidence: ['ucxl://a:b@c:d/e*^/', 'ucxl://a:b@c:d/e*^/'] })),
    status: 400,
    code: 'malformed',
  },
  {
    name: '__proto__ key in the envelope',
    send: () => post(JSON.stringify(good()).replace(/^\{/, '{"__proto__": {"admin": true},')),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'constructor key in the envelope',
    send: () => post(JSON.stringify(good()).replace(/^\{/, '{"constructor": {"prototype": {}},')),
    status: 400,
    code: 'malformed',
  },
  {
    name: '__proto__ nested in inputs',
    send: () => post(withRawInputs('{"reason": "x", "deep": {"a": [{"__proto__": {"polluted": 1}}]}}')),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'constructor nested in inputs',
    send: () => post(withRawInputs('{"reason": "x", "deep": {"constructor": {"prototype": {"polluted": 1}}}}')),
    status: 400,
    code: 'malformed',
  },
  { name: 'float in inputs', send: () => post(withRawInputs('{"reason": "x", "ratio": 1.5}')), status: 400, code: 'malformed' },
  { name: '1e400 (Infinity) in inputs', send: () => post(withRawInputs('{"reason": "x", "n": 1e400}')), status: 400, code: 'malformed' },
  {
    name: 'integer beyond 2^53 in inputs',
    send: () => post(withRawInputs('{"reason": "x", "n": 18014398509481984}')),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'inputs nested 10k deep',
    send: () => post(withRawInputs(`{"reason": "x", "deep": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`)),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'inputs nested 500k deep (just under 1 MiB)',
    send: () => post(withRawInputs(`{"reason": "x", "deep": ${'['.repeat(500_000)}${']'.repeat(500_000)}}`)),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'objects nested 100k deep',
    send: () => post(withRawInputs(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`)),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'huge transition name',
    send: () =>
      postJson(
        mutate((p) => {
          p.transition = 'T'.repeat(900_000);
        }),
      ),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'huge string in inputs, signed by a stranger',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x', blob: 'y'.repeat(900_000) }, sc.cast.stranger)),
    status: 400,
    code: 'unknown_signer',
  },
  { name: 'minimum inputs missing', send: () => postJson(signed('Execution_QuorumLost', {})), status: 400, code: 'malformed' },

  // Signatures, identities and the order of checks
  {
    name: 'bad signature',
    send: () =>
      postJson(
        mutate((p) => {
          p.signature = (good().signature.startsWith('A') ? 'B' : 'A') + good().signature.slice(1);
        }),
      ),
    status: 400,
    code: 'bad_signature',
  },
  {
    name: 'signature by another key',
    send: () =>
      postJson(
        mutate((p) => {
          p.signer = sc.cast.agents[0]!.signer;
          p.signature = signed('Execution_QuorumLost', { reason: 'hostile base' }, operator()).signature;
        }),
      ),
    status: 400,
    code: 'bad_signature',
  },
  {
    name: 'inputs changed after signing',
    send: () =>
      postJson(
        mutate((p) => {
          p.inputs = { reason: 'tampered' };
        }),
      ),
    status: 400,
    code: 'inputs_hash_mismatch',
  },
  {
    name: 'unknown signer',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, sc.cast.stranger)),
    status: 400,
    code: 'unknown_signer',
  },
  {
    name: 'unknown transition',
    send: () => postJson(signed('Execution_Teleport', { where: 'prod' })),
    status: 400,
    code: 'unknown_transition',
  },
  { name: 'prototype name as transition', send: () => postJson(signed('constructor', {})), status: 400, code: 'unknown_transition' },
  { name: 'wrong role (agent pauses)', send: () => postJson(signed('Control_Pause', { reason: 'x' })), status: 400, code: 'role_denied' },
  {
    name: 'council member proposes',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, sc.cast.council[0]!)),
    status: 400,
    code: 'role_denied',
  },
  {
    name: 'stale state hash (409 with head_hash)',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { current_state_hash: fakeHash('old head') })),
    status: 409,
    code: 'stale_state_hash',
    check: (a) => expect((a.json as { error: { head_hash: string } }).error.head_hash).toBe(sc.head.hash),
  },
  {
    name: 'HLC regression',
    send: () =>
      postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { wall_ms: parseHlc(sc.state.hlc_last!)!.wall_ms - 1 })),
    status: 400,
    code: 'hlc_regression',
  },
  {
    name: 'HLC equal to the last applied',
    send: () =>
      postJson(
        signed('Execution_QuorumLost', { reason: 'x' }, undefined, {
          hlc: sc.state.hlc_last!,
          idem_key: 'a:sorts-before-the-last-idem-key',
        }),
      ),
    status: 400,
    code: 'hlc_regression',
  },
  {
    name: 'HLC from the future',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { wall_ms: Date.now() + 3_600_000 })),
    status: 400,
    code: 'hlc_from_future',
  },
  {
    name: 'transition not enabled here',
    send: () => postJson(signed('Execution_PlanLocked', { plan_hash: fakeHash('again') })),
    status: 400,
    code: 'invalid_from_state',
  },
  {
    name: "gated transition outside its window, with the HLC's own window_id: the window guard",
    send: () => postJson(signed('Execution_BeatReviewGate', {})),
    status: 400,
    code: 'guard_failed',
    check: (a) => {
      const error = (a.json as { error: { guard: string; reason: string; reasons: string[] } }).error;
      expect(error.guard).toBe('window');
      expect(error.reason).toMatch(/^guard window failed: review window closed/);
      expect(error.reasons.length).toBeGreaterThan(0);
    },
  },
  {
    name: 'window_id that is not the window of the HLC',
    send: () => postJson(signed('Execution_BeatReviewGate', {}, undefined, { wall_ms: reviewWall(), window_id: 'backbeat:W-999999' })),
    status: 400,
    code: 'wrong_window',
  },
  {
    name: 'gated transition without window_id',
    send: () => postJson(signed('Execution_BeatReviewGate', {}, undefined, { wall_ms: reviewWall(), window_id: null })),
    status: 400,
    code: 'wrong_window',
  },
  {
    name: 'window_id on an ungated transition',
    send: () => postJson(signed('Execution_QuorumLost', { reason: 'x' }, undefined, { window_id: 'backbeat:W-0' })),
    status: 400,
    code: 'wrong_window',
  },
  {
    name: 'guard failure (licence token signed by a stranger)',
    send: () => {
      const t = sc.state.boot.license!;
      const token = signDoc(sc.cast.stranger, DOMAIN.license, {
        licensee: sc.genesis.project,
        issued_ms: t.issued_ms + 1,
        expires_ms: t.expires_ms + 1,
        grace_ms: t.grace_ms,
      });
      return postJson(signed('License_Refresh', { token: token as unknown as JsonObject }));
    },
    status: 400,
    code: 'guard_failed',
    check: (a) => expect((a.json as { error: { guard: string } }).error.guard).toBe('license'),
  },

  // Idempotency
  {
    name: 'idem_key reused with different content',
    send: () => {
      const applied = sc.records[2]!.proposal;
      return postJson(
        signed(applied.transition, applied.inputs, sc.cast.agents[0]!, {
          idem_key: applied.idem_key,
          evidence: ['ucxl://x:y@demo:t/p*^/'],
        }),
      );
    },
    status: 400,
    code: 'idem_key_conflict',
  },
  {
    name: 'duplicate of an applied proposal (200, duplicate, nothing written)',
    send: () => postJson(sc.records[2]!.proposal),
    status: 200,
    check: (a) =>
      expect(a.json).toEqual({ index: 3, state_post_hash: sc.records[2]!.state_post_hash, decision_id: 'bubble://dr/3', duplicate: true }),
  },

  // Routes and query parameters
  { name: 'unknown route', send: () => http('GET', '/admin'), status: 404, code: 'not_found' },
  { name: 'path traversal', send: () => http('GET', '/../../etc/passwd'), status: 404, code: 'not_found' },
  {
    name: 'wrong method on /transition',
    send: () => http('GET', '/transition'),
    status: 405,
    code: 'method_not_allowed',
    check: (a) => expect(a.headers.allow).toBe('POST'),
  },
  { name: 'wrong method on /state', send: () => http('DELETE', '/state'), status: 405, code: 'method_not_allowed' },
  {
    name: 'PUT /transition',
    send: () => http('PUT', '/transition', JSON.stringify(good()), { 'content-type': 'application/json' }),
    status: 405,
    code: 'method_not_allowed',
  },
  { name: '/wal?from=-1', send: () => http('GET', '/wal?from=-1'), status: 400, code: 'malformed' },
  { name: '/wal?limit=0', send: () => http('GET', '/wal?limit=0'), status: 400, code: 'malformed' },
  { name: '/wal?limit=1000000', send: () => http('GET', '/wal?limit=1000000'), status: 400, code: 'malformed' },
  { name: '/wal?from=1e3', send: () => http('GET', '/wal?from=1e3'), status: 400, code: 'malformed' },
  { name: '/rejections?from=abc', send: () => http('GET', '/rejections?from=abc'), status: 400, code: 'malformed' },
  { name: '/state/at/abc', send: () => http('GET', '/state/at/abc'), status: 404, code: 'not_found' },
  { name: '/state/at/-1', send: () => http('GET', '/state/at/-1'), status: 404, code: 'not_found' },
  { name: '/state/at beyond HEAD', send: () => http('GET', '/state/at/999999'), status: 404, code: 'not_found' },
  { name: '/decisions/0', send: () => http('GET', '/decisions/0'), status: 404, code: 'not_found' },
  { name: '/state?projection=nope', send: () => http('GET', '/state?projection=nope'), status: 400, code: 'malformed' },
  { name: '/state?projection=__proto__', send: () => http('GET', '/state?projection=__proto__'), status: 400, code: 'malformed' },
  { name: '/state?projection=meta', send: () => http('GET', '/state?projection=meta'), status: 400, code: 'malformed' },
  // Refused by node:http itself (request line and headers over 16 KiB): no JSON body, still up.
  { name: 'request target over 16 KiB', send: () => http('GET', `/state?projection=${'a'.repeat(20_000)}`), status: 431 },
];

/** A wall time inside the review window of a beat after the last applied HLC. */
function reviewWall(): number {
  const schedule = sc.genesis.backbeat;
  const { beat } = beatPosition(schedule, sc.wall_ms);
  return wallAt(schedule, beat + 1, 5100);
}

beforeAll(async () => {
  // Scripted through the pure reducer, then replayed over HTTP: the server must agree.
  sc.toExecution();
  sc.step('Execution_PlanLocked', { plan_hash: fakeHash('plan:0') });
  dir = mkdtempSync(join(tmpdir(), 'swoosh-hostile-'));
  running = await startServer({
    db: join(dir, 'swoosh.db'),
    genesis: sc.genesis,
    host: '127.0.0.1',
    port: 0,
    durability: 'FULL',
    quiet: true,
  });
  base = new URL(running.url);
  for (const r of sc.records) {
    const a = await postJson(r.proposal);
    expect(a.status, `${r.transition}: ${a.text}`).toBe(202);
    expect((a.json as { state_post_hash: string }).state_post_hash).toBe(r.state_post_hash);
  }
  expect((await head()).hash).toBe(sc.head.hash);
});

afterAll(async () => {
  await running?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hostile requests: precise answers, no crash, no state change', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const before = await head();
      const a = await c.send();
      expect(a.status, a.text.slice(0, 300)).toBe(c.status);
      if (c.code !== undefined) {
        const error = (a.json as { error?: { code?: string; reason?: unknown } } | null)?.error;
        expect(error?.code, a.text.slice(0, 300)).toBe(c.code);
        expect(typeof error?.reason).toBe('string');
      }
      c.check?.(a);
      const health = await http('GET', '/health');
      expect(health.status).toBe(200);
      const after = await head();
      expect(after.hash).toBe(before.hash);
      expect(after.index).toBe(before.index);
      expect(after.wal).toBe(before.wal);
      expect(after.hash).toBe(sc.head.hash);
    });
  }

  // RFC 9110 §8.3.1 makes `charset="utf-8"` equal to `charset=utf-8`: the body is judged
  // (here: 400 malformed, `{}` lacks every field), not refused as 415.
  it('a quoted charset parameter is still UTF-8 (RFC 9110 §8.3.1)', async () => {
    const a = await post('{}', { 'content-type': 'application/json; charset="utf-8"' });
    expect(a.status, a.text).toBe(400);
    expect((a.json as { error: { code: string } }).error.code).toBe('malformed');
  });

  it('survives a client that disconnects in the middle of a body', async () => {
    const before = await head();
    await new Promise<void>((resolve) => {
      const req = request({
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path: '/transition',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"current_state_hash": "sha');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await http('GET', '/health')).status).toBe(200);
    expect(await head()).toEqual(before);
  });

  it('logged every judged rejection without storing oversized bodies', async () => {
    const page = (await http('GET', '/rejections?from=0&limit=1000')).json as { rejections: Array<{ code: string; proposal: unknown }> };
    expect(page.rejections.length).toBeGreaterThan(20);
    for (const r of page.rejections) {
      const text = JSON.stringify(r.proposal);
      expect(text === undefined || text.length <= 16 * 1024).toBe(true);
    }
  });
});

describe('concurrent proposals: one winner, everything else answered precisely', () => {
  it('20 concurrent copies of one proposal: one 202, nineteen 200 duplicates, one WAL record', async () => {
    const before = await head();
    const p = signed('Control_Pause', { reason: 'concurrent copies' }, operator(), {
      idem_key: 'hostile:pause:copies',
      wall_ms: sc.wall_ms + 1,
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => postJson(p)));
    const statuses = answers.map((a) => a.status).sort((x, y) => x - y);
    expect(statuses).toEqual([...Array<number>(19).fill(200), 202]);
    const bodies = answers.map((a) => a.json as { index: number; state_post_hash: string });
    expect(new Set(bodies.map((b) => b.index))).toEqual(new Set([before.index + 1]));
    expect(new Set(bodies.map((b) => b.state_post_hash)).size).toBe(1);
    const after = await head();
    expect(after.wal).toBe(before.wal + 1);
    expect(after.hash).toBe(bodies[0]!.state_post_hash);
  });

  it('20 concurrent different proposals against one HEAD: one 202, nineteen 409 with the new head_hash', async () => {
    const before = await head();
    const proposals = Array.from({ length: 20 }, (_, i) =>
      signed('Control_Resume', { reason: `resume ${i}` }, operator(), {
        current_state_hash: before.hash,
        idem_key: `hostile:resume:${i}`,
        wall_ms: sc.wall_ms + 2,
      }),
    );
    const answers = await Promise.all(proposals.map((p) => postJson(p)));
    const winners = answers.filter((a) => a.status === 202);
    expect(winners.length).toBe(1);
    const head_hash = (winners[0]!.json as { state_post_hash: string }).state_post_hash;
    for (const a of answers.filter((x) => x.status !== 202)) {
      expect(a.status).toBe(409);
      expect(a.json).toMatchObject({ error: { code: 'stale_state_hash', head_hash } });
    }
    const after = await head();
    expect(after.wal).toBe(before.wal + 1);
    expect(after.hash).toBe(head_hash);
    expect((await http('GET', '/health')).status).toBe(200);
  });
});
