// The demo's Simulators panel on the host's HTTP API (docs/console-protocol.md, "Simulators"):
//   GET  /demo/simulators                 every simulator, its knobs, counters; the scenarios
//   POST /demo/simulators/{name}/knobs    {knob: value, …} → the simulator's POST /_knobs
//   POST /demo/scenarios/{id}             runs a named one-click scenario (202)
// Registered on every server (openServer) so a host without a demo answers these paths
// with a clear 404 `not_demo` instead of the console's index page; a demo attaches its
// panel (attachDemo) and detaches it when it stops. The routes go through the API's
// admission (Host allow-list, Origin on POST) like every other route.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from '../api/server';
import { readBoundedText } from '../api/body';
import { parseStrictJson } from '../api/strict-json';

/** A knob patch is a handful of small values; lists of tool names at most. */
export const KNOB_BODY_BYTES_MAX = 16 * 1024;
const NAME_CHARS_MAX = 64;

/** An answer of the panel: a status and a JSON body (errors as `{error: {code, reason}}`). */
export interface PanelAnswer {
  status: number;
  body: unknown;
}

/** What a demo offers the routes (main/app/simulators.ts). */
export interface DemoPanel {
  list(): Promise<PanelAnswer>;
  setKnobs(sim: string, patch: Record<string, unknown>): Promise<PanelAnswer>;
  runScenario(id: string): Promise<PanelAnswer>;
}

const NOT_DEMO = 'the simulators exist only in demo mode (swoosh serve --sim, npm start); this host runs without them';

/** The route set for ApiServer.addFallback; `panel()` is null while no demo is attached. */
export function demoRoutes(panel: () => DemoPanel | null) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const p = url.pathname;
    if (p !== '/demo' && !p.startsWith('/demo/')) return false;
    const route = routeOf(req.method ?? 'GET', p);
    const demo = panel();
    if (demo === null) {
      req.resume();
      sendError(res, 404, 'not_demo', NOT_DEMO);
      return true;
    }
    if ('error' in route) {
      req.resume();
      sendError(res, route.status, route.error, route.reason);
      return true;
    }
    let answer: PanelAnswer;
    if (route.kind === 'list') answer = await demo.list();
    else if (route.kind === 'scenario') {
      req.resume();
      answer = await demo.runScenario(route.name);
    } else {
      const body = await readPatch(req);
      answer =
        'error' in body
          ? { status: body.status, body: { error: { code: body.code, reason: body.error } } }
          : await demo.setKnobs(route.name, body.patch);
    }
    sendJson(res, answer.status, answer.body, { 'cache-control': 'no-store' });
    return true;
  };
}

type Route = { kind: 'list' } | { kind: 'knobs' | 'scenario'; name: string } | { error: string; status: number; reason: string };

function routeOf(method: string, path: string): Route {
  const knobs = /^\/demo\/simulators\/([^/]+)\/knobs$/.exec(path);
  const scenario = /^\/demo\/scenarios\/([^/]+)$/.exec(path);
  const want = path === '/demo/simulators' ? 'GET' : knobs || scenario ? 'POST' : null;
  if (want === null) return { error: 'not_found', status: 404, reason: `no route ${method} ${path}` };
  if (method !== want) return { error: 'method_not_allowed', status: 405, reason: `${method} is not allowed on ${path} (${want} only)` };
  if (path === '/demo/simulators') return { kind: 'list' };
  const raw = (knobs ?? scenario)?.[1] ?? '';
  const name = decodeName(raw);
  if (name === null)
    return { error: 'malformed', status: 400, reason: `the name in ${path} must be 1..${NAME_CHARS_MAX} URL-encoded characters` };
  return { kind: knobs ? 'knobs' : 'scenario', name };
}

function decodeName(raw: string): string | null {
  try {
    const name = decodeURIComponent(raw);
    return name.length >= 1 && name.length <= NAME_CHARS_MAX ? name : null;
  } catch {
    return null;
  }
}

type Patch = { patch: Record<string, unknown> } | { error: string; code: string; status: number };

/** The body of a knob change: a JSON object, application/json, at most KNOB_BODY_BYTES_MAX. */
async function readPatch(req: IncomingMessage): Promise<Patch> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    return {
      status: 415,
      code: 'unsupported_media_type',
      error: `content-type must be application/json, got ${req.headers['content-type'] ?? 'none'}`,
    };
  }
  const text = await readBoundedText(req, KNOB_BODY_BYTES_MAX);
  if (text === null) return { status: 413, code: 'payload_too_large', error: `a knob change is at most ${KNOB_BODY_BYTES_MAX} bytes` };
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return { status: 400, code: 'malformed', error: parsed.reason };
  const v = parsed.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { status: 400, code: 'malformed', error: 'POST a JSON object of knobs, e.g. {"deny": true}' };
  if (Object.keys(v).length === 0) return { status: 400, code: 'malformed', error: 'name at least one knob, e.g. {"deny": true}' };
  return { patch: v as Record<string, unknown> };
}
