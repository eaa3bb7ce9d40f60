import { describe, expect, it } from 'vitest';
import type { Health } from '../api/ConsoleApi';
import { EMPTY_MEMORY, LEADER_HISTORY_MAX, observeCluster, readCluster, writesGoTo } from './cluster';

/** A /health answer with the given consensus block (the fields GET /health sends). */
function health(consensus: Record<string, unknown>): Health {
  return { status: 'ok', consensus, lastSnapshotHLC: null, walLag: 0 };
}

const leaderN1 = { node_id: 'n1', url: 'http://127.0.0.1:7501' };

function node(id: string, role: string, leader: { node_id: string; url: string } | null, applied = 10, etcd = 12) {
  return health({
    mode: 'etcd',
    node_id: id,
    role,
    leader,
    leader_revision: leader ? '7' : null,
    applied_index: applied,
    etcd_index: etcd,
    members: [
      { url: 'http://127.0.0.1:2379', ok: true },
      { url: 'http://127.0.0.1:2479', ok: false },
    ],
  });
}

describe('readCluster', () => {
  it('reads a single-writer host as the writer, with no node id', () => {
    const v = readCluster(health({ role: 'writer', mode: 'single-writer', nodes: 1 }));
    expect(v).toMatchObject({ mode: 'single-writer', node_id: null, role: 'writer', role_label: 'single-writer', leader: null });
    expect(writesGoTo(v!)).toBeNull();
  });

  it('reads a follower: its id, the leader, both indexes, the members; writes go to the leader', () => {
    const v = readCluster(node('n2', 'follower', leaderN1))!;
    expect(v).toMatchObject({ mode: 'etcd', node_id: 'n2', role_label: 'follower', applied_index: 10, etcd_index: 12, leader: leaderN1 });
    expect(v.members.map((m) => m.ok)).toEqual([true, false]);
    expect(writesGoTo(v)).toBe('http://127.0.0.1:7501');
  });

  it('a leader writes itself; no leader means nowhere to send writes yet', () => {
    expect(readCluster(node('n1', 'leader', leaderN1))!.role_label).toBe('leader · writer');
    expect(writesGoTo(readCluster(node('n1', 'leader', leaderN1))!)).toBeNull();
    expect(writesGoTo(readCluster(node('n2', 'candidate', null))!)).toBeNull();
  });

  it('answers null when there is no consensus block, and ignores malformed members', () => {
    expect(readCluster(null)).toBeNull();
    expect(readCluster(health({}))).toBeNull();
    const v = readCluster(health({ mode: 'etcd', node_id: 'n1', role: 'follower', members: [{ ok: true }, 'x', { url: 'u', ok: 1 }] }))!;
    expect(v.members).toEqual([{ url: 'u', ok: false }]);
  });
});

describe('observeCluster (the session memory)', () => {
  it('records each leader change once, "no leader" included, newest first, and learns the nodes', () => {
    let m = observeCluster(EMPTY_MEMORY, readCluster(node('n2', 'follower', leaderN1)), 1000, 'http://127.0.0.1:7502');
    const same = observeCluster(m, readCluster(node('n2', 'follower', leaderN1)), 2000, 'http://127.0.0.1:7502');
    expect(same).toBe(m);
    m = observeCluster(m, readCluster(node('n2', 'candidate', null)), 3000);
    m = observeCluster(m, readCluster(node('n2', 'leader', { node_id: 'n2', url: 'http://127.0.0.1:7502' })), 4000);
    expect(m.leaders.map((l) => [l.leader?.node_id ?? null, l.seen_ms])).toEqual([
      ['n2', 4000],
      [null, 3000],
      ['n1', 1000],
    ]);
    expect(m.nodes).toEqual([
      { node_id: 'n2', url: 'http://127.0.0.1:7502' },
      { node_id: 'n1', url: 'http://127.0.0.1:7501' },
    ]);
  });

  it('keeps at most LEADER_HISTORY_MAX changes; a single-writer host leaves the memory alone', () => {
    let m = EMPTY_MEMORY;
    for (let i = 0; i < LEADER_HISTORY_MAX + 5; i += 1) {
      m = observeCluster(m, readCluster(node('n1', 'follower', { node_id: `n${i % 2 === 0 ? 2 : 3}`, url: 'u' })), i);
    }
    expect(m.leaders).toHaveLength(LEADER_HISTORY_MAX);
    expect(m.leaders[0]?.seen_ms).toBe(LEADER_HISTORY_MAX + 4);
    expect(observeCluster(m, readCluster(health({ role: 'writer', mode: 'single-writer', nodes: 1 })), 99)).toBe(m);
  });
});
