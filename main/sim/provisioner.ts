// Environment provisioner simulator: capacity, installs and health checks, with knobs
// for capacity churn and amber health so compensations get exercised.

import { createHash } from 'node:crypto';
import { SimServer, type BaseKnobs } from './base';

export interface ProvisionerKnobs extends BaseKnobs {
  /** Nodes available; 0 refuses allocation (409 no_capacity). */
  capacity: number;
  /** Every N-th health check is amber (0: never). */
  amber_every: number;
  /** Fail installs (500 install_failed). */
  fail_install: boolean;
}

export function provisionerSim(knobs: Partial<ProvisionerKnobs> = {}): SimServer<ProvisionerKnobs> {
  let checks = 0;
  let generation = 0;
  const sim: SimServer<ProvisionerKnobs> = new SimServer(
    'provisioner-sim',
    { latency_ms: 0, down: false, capacity: 3, amber_every: 0, fail_install: false, ...knobs },
    ({ method, url }) => {
      const k = sim.knobs;
      if (method === 'POST' && url.pathname === '/v1/allocate') {
        if (k.capacity <= 0) return { status: 409, body: { error: { code: 'no_capacity', reason: 'no nodes free (knob capacity)' } } };
        generation += 1;
        const allocations = Array.from({ length: Math.min(k.capacity, 3) }, (_, i) => ({ node: `node-${i + 1}`, cpu: 4, mem_gb: 16 }));
        return { status: 200, body: { allocations, generation } };
      }
      if (method === 'POST' && url.pathname === '/v1/install') {
        if (k.fail_install)
          return { status: 500, body: { error: { code: 'install_failed', reason: 'image pull failed (knob fail_install)' } } };
        return { status: 200, body: { assets: ['image:swoosh-worker@1.8.0', 'tool:search@1.4.2'], generation } };
      }
      if (method === 'GET' && url.pathname === '/v1/health') {
        checks += 1;
        const amber = k.amber_every > 0 && checks % k.amber_every === 0;
        const env_hash = `sha256-${createHash('sha256').update(`env:${generation}`).digest('hex')}`;
        return { status: 200, body: amber ? { green: false, reasons: ['node-2 disk pressure 93%'] } : { green: true, env_hash } };
      }
      return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
    },
  );
  return sim;
}
