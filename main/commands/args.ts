// Argument helpers shared by the `swoosh` commands: strict flag parsing, JSON files and
// number flags. A bad argument is a UsageError, which main/cli.ts prints as one line and
// exits 2. Nothing here knows the command table, so commands import it without a cycle.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';

/** A bad command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--help` / `-h` anywhere on a command line: main/cli.ts prints `usage` on stdout and
 * exits 0. It carries the options too, so a test can check the usage names every flag.
 */
export class HelpRequested extends Error {
  constructor(
    readonly usage: string,
    readonly options: Options,
  ) {
    super('help requested');
  }
}

export const wantsHelp = (args: readonly string[]): boolean => args.includes('--help') || args.includes('-h');

/** Strict flags, no positionals; node:util's own message becomes the usage line; `--help` prints `usage`. */
export function parse<T extends Options>(args: string[], options: T, usage: string) {
  if (wantsHelp(args)) throw new HelpRequested(usage, options);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A JSON file named on the command line; `what` names it in the error ("genesis", …). */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

/** A positive integer; `_` separators allowed (`--wal 1_000_000`). */
export function positiveInt(raw: string, flag: string): number {
  const n = Number(raw.replace(/_/g, ''));
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${raw}`);
  return n;
}

/** A non-negative integer (0 allowed, e.g. "never"). */
export function nonNegativeInt(raw: string, flag: string): number {
  const n = Number(raw.replace(/_/g, ''));
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got ${raw}`);
  return n;
}

/** A TCP port; 0 asks the system for a free one. */
export function portOf(raw: string): number {
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${raw}`);
  return port;
}
