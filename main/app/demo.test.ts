// The demo's operator key is the human's. `swoosh start` prints op-1's key, so the demo it
// opens (openDemoHost) must never sign as op-1: the bot approves as op-2 only, the REVIEW
// gate waits for the person at the console, and that person's op-1 approval is accepted
// and completes the threshold (before this, the bot approved as op-1 within ~0.25 s and
// every human approval was refused "already approved").

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { demoCast, demoGenesis } from '../demo';
import { until } from '../testing/until';
import { attachDemo, openDemoHost } from './demo';
import { openServer } from './server';

const PERIOD_MS = 2000;
const cast = demoCast();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'swoosh-demo-human-'));
  dirs.push(d);
  return d;
}

interface WalRecord {
  index: number;
  transition: string;
  signer: string;
  window_id: string | null;
}

describe('the demo leaves op-1 to the human', () => {
  it('openDemoHost (swoosh start, Electron) attaches the demo with a human operator by default', async () => {
    const running = await openDemoHost({ db: join(scratch(), 'demo.db'), port: 0, console: false, quiet: true, say: () => undefined });
    try {
      expect(running.demo.human_operator).toBe(true);
    } finally {
      await running.stop();
    }
  });

  it('the bot approves as op-2 only; the loop waits in REVIEW until op-1 approves, then crosses and submits', async () => {
    const genesis = demoGenesis({ period_ms: PERIOD_MS, epoch_ms: Date.now() - 10_000 });
    const running = await openServer({
      db: join(scratch(), 'demo.db'),
      genesis,
      host: '127.0.0.1',
      port: 0,
      durability: 'NORMAL',
      quiet: true,
    });
    try {
      await attachDemo(running, { human_operator: true });
      const [op1, op2] = cast.operators as [(typeof cast.operators)[0], (typeof cast.operators)[0]];
      const human = new SwooshClient({ url: running.url }).withSigner(op1);
      const wal = async () => (await human.wal(1, 1000)).records as unknown as WalRecord[];
      const approvals = async () => (await wal()).filter((r) => r.transition === 'Execution_Approve');
      const state = () => running.host.head.state;

      await until(
        'the bot approval as op-2',
        async () => (await approvals()).length >= 1,
        30_000,
        () => `(phase ${state().execution.phase})`,
      );
      // Well past the bot's tick: it never adds op-1, and the threshold (2) is not crossed without the human.
      await new Promise((r) => setTimeout(r, 1000));
      const bot = await approvals();
      expect(bot.map((r) => r.signer)).toEqual([op2.signer]);
      expect((await wal()).some((r) => r.transition === 'Execution_ApprovalsThreshold')).toBe(false);

      // The human approves in a review window (retrying only across a window boundary).
      let accepted = false;
      await until(
        'the human approval to be accepted',
        async () => {
          const r = await human.propose('Execution_Approve', { note: 'reviewed at the console' });
          accepted = r.ok;
          return r.ok;
        },
        4 * PERIOD_MS,
      );
      expect(accepted).toBe(true);
      await until('the threshold and a submit', async () => (await wal()).some((r) => r.transition === 'Execution_Submit'), 4 * PERIOD_MS);
      const signers = new Set((await approvals()).map((r) => r.signer));
      expect(signers).toEqual(new Set([op1.signer, op2.signer]));
    } finally {
      await running.stop();
    }
  });
});
