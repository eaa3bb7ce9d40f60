// `swoosh serve --etcd URL[,URL…] --node-id ID [--advertise URL] [--lease-ms 3000] [--keep-records N]`:
// checked here, before any database opens, so a typo is one clear line, not a node that
// half-joins a cluster.

import { UsageError } from '../commands/args';
import type { ClusterSettings } from './attach';

export const DEFAULT_LEASE_MS = 3000;
/** etcd grants whole-second leases and refuses very short ones; below 2 s elections thrash. */
const LEASE_MS_MIN = 2000;
const LEASE_MS_MAX = 60_000;
const ENDPOINTS_MAX = 9;
/** Far beyond any useful window; a typo with extra digits is refused rather than kept forever. */
const KEEP_RECORDS_MAX = 100_000_000;

export interface ClusterFlags {
  etcd?: string;
  node_id?: string;
  advertise?: string;
  lease_ms?: string;
  keep_records?: string;
}

function httpUrl(raw: string, flag: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${flag}: "${raw}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag}: "${raw}" must be an http:// or https:// URL`);
  return u;
}

export type ClusterFlagSettings = ClusterSettings & { allowed_hosts: string[] };

/** The cluster settings, or undefined without --etcd (then the other cluster flags are refused). */
export function clusterSettings(f: ClusterFlags): ClusterFlagSettings | undefined {
  if (f.etcd === undefined) {
    if (f.node_id !== undefined || f.advertise !== undefined || f.lease_ms !== undefined || f.keep_records !== undefined) {
      throw new UsageError('--node-id, --advertise, --lease-ms and --keep-records are for a cluster node: add --etcd URL[,URL…]');
    }
    return undefined;
  }
  const endpoints = f.etcd
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0 || endpoints.length > ENDPOINTS_MAX)
    throw new UsageError(`--etcd takes 1..${ENDPOINTS_MAX} comma-separated URLs`);
  for (const e of endpoints) httpUrl(e, '--etcd');
  if (!f.node_id || !/^[A-Za-z0-9._-]{1,64}$/.test(f.node_id))
    throw new UsageError('--node-id ID is required with --etcd (1-64 of A-Z a-z 0-9 . _ -)');
  const lease_ms = f.lease_ms === undefined ? DEFAULT_LEASE_MS : Number(f.lease_ms);
  if (!Number.isInteger(lease_ms) || lease_ms < LEASE_MS_MIN || lease_ms > LEASE_MS_MAX) {
    throw new UsageError(`--lease-ms must be an integer within ${LEASE_MS_MIN}..${LEASE_MS_MAX}, got ${f.lease_ms}`);
  }
  const keep_records = keepRecordsOf(f.keep_records);
  const advertise = f.advertise === undefined ? undefined : httpUrl(f.advertise, '--advertise').origin;
  const allowed_hosts = advertise === undefined ? [] : [new URL(advertise).hostname];
  return { endpoints, node_id: f.node_id, advertise, lease_ms, keep_records, allowed_hosts };
}

/**
 * Records kept in etcd behind the newest snapshot (undefined: the node's default). Older
 * keys are deleted and etcd compacted; a follower further behind restores from a peer's snapshot.
 */
function keepRecordsOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > KEEP_RECORDS_MAX)
    throw new UsageError(`--keep-records must be an integer within 1..${KEEP_RECORDS_MAX}, got ${raw}`);
  return n;
}
