// The migration demo (docs/migration.md), attached beside the demo: the legacy WHOOSH
// simulator and `swoosh shim` in front of it, on loopback, with the shim's read endpoints
// proxied by the host for the console's Migration view (shim-proxy.ts). The demo genesis
// starts council in "shadow" and the other regions in "legacy", so the shim compares
// WHOOSH's council with SWOOSH's on its timer and records what differs; the person at the
// console can turn on WHOOSH's split-brain knob (POST <whoosh>/_knobs) and cut council over
// with a signed Migration_Route from the Migration view.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Signer } from '../../core/crypto';
import type { Genesis, MigrationRoutes } from '../../core/types';
import { demoCast, demoGenesis } from '../demo';
import { loadMachine } from '../machine';
import { startShim, type RunningShim } from '../shim/command';
import { parseMap } from '../shim/map';
import { whooshSim, type WhooshSim } from '../sim/whoosh';
import type { Attachment, Running } from './server';
import { attachShimProxy } from './shim-proxy';

/** Council is shadowed from the start; ingestion and execution stay with WHOOSH. */
export const DEMO_MIGRATION_ROUTES: Readonly<MigrationRoutes> = { council: 'shadow', ingestion: 'legacy', execution: 'legacy' };
/** The example map the docs describe, written for the WHOOSH simulator. */
export const DEMO_MAP_PATH = fileURLToPath(new URL('../../docs/examples/whoosh-map.yaml', import.meta.url));
/** Comparisons every 2 s, so a divergence shows within seconds of appearing. */
export const DEMO_COMPARE_INTERVAL_MS = 2000;

/** The demo genesis of a project migrating from WHOOSH. */
export function migrationDemoGenesis(opts: { period_ms?: number } = {}): Genesis {
  return { ...demoGenesis(opts), migration: { routes: { ...DEMO_MIGRATION_ROUTES } } };
}

export interface MigrationDemoSettings {
  /** The shim's SQLite file (outbox and divergence log). */
  shim_db: string;
  /** Signs the shim's mirrored proposals: the demo agent by default (the map's transitions are agent transitions). */
  signer?: Signer;
  compare_interval_ms?: number;
}

export interface MigrationDemo extends Attachment {
  whoosh: WhooshSim;
  shim: RunningShim;
  urls(): { whoosh: string; whoosh_knobs: string; shim: string };
}

/** Starts WHOOSH and the shim against `running`, proxies the shim for the console, stops both with it. */
export async function attachMigrationDemo(running: Running, s: MigrationDemoSettings): Promise<MigrationDemo> {
  const map = parseMap(readFileSync(DEMO_MAP_PATH, 'utf8'), new Set(Object.keys(loadMachine().transitions)));
  const whoosh = whooshSim();
  await whoosh.listen(0);
  let shim: RunningShim;
  try {
    shim = await startShim({
      map,
      legacy: whoosh.url,
      swoosh: [running.url],
      signer: s.signer ?? (demoCast().agents[0] as Signer),
      db: s.shim_db,
      compare_interval_ms: s.compare_interval_ms ?? DEMO_COMPARE_INTERVAL_MS,
    });
  } catch (err) {
    await whoosh.close();
    throw err;
  }
  attachShimProxy(running, shim.url);
  const urls = () => ({ whoosh: whoosh.url, whoosh_knobs: `${whoosh.url}/_knobs`, shim: shim.url });
  return running.adopt({
    whoosh,
    shim,
    urls,
    stop: async () => {
      await shim.stop();
      await whoosh.close();
    },
  });
}
