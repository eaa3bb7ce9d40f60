// `swoosh shim` as a command (child process): a map with mistakes refuses to start, exit 2,
// naming every bad entry on stderr; the signer is required.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, runSwoosh } from '../testing/proc';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-shim-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('swoosh shim (command)', () => {
  it('an invalid map: exit 2 and every bad entry named, before any key is asked for', async () => {
    const map = join(dir, 'bad.yaml');
    writeFileSync(
      map,
      `version: 1
project: demo
routes:
  - method: POST
    path: /api/projects/:project/council/elect
    region: council
    transition: Council_QuorumCert
    inputs: { members: body:members }
    response: { body: {} }
  - method: POST
    path: /x
    region: council
    transition: Council_Elected
    response: { body: {} }
`,
    );
    const r = await runSwoosh(
      ['shim', '--map', map, '--legacy', 'http://127.0.0.1:9', '--swoosh', 'http://127.0.0.1:9', '--key', join(dir, 'none.key')],
      { timeout_ms: 60_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('routes[0].inputs.members: JSON pointer must start with /');
    expect(r.stderr).toContain('routes[1].transition: unknown transition Council_Elected');
    const noKey = await runSwoosh(
      [
        'shim',
        '--map',
        join(PACKAGE_DIR, 'docs/examples/whoosh-map.yaml'),
        '--legacy',
        'http://127.0.0.1:9',
        '--swoosh',
        'http://127.0.0.1:9',
      ],
      { timeout_ms: 60_000 },
    );
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('give --key FILE or --vault FILE --key-name NAME');
  }, 120_000);
});
