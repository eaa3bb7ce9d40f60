// swoosh keygen / sign / propose: in-process through the command functions (captured
// output), plus a few real spawns of `node bin/swoosh.mjs` (the path operators use).

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64uEncode } from '../../core/b64u';
import { nobleVerifier, proposalSigningBytes } from '../../core/crypto';
import { H } from '../../core/hash';
import { licenseToken, makeCast, makeGenesis } from '../../core/testing/kit';
import type { Proposal } from '../../core/types';
import { validateProposal } from '../../core/wire';
import { UsageError } from './args';
import { decodeKeyFile, encodeKeyFile, KeyFileError, loadSigner, writeKeyFile } from '../keys/keyfile';
import { keygenCommand, proposeCommand, signCommand, type CommandIo } from './keys';
import { openServer as startServer, type Running } from '../app/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASS_VAR = 'SWOOSH_TEST_KEY_PASSPHRASE';
const PASS = 'correct horse battery staple';

let dir: string;
const cast = makeCast();
const genesis = makeGenesis(cast);
let running: Running;

function io(env: Record<string, string | undefined> = { [PASS_VAR]: PASS }, stdin?: string): CommandIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    env,
    stdout: (t: string) => {
      captured.out += t;
    },
    stderr: (t: string) => {
      captured.err += t;
    },
    stdin: stdin === undefined ? undefined : () => stdin,
  };
  return captured;
}

