// BACKBEAT pressure simulator: the tidal amplitude (basis points) that scales every
// provider's retry backoff. Windows themselves come from the schedule in state.

import { SimServer, type BaseKnobs } from './base';

export interface BackbeatKnobs extends BaseKnobs {
  amplitude_bp: number;
}

export function backbeatSim(knobs: Partial<BackbeatKnobs> = {}): SimServer<BackbeatKnobs> {
  const sim: SimServer<BackbeatKnobs> = new SimServer(
    'backbeat-sim',
    { latency_ms: 0, down: false, amplitude_bp: 0, ...knobs },
    ({ method, url }) => {
      if (method !== 'GET' || url.pathname !== '/v1/pressure')
        return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
      return { status: 200, body: { amplitude_bp: Math.max(0, Math.min(10000, Math.floor(sim.knobs.amplitude_bp))) } };
    },
  );
  return sim;
}
