// `swoosh replay --repro FILE` (the real command line): a slice exported the way the
// console exports it re-runs to its recorded hashes, exit 0; one changed input in the
// slice is found at its index, exit 1; a bad file is a clear refusal, exit 1 or 2.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRepro, type ReproFile } from '../../core/repro';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { Host } from '../host';
import { loadMachine } from '../machine';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function swoosh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/swoosh.mjs'), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let repro: ReproFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-repro-'));
  const sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis });
  const proposals = recordSubmissions(sc);
  sc.boot().ingest().elect();
  for (const p of proposals) expect((await host.engine.submit(p)).status).toBe(202);
  const first = 4;
  const at = host.stateAt(first - 1);
  const built = buildRepro({ index: at.index, hash: at.hash, hlc: at.state.hlc_last, state: at.state }, host.store.range(first, 1000));
  host.close();
  if (!built.ok) throw new Error(built.error);
  repro = built.file;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('swoosh replay --repro', () => {
  it('re-runs an exported slice to its recorded hashes', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(repro));
    const r = await swoosh(['replay', '--repro', path]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ ok: true, replayed: repro.records.length, end: repro.end });
  });

  it('names the first record whose outcome differs', async () => {
    const tampered = structuredClone(repro);
    const victim = tampered.expected[2]!;
    victim.state_post_hash = `sha256-${'0'.repeat(64)}`;
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify(tampered));
    const r = await swoosh(['replay', '--repro', path]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ ok: false, index: victim.index, code: 'hash_mismatch' });
  });

  it('refuses a file that is not JSON, and --repro mixed with --db', async () => {
    const path = join(dir, 'junk.json');
    writeFileSync(path, '{not json');
    const junk = await swoosh(['replay', '--repro', path]);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/cannot read repro file/);
    const mixed = await swoosh(['replay', '--repro', path, '--db', join(dir, 'a.db')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/takes no --db/);
  });
});
