// Health's Cluster panel: this node and its role, the leader (and, on a follower, where
// writes go), applied vs etcd index, the etcd members, the nodes this console has met and
// the leader history it has seen (the host reports only the present: the session keeps
// the past, renderer/state/session.ts). A single-writer host says so in one line.

import type { ClusterMemory, ClusterView } from '../lib/cluster';
import { writesGoTo } from '../lib/cluster';
import { formatInt } from '../lib/format';
import { Chip, Empty, Kv, Panel } from './ui';

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function ClusterPanel({ view, memory }: { view: ClusterView | null; memory: ClusterMemory }) {
  if (!view) {
    return (
      <Panel title="Cluster" testId="health-cluster" className="span-3">
        <Empty>The host did not report a consensus block.</Empty>
      </Panel>
    );
  }
  if (view.mode !== 'etcd') {
    return (
      <Panel title="Cluster" testId="health-cluster" className="span-3">
        <div data-testid="cluster-single">
          <Chip tone="accent">{view.role_label}</Chip> This host is the only writer: one process, no cluster (start nodes with{' '}
          <span className="mono">--etcd</span> for failover; docs/cluster.md).
        </div>
      </Panel>
    );
  }
  const to = writesGoTo(view);
  const lag = view.applied_index !== null && view.etcd_index !== null ? view.etcd_index - view.applied_index : null;
  const okMembers = view.members.filter((m) => m.ok).length;
  return (
    <Panel
      title="Cluster"
      testId="health-cluster"
      className="span-3"
      extra={<span className="muted">etcd · leader by lease, every append fenced by the leader key</span>}
    >
      {to && (
        <div className="cl-hint" data-testid="cluster-writes-to">
          This node follows: writes go to <b className="mono">{to}</b>
          {view.leader?.url && (
            <>
              {' '}
              · <a href={view.leader.url}>open the leader's console</a>
            </>
          )}
        </div>
      )}
      {view.problem && (
        <div className="cl-problem" role="alert">
          Stopped at #{formatInt(view.problem.index)}: {view.problem.problem}
        </div>
      )}
      <div className="cl-grid">
        <Kv
          rows={[
            [
              'This node',
              <span data-testid="cluster-self">
                <b className="mono">{view.node_id ?? '?'}</b>{' '}
                <Chip tone={view.role === 'leader' ? 'accent' : 'info'}>{view.role_label}</Chip>
              </span>,
            ],
            [
              'Leader',
              <span data-testid="cluster-leader" data-leader={view.leader?.node_id ?? ''}>
                {view.leader ? (
                  <>
                    <b className="mono">{view.leader.node_id}</b> <span className="muted mono">{view.leader.url ?? ''}</span>
                  </>
                ) : (
                  <Chip tone="warn">none: election under way</Chip>
                )}
              </span>,
            ],
            [
              'Applied / etcd',
              <span className="mono" data-testid="cluster-indexes">
                #{formatInt(view.applied_index ?? 0)} / #{formatInt(view.etcd_index ?? 0)}
                {lag !== null && <span className="muted"> · {lag === 0 ? 'caught up' : `${formatInt(lag)} behind`}</span>}
              </span>,
            ],
            [
              'etcd members',
              <span data-testid="cluster-members-summary">
                {okMembers} of {view.members.length} ok
              </span>,
            ],
          ]}
        />
        <div>
          <h3 className="cl-sub">etcd members</h3>
          <ul className="cl-list" data-testid="cluster-members">
            {view.members.map((m) => (
              <li key={m.url} data-ok={m.ok ? 'true' : 'false'}>
                <Chip tone={m.ok ? 'ok' : 'danger'}>{m.ok ? 'ok' : 'down'}</Chip> <span className="mono">{m.url}</span>
              </li>
            ))}
          </ul>
          <h3 className="cl-sub">Nodes seen</h3>
          <ul className="cl-list" data-testid="cluster-nodes">
            {memory.nodes.map((n) => (
              <li key={n.node_id} data-node={n.node_id}>
                <b className="mono">{n.node_id}</b> <span className="muted mono">{n.url ?? 'address not reported'}</span>
                {n.node_id === view.node_id && <Chip>this console</Chip>}
                {n.node_id === view.leader?.node_id && <Chip tone="accent">leader</Chip>}
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3 className="cl-sub">Leader history (this session, newest first)</h3>
          <ol className="cl-list" data-testid="cluster-history">
            {memory.leaders.map((c) => (
              <li key={`${c.seen_ms}-${c.leader?.node_id ?? 'none'}`} data-leader={c.leader?.node_id ?? ''}>
                <span className="mono muted">{clock(c.seen_ms)}</span>{' '}
                {c.leader ? <b className="mono">{c.leader.node_id}</b> : <span className="muted">no leader</span>}
              </li>
            ))}
          </ol>
        </div>
      </div>
    </Panel>
  );
}
