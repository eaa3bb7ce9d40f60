// The HTTP side of the method table: a host call as a request, and the host's answer as
// tagged data. No fetch here (protocol/ stays pure): the caller passes `send`, which the
// renderer's adapter and main's bridge each build on their own fetch.

import type { ApiFailure } from './errors';
import { failureOf, parseMaybeJson, transportFailure } from './errors';
import { specOf, urlOf, type HostCallName, type HttpRoute } from './methods';
import { transitionOutcomeOf } from './outcome';
import type { Payload } from './schema';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query, to be appended to the host's base URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  text: string;
  /** The Retry-After header, if any. */
  retry_after: string | null;
}

/** Sends one request; rejects only when no answer came (the error says why). */
export type Send = (req: HttpRequest) => Promise<HttpAnswer>;

/** A call's result as data: the value, or a tagged failure. Also the IPC envelope. */
export type Answer<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiFailure };

export function routeOf(name: HostCallName): HttpRoute {
  return specOf(name).http as HttpRoute;
}

export function httpRequestOf(name: HostCallName, payload: Payload): HttpRequest {
  const route = routeOf(name);
  const req: HttpRequest = { method: route.method, url: urlOf(route, payload), headers: { accept: 'application/json' } };
  if (route.body) {
    req.headers['content-type'] = 'application/json';
    req.body = JSON.stringify(route.body(payload));
  }
  return req;
}

/** The host's answer to `name`, mapped by the route: refusals of POST /transition are values. */
export function answerOf(name: HostCallName, req: HttpRequest, a: HttpAnswer): Answer {
  const route = routeOf(name);
  const context = `${req.method} ${req.url}`;
  if (route.answer === 'outcome') return { ok: true, value: transitionOutcomeOf(a.status, parseMaybeJson(a.text), a.retry_after) };
  if (!route.ok_statuses.includes(a.status)) return { ok: false, error: failureOf(a.status, parseMaybeJson(a.text), context) };
  if (route.answer === 'text') return { ok: true, value: a.text };
  try {
    return { ok: true, value: JSON.parse(a.text) as unknown };
  } catch {
    return { ok: false, error: { code: 'malformed', reason: `${context}: answer is not JSON (HTTP ${a.status})`, status: a.status } };
  }
}

/** One host call end to end; never rejects: a transport failure is an answer too. */
export async function callHost(name: HostCallName, payload: Payload, send: Send): Promise<Answer> {
  const req = httpRequestOf(name, payload);
  let a: HttpAnswer;
  try {
    a = await send(req);
  } catch (err) {
    return { ok: false, error: transportFailure(err, `${req.method} ${req.url}`) };
  }
  return answerOf(name, req, a);
}
