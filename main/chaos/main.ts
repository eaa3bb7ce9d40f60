// Process entry of the chaos command: `node --import tsx main/chaos/main.ts --seed …`, the
// same as `swoosh chaos …` (main/commands/chaos.ts), for use before the CLI table lists it.

import { UsageError } from '../commands/args';
import { chaosCommand } from '../commands/chaos';

try {
  process.exitCode = await chaosCommand(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`swoosh chaos: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
