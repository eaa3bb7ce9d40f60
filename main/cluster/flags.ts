// `swoosh serve --etcd URL[,URL…] --node-id ID [--advertise URL] [--lease-ms 3000]`:
// checked here, before any database opens, so a typo is one clear line, not a node that
// half-joins a cluster.

import { UsageError } from '../commands/args';
import type { ClusterSettings } from './attach';

export const DEFAULT_LEASE_MS = 3000;
/** etcd grants whole-second leases and refuses very short ones; below 2 s elections thrash. */
const LEASE_MS_MIN = 2000;
const LEASE_MS_MAX = 60_000;
const ENDPOINTS_MAX = 9;

export interface ClusterFlags {
  etcd?: string;
  node_id?: string;
  advertise?: string;
  lease_ms?: string;
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
    if (f.node_id !== undefined || f.advertise !== undefined || f.lease_ms !== undefined) {
      throw new UsageError('--node-id, --advertise and --lease-ms are for a cluster node: add --etcd URL[,URL…]');
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
  const advertise = f.advertise === undefined ? undefined : httpUrl(f.advertise, '--advertise').origin;
  const allowed_hosts = advertise === undefined ? [] : [new URL(advertise).hostname];
  return { endpoints, node_id: f.node_id, advertise, lease_ms, allowed_hosts };
}
