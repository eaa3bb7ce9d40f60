// SHHH policy engine simulator: a versioned policy document and a scanner whose rules
// find secrets, PII markers and disallowed licences in text. It also raises runtime
// alerts on a schedule (knob), which the SHHH provider turns into Policy_Violation.

import { SimServer, type BaseKnobs } from './base';
import type { PolicyFinding } from '../../core/types';
import type { Clock } from '../../core/hlc';

export interface ShhhKnobs extends BaseKnobs {
  version: number;
  deny: string[];
  /** Raise a runtime alert every this many ms (0: never). */
  alert_every_ms: number;
}

const RULES: Array<{ kind: string; re: RegExp; detail: string }> = [
  { kind: 'secret', re: /\b(AWS_SECRET_ACCESS_KEY|PRIVATE KEY|api[_-]?key)\b/i, detail: 'credential material' },
  { kind: 'pii', re: /\b\d{3}-\d{2}-\d{4}\b|[\w.]+@[\w.]+\.\w+/, detail: 'personal data marker' },
  { kind: 'license:gpl', re: /SPDX-License-Identifier:\s*GPL/i, detail: 'GPL-licensed content' },
];

export function scanText(path: string, text: string): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const lines = text.split('\n');
  for (const rule of RULES) {
    const line = lines.findIndex((l) => rule.re.test(l));
    if (line >= 0) findings.push({ kind: rule.kind, path: `${path}#L${line + 1}`, detail: rule.detail });
  }
  return findings;
}

export function shhhSim(clock: Clock, knobs: Partial<ShhhKnobs> = {}): SimServer<ShhhKnobs> {
  const started_ms = clock.now_ms();
  const sim: SimServer<ShhhKnobs> = new SimServer(
    'shhh-sim',
    { latency_ms: 0, down: false, version: 1, deny: ['secret', 'pii', 'license:gpl'], alert_every_ms: 0, ...knobs },
    ({ method, url, body }) => {
      const k = sim.knobs;
      if (method === 'GET' && url.pathname === '/v1/policy') return { status: 200, body: { version: k.version, deny: k.deny } };
      if (method === 'POST' && url.pathname === '/v1/scan') {
        const docs = (body as { documents?: unknown } | null)?.documents;
        if (typeof docs !== 'object' || docs === null || Array.isArray(docs)) {
          return { status: 400, body: { error: { code: 'malformed', reason: 'expected {documents: {path: text}}' } } };
        }
        const findings = Object.entries(docs as Record<string, unknown>)
          .filter(([, t]) => typeof t === 'string')
          .flatMap(([path, t]) => scanText(path, t as string));
        return { status: 200, body: { findings, policy_version: k.version } };
      }
      if (method === 'GET' && url.pathname === '/v1/alerts') {
        // Alert n is due at started + n × period; the caller passes the last one it saw.
        const after = Number(url.searchParams.get('after') ?? '0');
        const due = k.alert_every_ms > 0 ? Math.floor((clock.now_ms() - started_ms) / k.alert_every_ms) : 0;
        const alerts = [];
        for (let n = Math.max(after + 1, due - 9); n <= due; n += 1) {
          alerts.push({
            id: n,
            rationale: `runtime scan ${n}: credential material in an execution artifact`,
            findings: [{ kind: 'secret', path: `artifact/run-${n}.log#L12`, detail: 'credential material' }],
          });
        }
        return { status: 200, body: { alerts } };
      }
      return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
    },
  );
  return sim;
}
