// Lives in e2e/ (not beside renderer/state/session.ts) because it serves real HTTP with
// node:http, which the renderer's tsconfig (DOM only) does not type.
// The session store keeps what the views used to lose on every visit: the actions signed
// here (bounded, newest first) and the Metrics history (scraped over real HTTP from a tiny
// Prometheus endpoint; the history is the store's, whoever subscribes or leaves).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApi } from '../renderer/api/http';
import { SessionStore, SIGNED_MAX } from '../renderer/state/session';

let server: Server;
let base = '';
let transitions = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    transitions += 10;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE swoosh_transition_total counter\nswoosh_transition_total{transition="Execution_Approve"} ${transitions}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('SessionStore', () => {
  it('keeps the signed actions newest first, at most SIGNED_MAX, for any view that subscribes later', () => {
    const s = new SessionStore(createHttpApi({ base }));
    for (let i = 1; i <= SIGNED_MAX + 5; i += 1)
      s.recordSigned({ transition: 'Quarantine_Release', index: i, duplicate: false, signer: 'op', at_ms: i });
    const later = s.getSnapshot().signed;
    expect(later).toHaveLength(SIGNED_MAX);
    expect(later[0]?.index).toBe(SIGNED_MAX + 5);
    expect(later.at(-1)?.index).toBe(6);
  });

  it('accumulates metrics points across scrapes (rates between consecutive scrapes)', async () => {
    const s = new SessionStore(createHttpApi({ base }));
    let notified = 0;
    const off = s.subscribe(() => (notified += 1));
    await s.scrape(1_000);
    off(); // a view leaving does not reset anything
    await s.scrape(3_000);
    await s.scrape(5_000);
    const m = s.getSnapshot().metrics;
    expect(notified).toBe(1);
    expect(m.scrapes).toBe(3);
    expect(m.points).toHaveLength(2);
    expect(m.points[1]?.transitions_per_s).toBeCloseTo(5, 5);
    expect(m.error).toBeNull();
  });
});
