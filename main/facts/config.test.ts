// The providers configuration of `swoosh serve`: file + flags (flags win), precise
// reasons naming the field at fault, no credentials in URLs, and the runtime options it
// yields with keys and bearer credentials taken from the vault.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/hlc';
import { Vault } from '../keys/vault';
import { anyProviderFlag, ConfigError, describeConfig, neededEntries, providersConfig, runtimeOptions } from './config';

const FILE = {
  kaching: { url: 'https://kaching.example/', credential: 'kaching-token', timeout_ms: 5000 },
  backbeat: null,
  mcp: 'https://mcp.example',
  slurp: 'https://slurp.example',
  shhh: 'https://shhh.example',
  provisioner: 'https://prov.example',
  council: ['https://c1.example', { url: 'https://c2.example', credential: 'c2-token' }],
  agent_key: 'agent-1',
  operator_keys: ['op-bot'],
};

function refused(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('providersConfig', () => {
  it('reads the file, with defaults for what it leaves out', () => {
    const c = providersConfig(FILE, {}, 'p.json');
    expect(c).toEqual({
      kaching: { url: 'https://kaching.example', credential: 'kaching-token', timeout_ms: 5000 },
      backbeat: null,
      mcp: { url: 'https://mcp.example' },
      slurp: { url: 'https://slurp.example' },
      shhh: { url: 'https://shhh.example' },
      provisioner: { url: 'https://prov.example' },
      council: [{ url: 'https://c1.example' }, { url: 'https://c2.example', credential: 'c2-token' }],
      agent_key: 'agent-1',
      operator_keys: ['op-bot'],
      auto_approve: false,
      auto_release_s: 0,
      watch_quorum: true,
    });
    expect(neededEntries(c)).toEqual({ keys: ['agent-1', 'op-bot'], credentials: ['kaching-token', 'c2-token'] });
  });

  it('flags alone are enough, and a flag replaces a URL but keeps the credential', () => {
    const flags = {
      kaching: 'http://127.0.0.1:1',
      backbeat: 'http://127.0.0.1:2',
      mcp: 'http://127.0.0.1:3',
      slurp: 'http://127.0.0.1:4',
      shhh: 'http://127.0.0.1:5',
      provisioner: 'http://127.0.0.1:6',
      council: 'http://127.0.0.1:7, http://127.0.0.1:8',
    };
    expect(anyProviderFlag(flags)).toBe(true);
    expect(anyProviderFlag({ agent_key: 'x' })).toBe(false);
    const only = providersConfig(null, flags);
    expect(only.council).toEqual([{ url: 'http://127.0.0.1:7' }, { url: 'http://127.0.0.1:8' }]);
    expect(only.agent_key).toBe('agent');
    expect(only.backbeat).toEqual({ url: 'http://127.0.0.1:2' });
    const mixed = providersConfig(FILE, { kaching: 'http://127.0.0.1:9', operator_keys: ['op-2', 'op-3'] });
    expect(mixed.kaching).toEqual({ url: 'http://127.0.0.1:9', credential: 'kaching-token', timeout_ms: 5000 });
    expect(mixed.operator_keys).toEqual(['op-2', 'op-3']);
  });

  it('names the field at fault', () => {
    const cases: Array<[unknown, string]> = [
      [[], 'p.json: expected a JSON object'],
      [
        { ...FILE, kachin: 'x' },
        'p.json: unknown field kachin (known: kaching, backbeat, mcp, slurp, shhh, provisioner, council, agent_key, operator_keys, auto_approve, auto_release_s, watch_quorum)',
      ],
      [{ ...FILE, mcp: undefined }, 'p.json: mcp: missing (give a URL in the file or as a flag)'],
      [{ ...FILE, mcp: 'ftp://mcp.example' }, 'p.json: mcp: only http and https URLs, got ftp:'],
      [{ ...FILE, mcp: 'not a url' }, 'p.json: mcp: not a URL: "not a url"'],
      [
        { ...FILE, shhh: 'https://user:hunter2@shhh.example' },
        'p.json: shhh: a URL must not carry credentials; put them in the vault and name them with "credential"',
      ],
      [{ ...FILE, council: [] }, 'p.json: council needs at least one agent URL (--council URL,URL,…)'],
      [
        { ...FILE, council: ['https://c1.example', { url: 'https://c2.example', token: 'x' }] },
        'p.json: council[1]: unknown field token (known: url, credential, timeout_ms)',
      ],
      [{ ...FILE, kaching: { url: 'https://k.example', timeout_ms: 0 } }, 'p.json: kaching.timeout_ms: an integer 1..60000, got 0'],
      [
        { ...FILE, kaching: { url: 'https://k.example', credential: 'has space' } },
        'p.json: kaching.credential: expected a vault entry name, got "has space"',
      ],
      [{ ...FILE, operator_keys: 'op-1' }, 'p.json: operator_keys: expected an array of strings'],
      [{ ...FILE, auto_approve: 'yes' }, 'p.json: auto_approve: expected true or false, got "yes"'],
      [{ ...FILE, auto_release_s: -1 }, 'p.json: auto_release_s: expected a non-negative integer, got -1'],
    ];
    for (const [doc, reason] of cases) expect(refused(() => providersConfig(doc, {}, 'p.json'))).toBe(reason);
    // The refused URL's password is not repeated in the reason.
    expect(refused(() => providersConfig({ ...FILE, shhh: 'https://user:hunter2@shhh.example' }, {}, 'p.json'))).not.toContain('hunter2');
  });
});

describe('runtimeOptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes keys and bearer credentials from the vault; describeConfig shows names, never values', async () => {
    const vault = await Vault.create(join(dir, 'v.age'), 'pw', { scrypt_log_n: 15 });
    const agent = await vault.generateKey('agent-1');
    const bot = await vault.generateKey('op-bot');
    await vault.putCredential('kaching-token', 'kt-secret-1');
    await vault.putCredential('c2-token', 'c2-secret-2');
    const c = providersConfig(FILE, {});
    const o = runtimeOptions(c, vault, 'http://127.0.0.1:7420', new ManualClock(0));
    expect(o.agent.signer).toBe(agent);
    expect(o.operators.map((s) => s.signer)).toEqual([bot]);
    expect(o.services).toEqual({
      kaching: 'https://kaching.example',
      backbeat: null,
      mcp: 'https://mcp.example',
      slurp: 'https://slurp.example',
      shhh: 'https://shhh.example',
      provisioner: 'https://prov.example',
      council: ['https://c1.example', 'https://c2.example'],
    });
    expect(o.tuning?.kaching).toEqual({ timeout_ms: 5000, headers: { authorization: 'Bearer kt-secret-1' } });
    expect(o.tuning?.council).toEqual([{}, { headers: { authorization: 'Bearer c2-secret-2' } }]);
    expect(JSON.stringify(describeConfig(c))).not.toMatch(/secret/);
    expect(describeConfig(c).kaching).toEqual({ url: 'https://kaching.example', credential: 'kaching-token' });
    // A key the vault lacks is named.
    expect(() => runtimeOptions({ ...c, agent_key: 'agent-9' }, vault, 'http://x', new ManualClock(0))).toThrow(/has no entry "agent-9"/);
    vault.lock();
  });
});
