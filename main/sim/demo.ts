// A whole project on one machine: every outside service simulated on loopback, and the
// agent runtime driving the orchestrator through its HTTP API. `swoosh serve --sim` and
// `npm start` run this; the tests run it with a short beat period.

import type { Cast } from '../../core/fixtures/cast';
import type { Clock } from '../../core/hlc';
import type { Genesis } from '../../core/types';
import { AgentRuntime } from '../facts/runtime';
import { backbeatSim } from './backbeat';
import type { SimServer, BaseKnobs } from './base';
import { councilAgentSim } from './council';
import { kachingSim, type KachingKnobs } from './kaching';
import { mcpRegistrySim, type McpKnobs } from './mcp';
import { provisionerSim, type ProvisionerKnobs } from './provisioner';
import { shhhSim, type ShhhKnobs } from './shhh';
import { slurpSim, type SlurpKnobs } from './slurp';

export interface DemoKnobs {
  kaching?: Partial<KachingKnobs>;
  mcp?: Partial<McpKnobs>;
  shhh?: Partial<ShhhKnobs>;
  slurp?: Partial<SlurpKnobs>;
  provisioner?: Partial<ProvisionerKnobs>;
}

export interface DemoOptions {
  swoosh: string;
  /** A cluster's other nodes: the bots follow the leader (`swoosh cluster up --sim`). */
  swoosh_nodes?: readonly string[];
  cast: Cast;
  genesis: Genesis;
  clock: Clock;
  knobs?: DemoKnobs;
  /** op-1 is the human at the console: the bot approves with the other operators only. */
  human_operator?: boolean;
  auto_release_after_ms?: number | null;
  tick_ms?: number;
  /** Lanes the bots leave to others (the migration demo's legacy callers form the council). */
  lanes_off?: readonly ('council' | 'ingestion')[];
}

export interface Demo {
  runtime: AgentRuntime;
  sims: Record<string, SimServer<BaseKnobs>>;
  stop(): Promise<void>;
}

export async function startDemo(o: DemoOptions): Promise<Demo> {
  const k = o.knobs ?? {};
  const sims: Record<string, SimServer<BaseKnobs>> = {
    kaching: kachingSim(o.cast.kaching, o.clock, k.kaching),
    mcp: mcpRegistrySim(o.cast.mcp, o.clock, o.genesis.mcp.pins, k.mcp),
    backbeat: backbeatSim(),
    slurp: slurpSim(k.slurp),
    shhh: shhhSim(o.clock, { deny: o.genesis.policy.deny, ...k.shhh }),
    provisioner: provisionerSim(k.provisioner),
  };
  o.cast.council.forEach((key, i) => {
    sims[`council-${i + 1}`] = councilAgentSim(`c-${i + 1}`, key);
  });
  const urls: Record<string, string> = {};
  for (const [name, sim] of Object.entries(sims)) urls[name] = await sim.listen(0);
  const runtime = new AgentRuntime({
    swoosh: o.swoosh,
    swoosh_nodes: o.swoosh_nodes,
    clock: o.clock,
    agent: o.cast.agents[0] as Cast['kaching'],
    // With a human at the console the bot still approves, but never as op-1, so each
    // REVERB needs the human's approval too (threshold 2 of op-1, op-2).
    operators: o.human_operator ? o.cast.operators.slice(1) : [...o.cast.operators],
    services: {
      kaching: urls.kaching as string,
      mcp: urls.mcp as string,
      backbeat: urls.backbeat as string,
      slurp: urls.slurp as string,
      shhh: urls.shhh as string,
      provisioner: urls.provisioner as string,
      council: o.cast.council.map((_, i) => urls[`council-${i + 1}`] as string),
    },
    auto_approve: true,
    auto_release_after_ms: o.auto_release_after_ms === undefined ? null : o.auto_release_after_ms,
    watch_quorum: true,
    tick_ms: o.tick_ms ?? 250,
    lanes_off: o.lanes_off,
  });
  runtime.start();
  return {
    runtime,
    sims,
    stop: async () => {
      await runtime.stop();
      await Promise.all(Object.values(sims).map((s) => s.close()));
    },
  };
}
