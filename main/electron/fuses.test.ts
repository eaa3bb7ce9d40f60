// electron-builder.yml flips the Electron fuses that would let someone run the packaged
// app as Node, inject code through NODE_OPTIONS or --inspect, or swap its asar.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const CONFIG = fileURLToPath(new URL('../../electron-builder.yml', import.meta.url));

describe('electron-builder.yml', () => {
  it('sets the hardening fuses and packs the app in an asar', () => {
    const config = parse(readFileSync(CONFIG, 'utf8')) as { asar?: boolean; electronFuses?: Record<string, boolean> };
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});
