// MCP registry simulator: reports tool reachability and versions, signed with its key.

import { DOMAIN, signDoc, type Signer } from '../../core/crypto';
import type { Clock } from '../../core/hlc';
import type { McpTool } from '../../core/types';
import { SimServer, type BaseKnobs } from './base';

export interface McpKnobs extends BaseKnobs {
  /** Tool name → version served (defaults to the pins). */
  versions: Record<string, string>;
  /** Tools reported unreachable. */
  unreachable: string[];
  /** Every N-th report flips all tools unreachable (0: never). */
  flap_every: number;
}

export function mcpRegistrySim(
  key: Signer,
  clock: Clock,
  pins: Record<string, string>,
  knobs: Partial<McpKnobs> = {},
): SimServer<McpKnobs> {
  let reports = 0;
  const sim: SimServer<McpKnobs> = new SimServer(
    'mcp-registry-sim',
    { latency_ms: 0, down: false, versions: { ...pins }, unreachable: [], flap_every: 0, ...knobs },
    ({ method, url }) => {
      if (method !== 'GET' || url.pathname !== '/v1/report')
        return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
      reports += 1;
      const k = sim.knobs;
      const flapped = k.flap_every > 0 && reports % k.flap_every === 0;
      const tools: McpTool[] = Object.entries(k.versions)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, version]) => ({
          name,
          version,
          reachable: !flapped && !k.unreachable.includes(name),
        }));
      const report = signDoc(key, DOMAIN.mcp, { registry: sim.url, observed_ms: clock.now_ms(), tools, signer: key.signer });
      return { status: 200, body: { report } };
    },
  );
  return sim;
}
