// The migration demo (docs/migration.md, "Try it"), attached beside the demo: the legacy
// WHOOSH simulator, `swoosh shim` in front of it, and WHOOSH's callers (legacy-caller.ts)
// forming and rotating the council through the shim, on loopback, with the shim's read
// endpoints proxied by the host for the console's Migration view (shim-proxy.ts). The demo
// genesis starts council in "shadow" and the other regions in "legacy": each election
// reaches WHOOSH and is mirrored to SWOOSH, and the shim compares the two councils. The
// person at the console turns on WHOOSH's split-brain knob (POST /migration/demo/knobs on
// the host, or <whoosh>/_knobs) and sees the divergence in the Migration view, then cuts
// council over with a signed Migration_Route, bypasses and restores.
//
// One driver per region: the demo's own bots must leave the council to the legacy callers
// (attachDemo with lanes_off ['council']), or each would refuse the other's proposals.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Signer } from '../../core/crypto';
import type { Genesis, MigrationRoutes } from '../../core/types';
import { demoCast, demoGenesis } from '../demo';
import { loadMachine } from '../machine';
import { startShim, type RunningShim } from '../shim/command';
import { parseMap } from '../shim/map';
import { councilAgentSim } from '../sim/council';
import { LegacyCaller } from '../sim/legacy-caller';
import type { SimServer, BaseKnobs } from '../sim/base';
import { whooshSim, type WhooshSim } from '../sim/whoosh';
import { readBoundedText } from '../api/body';
import { sendError, sendJson } from '../api/server';
import { parseStrictJson } from '../api/strict-json';
import type { Attachment, Running } from './server';
import { attachShimProxy } from './shim-proxy';

/** Council is shadowed from the start; ingestion and execution stay with WHOOSH. */
export const DEMO_MIGRATION_ROUTES: Readonly<MigrationRoutes> = { council: 'shadow', ingestion: 'legacy', execution: 'legacy' };
/** The example map the docs describe, written for the WHOOSH simulator. */
export const DEMO_MAP_PATH = fileURLToPath(new URL('../../docs/examples/whoosh-map.yaml', import.meta.url));
/** Comparisons every 2 s, so a divergence shows within seconds of appearing. */
export const DEMO_COMPARE_INTERVAL_MS = 2000;
/** The legacy callers' pace: a step a second, a council sitting 4 s, so an election every ~6 s. */
export const DEMO_CALLER_PACE_MS = 1000;
export const DEMO_COUNCIL_HOLD_MS = 4000;
/** The demo's lanes the bots leave to WHOOSH's callers. */
export const MIGRATION_DEMO_LANES_OFF = ['council'] as const;

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
  /** WHOOSH's callers: their pace, or false for none (default DEMO_CALLER_PACE_MS / DEMO_COUNCIL_HOLD_MS). */
  legacy_caller?: { pace_ms: number; hold_ms: number } | false;
}

export interface MigrationDemo extends Attachment {
  whoosh: WhooshSim;
  shim: RunningShim;
  caller: LegacyCaller | null;
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
  running.api.addFallback(knobsRoute(whoosh));
  const callers = s.legacy_caller === false ? null : await startCallers(running, shim.url, map.project, s.legacy_caller);
  const urls = () => ({ whoosh: whoosh.url, whoosh_knobs: `${whoosh.url}/_knobs`, shim: shim.url });
  return running.adopt({
    whoosh,
    shim,
    caller: callers?.caller ?? null,
    urls,
    stop: async () => {
      await callers?.stop();
      await shim.stop();
      await whoosh.close();
    },
  });
}

/**
 * WHOOSH's callers with council agents of their own (the demo cast's council keys, so
 * SWOOSH's genesis trusts their votes); they start once the project exists in SWOOSH.
 */
async function startCallers(
  running: Running,
  shim_url: string,
  project: string,
  pace: { pace_ms: number; hold_ms: number } | undefined,
): Promise<{ caller: LegacyCaller; stop(): Promise<void> }> {
  const cast = demoCast();
  const agents: SimServer<BaseKnobs>[] = cast.council.map((key, i) => councilAgentSim(`whoosh-c-${i + 1}`, key));
  const council = await Promise.all(agents.map((a) => a.listen(0)));
  const caller = new LegacyCaller({
    shim: shim_url,
    swoosh: running.url,
    project,
    council,
    members: cast.council.map((k) => k.signer),
    roles: ['planner', 'implementer', 'reviewer'],
    pace_ms: pace?.pace_ms ?? DEMO_CALLER_PACE_MS,
    hold_ms: pace?.hold_ms ?? DEMO_COUNCIL_HOLD_MS,
    ready: () => !['UNINITIALIZED', 'LICENSE_CHECK'].includes(running.host.head.state.boot.phase),
  });
  caller.start();
  return {
    caller,
    stop: async () => {
      await caller.stop();
      await Promise.all(agents.map((a) => a.close()));
    },
  };
}

/** WHOOSH's fault knobs the host turns (demo only): the failures shadow mode is there to catch. */
export const DEMO_FAULT_KNOBS = ['split_brain_council', 'index_swap', 'duplicate_delivery', 'restart_reorder'] as const;
export const DEMO_KNOBS_PATH = '/migration/demo/knobs';
const KNOB_BODY_BYTES_MAX = 4096;

/**
 * GET/POST /migration/demo/knobs on the host: WHOOSH's fault knobs at the address the
 * person already has (the console's), rather than the simulator's random port. Exists only
 * with the migration demo attached. POST takes {<knob>: boolean} for the four fault knobs
 * and nothing else.
 */
function knobsRoute(whoosh: WhooshSim) {
  const faults = () => Object.fromEntries(DEMO_FAULT_KNOBS.map((k) => [k, whoosh.server.knobs[k]]));
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== DEMO_KNOBS_PATH) return false;
    if (req.method === 'GET') {
      req.resume();
      sendJson(res, 200, { whoosh: whoosh.url, knobs: faults() });
      return true;
    }
    if (req.method !== 'POST') {
      req.resume();
      sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${DEMO_KNOBS_PATH}`);
      return true;
    }
    const patch = await readSmallJson(req);
    const problem = knobPatchProblem(patch);
    if (problem !== null) {
      sendError(res, 400, 'malformed', problem);
      return true;
    }
    whoosh.server.setKnobs(patch as Record<string, boolean>);
    sendJson(res, 200, { whoosh: whoosh.url, knobs: faults() });
    return true;
  };
}

function knobPatchProblem(patch: unknown): string | null {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'the body must be a JSON object {<knob>: boolean}';
  const entries = Object.entries(patch);
  if (entries.length === 0) return 'name at least one knob';
  for (const [k, v] of entries) {
    if (!(DEMO_FAULT_KNOBS as readonly string[]).includes(k)) return `unknown knob ${k}; the knobs are ${DEMO_FAULT_KNOBS.join(', ')}`;
    if (typeof v !== 'boolean') return `knob ${k} takes true or false`;
  }
  return null;
}

/** The body as JSON (strict: no duplicate names), or undefined when it is not JSON or over KNOB_BODY_BYTES_MAX. */
async function readSmallJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBoundedText(req, KNOB_BODY_BYTES_MAX);
  if (text === null) return undefined;
  const parsed = parseStrictJson(text);
  return parsed.ok ? parsed.value : undefined;
}
