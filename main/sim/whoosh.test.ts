// The legacy WHOOSH simulator over real HTTP: its healthy behaviour, its loose
// Idempotency-Key, and each fault knob producing its failure in WHOOSH's own state.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memberSetHash } from '../../core/guards/quorum';
import { whooshSim, type WhooshSim } from './whoosh';

let sim: WhooshSim;
let n = 0;

async function post(path: string, body: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function knobs(patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.url}/_knobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sim = whooshSim();
  await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

let project = '';
beforeEach(async () => {
  n += 1;
  project = `/api/projects/p${n}`;
  await knobs({ split_brain_council: false, index_swap: false, duplicate_delivery: false, restart_reorder: false });
});

describe('WHOOSH simulator, healthy', () => {
  it('folds mutations into region state and answers with the region', async () => {
    expect((await post(`${project}/council/roles`, { roles: ['lead', 'review'] })).status).toBe(200);
    const elected = await post(`${project}/council/elect`, { members: ['b', 'a'] });
    expect(elected.status).toBe(200);
    expect(elected.body).toMatchObject({
      ok: true,
      council: { phase: 'TOOLING_SYNC', members: ['a', 'b'], member_set_hash: memberSetHash(['a', 'b']) },
    });
    await post(`${project}/ingestion/index`, { content_hash: 'sha256-aa', version: 'v1' });
    expect(await get(`${project}/ingestion`)).toMatchObject({
      phase: 'READY',
      content_hash: 'sha256-aa',
      version: 'v1',
      builds: [{ version: 'v1', content_hash: 'sha256-aa' }],
    });
    await post(`${project}/tasks/t-1/submit`, { artifact_hash: 'sha256-bb' });
    expect(await get(`${project}/execution`)).toMatchObject({ submissions: 1, task: 't-1', last_artifact_hash: 'sha256-bb' });
  });

  it('a re-election (council rotation) stands the sitting council down: ELECT, no members', async () => {
    await post(`${project}/council/roles`, { roles: ['lead'] });
    await post(`${project}/council/elect`, { members: ['a', 'b'] });
    const r = await post(`${project}/council/reelect`, { reason: 'rotation' });
    expect(r.status).toBe(200);
    expect(r.body.council).toMatchObject({ phase: 'ELECT', members: [], member_set_hash: null, member_sets: [], elections: 1 });
    expect((await post(`${project}/council/reelect`, {})).body).toEqual({
      error: { code: 'malformed', reason: 'reason must be a string' },
    });
  });

  it('refuses a malformed body with a precise 400 and changes nothing', async () => {
    const r = await post(`${project}/council/elect`, { members: 'a' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'malformed', reason: 'members must be a non-empty list of strings' } });
    expect(await get(`${project}/council`)).toMatchObject({ elections: 0, members: [] });
  });

  it('honours Idempotency-Key from its cache, and forgets it across a restart (loosely)', async () => {
    await post(`${project}/ingestion/rollback`, { reason: 'r' }, 'k-1');
    await post(`${project}/ingestion/rollback`, { reason: 'r' }, 'k-1');
    expect(await get(`${project}/ingestion`)).toMatchObject({ rollbacks: 1 });
    await post('/_restart', {});
    await post(`${project}/ingestion/rollback`, { reason: 'r' }, 'k-1');
    expect(await get(`${project}/ingestion`)).toMatchObject({ rollbacks: 2 });
  });

  it('a restart without reordering rebuilds the same state', async () => {
    await post(`${project}/ingestion/index`, { content_hash: 'sha256-01', version: 'v1' });
    await post(`${project}/ingestion/index`, { content_hash: 'sha256-02', version: 'v2' });
    const before = await get(`${project}/ingestion`);
    await post('/_restart', {});
    expect(await get(`${project}/ingestion`)).toEqual(before);
  });
});

describe('WHOOSH simulator, fault knobs', () => {
  it('split_brain_council: two member sets accepted, the reported one is not the one elected', async () => {
    await knobs({ split_brain_council: true });
    await post(`${project}/council/members`, { members: ['a', 'b', 'c'] });
    await post(`${project}/council/elect`, { members: ['a', 'b'] });
    const c = await get(`${project}/council`);
    expect(c.member_sets).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]);
    expect(c.members).toEqual(['a', 'b', 'c']);
  });

  it('index_swap: READY content hash changes without a new version', async () => {
    await knobs({ index_swap: true });
    const r = await post(`${project}/ingestion/index`, { content_hash: 'sha256-cc', version: 'v7' });
    const i = r.body.ingestion as { content_hash: string; version: string; builds: Array<{ version: string; content_hash: string }> };
    expect(i.version).toBe('v7');
    expect(i.content_hash).not.toBe('sha256-cc');
    expect(i.builds.map((b) => b.version)).toEqual(['v7', 'v7']);
    expect(new Set(i.builds.map((b) => b.content_hash)).size).toBe(2);
  });

  it('duplicate_delivery: one request, the event applied twice', async () => {
    await knobs({ duplicate_delivery: true });
    await post(`${project}/ingestion/rollback`, { reason: 'once' }, `dup-${n}`);
    await post(`${project}/tasks/t-9/submit`, { artifact_hash: 'sha256-dd' });
    expect(await get(`${project}/ingestion`)).toMatchObject({ rollbacks: 2 });
    expect(await get(`${project}/execution`)).toMatchObject({ submissions: 2 });
  });

  it('restart_reorder: a restart replays the log in another order and lands elsewhere', async () => {
    await post(`${project}/ingestion/index`, { content_hash: 'sha256-01', version: 'v1' });
    await post(`${project}/ingestion/index`, { content_hash: 'sha256-02', version: 'v2' });
    expect(await get(`${project}/ingestion`)).toMatchObject({ version: 'v2' });
    await knobs({ restart_reorder: true });
    await post('/_restart', {});
    expect(await get(`${project}/ingestion`)).toMatchObject({ version: 'v1', content_hash: 'sha256-01' });
  });
});
