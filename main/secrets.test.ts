// Secrets never leak: every key of a live project (operators, agents, council agents, the
// KACHING and MCP services) and a provider credential are generated inside an
// age-encrypted vault, the vault is unlocked at start, and the project runs through
// EXECUTION with snapshots and rejections. Then every place a secret could surface is
// searched for every key's hex, base64url and base64 forms and for the passphrase: the
// captured logs (pino at trace level), the SQLite database, its WAL and shm files (records,
// snapshots, rejections), the vault file itself, and the HTTP API's answers.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../client/client';
import { b64uEncode } from '../core/b64u';
import { makeGenesis, type Cast, type NamedKey } from '../core/testing/kit';
import type { Signer } from '../core/crypto';
import { ApiServer } from './api/server';
import { Host, systemClock } from './host';
import { Vault } from './keys/vault';
import { createLogger, logEngine } from './observe/log';
import { createMetrics } from './observe/metrics';
import { startDemo, type Demo } from './sim/demo';

const PASSPHRASE = 'vault passphrase: tidal-margin-7261-quartz';
const CREDENTIAL = 'kaching_live_tok_5b1f0e8d2c7a4936b0e1f2a3c4d5e6f7';
const KEY_NAMES = ['op-1', 'op-2', 'agent-1', 'agent-2', 'c-1', 'c-2', 'c-3', 'kaching', 'mcp', 'stranger'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * startDemo takes the test kit's Cast, whose keys carry their seed; a vault key does not
 * hand its seed out, so the field holds a dummy (startDemo only signs through `sign`).
 */
function named(name: string, s: Signer): NamedKey {
  return { name, signer: s.signer, sign: (m) => s.sign(m), secret: new Uint8Array(32) };
}

describe('no key material in logs, WAL, snapshots or API answers', () => {
  let dir: string;
  let needles: Array<{ what: string; text: string }>;
  const logChunks: Buffer[] = [];
  let host: Host;
  let api: ApiServer;
  let demo: Demo;
  let url: string;
  const answers: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swoosh-secrets-'));
    const vaultPath = join(dir, 'keys.age');
    // Provisioning: keys are born in the vault.
    const setup = await Vault.create(vaultPath, PASSPHRASE, { scrypt_log_n: 15 });
    for (const name of KEY_NAMES) await setup.generateKey(name);
    await setup.putCredential('kaching-api-token', CREDENTIAL);
    setup.lock();

    // Start: unlock, take signers, nothing else.
    const vault = await Vault.open(vaultPath, PASSPHRASE);
    needles = [
      { what: 'passphrase', text: PASSPHRASE },
      { what: 'credential', text: CREDENTIAL },
    ];
    for (const name of KEY_NAMES) {
      const seed = vault.get(name);
      const buf = Buffer.from(seed);
      needles.push(
        { what: `${name} hex`, text: buf.toString('hex') },
        { what: `${name} HEX`, text: buf.toString('hex').toUpperCase() },
        { what: `${name} b64u`, text: b64uEncode(seed) },
        { what: `${name} base64`, text: buf.toString('base64') },
      );
      seed.fill(0);
    }
    const k = (name: string) => named(name, vault.signer(name));
    const cast: Cast = {
      operators: [k('op-1'), k('op-2')],
      agents: [k('agent-1'), k('agent-2')],
      council: [k('c-1'), k('c-2'), k('c-3')],
      kaching: k('kaching'),
      mcp: k('mcp'),
      stranger: k('stranger'),
    };
    const genesis = makeGenesis(cast, { project: 'demo', threshold: 2, period_ms: 2000, epoch_ms: Date.now() - 10_000 });

    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => logChunks.push(c));
    const log = createLogger('trace', stream);
    host = Host.open({ db: join(dir, 'swoosh.db'), genesis, durability: 'FULL', snapshot_every: 4 });
    logEngine(host.engine, log);
    api = new ApiServer({ host, metrics: createMetrics(host.engine) });
    const a = await api.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${a.port}`;
    log.info({ event: 'listening', url, vault: vault, signers: KEY_NAMES.map((n) => vault.signer(n)) }, 'started with keys from the vault');
    demo = await startDemo({ swoosh: url, cast, genesis, clock: systemClock, tick_ms: 100 });

    // Run into EXECUTION and through a loop, with rejections on the way.
    const deadline = Date.now() + 20_000;
    while (host.head.state.execution.loop < 1) {
      if (Date.now() > deadline) throw new Error(`demo did not loop: ${JSON.stringify(demo.runtime.health().lanes)}`);
      await sleep(100);
    }
    const stranger = new SwooshClient({ url }).withSigner(cast.stranger);
    const op = new SwooshClient({ url }).withSigner(cast.operators[0] as NamedKey);
    expect((await stranger.propose('Control_Pause', { reason: 'not allowed' })).ok).toBe(false);
    expect((await op.propose('Quarantine_Release', { justification: 'nothing to release' })).ok).toBe(false);
    await demo.stop();

    for (const path of [
      '/state',
      '/wal?from=1&limit=1000',
      '/rejections?from=0&limit=1000',
      '/decisions/1',
      '/health',
      '/metrics',
      '/openapi.json',
      `/state/at/${Math.floor(host.head.index / 2)}`,
    ]) {
      const res = await fetch(`${url}${path}`);
      answers.push(`${path}\n${await res.text()}`);
    }
  }, 40_000);

  afterAll(async () => {
    await demo?.stop();
    await api?.close();
    host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function leaks(haystack: string): string[] {
    return needles.filter((n) => haystack.includes(n.text)).map((n) => n.what);
  }

  it('the run did what a project does (so the search covers real data)', () => {
    expect(host.head.state.execution.loop).toBeGreaterThanOrEqual(1);
    expect(host.store.snapshotIndexes().length).toBeGreaterThan(0);
    const logs = Buffer.concat(logChunks).toString('utf8');
    expect(logs).toContain('"event":"transition_accepted"');
    expect(logs).toContain('"event":"transition_rejected"');
    // The vault and its signers were logged on purpose: as a path and as public ids.
    expect(logs).toContain(`"vault":{"kind":"swoosh-vault","path":"${join(dir, 'keys.age')}"}`);
    expect(logs).toMatch(/"signers":\[\{"signer":"hmmm:ed25519:[\w-]{43}"\}/);
    expect(needles.length).toBe(2 + 4 * KEY_NAMES.length);
  });

  it('no secret in the captured logs', () => {
    expect(leaks(Buffer.concat(logChunks).toString('utf8'))).toEqual([]);
  });

  it('no secret in the API answers (/wal, /state, /rejections, /decisions, /health, /metrics)', () => {
    for (const a of answers) expect(leaks(a), a.slice(0, a.indexOf('\n'))).toEqual([]);
  });

  it('no secret in the database, its WAL or shm file (records, snapshots, rejections), nor in the vault file', () => {
    const files = ['swoosh.db', 'swoosh.db-wal', 'swoosh.db-shm', 'keys.age'].map((f) => join(dir, f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    // Positive controls: the files hold the run, and the search finds what it looks for.
    const all = files.map((f) => readFileSync(f).toString('latin1')).join('\n');
    expect(all).toContain('Execution_NextWindow');
    expect(leaks(`x${needles[2]?.text ?? '?'}y`)).toEqual([needles[2]?.what]);
    for (const f of files) {
      const bytes = readFileSync(f);
      // latin1 keeps every byte as one char, so ASCII needles match inside binary pages.
      expect(leaks(bytes.toString('latin1')), f).toEqual([]);
      // Raw 32-byte seeds, too (a binary column would hold them unencoded).
      for (const n of needles.filter((x) => x.what.endsWith(' hex'))) {
        expect(bytes.includes(Buffer.from(n.text, 'hex')), `${f}: raw ${n.what}`).toBe(false);
      }
    }
  });
});
