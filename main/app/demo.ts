// attachDemo: the demo project beside a running server — every CHORUS service simulated
// on loopback and the demo bots (agent, council, operator) driving it. openDemoHost is
// what `swoosh start` and the Electron shell run: a server on the demo genesis with the
// demo attached, moving aside a demo database that an older demo genesis made.

import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Signer } from '../../core/crypto';
import type { Clock } from '../../core/hlc';
import { demoCast, demoGenesis } from '../demo';
import { HostError, systemClock } from '../host';
import { startDemo, type Demo } from '../sim/demo';
import { attachMigrationDemo, MIGRATION_DEMO_LANES_OFF, migrationDemoGenesis, type MigrationDemo } from './migration-demo';
import type { Logger } from '../observe/log';
import { providersHealth } from './providers';
import { openServer, type Attachment, type Running } from './server';
import { SimulatorsPanel } from './simulators';

export interface DemoSettings {
  /** op-1 is the human at the console: the bot neither approves nor releases with it. */
  human_operator?: boolean;
  /** The operator bot releases a quarantine after this long; null (default) = never. */
  auto_release_after_ms?: number | null;
  clock?: Clock;
  /** Lanes the bots leave to others: the migration demo's legacy callers form the council. */
  lanes_off?: readonly ('council' | 'ingestion')[];
}

export interface SimulatorUrls {
  [name: string]: { url: string; knobs: string; stats: string };
}

export interface DemoAttachment extends Attachment {
  demo: Demo;
  /** op-1 is left to the human at the console (the bot approves and releases as op-2 only). */
  human_operator: boolean;
  /** Each simulator's URL, knobs URL and stats URL. */
  simulators(): SimulatorUrls;
}

/** Starts the simulators and bots against `running`, reports them on /health, stops them with it. */
export async function attachDemo(running: Running, d: DemoSettings = {}): Promise<DemoAttachment> {
  const human_operator = d.human_operator ?? false;
  const cast = demoCast();
  const clock = d.clock ?? systemClock;
  const demo = await startDemo({
    swoosh: running.url,
    cast,
    genesis: running.host.genesis,
    clock,
    human_operator,
    auto_release_after_ms: d.auto_release_after_ms ?? null,
    lanes_off: d.lanes_off,
  });
  const simulators = (): SimulatorUrls => simulatorUrls(demo);
  running.setHealth(() => ({ ...providersHealth(demo.runtime), simulators: simulators() }));
  // The console's Simulators panel (GET/POST /demo/…): knobs, counters, one-click scenarios.
  const panel = new SimulatorsPanel({
    sims: demo.sims,
    runtime: demo.runtime,
    state: () => running.host.head.state,
    swoosh: running.url,
    agent: cast.agents[0] as Signer,
    clock,
    auto_release_after_ms: d.auto_release_after_ms ?? null,
  });
  running.setDemoPanel(panel);
  const stop = async () => {
    panel.cancel();
    running.setDemoPanel(null);
    await demo.stop();
  };
  return running.adopt({ demo, human_operator, simulators, stop });
}

function simulatorUrls(demo: Demo): SimulatorUrls {
  return Object.fromEntries(
    Object.entries(demo.sims).map(([name, sim]) => [name, { url: sim.url, knobs: `${sim.url}/_knobs`, stats: `${sim.url}/_stats` }]),
  );
}

/** Where `npm start` keeps its database when none is given ($SWOOSH_DATA_DIR, else XDG). */
export function defaultDataDir(): string {
  const base = process.env.SWOOSH_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'swoosh');
  mkdirSync(base, { recursive: true });
  return base;
}

/** Moves a database and its -wal/-shm aside; returns where the main file went. */
export function moveAside(db: string, stamp_ms: number): string {
  const aside = `${db}.old-${stamp_ms}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(db + suffix)) renameSync(db + suffix, aside + suffix);
  return aside;
}

export interface DemoHostSettings {
  db: string;
  port: number;
  console: boolean;
  quiet?: boolean;
  /** Where the server's JSON logs go (stdout by default). */
  log?: Logger;
  /** Where messages for the operator go (stdout by default). */
  say?: (line: string) => void;
  /**
   * op-1 (the key `swoosh start` prints) belongs to the person at the console: the bot
   * approves as op-2 only, so each REVERB waits for the human's approval (threshold 2).
   * Default true; false gives the unattended demo where the bot signs as every operator.
   */
  human_operator?: boolean;
  /**
   * The migration demo beside it (`swoosh start --migration`): WHOOSH, the shim (its
   * SQLite file here) and WHOOSH's callers forming the council (main/app/migration-demo.ts).
   */
  migration?: { shim_db: string };
}

export type DemoHost = Running & { demo: DemoAttachment; migration: MigrationDemo | null };

/**
 * The demo server on 127.0.0.1. A demo database made with an older demo genesis cannot be
 * reused (its history was signed under other rules), so it is moved aside — said in one
 * line, kept for inspection — and a fresh one is started, instead of failing.
 */
export async function openDemoHost(s: DemoHostSettings): Promise<DemoHost> {
  const say = s.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const open = async (): Promise<DemoHost> => {
    const running = await openServer({
      db: s.db,
      genesis: s.migration ? migrationDemoGenesis() : demoGenesis(),
      host: '127.0.0.1',
      port: s.port,
      durability: 'FULL',
      console: s.console,
      quiet: s.quiet,
      log: s.log,
    });
    try {
      const lanes_off = s.migration ? MIGRATION_DEMO_LANES_OFF : undefined;
      const demo = await attachDemo(running, { human_operator: s.human_operator ?? true, lanes_off });
      const migration = s.migration ? await attachMigrationDemo(running, { shim_db: s.migration.shim_db }) : null;
      return Object.assign(running, { demo, migration });
    } catch (err) {
      await running.stop();
      throw err;
    }
  };
  try {
    return await open();
  } catch (err) {
    if (!(err instanceof HostError) || (err.code !== 'genesis_mismatch' && err.code !== 'rules_mismatch')) throw err;
    const aside = moveAside(s.db, Date.now());
    // The shim's outbox and divergences belong to the project moved aside.
    if (s.migration) moveAside(s.migration.shim_db, Date.now());
    const why = err.code === 'rules_mismatch' ? 'under older SWOOSH rules' : 'with an older demo genesis';
    say(`swoosh: ${basename(s.db)} was made ${why}; moved it to ${aside} and starting a fresh demo database`);
    return open();
  }
}
