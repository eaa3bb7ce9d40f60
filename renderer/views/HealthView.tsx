// Health: GET /health (200 and 503 are both answers), polled while the view is open and
// nudged by the SSE `health` events the live store already follows. Shows the host
// (HEAD, queue, consensus, WAL lag, last snapshot), the cluster (components/ClusterPanel),
// start-up recovery, the licence, the BACKBEAT pressure and every fact provider's circuit
// breaker and agent lane. The status is the service's; a quarantined project is said
// beside it, never folded into it (docs/decisions/0104-health-badge.md).

import { useEffect, useState } from 'react';
import { describeError, type Health } from '../api/ConsoleApi';
import { ClusterPanel } from '../components/ClusterPanel';
import { JsonTree } from '../components/JsonTree';
import { Chip, Empty, HashText, Kv, Panel } from '../components/ui';
import { formatInt, shortHlc } from '../lib/format';
import { readCluster } from '../lib/cluster';
import { useConsole, useLive, useSession } from '../state/context';
import { consoleOrigin } from '../state/session';

const POLL_MS = 3000;

interface Breaker {
  state: string;
  consecutive_failures: number;
  opened_at_ms: number | null;
  last_error: string | null;
}

interface Lane {
  busy: boolean;
  failures: number;
  not_before_ms: number;
  last: string | null;
  actions: number;
}

interface Providers {
  breakers: Record<string, Breaker>;
  lanes: Record<string, Lane>;
  license: { status: string; why: string } | null;
  amplitude_bp: number | null;
  outbound_calls: number | null;
  blocked_calls: number | null;
}

