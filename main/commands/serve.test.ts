// `swoosh serve` against real services (the real command in a child process): URLs from
// a --providers file and flags, the agent and bot-operator keys and the bearer
// credentials from an age vault unlocked at start with SWOOSH_VAULT_PASSPHRASE. The
// "real services" here are the simulators listening on loopback, demanding a bearer
// token (knob `bearer`) like a real service would. And the ways it refuses to start.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { demoCast, demoGenesis } from '../demo';
import { systemClock } from '../host';
import { Vault } from '../keys/vault';
import { backbeatSim } from '../sim/backbeat';
import type { BaseKnobs, SimServer } from '../sim/base';
import { councilAgentSim } from '../sim/council';
import { kachingSim } from '../sim/kaching';
import { mcpRegistrySim } from '../sim/mcp';
import { provisionerSim } from '../sim/provisioner';
import { shhhSim } from '../sim/shhh';
import { slurpSim } from '../sim/slurp';
import { PACKAGE_DIR, runSwoosh, SWOOSH_BIN } from '../testing/proc';
import { until } from '../testing/until';

const cast = demoCast();
const PASS = 'serve-test vault passphrase 9931';
const KACHING_TOKEN = 'kaching_live_3c9d0e7f1a2b4c6d';
const COUNCIL_TOKEN = 'council2_live_8e7d6c5b4a392817';

