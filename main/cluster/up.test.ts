// `swoosh cluster up` as a person runs it: the real command in a child process, 3 etcd
// members and 3 nodes. Kill -9 of the leader by the PID the table prints, another node
// takes over and accepts a signed proposal; SIGTERM of `cluster up` leaves no etcd member
// and no node running.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { H } from '../../core/hash';
import { HlcClock, formatHlc, parseHlc } from '../../core/hlc';
import { signProposal } from '../../core/fixtures/documents';
import type { Genesis } from '../../core/types';
import { demoCast } from '../demo';
import { PACKAGE_DIR, runSwoosh, SWOOSH_BIN } from '../testing/proc';
import { getJson, postTransition, realClock } from '../testing/workload';
import { until } from '../testing/until';
import { freePort } from './etcd-harness';
import type { Consensus } from './node';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Rows of the printed table: name, url, role, pid (the last table printed wins). */
function tableRows(stdout: string): Map<string, { url: string; role: string; pid: number }> {
  const rows = new Map<string, { url: string; role: string; pid: number }>();
  for (const m of stdout.matchAll(/^ {2}(n\d+|m\d+)\s+(http:\/\/\S+)\s+(\S+)\s+(\d+)$/gm)) {
    rows.set(m[1] as string, { url: m[2] as string, role: m[3] as string, pid: Number(m[4]) });
  }
  return rows;
}

describe('swoosh cluster up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-up-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses bad flags with one line and exit 2, starting nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['cluster'], /usage: swoosh cluster up/],
      [['cluster', 'up', '--nodes', '3'], /--dir DIR is required/],
      [['cluster', 'up', '--dir', dir, '--nodes', '0'], /--nodes must be a positive integer/],
      [['cluster', 'up', '--dir', dir, '--etcd', '99'], /--etcd must be within 1\.\.7/],
      [['cluster', 'up', '--dir', dir, '--base-port', '65400'], /--base-port must be within/],
    ];
    for (const [args, message] of cases) {
      const r = await runSwoosh(args, { timeout_ms: 20_000 });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'etcd-m1'))).toBe(false);
  }, 60_000);

  it('starts etcd and 3 nodes, survives kill -9 of the leader, and stops everything on SIGTERM', async () => {
    // A free port with room above it: nodes base..base+2, etcd base+100.., base+200.. .
    const base = await freePort();
    const child = spawn(
      process.execPath,
      [SWOOSH_BIN, 'cluster', 'up', '--nodes', '3', '--etcd', '3', '--dir', dir, '--base-port', String(base), '--lease-ms', '2000'],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, SWOOSH_LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const health = async (url: string): Promise<Consensus | null> => {
        try {
          return (await getJson<{ consensus: Consensus }>(`${url}/health`, 1000)).consensus;
        } catch {
          return null;
        }
      };
      const leaderRow = () => [...tableRows(stdout).entries()].find(([name, r]) => name.startsWith('n') && r.role === 'leader');
      await until(
        'a leader in the printed table',
        () => leaderRow() !== undefined,
        40_000,
        () => `${stdout}\n${stderr}`,
      );
      const rows = tableRows(stdout);
      expect([...rows.keys()].sort()).toEqual(['m1', 'm2', 'm3', 'n1', 'n2', 'n3']);
      expect(existsSync(join(dir, 'etcd-m1'))).toBe(true);
      expect(existsSync(join(dir, 'node-1.db'))).toBe(true);
      const [leaderName, leader] = leaderRow()!;
      expect(stdout).toContain(`kill -9 ${leader.pid}`);
      expect((await health(leader.url))?.role).toBe('leader');
      const pids = [...rows.values()].map((r) => r.pid);
      expect(pids.every(running)).toBe(true);

      process.kill(leader.pid, 'SIGKILL');
      const others = [...rows.entries()].filter(([name]) => name.startsWith('n') && name !== leaderName).map(([, r]) => r.url);
      let next: string | null = null;
      await until(
        'another node leads',
        async () => {
          for (const url of others) if ((await health(url))?.role === 'leader') next = url;
          return next !== null;
        },
        20_000,
      );
      // The table is printed again with the new leader and the old one gone.
      await until(
        'the reprinted table',
        () => leaderRow()?.[0] !== leaderName,
        5_000,
        () => stdout,
      );

      // The new leader accepts a signed proposal (the demo operator boots the project).
      const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as Genesis;
      const head = await getJson<{ hash: string; hlc: string | null }>(`${next!}/state`);
      const clock = new HlcClock(realClock);
      if (head.hlc) clock.receive(parseHlc(head.hlc)!);
      const proposal = signProposal({
        state_hash: head.hash,
        transition: 'Boot_ConfigOk',
        inputs: { config_hash: H(genesis) },
        by: demoCast().operators[0]!,
        hlc: formatHlc(clock.now()),
        idem_key: 'up-test:boot',
      });
      const answer = await postTransition(next!, proposal);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await sleep(200);
      expect(pids.filter(running)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      // Whatever the outcome, nothing this test started may outlive it.
      for (const r of tableRows(stdout).values()) if (running(r.pid)) process.kill(r.pid, 'SIGKILL');
    }
  }, 90_000);
});
