// A council agent (HMMM): signs a vote over a member-set hash for a council epoch when
// it is one of the proposed members. One server per agent, each with its own key.

import { DOMAIN, signDoc, type Signer } from '../../core/crypto';
import { memberSetHash } from '../../core/guards/quorum';
import { SimServer, type BaseKnobs } from './base';

export interface CouncilKnobs extends BaseKnobs {
  /** Decline to vote (409 vote_refused). */
  refuse: boolean;
}

export function councilAgentSim(name: string, key: Signer, knobs: Partial<CouncilKnobs> = {}): SimServer<CouncilKnobs> {
  const sim: SimServer<CouncilKnobs> = new SimServer(
    `council-${name}`,
    { latency_ms: 0, down: false, refuse: false, ...knobs },
    ({ method, url, body }) => {
      if (method === 'GET' && url.pathname === '/v1/identity') return { status: 200, body: { name, signer: key.signer } };
      if (method !== 'POST' || url.pathname !== '/v1/vote')
        return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
      const req = body as { members?: unknown; council_epoch?: unknown } | null;
      const members = req?.members;
      const epoch = req?.council_epoch;
      if (!Array.isArray(members) || members.some((m) => typeof m !== 'string') || !Number.isSafeInteger(epoch)) {
        return { status: 400, body: { error: { code: 'malformed', reason: 'expected {members: [signer], council_epoch: int}' } } };
      }
      if (sim.knobs.refuse) return { status: 409, body: { error: { code: 'vote_refused', reason: `${name} declines (knob refuse)` } } };
      if (!members.includes(key.signer))
        return { status: 409, body: { error: { code: 'not_a_member', reason: `${name} is not in the proposed set` } } };
      // The agent computes the hash itself: it never signs a hash it was handed.
      const vote = signDoc(key, DOMAIN.vote, {
        voter: key.signer,
        member_set_hash: memberSetHash(members as string[]),
        council_epoch: epoch as number,
      });
      return { status: 200, body: { vote } };
    },
  );
  return sim;
}
