#!/usr/bin/env node
// The `swoosh` command. The sources are TypeScript; tsx compiles them on load (cached),
// so `npx swoosh …` works straight after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