function obj(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The demo host's `providers` block, read defensively (other hosts may not send it). */
export function readProviders(h: Health): Providers | null {
  const p = obj(h.providers);
  if (!p) return null;
  const breakers: Record<string, Breaker> = {};
  for (const [name, b] of Object.entries(obj(p.breakers) ?? {})) {
    const o = obj(b);
    if (!o) continue;
    breakers[name] = {
      state: String(o.state ?? 'unknown'),
      consecutive_failures: num(o.consecutive_failures) ?? 0,
      opened_at_ms: num(o.opened_at_ms),
      last_error: typeof o.last_error === 'string' ? o.last_error : null,
    };
  }
  const lanes: Record<string, Lane> = {};
  for (const [name, l] of Object.entries(obj(p.lanes) ?? {})) {
    const o = obj(l);
    if (!o) continue;
    lanes[name] = {
      busy: o.busy === true,
      failures: num(o.failures) ?? 0,
      not_before_ms: num(o.not_before_ms) ?? 0,
      last: typeof o.last === 'string' ? o.last : null,
      actions: num(o.actions) ?? 0,
    };
  }
  const lic = obj(p.license);
  return {
    breakers,
    lanes,
    license: lic ? { status: String(lic.status ?? 'unknown'), why: String(lic.why ?? '') } : null,
    amplitude_bp: num(p.amplitude_bp),
    outbound_calls: num(p.outbound_calls),
    blocked_calls: num(p.blocked_calls),
  };
}

function statusTone(status: string): 'ok' | 'warn' | 'danger' {
  if (status === 'ok') return 'ok';
  if (status === 'degraded') return 'warn';
  return 'danger';
}

function ago(ms: number | null, now: number): string {
  if (ms === null) return '—';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function HealthView() {
  const { api, live, session } = useConsole();
  const liveView = useLive();
  const remembered = useSession().cluster;
  const [health, setHealth] = useState<Health | null>(liveView.health);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const h = await api.getHealth();
        if (stopped) return;
        setHealth(h);
        setError(null);
        setAt(Date.now());
        session.observeHealth(h, Date.now(), consoleOrigin());
      } catch (err) {
        if (!stopped) setError(describeError(err));
      }
    };
    void poll();
    const t = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
    // The SSE `health` event's status (live store) triggers a fresh read too.
  }, [api, liveView.health?.status, live, session]);

  if (!health)
    return (
      <div className="view">
        <Empty>{error ?? 'Loading /health…'}</Empty>
      </div>
    );
  const now = Date.now();
  const status = error ? 'unreachable' : health.status;
  const tone = statusTone(status);
  const providers = readProviders(health);
  const cluster = readCluster(health);
  const quarantined = liveView.head?.state.policy.quarantined ?? false;
  const recovery = obj(health.recovery);
  const breakers = providers ? Object.entries(providers.breakers) : [];
  const open = breakers.filter(([, b]) => b.state !== 'closed').length;

  return (
    <div className="view view-health" data-testid="health-view">
      <div className="view-head">
        <h1>Health</h1>
        <span className="view-sub">
          GET /health every {POLL_MS / 1000} s and on SSE health events · last answer {at ? ago(at, now) : '—'}
        </span>
      </div>
      <div className={`hx-status tone-${tone}`} data-testid="health-status" data-status={status}>
        <span className="hx-dot" />
        <span className="hx-status-text">service {status}</span>
        {quarantined && (
          <span
            className="stat-chip tone-danger"
            data-testid="health-status-project"
            title="the project is held by policy; release it in Actions"
          >
            project quarantined
          </span>
        )}
        <span className="muted">
          {error ? error : status === 'ok' || status === 'degraded' ? 'HTTP 200: ready' : 'HTTP 503: not ready'}
          {open > 0 && ` · ${open} breaker${open > 1 ? 's' : ''} not closed`}
          {providers?.license && providers.license.status !== 'valid' && ` · licence ${providers.license.status}`}
        </span>
      </div>
      <div className="hx-grid">
        <Panel title="Host" testId="health-host">
          <Kv
            rows={[
              ['HEAD', <span className="mono">#{formatInt(num(health.index) ?? 0)}</span>],
              ['Hash', <HashText value={typeof health.hash === 'string' ? health.hash : null} />],
              ['HLC', <span className="mono">{shortHlc(typeof health.hlc === 'string' ? health.hlc : null)}</span>],
              ['Queue', <span className="mono">{formatInt(num(health.queue) ?? 0)}</span>],
              [
                'WAL lag',
                <span className="mono" data-testid="health-wal-lag">
                  {formatInt(health.walLag)} records
                </span>,
              ],
              [
                'Last snapshot',
                <span className="mono" data-testid="health-snapshot">
                  {health.lastSnapshotHLC ? shortHlc(health.lastSnapshotHLC) : 'none yet'}
                </span>,
              ],
              [
                'Consensus',
                <span data-testid="health-consensus">
                  {cluster ? `${cluster.node_id ? `${cluster.node_id} · ` : ''}${cluster.role} · ${cluster.mode}` : '—'}
                </span>,
              ],
            ]}
          />
        </Panel>
        <Panel title="Recovery at start-up" testId="health-recovery">
          {recovery ? (
            <Kv
              rows={[
                [
                  'From snapshot',
                  <span className="mono">
                    {recovery.snapshot_index === null ? 'none (replayed from genesis)' : `#${formatInt(num(recovery.snapshot_index) ?? 0)}`}
                  </span>,
                ],
                ['Records replayed', <span className="mono">{formatInt(num(recovery.replayed) ?? 0)}</span>],
                ['Duration', <span className="mono">{(num(recovery.duration_ms) ?? 0).toFixed(1)} ms</span>],
                [
                  'Skipped snapshots',
                  <span className="mono">{Array.isArray(recovery.skipped_snapshots) ? recovery.skipped_snapshots.length : 0}</span>,
                ],
              ]}
            />
          ) : (
            <Empty>The host did not report recovery.</Empty>
          )}
        </Panel>
        <Panel title="Licence · BACKBEAT" testId="health-licence">
          {providers ? (
            <>
              <Kv
                rows={[
                  [
                    'Licence',
                    <Chip tone={providers.license?.status === 'valid' ? 'ok' : providers.license?.status === 'grace' ? 'warn' : 'danger'}>
                      {providers.license?.status ?? 'unknown'}
                    </Chip>,
                  ],
                  ['Why', <span title={providers.license?.why}>{providers.license?.why ?? '—'}</span>],
                  [
                    'Pressure',
                    <span className="mono" data-testid="health-pressure">
                      {providers.amplitude_bp === null ? 'not reported' : `${(providers.amplitude_bp / 100).toFixed(1)} %`}
                    </span>,
                  ],
                  [
                    'Outbound calls',
                    <span className="mono">
                      {formatInt(providers.outbound_calls ?? 0)} · {formatInt(providers.blocked_calls ?? 0)} blocked
                    </span>,
                  ],
                ]}
              />
              {providers.amplitude_bp !== null && (
                <div className="hx-pressure" title="BACKBEAT pressure amplitude: stretches breaker cooldowns and the host's Retry-After">
                  <i style={{ width: `${Math.min(100, providers.amplitude_bp / 100)}%` }} />
                </div>
              )}
            </>
          ) : (
            <Empty>This host reports no fact providers.</Empty>
          )}
        </Panel>
        <ClusterPanel view={cluster} memory={remembered} />
        <Panel
          className="span-3"
          title={
            <>
              Provider breakers <span className="count">{breakers.length}</span>
            </>
          }
          extra={<span className="muted">closed → open after repeated failures → half-open probe after a cooldown</span>}
          testId="health-breakers"
        >
          {breakers.length === 0 ? (
            <Empty>No breakers reported.</Empty>
          ) : (
            <div className="hx-breakers">
              {breakers.map(([name, b]) => (
                <div key={name} className={`hx-breaker is-${b.state}`} data-testid={`breaker-${name}`} data-state={b.state}>
                  <div style={{ display: 'flex', justifyContent: 'space-between', gap: 6, alignItems: 'center' }}>
                    <span className="hx-breaker-name">{name}</span>
                    <Chip tone={b.state === 'closed' ? 'ok' : b.state === 'half-open' ? 'warn' : 'danger'}>{b.state}</Chip>
                  </div>
                  <span className="hx-breaker-meta">
                    {b.consecutive_failures} consecutive failure{b.consecutive_failures === 1 ? '' : 's'}
                    {b.opened_at_ms !== null ? ` · opened ${ago(b.opened_at_ms, now)}` : ''}
                  </span>
                  <span className="hx-breaker-meta" title={b.last_error ?? undefined}>
                    {b.last_error ?? 'no error'}
                  </span>
                </div>
              ))}
            </div>
          )}
        </Panel>
        {providers && Object.keys(providers.lanes).length > 0 && (
          <Panel className="span-2" title="Agent lanes" testId="health-lanes">
            <table className="table hx-lanes">
              <thead>
                <tr>
                  <th>Lane</th>
                  <th>State</th>
                  <th>Failures</th>
                  <th>Actions</th>
                  <th>Last</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(providers.lanes).map(([name, l]) => (
                  <tr key={name}>
                    <td className="mono">{name}</td>
                    <td>
                      {l.busy ? (
                        <Chip tone="accent">busy</Chip>
                      ) : l.not_before_ms > now ? (
                        <Chip tone="warn">backing off</Chip>
                      ) : (
                        <Chip>idle</Chip>
                      )}
                    </td>
                    <td className="mono">{l.failures}</td>
                    <td className="mono">{formatInt(l.actions)}</td>
                    <td className="muted">{l.last ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
        )}
        <Panel title="Raw answer" testId="health-raw">
          <JsonTree value={health} openDepth={0} />
        </Panel>
      </div>
    </div>
  );
}