/** Every textual form of a secret that must never be printed. */
function secretForms(secret: Uint8Array): string[] {
  return [b64uEncode(secret), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')];
}

function expectNoSecret(text: string, secret: Uint8Array): void {
  for (const form of secretForms(secret)) expect(text.includes(form), 'secret material printed').toBe(false);
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/swoosh.mjs'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A key file for one of the kit's deterministic genesis signers. */
const keyFiles = new Map<string, string>();
function keyFileFor(name: string, secret: Uint8Array): string {
  let path = keyFiles.get(name);
  if (path === undefined) {
    path = join(dir, `${name}.key.json`);
    writeKeyFile(path, encodeKeyFile(secret, PASS));
    keyFiles.set(name, path);
  }
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-keys-'));
  running = await startServer({ db: join(dir, 'swoosh.db'), genesis, host: '127.0.0.1', port: 0, durability: 'FULL', quiet: true });
});

afterAll(async () => {
  await running?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('swoosh keygen', () => {
  it('writes an encrypted key file (0600) and prints only the signer id', async () => {
    const out = join(dir, 'op.key.json');
    const c = io();
    expect(await keygenCommand(['--out', out, '--passphrase-env', PASS_VAR], c)).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(doc.kind).toBe('swoosh-ed25519-key');
    expect(doc.secret).toBeUndefined();
    expect(doc.secret_encrypted).toMatchObject({ kdf: 'scrypt', cipher: 'aes-256-gcm' });
    expect(c.out).toBe(`${doc.signer as string}\n`);
    expect(c.out).toMatch(/^hmmm:ed25519:[A-Za-z0-9_-]{43}\n$/);
    expect(c.err).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const { secret, encrypted } = decodeKeyFile(doc, PASS);
    expect(encrypted).toBe(true);
    expectNoSecret(readFileSync(out, 'utf8') + c.out + c.err, secret);
    expect(loadSigner(out, PASS).signer).toBe(doc.signer);
  });

  it('refuses to write a plaintext key unless asked, and warns when asked', async () => {
    const out = join(dir, 'plain.key.json');
    await expect(keygenCommand(['--out', out], io({}))).rejects.toThrow(UsageError);
    await expect(keygenCommand(['--out', out, '--passphrase-env', PASS_VAR], io({ [PASS_VAR]: '' }))).rejects.toThrow(/insecure-plaintext/);
    const c = io({});
    expect(await keygenCommand(['--out', out, '--insecure-plaintext'], c)).toBe(0);
    expect(c.err).toMatch(/UNENCRYPTED/);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(typeof doc.secret).toBe('string');
    const { secret } = decodeKeyFile(doc, null);
    expectNoSecret(c.out + c.err, secret);
  });

  it('never overwrites a key file without --force', async () => {
    const out = join(dir, 'once.key.json');
    expect(await keygenCommand(['--out', out, '--passphrase-env', PASS_VAR], io())).toBe(0);
    const first = readFileSync(out, 'utf8');
    await expect(keygenCommand(['--out', out, '--passphrase-env', PASS_VAR], io())).rejects.toThrow(/refusing to overwrite/);
    expect(readFileSync(out, 'utf8')).toBe(first);
    expect(await keygenCommand(['--out', out, '--passphrase-env', PASS_VAR, '--force'], io())).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toBe(first);
  });

  it('a wrong passphrase, a missing one, or an edited signer does not open the key', () => {
    const secret = cast.operators[0]!.secret;
    const doc = encodeKeyFile(secret, PASS);
    expect(() => decodeKeyFile(doc, 'wrong')).toThrow(/wrong passphrase/);
    expect(() => decodeKeyFile(doc, null)).toThrow(/encrypted/);
    expect(() => decodeKeyFile({ ...doc, signer: cast.operators[1]!.signer }, PASS)).toThrow(KeyFileError);
    expect(() => decodeKeyFile({ ...doc, secret_encrypted: { ...doc.secret_encrypted!, N: 1 << 30 } }, PASS)).toThrow(/scrypt/);
    expect(() => decodeKeyFile({ kind: 'other' }, PASS)).toThrow(/not a key file/);
    expect(decodeKeyFile(doc, PASS).signer).toBe(cast.operators[0]!.signer);
  });
});

describe('swoosh sign', () => {
  const draft = () => ({
    current_state_hash: H({ any: 'head' }),
    transition: 'Boot_ConfigOk',
    inputs: { config_hash: H(genesis) },
    idem_key: 'demo:boot:1',
    hlc: '2026-11-22T01:23:45.678+00:00#0',
  });

  it('fills inputs_hash and signer, signs, and prints a proposal that verifies', async () => {
    const key = keyFileFor('op-1', cast.operators[0]!.secret);
    const file = join(dir, 'draft.json');
    writeFileSync(file, JSON.stringify(draft()));
    const c = io();
    expect(await signCommand(['--key', key, '--proposal', file, '--passphrase-env', PASS_VAR], c)).toBe(0);
    const p = JSON.parse(c.out) as Proposal;
    expect(p.inputs_hash).toBe(H(draft().inputs));
    expect(p.signer).toBe(cast.operators[0]!.signer);
    expect(p.window_id).toBeNull();
    expect(p.evidence).toEqual([]);
    expect(nobleVerifier.verify(p.signer, proposalSigningBytes(p), p.signature)).toBe(true);
    expect(validateProposal(p).ok).toBe(true);
    expectNoSecret(c.out + c.err, cast.operators[0]!.secret);
    // Same draft from standard input: same bytes (Ed25519 is deterministic).
    const d = io({ [PASS_VAR]: PASS }, JSON.stringify(draft()));
    expect(await signCommand(['--key', key, '--proposal', '-', '--passphrase-env', PASS_VAR], d)).toBe(0);
    expect(d.out).toBe(c.out);
  });

  it('refuses drafts that disagree with the key or their inputs, or are not proposals', async () => {
    const key = keyFileFor('op-1', cast.operators[0]!.secret);
    const write = (name: string, value: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(value));
      return f;
    };
    const args = (f: string) => ['--key', key, '--proposal', f, '--passphrase-env', PASS_VAR];
    const c1 = io();
    expect(await signCommand(args(write('d1.json', { ...draft(), inputs_hash: H({ other: 1 }) })), c1)).toBe(1);
    expect(c1.err).toMatch(/inputs_hash/);
    const c2 = io();
    expect(await signCommand(args(write('d2.json', { ...draft(), signer: cast.agents[0]!.signer })), c2)).toBe(1);
    expect(c2.err).toMatch(/names signer/);
    const c3 = io();
    expect(await signCommand(args(write('d3.json', { ...draft(), hlc: 'yesterday' })), c3)).toBe(1);
    expect(c3.err).toMatch(/malformed proposal: \$\.hlc/);
    await expect(signCommand(args(write('d4.json', { ...draft(), admin: true })), io())).rejects.toThrow(/unknown proposal field/);
    await expect(signCommand(args(write('d5.json', [1])), io())).rejects.toThrow(/JSON object/);
    const c6 = io({ [PASS_VAR]: 'wrong' });
    expect(await signCommand(args(write('d6.json', draft())), c6)).toBe(1);
    expect(c6.err).toMatch(/wrong passphrase/);
    expect(c6.out).toBe('');
  });
});

describe('swoosh propose', () => {
  it('sends a signed proposal through the SDK: 0 on 202, 1 with the code on a rejection', async () => {
    const key = keyFileFor('op-1', cast.operators[0]!.secret);
    const c = io();
    const args = [
      '--url',
      running.url,
      '--key',
      key,
      '--passphrase-env',
      PASS_VAR,
      '--transition',
      'Boot_ConfigOk',
      '--inputs',
      JSON.stringify({ config_hash: H(genesis) }),
      '--idem-key',
      'demo:boot:cli',
    ];
    expect(await proposeCommand(args, c), c.err).toBe(0);
    const outcome = JSON.parse(c.out) as Record<string, unknown>;
    expect(outcome).toMatchObject({
      ok: true,
      status: 202,
      index: 1,
      duplicate: false,
      transition: 'Boot_ConfigOk',
      idem_key: 'demo:boot:cli',
    });
    expect(outcome.proposal).toBeUndefined();
    expect(outcome.state_post_hash).toBe(running.host.head.hash);
    expectNoSecret(c.out + c.err, cast.operators[0]!.secret);

    // The same idem key with new content (fresh HLC, new HEAD): refused, exit 1.
    const again = io();
    expect(await proposeCommand(args, again)).toBe(1);
    expect(JSON.parse(again.out)).toMatchObject({ ok: false, status: 400, code: 'idem_key_conflict' });
    expect(again.err).toMatch(/idem_key_conflict/);

    const stranger = keyFileFor('stranger', cast.stranger.secret);
    const c3 = io();
    expect(
      await proposeCommand(
        [
          '--url',
          running.url,
          '--key',
          stranger,
          '--passphrase-env',
          PASS_VAR,
          '--transition',
          'Control_Pause',
          '--inputs',
          '{"reason":"x"}',
        ],
        c3,
      ),
    ).toBe(1);
    expect(JSON.parse(c3.out)).toMatchObject({ ok: false, code: 'unknown_signer' });
  });

  it('reports an unreachable server as a network outcome, and bad arguments as usage errors', async () => {
    const key = keyFileFor('op-1', cast.operators[0]!.secret);
    const c = io();
    expect(
      await proposeCommand(
        [
          '--url',
          'http://127.0.0.1:1',
          '--key',
          key,
          '--passphrase-env',
          PASS_VAR,
          '--transition',
          'Control_Pause',
          '--inputs',
          '{"reason":"x"}',
        ],
        c,
      ),
    ).toBe(1);
    expect(JSON.parse(c.out)).toMatchObject({ ok: false, status: 0, code: 'network' });
    await expect(
      proposeCommand(['--url', running.url, '--key', key, '--transition', 'Control_Pause', '--inputs', '[1]'], io()),
    ).rejects.toThrow(/JSON object/);
    await expect(
      proposeCommand(['--url', running.url, '--key', key, '--transition', 'Control_Pause', '--inputs', '{nope'], io()),
    ).rejects.toThrow(/not JSON/);
    await expect(proposeCommand(['--url', 'ftp://x', '--key', key, '--transition', 'Control_Pause'], io())).rejects.toThrow(/http/);
    await expect(proposeCommand(['--key', key, '--transition', 'Control_Pause'], io())).rejects.toThrow(/--url/);
  });
});

describe('the real command line (node bin/swoosh.mjs)', () => {
  it('keygen: encrypted with a passphrase, exit 2 without one', async () => {
    const out = join(dir, 'spawned.key.json');
    const ok = await run(['keygen', '--out', out, '--passphrase-env', PASS_VAR], { [PASS_VAR]: PASS });
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { signer: string };
    expect(ok.stdout).toBe(`${doc.signer}\n`);
    const { secret } = decodeKeyFile(doc, PASS);
    expectNoSecret(ok.stdout + ok.stderr, secret);
    const refused = await run(['keygen', '--out', join(dir, 'never.key.json')], { SWOOSH_KEY_PASSPHRASE: '' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^swoosh keygen: set SWOOSH_KEY_PASSPHRASE/);
  });

  it('propose --inputs @file: a licence accepted over HTTP, exit 0', async () => {
    // Needs Boot_ConfigOk applied (the in-process propose test above).
    expect(running.host.head.state.boot.phase).toBe('LICENSE_CHECK');
    const key = keyFileFor('agent-1', cast.agents[0]!.secret);
    const now = Date.now();
    const token = licenseToken(cast.kaching, {
      licensee: genesis.project,
      issued_ms: now - 1000,
      expires_ms: now + 86_400_000,
      grace_ms: 3_600_000,
    });
    const inputs = join(dir, 'licence.json');
    writeFileSync(inputs, JSON.stringify({ token }));
    const r = await run(
      [
        'propose',
        '--url',
        running.url,
        '--key',
        key,
        '--passphrase-env',
        PASS_VAR,
        '--transition',
        'Boot_Licensed',
        '--inputs',
        `@${inputs}`,
        '--evidence',
        'ucxl://agent-1:licensing@demo:boot/licence*^/',
      ],
      { [PASS_VAR]: PASS },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, status: 202, index: 2 });
    expect(running.host.head.state.boot.phase).toBe('LICENSED');
    expect(running.host.decision(2)?.evidence).toEqual(['ucxl://agent-1:licensing@demo:boot/licence*^/']);
    expectNoSecret(r.stdout + r.stderr, cast.agents[0]!.secret);
  });
});
