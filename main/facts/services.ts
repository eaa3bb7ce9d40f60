// Thin adapters over the outside services the agents consult. Each is a FactClient (timeout,
// circuit breaker, licence gate) with typed calls; none of them touches SWOOSH state —
// the runtime turns what they observe into signed proposals.

import type { Clock } from '../../core/hlc';
import type { McpReport, PolicyFinding, Vote } from '../../core/types';
import { FactClient, type CallResult, type ClientTuning, type NetGate } from './http';

export class McpProvider {
  readonly client: FactClient;
  constructor(url: string, clock: Clock, gate: NetGate, tuning: ClientTuning = {}) {
    this.client = new FactClient('mcp-registry', url, { ...tuning, clock, gate });
  }

  async report(): Promise<CallResult<{ report: McpReport }>> {
    return this.client.get('/v1/report');
  }
}

/** Pins the report misses (what an operator needs to read in the health view). */
export function pinProblems(report: McpReport, pins: Record<string, string>): string[] {
  const tools = new Map(report.tools.map((t) => [t.name, t]));
  return Object.entries(pins).flatMap(([name, version]) => {
    const t = tools.get(name);
    if (!t) return [`${name} missing`];
    if (!t.reachable) return [`${name} unreachable`];
    return t.version === version ? [] : [`${name} at ${t.version}, pinned ${version}`];
  });
}

export interface Alert {
  id: number;
  rationale: string;
  findings: PolicyFinding[];
}

export class ShhhProvider {
  readonly client: FactClient;
  lastAlert = 0;
  constructor(url: string, clock: Clock, gate: NetGate, tuning: ClientTuning = {}) {
    this.client = new FactClient('shhh', url, { ...tuning, clock, gate });
  }

  scan(documents: Record<string, string>): Promise<CallResult<{ findings: PolicyFinding[]; policy_version: number }>> {
    return this.client.post('/v1/scan', { documents });
  }

  policy(): Promise<CallResult<{ version: number; deny: string[] }>> {
    return this.client.get('/v1/policy');
  }

  /** Alerts raised since the last one seen (the cursor only moves forward). */
  async alerts(): Promise<Alert[]> {
    const r = await this.client.get<{ alerts: Alert[] }>(`/v1/alerts?after=${this.lastAlert}`);
    if (!r.ok) return [];
    const fresh = r.body.alerts.filter((a) => a.id > this.lastAlert);
    if (fresh.length > 0) this.lastAlert = Math.max(...fresh.map((a) => a.id));
    return fresh;
  }
}

export class SlurpProvider {
  readonly client: FactClient;
  constructor(url: string, clock: Clock, gate: NetGate, tuning: ClientTuning = {}) {
    this.client = new FactClient('slurp', url, { ...tuning, clock, gate });
  }

  sources(): Promise<CallResult<{ sources: string[]; revision: number }>> {
    return this.client.get('/v1/sources');
  }

  source(name: string): Promise<CallResult<{ name: string; text: string; sha256: string }>> {
    return this.client.get(`/v1/source?name=${encodeURIComponent(name)}`);
  }
}

export class ProvisionerProvider {
  readonly client: FactClient;
  constructor(url: string, clock: Clock, gate: NetGate, tuning: ClientTuning = {}) {
    this.client = new FactClient('provisioner', url, { ...tuning, clock, gate });
  }

  allocate(): Promise<CallResult<{ allocations: Array<Record<string, unknown>> }>> {
    return this.client.post('/v1/allocate', {});
  }

  install(): Promise<CallResult<{ assets: string[] }>> {
    return this.client.post('/v1/install', {});
  }

  health(): Promise<CallResult<{ green: boolean; env_hash?: string; reasons?: string[] }>> {
    return this.client.get('/v1/health');
  }
}

/** HMMM collector: asks every council agent for its vote and keeps the ones that came. */
export class CouncilCollector {
  readonly clients: FactClient[];
  /** `tuning(i)` tunes the client of agent i (its credential, for one). */
  constructor(urls: readonly string[], clock: Clock, gate: NetGate, tuning: (i: number) => ClientTuning = () => ({})) {
    this.clients = urls.map((url, i) => new FactClient(`council-${i + 1}`, url, { ...tuning(i), clock, gate }));
  }

  async collect(members: readonly string[], council_epoch: number): Promise<{ votes: Vote[]; problems: string[] }> {
    const answers = await Promise.all(this.clients.map((c) => c.post<{ vote: Vote }>('/v1/vote', { members, council_epoch })));
    const votes: Vote[] = [];
    const problems: string[] = [];
    for (const a of answers) {
      if (a.ok) votes.push(a.body.vote);
      else problems.push(a.reason);
    }
    return { votes, problems };
  }
}
