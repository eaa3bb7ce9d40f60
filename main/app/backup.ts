// Scheduled backups inside the writer (`swoosh serve --backup-dir DIR --backup-every 15m
// --backup-keep 24`). The writer holds its database exclusively, so this is the online
// path: each backup goes through the writer's own connection (main/store/backup.ts), is
// verified before it gets its final name, and the oldest beyond `keep` are deleted. The
// last result is on GET /health (`backup`) and in the metrics; a failed backup is logged
// at error level and counted, and the server goes on. docs/decisions/0026-online-backups.md.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import { backupDatabase, type BackupResult } from '../store/backup';
import { AppError } from './errors';
import type { Attachment, Running } from './server';

export interface BackupSettings {
  dir: string;
  every_ms: number;
  /** How many backups to keep (newest first); older ones are deleted after each success. */
  keep: number;
  now_ms?: () => number;
}

export interface BackupStatus {
  dir: string;
  every_ms: number;
  keep: number;
  last_result: 'none' | 'ok' | 'failed';
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_size_bytes: number | null;
  last_path: string | null;
  last_index: number | null;
  last_error: string | null;
  failures: number;
}

export interface BackupAttachment extends Attachment {
  status(): BackupStatus;
  /** One backup now (the schedule's own step); resolves with the status after it. */
  runNow(): Promise<BackupStatus>;
}

/** A backup file this scheduler wrote: swoosh-<UTC stamp>-i<index>.db; sorts oldest first. */
const BACKUP_NAME_RE = /^swoosh-\d{8}T\d{6}\.\d{3}Z-i\d+\.db$/;
export const BACKUP_KEEP_MAX = 10_000;
const EVERY_MS_MIN = 100;
const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `15m`, `30s`, `6h`, `1d`, `500ms` → milliseconds; null if it is not one of those. */
export function durationMs(text: string): number | null {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** UTC to the millisecond (20261203T090200.123Z): sorts by time, and two backups in one second get two names. */
function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

/** A copy in progress (main/store/backup.ts names it); one left by a crash is removed at start. */
const PARTIAL_NAME_RE = /^\.swoosh-\d{8}T\d{6}\.\d{3}Z-i\d+\.db\.partial-\d+$/;

/** Deletes the oldest of this scheduler's files beyond `keep`; returns how many went. */
export function pruneBackups(dir: string, keep: number): number {
  const files = readdirSync(dir)
    .filter((f) => BACKUP_NAME_RE.test(f))
    .sort();
  const old = files.slice(0, Math.max(0, files.length - keep));
  for (const f of old) rmSync(join(dir, f), { force: true });
  return old.length;
}

function backupMetrics(running: Running) {
  const registers = [running.metrics.registry];
  return {
    lastSuccess: new Gauge({
      name: 'swoosh_backup_last_success_timestamp_seconds',
      help: 'Unix time of the last verified backup',
      registers,
    }),
    lastSize: new Gauge({ name: 'swoosh_backup_last_size_bytes', help: 'Size of the last verified backup', registers }),
    failures: new Counter({ name: 'swoosh_backup_failures_total', help: 'Backups that failed to be written or verified', registers }),
  };
}

function checkSettings(s: BackupSettings): void {
  if (!Number.isInteger(s.every_ms) || s.every_ms < EVERY_MS_MIN)
    throw new AppError('bad_settings', `backup interval must be at least ${EVERY_MS_MIN} ms, got ${s.every_ms}`);
  if (!Number.isInteger(s.keep) || s.keep < 1 || s.keep > BACKUP_KEEP_MAX)
    throw new AppError('bad_settings', `backup keep must be 1..${BACKUP_KEEP_MAX}, got ${s.keep}`);
}

/** Starts the schedule on `running` (first backup after one interval), adopted so it stops with it. */
export function attachBackups(running: Running, s: BackupSettings): BackupAttachment {
  checkSettings(s);
  mkdirSync(s.dir, { recursive: true });
  for (const f of readdirSync(s.dir)) if (PARTIAL_NAME_RE.test(f)) rmSync(join(s.dir, f), { force: true });
  const now_ms = s.now_ms ?? Date.now;
  const metrics = backupMetrics(running);
  const status: BackupStatus = {
    dir: s.dir,
    every_ms: s.every_ms,
    keep: s.keep,
    last_result: 'none',
    last_attempt_at: null,
    last_success_at: null,
    last_size_bytes: null,
    last_path: null,
    last_index: null,
    last_error: null,
    failures: 0,
  };
  let inFlight: Promise<BackupStatus> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const succeeded = (r: BackupResult, at_ms: number) => {
    Object.assign(status, {
      last_result: 'ok',
      last_success_at: new Date(at_ms).toISOString(),
      last_size_bytes: r.size_bytes,
      last_path: r.path,
      last_index: r.index,
      last_error: null,
    });
    metrics.lastSuccess.set(at_ms / 1000);
    metrics.lastSize.set(r.size_bytes);
    const pruned = pruneBackups(s.dir, s.keep);
    running.log.info(
      { event: 'backup', path: r.path, size_bytes: r.size_bytes, index: r.index, duration_ms: r.duration_ms, pruned },
      `backup ${r.path} written and verified`,
    );
  };
  const failed = (err: unknown) => {
    const reason = (err as Error).message;
    Object.assign(status, { last_result: 'failed', last_error: reason, failures: status.failures + 1 });
    metrics.failures.inc();
    running.log.error({ event: 'backup_failed', dir: s.dir, reason }, `backup failed: ${reason}`);
  };
  const once = async (): Promise<BackupStatus> => {
    const at_ms = now_ms();
    status.last_attempt_at = new Date(at_ms).toISOString();
    const out = join(s.dir, `swoosh-${stampOf(at_ms)}-i${running.host.head.index}.db`);
    try {
      succeeded(await backupDatabase(running.host.store.db, out, { now_ms }), at_ms);
    } catch (err) {
      failed(err);
    }
    return { ...status };
  };
  // One backup at a time: a tick that finds one running waits for it instead of starting another.
  const runNow = () => (inFlight ??= once().finally(() => (inFlight = null)));
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runNow().then(schedule), s.every_ms);
  };
  running.addHealth(() => ({ backup: { ...status } }));
  schedule();
  return running.adopt({
    status: () => ({ ...status }),
    runNow,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  });
}
