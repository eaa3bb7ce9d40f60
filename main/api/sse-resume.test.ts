// GET /events resumes from Last-Event-ID: a console that reconnects gets the accepted events
// it missed from the WAL, in order, before the live ones; past the bound (or ahead of this
// node) it is told to refetch with one `reset` event.
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from '../observe/metrics';
import { ApiServer } from './server';

let dir: string;
let host: Host;
let api: ApiServer;
let port: number;

interface Frame {
  id: string | null;
  event: string;
  data: Record<string, unknown>;
}

/** Opens /events with the given headers, reads until `until` frames (or 3 s), then closes. */
function events(headers: Record<string, string>, until: number, path = '/events'): Promise<{ status: number; frames: Frame[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let buffer = '';
      const frames: Frame[] = [];
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, frames });
      };
      const timer = setTimeout(done, 3_000);
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const line = (k: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${k}: `))
              ?.slice(k.length + 2) ?? null;
          const event = line('event');
          if (event !== null) frames.push({ id: line('id'), event, data: JSON.parse(line('data') ?? 'null') as Record<string, unknown> });
        }
        if (frames.length >= until) done();
      });
      res.on('end', done);
    });
    req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-sse-'));
  const sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  const proposals = recordSubmissions(sc);
  sc.boot().ingest();
  host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, verify_workers: 0 });
  for (const p of proposals) expect((await host.engine.submit(p)).status).toBe(202);
  api = new ApiServer({ host, metrics: createMetrics(host.engine), sse_resume_max: 4 });
  port = (await api.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await api.close();
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /events with Last-Event-ID', () => {
  it('replays the missed accepted events in order, then the live health event', async () => {
    const head = host.head.index;
    expect(head).toBe(6);
    const { status, frames } = await events({ 'last-event-id': String(head - 3) }, 4);
    expect(status).toBe(200);
    expect(frames.map((f) => [f.event, f.id])).toEqual([
      ['accepted', '4'],
      ['accepted', '5'],
      ['accepted', '6'],
      ['health', null],
    ]);
    const stored = host.store.record(5)!;
    expect(frames[1]!.data).toMatchObject({
      index: 5,
      transition: stored.transition,
      state_post_hash: stored.state_post_hash,
      decision_id: 'bubble://dr/5',
    });
  });

  it('the query form works for clients that cannot set headers; caught up means nothing replayed', async () => {
    const { frames } = await events({}, 1, `/events?last_event_id=${host.head.index}`);
    expect(frames.map((f) => f.event)).toEqual(['health']);
  });

  it('past the bound, or ahead of this node, one reset event says to refetch', async () => {
    const far = await events({ 'last-event-id': '0' }, 2);
    expect(far.frames[0]).toMatchObject({ event: 'reset', data: { head_index: 6, reason: '6 events missed (more than 4)' } });
    expect(far.frames[1]!.event).toBe('health');
    const ahead = await events({ 'last-event-id': '99' }, 1);
    expect(ahead.frames[0]).toMatchObject({ event: 'reset', data: { reason: "event 99 is past this node's head 6" } });
  });

  it('a Last-Event-ID that is not an index is malformed', async () => {
    const { status } = await events({ 'last-event-id': 'abc' }, 1);
    expect(status).toBe(400);
  });
});