describe('swoosh serve with real providers (--vault, --providers, service flags)', () => {
  let dir: string;
  let genesisPath: string;
  let vaultPath: string;
  const sims: Record<string, SimServer<BaseKnobs>> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swoosh-serve-real-'));
    const genesis = demoGenesis({ period_ms: 2000, epoch_ms: Date.now() - 10_000 });
    genesisPath = join(dir, 'genesis.json');
    writeFileSync(genesisPath, JSON.stringify(genesis));
    vaultPath = join(dir, 'keys.age');
    const vault = await Vault.create(vaultPath, PASS, { scrypt_log_n: 15 });
    await vault.putKey('agent-1', (cast.agents[0] as (typeof cast.agents)[0]).secret);
    await vault.putKey('op-bot', (cast.operators[1] as (typeof cast.operators)[0]).secret);
    await vault.putCredential('kaching-token', KACHING_TOKEN);
    await vault.putCredential('council-2-token', COUNCIL_TOKEN);
    vault.lock();
    Object.assign(sims, {
      kaching: kachingSim(cast.kaching, systemClock, { bearer: KACHING_TOKEN }),
      mcp: mcpRegistrySim(cast.mcp, systemClock, genesis.mcp.pins),
      backbeat: backbeatSim({ amplitude_bp: 2500 }),
      slurp: slurpSim(),
      shhh: shhhSim(systemClock, { deny: genesis.policy.deny }),
      provisioner: provisionerSim(),
    });
    cast.council.forEach((k, i) => {
      sims[`council-${i + 1}`] = councilAgentSim(`c-${i + 1}`, k, i === 1 ? { bearer: COUNCIL_TOKEN } : {});
    });
    for (const s of Object.values(sims)) await s.listen(0);
  });

  afterAll(async () => {
    await Promise.all(Object.values(sims).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the project through to EXECUTION on the services it is pointed at, sending the vault credentials', async () => {
    const url = (n: string) => (sims[n] as SimServer<BaseKnobs>).url;
    const providers = join(dir, 'providers.json');
    writeFileSync(
      providers,
      JSON.stringify({
        kaching: { url: 'http://127.0.0.1:9', credential: 'kaching-token' }, // the flag below replaces this URL
        mcp: url('mcp'),
        slurp: url('slurp'),
        shhh: url('shhh'),
        provisioner: url('provisioner'),
        backbeat: url('backbeat'),
        council: [url('council-1'), { url: url('council-2'), credential: 'council-2-token' }, url('council-3')],
        agent_key: 'agent-1',
        operator_keys: ['op-bot'],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        SWOOSH_BIN,
        'serve',
        '--db',
        join(dir, 'real.db'),
        '--genesis',
        genesisPath,
        '--port',
        '0',
        '--vault',
        vaultPath,
        '--providers',
        providers,
        '--kaching',
        url('kaching'),
      ],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, SWOOSH_VAULT_PASSPHRASE: PASS, SWOOSH_LOG_LEVEL: 'info', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      await until(
        'the serving line',
        () => /serving .+ on (http:\/\/\S+)/.test(out),
        30_000,
        () => out + err,
      );
      const swoosh = (/serving .+ on (http:\/\/\S+)/.exec(out) as RegExpExecArray)[1] as string;
      expect(out).toContain(`swoosh: provider kaching ${url('kaching')} (credential kaching-token)\n`);
      expect(out).toContain(`swoosh: provider council-2 ${url('council-2')} (credential council-2-token)\n`);
      const json = JSON.parse(out.split('\n').find((l) => l.startsWith('{"event":"providers"')) ?? '{}') as {
        kaching: unknown;
        agent_key: string;
      };
      expect(json).toMatchObject({
        kaching: { url: url('kaching'), credential: 'kaching-token' },
        agent_key: 'agent-1',
        operator_keys: ['op-bot'],
      });
      const client = new SwooshClient({ url: swoosh });
      const phase = async () => (await client.state()).state;
      await until(
        'EXECUTION',
        async () => (await phase()).execution.phase !== null,
        30_000,
        () => out + err,
      );
      const health = (await (await fetch(`${swoosh}/health`)).json()) as {
        status: string;
        providers: { license: { status: string }; amplitude_bp: number; breakers: Record<string, { state: string }> };
      };
      expect(health.status).toBe('ok');
      expect(health.providers.license.status).toBe('valid');
      expect(health.providers.amplitude_bp).toBe(2500);
      // The credentials went where they were asked for (the simulators answer 401 otherwise).
      expect((sims.kaching as SimServer<BaseKnobs>).stats().by_path['/v1/license']).toBeGreaterThan(0);
      expect((sims['council-2'] as SimServer<BaseKnobs>).stats().by_path['/v1/vote']).toBeGreaterThan(0);
      const page = await client.wal(1, 1000);
      const signers = new Set((page.records as unknown as Array<{ signer: string }>).map((r) => r.signer));
      expect(signers).toEqual(
        new Set([(cast.agents[0] as (typeof cast.agents)[0]).signer, (cast.operators[1] as (typeof cast.operators)[0]).signer]),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Nothing secret in anything it printed or logged, nor in the database.
      const db =
        readFileSync(join(dir, 'real.db')).toString('latin1') + readFileSync(join(dir, 'real.db-wal'), { flag: 'a+' }).toString('latin1');
      for (const secret of [
        PASS,
        KACHING_TOKEN,
        COUNCIL_TOKEN,
        Buffer.from((cast.agents[0] as (typeof cast.agents)[0]).secret).toString('hex'),
      ]) {
        expect(out + err).not.toContain(secret);
        expect(db).not.toContain(secret);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  });

  it('refuses to start, with one clear line: wrong passphrase, missing vault, missing entry, bad combination', async () => {
    const base = ['serve', '--db', join(dir, 'refused.db'), '--genesis', genesisPath, '--port', '0'];
    const flags = [
      '--kaching',
      'http://127.0.0.1:9',
      '--mcp',
      'http://127.0.0.1:9',
      '--slurp',
      'http://127.0.0.1:9',
      '--shhh',
      'http://127.0.0.1:9',
      '--provisioner',
      'http://127.0.0.1:9',
      '--council',
      'http://127.0.0.1:9',
    ];
    const run = (args: string[], pass: string | undefined = PASS) =>
      runSwoosh([...base, ...args], { env: { SWOOSH_VAULT_PASSPHRASE: pass } });
    const wrong = await run(['--vault', vaultPath, ...flags, '--agent-key', 'agent-1'], 'not it');
    expect({ code: wrong.code, stderr: wrong.stderr }).toEqual({
      code: 1,
      stderr: `swoosh serve: cannot unlock vault ${vaultPath}: wrong passphrase\n`,
    });
    const none = join(dir, 'none.age');
    const missing = await run(['--vault', none, ...flags]);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 1,
      stderr: `swoosh serve: vault ${none} does not exist; create it with: swoosh vault init --vault ${none}\n`,
    });
    const entry = await run(['--vault', vaultPath, ...flags]); // default agent key "agent" is not in this vault
    expect(entry.code).toBe(1);
    expect(entry.stderr).toBe(
      `swoosh serve: vault ${vaultPath} has no entry "agent" (it has: agent-1, council-2-token, kaching-token, op-bot)\n`,
    );
    const noVault = await run(flags);
    expect({ code: noVault.code, stderr: noVault.stderr }).toEqual({
      code: 2,
      stderr:
        'swoosh serve: real providers need --vault FILE: the agent and operator keys and the credentials come from it (swoosh vault init)\n',
    });
    const sim = await run(['--sim', '--kaching', 'http://127.0.0.1:9']);
    expect(sim.stderr).toBe(
      'swoosh serve: --sim runs simulators with demo keys; it cannot be combined with --providers or a service URL flag\n',
    );
    const partial = await run(['--vault', vaultPath, '--kaching', 'http://127.0.0.1:9']);
    expect(partial.stderr).toBe('swoosh serve: providers: council needs at least one agent URL (--council URL,URL,…)\n');
    const creds = await run(['--vault', vaultPath, ...flags, '--mcp', 'https://u:p4ss@mcp.example']);
    expect(creds.stderr).toBe(
      'swoosh serve: providers: mcp: a URL must not carry credentials; put them in the vault and name them with "credential"\n',
    );
  });
});
