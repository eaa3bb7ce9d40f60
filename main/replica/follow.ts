// swoosh follow --url URL [--genesis FILE] [--db PATH] [--checkpoint-every K] [--json]
//
// Runs a read replica of the writer at URL (main/replica/follower.ts) until SIGINT /
// SIGTERM (or, with --lifeline, until its stdin closes: the chaos runner holds the other
// end, so an orphaned replica never outlives it). With --json every event is one JSON line
// on stdout (ready, checkpoint, head, writer_unreachable, writer_back, diverged, stopped).
// Exit 0 when stopped, 1 when the replica diverged from the writer.

import type { Genesis } from '../../core/types';
import { parse, readJsonFile, UsageError } from '../commands/args';
import { Follower, FollowerError, type FollowerEvent } from './follower';

const FOLLOW_OPTIONS = {
  url: { type: 'string' },
  genesis: { type: 'string' },
  db: { type: 'string' },
  'checkpoint-every': { type: 'string', default: '0' },
  'trust-signatures': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  lifeline: { type: 'boolean', default: false },
} as const;

const FOLLOW_USAGE = `usage: swoosh follow --url URL [--genesis FILE] [--db PATH] [--checkpoint-every K] [--trust-signatures] [--json] [--lifeline]
  a read replica of the writer at URL until SIGINT/SIGTERM (--lifeline: until stdin closes); exit 1 if it diverged.
`;

export async function followCommand(args: string[]): Promise<number> {
  const v = parse(args, FOLLOW_OPTIONS, FOLLOW_USAGE);
  if (!v.url) throw new UsageError('--url URL of the writer is required');
  const checkpoint_every = Number(v['checkpoint-every']);
  if (!Number.isInteger(checkpoint_every) || checkpoint_every < 0)
    throw new UsageError('--checkpoint-every must be a non-negative integer');
  const genesis = v.genesis ? (readJsonFile(v.genesis, 'genesis') as Genesis) : undefined;
  const out = (e: FollowerEvent): void => {
    if (v.json) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
    } else if (
      e.event === 'ready' ||
      e.event === 'diverged' ||
      e.event === 'stopped' ||
      e.event === 'writer_unreachable' ||
      e.event === 'writer_back'
    ) {
      process.stdout.write(`swoosh follow: ${e.event} ${JSON.stringify(e)}\n`);
    }
  };
  const follower = new Follower({
    url: v.url.replace(/\/+$/, ''),
    genesis,
    db: v.db,
    checkpoint_every,
    verify: !v['trust-signatures'],
    onEvent: out,
  });
  try {
    await follower.open();
  } catch (err) {
    if (err instanceof FollowerError) throw new UsageError(err.message);
    throw err;
  }
  const running = follower.start();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (v.lifeline) {
      process.stdin.on('end', stop);
      process.stdin.on('close', stop);
      process.stdin.resume();
    }
    void running.then(stop);
  });
  await follower.stop();
  if (v.lifeline) process.stdin.destroy();
  return follower.problem ? 1 : 0;
}
