// Process entry of a replica: `node --import tsx main/replica/main.ts --url … [--json]`.
// The same command as `swoosh follow`, started without going through the CLI table, so
// the chaos runner can spawn replicas however main/cli.ts is wired.

import { UsageError } from '../commands/args';
import { followCommand } from './follow';

try {
  process.exitCode = await followCommand(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`swoosh follow: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
