// Source corpus simulator (SLURP): the documents an ingestion worker fetches. A knob
// plants policy breaches (a secret, PII, a GPL header) in chosen sources.

import { createHash } from 'node:crypto';
import { SimServer, type BaseKnobs } from './base';

export interface SlurpKnobs extends BaseKnobs {
  sources: string[];
  /** source → kind of breach planted in its text: 'secret' | 'pii' | 'license:gpl'. */
  breach: Record<string, string>;
  /** Bumped to change every source's bytes (a new corpus version). */
  revision: number;
}

const PLANTED: Record<string, string> = {
  secret: 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  pii: 'contact: jane.doe@example.com, SSN 078-05-1120',
  'license:gpl': 'SPDX-License-Identifier: GPL-3.0-or-later',
};

export function sourceText(name: string, revision: number, breach: string | undefined): string {
  const lines = [`# ${name} (revision ${revision})`, 'Design notes for the demo corpus.', `checksum-seed ${name}:${revision}`];
  if (breach) lines.push(PLANTED[breach] ?? `planted ${breach}`);
  return `${lines.join('\n')}\n`;
}

export function slurpSim(knobs: Partial<SlurpKnobs> = {}): SimServer<SlurpKnobs> {
  const sim: SimServer<SlurpKnobs> = new SimServer(
    'slurp-sim',
    {
      latency_ms: 0,
      down: false,
      sources: ['git://demo/handbook', 'git://demo/specs', 'git://demo/runbooks'],
      breach: {},
      revision: 1,
      ...knobs,
    },
    ({ method, url }) => {
      const k = sim.knobs;
      if (method === 'GET' && url.pathname === '/v1/sources') return { status: 200, body: { sources: k.sources, revision: k.revision } };
      if (method === 'GET' && url.pathname === '/v1/source') {
        const name = url.searchParams.get('name') ?? '';
        if (!k.sources.includes(name)) return { status: 404, body: { error: { code: 'not_found', reason: `no source ${name}` } } };
        const text = sourceText(name, k.revision, k.breach[name]);
        return { status: 200, body: { name, text, sha256: createHash('sha256').update(text).digest('hex') } };
      }
      return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
    },
  );
  return sim;
}
