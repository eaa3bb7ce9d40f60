// swoosh command line (the README's "Commands" lists them). Only the command table and
// the error mapping live here: each command (main/commands/) parses its flags and calls
// main/app/, returns its exit code, and expected failures become one clear line on
// stderr, never a stack trace: UsageError exits 2, the tagged errors of the app and its
// parts exit 1.

import { AppError } from './app/errors';
import { HelpRequested, UsageError } from './commands/args';
import { HostError } from './host';
import { VaultError } from './keys/vault';
import { NativeBindingError } from './store/native';
import { BackupError } from './store/backup';
import { StoreError } from './store/store';

export const USAGE = `usage: swoosh <command> [options]      (swoosh <command> --help for one command)

commands:
  start     [--db PATH] [--port 7420] [--browser] [--log-level info] [--log-file PATH] [--build-console] [--migration]
            the operator console (Electron where available, else browser mode)
  serve     --db PATH [--genesis FILE] [--host 127.0.0.1] [--port 7420] [--console] [--durability FULL|NORMAL]
            [--snapshot-every K] [--trace none|console|memory] [--no-invariants] [--check-invariants]
            demo: --sim [--beat-ms 60000] [--human-operator] [--auto-release-s 0] [--sim-migration] [--shim URL]
            backups: [--backup-dir DIR --backup-every 15m [--backup-keep 24]]
            cluster: [--etcd URL[,URL…] --node-id ID [--advertise URL] [--lease-ms 3000] [--keep-records 10000]]
            real providers: --vault FILE [--providers FILE] [--kaching URL] [--backbeat URL] [--mcp URL] [--shhh URL]
            [--slurp URL] [--provisioner URL] [--council URL,URL,…] [--agent-key NAME] [--operator-key NAME]…
  vault     init|genkey|import-key|set|list|rm|passwd --vault FILE [--scrypt-log-n 18] [--key KEYFILE]
            [--passphrase-env VAR] [--from-env VAR] [--from-stdin]
  replay    --db PATH [--to N]  |  --repro FILE   (a console-exported slice; exit 1 at the first difference)
  verify    --db PATH
  backup    --db PATH --out FILE [--force]         a verified copy of a stopped database (docs/runbooks/restore.md)
  restore   --from FILE --db PATH [--force]        verified, atomic; the old database is kept aside unless --force
  keygen    --out FILE [--passphrase-env VAR] [--insecure-plaintext] [--force]
  sign      --key FILE --proposal FILE|- [--passphrase-env VAR]
  propose   --url URL --key FILE --transition NAME [--inputs JSON|@file] [--idem-key K] [--evidence URI]... [--passphrase-env VAR]
  chaos     --seed S --steps N --replicas R [--faults LIST] [--transitions N] [--seeds M] [--long] [--replica-mode process|inproc]
            [--check-every K] [--durability FULL|NORMAL] [--workdir DIR] [--keep] [--fail-fast] [--sabotage NAME] [--json]
            [--cluster [--nodes 3] [--etcd 3] [--lease-ms 2000] [--keep-records N]]   against a cluster on etcd (docs/chaos.md)
  follow    --url URL [--genesis FILE] [--db PATH] [--checkpoint-every K] [--trust-signatures] [--lifeline] [--json]
  bench     [--json] [--full] [--only PART,…] [--wal N] [--snapshot-every K] [--fresh] [--dir DIR] [--write-docs] [--docs FILE]
  shim      --map FILE --legacy URL --swoosh URL[,URL…] (--key FILE [--passphrase-env VAR] | --vault FILE --key-name NAME)
            [--host 127.0.0.1] [--port 7430] [--db FILE] [--compare-interval-ms 10000]
  cluster   up --nodes 3 --etcd 3 --dir DIR [--base-port 7420] [--lease-ms MS] [--console] [--sim]
`;

type Command = (args: string[]) => Promise<number>;

/** The command table; exported for the --help test (main/cli.test.ts). */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve')).serveCommand,
  start: async () => (await import('./commands/start')).startCommand,
  replay: async () => (await import('./commands/replay')).replayCommand,
  verify: async () => (await import('./commands/replay')).verifyCommand,
  keygen: async () => (await import('./commands/keys')).keygenCommand,
  sign: async () => (await import('./commands/keys')).signCommand,
  propose: async () => (await import('./commands/keys')).proposeCommand,
  bench: async () => (await import('./commands/bench')).benchCommand,
  chaos: async () => (await import('./commands/chaos')).chaosCommand,
  follow: async () => (await import('./replica/follow')).followCommand,
  vault: async () => (await import('./commands/vault')).vaultCommand,
  shim: async () => (await import('./shim/command')).shimCommand,
  cluster: async () => (await import('./commands/cluster')).clusterCommand,
  backup: async () => (await import('./commands/backup')).backupCommand,
  restore: async () => (await import('./commands/backup')).restoreCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`swoosh: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.usage);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`swoosh ${command}: ${err.message}\n`);
      return 2;
    }
    if (
      err instanceof AppError ||
      err instanceof HostError ||
      err instanceof NativeBindingError ||
      err instanceof StoreError ||
      err instanceof VaultError ||
      err instanceof BackupError
    ) {
      process.stderr.write(`swoosh ${command}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
