// Structured JSON logs (pino). Every accepted transition logs state_pre_hash,
// state_post_hash, transition, hlc and window_id. Never key material: proposals are
// logged by hash and identifiers only, and a redaction list guards the usual key names.

import pino, { type Logger } from 'pino';
import type { Engine } from '../engine/engine';

export type { Logger };

export function createLogger(level: string = process.env.SWOOSH_LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'swoosh' },
      redact: {
        paths: ['*.secret', '*.secret_key', '*.private_key', '*.passphrase', '*.key_material', 'key', 'secret'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

/**
 * A logger that appends to a file (created with its directory): `swoosh start` keeps the
 * terminal for the key and URL lines, so its JSON lines go here instead of stdout. Written
 * synchronously: a demo makes a few lines a second, and none is lost at Ctrl-C.
 */
export function createFileLogger(level: string, path: string): Logger {
  return createLogger(level, pino.destination({ dest: path, mkdir: true, append: true, sync: true }) as unknown as NodeJS.WritableStream);
}

export function logEngine(engine: Engine, log: Logger): () => void {
  return engine.subscribe((e) => {
    if (e.type === 'accepted') {
      const r = e.record;
      log.info(
        {
          event: 'transition_accepted',
          index: r.index,
          transition: r.transition,
          signer: r.signer,
          idem_key: r.idem_key,
          state_pre_hash: r.state_pre_hash,
          state_post_hash: r.state_post_hash,
          hlc: r.hlc,
          window_id: r.window_id,
          guards: r.guard_outcomes.map((g) => `${g.guard}:${g.ok ? 'ok' : 'fail'}`),
          latency_ms: e.latency_ms,
        },
        `${r.transition} accepted at ${r.index}`,
      );
    } else if (e.type === 'rejected') {
      const j = e.rejection;
      // A stale hash is the normal optimistic-concurrency retry path, not a warning.
      const level = j.code === 'stale_state_hash' ? 'info' : 'warn';
      log[level](
        {
          event: 'transition_rejected',
          status: e.status,
          code: j.code,
          guard: j.guard,
          transition: j.transition,
          signer: j.signer,
          idem_key: j.idem_key,
          hlc: j.hlc,
          reason: j.reason,
        },
        `${j.transition ?? 'proposal'} rejected: ${j.code}`,
      );
    } else if (e.type === 'store_failed') {
      log.error({ event: 'store_failed', reason: e.reason }, 'a commit failed; /health reports failing until one succeeds');
    } else if (e.type === 'internal') {
      log.error(
        { event: 'internal_error', transition: e.transition, idem_key: e.idem_key, reason: e.reason },
        `internal error judging ${e.transition ?? 'a proposal'}; the writer continues`,
      );
    } else if (e.type === 'violation') {
      log.error({ event: 'invariant_violation', index: e.index, violations: e.violations }, 'invariant violated');
    } else if (e.type === 'snapshot') {
      log.debug({ event: 'snapshot', index: e.index, hlc: e.hlc }, 'snapshot written');
    }
  });
}
