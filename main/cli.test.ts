// Every command in the CLI table answers --help with its own usage (exit 0), and that usage
// and `swoosh --help` name every flag the command's parser accepts. The flags come from
// the commands' own options objects (carried by HelpRequested), not from a list here, so a
// flag added without its help line fails this test.

import { describe, expect, it } from 'vitest';
import { COMMANDS, main, USAGE } from './cli';
import { HelpRequested } from './commands/args';
import { runSwoosh } from './testing/proc';

async function helpOf(name: string): Promise<HelpRequested> {
  const command = await COMMANDS[name]!();
  const err = await command(['--help']).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof HelpRequested)) throw new Error(`swoosh ${name} --help did not ask for help: ${String(err)}`);
  return err;
}

/** `--flag` as a whole word: `--db` must not be found inside `--dbx` or `--db-path`. */
const names = (usage: string, flag: string) => new RegExp(`--${flag}(?![\\w-])`).test(usage);

describe('swoosh --help', () => {
  const commands = Object.keys(COMMANDS);

  it('has the commands it should (the table is not empty by accident)', () => {
    expect(commands).toEqual(
      expect.arrayContaining(['serve', 'start', 'verify', 'backup', 'restore', 'vault', 'follow', 'chaos', 'bench']),
    );
  });

  it.each(commands)('swoosh %s --help names every flag it accepts, and so does swoosh --help', async (name) => {
    const help = await helpOf(name);
    expect(help.usage).toMatch(new RegExp(`^usage: swoosh ${name}\\b`));
    const flags = Object.keys(help.options);
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.filter((f) => !names(help.usage, f))).toEqual([]);
    expect(flags.filter((f) => !names(USAGE, f))).toEqual([]);
    expect(USAGE).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('exits 0 with the usage on stdout, for the whole CLI and for one command', async () => {
    const all = await runSwoosh(['--help']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(USAGE);
    const one = await runSwoosh(['backup', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe((await helpOf('backup')).usage);
    expect(await main(['-h'])).toBe(0);
  });
});
