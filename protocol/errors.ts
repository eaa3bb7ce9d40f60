// Errors across the console boundary, as tagged data.
//
// One parser for the host's error body and one mapping from an HTTP answer (or its
// absence) to an ApiFailure, used by the renderer's HTTP adapter, main's IPC bridge and
// the SDK, so a 409 reads the same in all three.

import type { ApiErrorBody } from './api';

/** A refusal or a transport failure: the error body's fields plus the HTTP status. */
export interface ApiFailure extends ApiErrorBody {
  /** HTTP status; 0 when no answer came (unreachable, timeout) or the call never left. */
  status: number;
}

/** Error bodies are short; a longer reason (an HTML error page) is cut, not carried whole. */
export const REASON_CHARS_MAX = 200;
/** Bound on the `reasons` list taken from a body. */
export const REASONS_MAX = 100;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The `error` object of a parsed body, with only the fields that have their documented
 * types; null when the body is not an error body (no string code and reason).
 */
export function errorBodyOf(body: unknown): ApiErrorBody | null {
  const e = isObject(body) ? body.error : null;
  if (!isObject(e) || typeof e.code !== 'string' || typeof e.reason !== 'string') return null;
  const out: ApiErrorBody = { code: e.code, reason: e.reason };
  if (typeof e.guard === 'string') out.guard = e.guard;
  if (Array.isArray(e.reasons)) out.reasons = e.reasons.filter((r): r is string => typeof r === 'string').slice(0, REASONS_MAX);
  if (typeof e.head_hash === 'string') out.head_hash = e.head_hash;
  if (typeof e.leader === 'string') out.leader = e.leader;
  if (typeof e.writer === 'string') out.writer = e.writer;
  return out;
}

/**
 * A non-2xx answer as an ApiFailure. `body` is the parsed JSON, or the raw text when the
 * answer was not JSON (a proxy's HTML page): then its start is the reason.
 * `fallback_code` names an answer without an error body (`http_error` for reads).
 */
export function failureOf(status: number, body: unknown, context: string, fallback_code = 'http_error'): ApiFailure {
  const e = errorBodyOf(body);
  if (e) return { ...e, status };
  const text = typeof body === 'string' ? body.trim().slice(0, REASON_CHARS_MAX) : '';
  return { code: fallback_code, reason: text === '' ? `${context}: HTTP ${status}` : `${context}: HTTP ${status}: ${text}`, status };
}

/** No answer: `timeout` when the request's own deadline fired, else `unreachable`. */
export function transportFailure(err: unknown, context: string): ApiFailure {
  const e = err as { name?: unknown; message?: unknown } | null;
  const timedOut = e?.name === 'TimeoutError';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { code: timedOut ? 'timeout' : 'unreachable', reason: `${context}: ${message}`, status: 0 };
}

/** Text → JSON value, or the text itself when it is not JSON. */
export function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The tagged error every ConsoleApi method rejects with. */
export class ConsoleApiError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    /** HTTP status, or 0 when the host could not be reached. */
    readonly status: number,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'ConsoleApiError';
  }

  static of(f: ApiFailure): ConsoleApiError {
    return new ConsoleApiError(f.code, f.reason, f.status);
  }
}

export function isConsoleApiError(e: unknown): e is ConsoleApiError {
  return e instanceof ConsoleApiError || (typeof e === 'object' && e !== null && 'code' in e && 'reason' in e);
}

/** A one-line, human-readable account of any failure (for banners and dialogs). */
export function describeError(e: unknown): string {
  if (isConsoleApiError(e)) return `${e.code}: ${e.reason}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
