// npm run vectors: regenerates core/testdata/{genesis,keys,vectors}.json from the pure
// generator (core/testdata/generate.ts). The vectors test fails while the files differ
// from what the generator produces today.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVectors } from '../core/testdata/generate';
import { loadMachine } from '../main/machine';

const dir = fileURLToPath(new URL('../core/testdata/', import.meta.url));
for (const [name, text] of Object.entries(generateVectors(loadMachine()))) {
  writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${join(dir, name)} (${Buffer.byteLength(text)} bytes)\n`);
}
