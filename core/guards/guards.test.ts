// Every guard of core/guards, passing and failing, called directly with a GuardContext and
// (for a sample) through the reducer, so that the code, the guard name and the reasons an
// operator reads are all pinned down. Proposals and facts are really signed (core/testing).

import { describe, expect, it } from 'vitest';
import { loadMachine } from '../../main/machine';
import { nobleVerifier, type Signer } from '../crypto';
import { H } from '../hash';
import { activeLeaves, type State } from '../state';
import type { MigrationRegion, MigrationRoutes, RouteMode } from '../types';
import { castVote, fakeHash, licenseToken, mcpReport, quorumInputs, testKey } from '../testing/kit';
import { Scenario } from '../testing/scenario';
import type { JsonObject, LicenseToken, McpTool, Proposal } from '../types';
import { beatPosition } from '../window';
import { configGuard } from './config';
import { allReadyGuard, approvalGuard, approvalsGuard } from './execution';
import { GUARDS, GUARD_NAMES, type GuardContext, type GuardResult } from './index';
import { licenseGate, licenseGuard, licenseStatus } from './license';
import { mcpGuard } from './mcp';
import { migrationBypassGuard, migrationOrderGuard } from './migration';
import { policyGuard, policyUpdateGuard } from './policy';
import { eligibleMembers, memberSetHash, quorumGuard } from './quorum';

const spec = loadMachine();
const DAY_MS = 86_400_000;

function ctxOf(
  sc: Scenario,
  transition: string,
  inputs: JsonObject,
  by: Signer = sc.agent,
  wall_ms = sc.wall_ms,
  state: State = sc.state,
): GuardContext {
  const t = spec.transitions[transition];
  if (!t) throw new Error(`no transition ${transition}`);
  const proposal: Proposal = sc.build(transition, inputs, by);
  return { state, proposal, transition: t, wall_ms, verifier: nobleVerifier, leaves: activeLeaves(state) };
}

function expectFail(r: GuardResult, guard: string, ...fragments: string[]): void {
  expect(r.guard).toBe(guard);
  expect(r.ok, `expected ${guard} to fail, reasons: ${r.reasons.join(' | ')}`).toBe(false);
  expect(r.reasons.length).toBeGreaterThan(0);
  const text = r.reasons.join(' | ');
  for (const f of fragments) expect(text).toContain(f);
}

function expectPass(r: GuardResult, guard: string): void {
  expect(r.guard).toBe(guard);
  expect(r.ok, `expected ${guard} to pass, reasons: ${r.reasons.join(' | ')}`).toBe(true);
  expect(r.reasons.length).toBeGreaterThan(0);
}

function tokenInputs(token: LicenseToken): JsonObject {
  return { token: token as unknown as JsonObject };
}

describe('guard registry', () => {
  it('names every guard the statechart uses, and each is registered under its own name', () => {
    const used = new Set(Object.values(spec.transitions).flatMap((t) => t.guards));
    for (const name of used) expect(GUARD_NAMES).toContain(name);
    for (const [name, def] of Object.entries(GUARDS)) expect(def.name).toBe(name);
    expect(GUARDS.policy?.divert).toBe('breach');
    expect(
      Object.values(GUARDS)
        .filter((g) => g.divert !== undefined)
        .map((g) => g.name),
    ).toEqual(['policy']);
  });
});

describe('config guard (Boot_ConfigOk)', () => {
  it('passes for H(genesis) and fails for any other hash, naming both', () => {
    const sc = new Scenario(spec);
    expectPass(configGuard(ctxOf(sc, 'Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator)), 'config');
    const other = H({ ...sc.genesis, max_drift_ms: 2000 });
    expectFail(configGuard(ctxOf(sc, 'Boot_ConfigOk', { config_hash: other }, sc.operator)), 'config', other, H(sc.genesis));
  });
});

describe('license guard (Boot_Licensed, License_Refresh)', () => {
  const bootTo = (sc: Scenario) => sc.step('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);

  it('licenseStatus: valid before expires_ms, grace until expires_ms + grace_ms, then expired', () => {
    const t = { issued_ms: 0, expires_ms: 1000, grace_ms: 500 };
    expect(licenseStatus(t, 999)).toBe('valid');
    expect(licenseStatus(t, 1000)).toBe('grace');
    expect(licenseStatus(t, 1499)).toBe('grace');
    expect(licenseStatus(t, 1500)).toBe('expired');
    expect(licenseStatus({ ...t, grace_ms: 0 }, 1000)).toBe('expired');
  });

  it('passes a valid token signed by the genesis KACHING key, with branch valid', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const r = licenseGuard(ctxOf(sc, 'Boot_Licensed', sc.license()));
    expectPass(r, 'license');
    expect(r.branch).toBe('valid');
    expect(r.reasons.join(' ')).toContain('valid');
  });

  it('Boot_Licensed needs a valid token: grace and expired tokens fail', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const now = sc.wall_ms;
    const grace = sc.license(now - 2000, 1000, DAY_MS); // expired 1 s ago, in grace
    expectFail(licenseGuard(ctxOf(sc, 'Boot_Licensed', grace)), 'license', 'boot needs a valid licence', 'in grace');
    const expired = sc.license(now - 3000, 1000, 1000); // grace ended 1 s ago
    expectFail(licenseGuard(ctxOf(sc, 'Boot_Licensed', expired)), 'license', 'boot needs a valid licence', 'grace ended');
  });

  it('License_Refresh passes grace and expired tokens with the matching branch', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    sc.step('Boot_Licensed', sc.license(sc.wall_ms - 1000));
    const issued = sc.state.boot.license!.issued_ms;
    const graceAt = issued + 2000;
    const grace = sc.license(issued, 1000, DAY_MS);
    const g = licenseGuard(ctxOf(sc, 'License_Refresh', grace, sc.agent, graceAt));
    expectPass(g, 'license');
    expect(g.branch).toBe('grace');
    const expired = sc.license(issued, 1000, 500);
    const e = licenseGuard(ctxOf(sc, 'License_Refresh', expired, sc.agent, graceAt));
    expectPass(e, 'license');
    expect(e.branch).toBe('expired');
    expect(e.reasons[0]).toContain('grace ended');
  });

  it('rejects a token signed by the wrong key', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const forged = licenseToken(testKey('not-kaching'), {
      licensee: 'demo',
      issued_ms: sc.wall_ms - 1000,
      expires_ms: sc.wall_ms + DAY_MS,
      grace_ms: DAY_MS,
    });
    expectFail(licenseGuard(ctxOf(sc, 'Boot_Licensed', tokenInputs(forged))), 'license', 'KACHING signer');
  });

  it('rejects a token altered after signing (extended expiry)', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const token = sc.license().token as unknown as LicenseToken;
    const stretched = { ...token, expires_ms: token.expires_ms + 365 * DAY_MS };
    expectFail(licenseGuard(ctxOf(sc, 'Boot_Licensed', tokenInputs(stretched))), 'license', 'signature does not verify');
  });

  it('rejects a token for another licensee, naming both', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const token = licenseToken(sc.cast.kaching, {
      licensee: 'other-project',
      issued_ms: sc.wall_ms - 1000,
      expires_ms: sc.wall_ms + DAY_MS,
      grace_ms: 0,
    });
    const r = licenseGuard(ctxOf(sc, 'Boot_Licensed', tokenInputs(token)));
    expectFail(r, 'license', '"other-project"', '"demo"');
    // The signature is fine: only the licensee is named.
    expect(r.reasons).toHaveLength(1);
  });

  it('rejects a token that expires before it is issued', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const token = licenseToken(sc.cast.kaching, { licensee: 'demo', issued_ms: sc.wall_ms, expires_ms: sc.wall_ms, grace_ms: DAY_MS });
    expectFail(licenseGuard(ctxOf(sc, 'Boot_Licensed', tokenInputs(token))), 'license', 'expires before it is issued');
  });

  it('rejects a token older than the one in force, but accepts the same one again', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const inForce = sc.license(sc.wall_ms - 1000);
    sc.step('Boot_Licensed', inForce);
    const issued = sc.state.boot.license!.issued_ms;
    const older = sc.license(issued - 1, 60 * DAY_MS);
    expectFail(licenseGuard(ctxOf(sc, 'License_Refresh', older)), 'license', `issued at ${issued - 1}`, `issued ${issued}`);
    expectPass(licenseGuard(ctxOf(sc, 'License_Refresh', inForce)), 'license');
    expectPass(licenseGuard(ctxOf(sc, 'License_Refresh', sc.license(issued + 1))), 'license');
  });

  it('reports every problem of a bad token at once', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const token = licenseToken(testKey('x'), { licensee: 'nope', issued_ms: 10, expires_ms: 5, grace_ms: 0 });
    const r = licenseGuard(ctxOf(sc, 'Boot_Licensed', tokenInputs(token)));
    expect(r.ok).toBe(false);
    expect(r.reasons).toHaveLength(3);
  });

  it('through the reducer: a forged token is guard_failed with guard license', () => {
    const sc = new Scenario(spec);
    bootTo(sc);
    const forged = licenseToken(sc.cast.stranger, {
      licensee: 'demo',
      issued_ms: sc.wall_ms - 1000,
      expires_ms: sc.wall_ms + DAY_MS,
      grace_ms: 0,
    });
    const res = sc.submit(sc.build('Boot_Licensed', tokenInputs(forged), sc.agent));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.rejection.code).toBe('guard_failed');
    expect(res.rejection.guard).toBe('license');
    expect(res.rejection.reasons?.join(' ')).toContain('KACHING');
    expect(sc.state.boot.phase).toBe('LICENSE_CHECK');
  });
});

describe('licenseGate (every non-exempt transition)', () => {
  function licensed(valid_ms: number, grace_ms: number): Scenario {
    const sc = new Scenario(spec);
    sc.step('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    sc.step('Boot_Licensed', sc.license(sc.wall_ms - 1000, valid_ms, grace_ms));
    return sc;
  }

  it('fails with no licence in force', () => {
    const sc = new Scenario(spec);
    expectFail(licenseGate(ctxOf(sc, 'Control_Pause', { reason: 'x' }, sc.operator)), 'license', 'no licence in force');
  });

  it('passes while valid and in grace, fails past grace naming License_Refresh', () => {
    const sc = licensed(60_000, 60_000);
    const lic = sc.state.boot.license!;
    const inputs = { sources: ['a'] };
    expectPass(licenseGate(ctxOf(sc, 'Ingestion_SourcesResolved', inputs, sc.agent, lic.expires_ms - 1)), 'license');
    const grace = licenseGate(ctxOf(sc, 'Ingestion_SourcesResolved', inputs, sc.agent, lic.expires_ms));
    expectPass(grace, 'license');
    expect(grace.reasons[0]).toContain('in grace until');
    expectFail(
      licenseGate(ctxOf(sc, 'Ingestion_SourcesResolved', inputs, sc.agent, lic.expires_ms + lic.grace_ms)),
      'license',
      'only License_Refresh',
    );
  });

  it('fails whenever the LICENSE region is EXPIRED, whatever the wall time', () => {
    const sc = licensed(60_000, 60_000);
    const expired: State = { ...sc.state, boot: { ...sc.state.boot, phase: 'EXPIRED' } };
    expectFail(
      licenseGate(ctxOf(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, sc.agent, sc.wall_ms, expired)),
      'license',
      'only License_Refresh',
    );
  });
});

describe('quorum guard (Council_QuorumCert)', () => {
  function atElect(opts: { council?: number; threshold?: number; agents?: number } = {}): Scenario {
    const sc = new Scenario(spec, opts);
    sc.boot();
    sc.step('Council_ProfilesLoaded', { roles: ['planner'] });
    return sc;
  }
  const quorum = (sc: Scenario, inputs: JsonObject) => quorumGuard(ctxOf(sc, 'Council_QuorumCert', inputs));
  const epochOf = (sc: Scenario) => sc.state.epoch.council;

  it('passes with every council member voting at the current council epoch', () => {
    const sc = atElect();
    const r = quorum(sc, quorumInputs(sc.cast.council, epochOf(sc)));
    expectPass(r, 'quorum');
    expect(r.reasons[0]).toContain(`council epoch ${epochOf(sc)}`);
  });

  it('threshold: 2 of 3 votes pass at threshold 2; 1 vote fails naming count and threshold', () => {
    const sc = atElect();
    const full = quorumInputs(sc.cast.council, epochOf(sc));
    const votes = full.votes as JsonObject[];
    expectPass(quorum(sc, { ...full, votes: votes.slice(0, 2) }), 'quorum');
    expectFail(quorum(sc, { ...full, votes: votes.slice(0, 1) }), 'quorum', '1 valid distinct votes, threshold 2');
    expectFail(quorum(sc, { ...full, votes: [] }), 'quorum', '0 valid distinct votes');
  });

  it('a member set smaller than the threshold cannot pass', () => {
    const sc = atElect({ threshold: 2 });
    const one = quorumInputs(sc.cast.council.slice(0, 1), epochOf(sc));
    expectFail(quorum(sc, one), 'quorum', '1 members cannot reach threshold 2');
  });

  it('duplicate voters count once', () => {
    const sc = atElect();
    const full = quorumInputs(sc.cast.council, epochOf(sc));
    const first = (full.votes as JsonObject[])[0]!;
    const r = quorum(sc, { ...full, votes: [first, first] });
    expectFail(r, 'quorum', 'vote[1]', 'duplicate voter', '1 valid distinct votes');
    // A re-signed duplicate is still the same voter.
    const again = castVote(sc.cast.council[0]!, full.member_set_hash as string, epochOf(sc)) as unknown as JsonObject;
    expectFail(quorum(sc, { ...full, votes: [first, again] }), 'quorum', 'duplicate voter');
  });

  it('a voter outside the proposed members is refused (and named)', () => {
    const sc = atElect();
    const [c1, c2, c3] = sc.cast.council as unknown as [Signer, Signer, Signer];
    const pair = quorumInputs([c1, c2], epochOf(sc));
    const outsider = castVote(c3, pair.member_set_hash as string, epochOf(sc)) as unknown as JsonObject;
    const votes = [(pair.votes as JsonObject[])[0]!, outsider];
    expectFail(quorum(sc, { ...pair, votes }), 'quorum', `vote[1] by ${c3.signer}: voter is not a proposed member`);
  });

  it('a vote cast over another member set is refused', () => {
    const sc = atElect();
    const [c1, c2] = sc.cast.council as unknown as [Signer, Signer, Signer];
    const full = quorumInputs(sc.cast.council, epochOf(sc));
    const otherSet = memberSetHash([c1.signer, c2.signer]);
    const votes = [(full.votes as JsonObject[])[0]!, castVote(c2, otherSet, epochOf(sc)) as unknown as JsonObject];
    expectFail(quorum(sc, { ...full, votes }), 'quorum', `cast over ${otherSet}, not the proposed set`);
  });

  it('votes for another council epoch are refused (no replay after Council_ReElect)', () => {
    const sc = atElect();
    const oldVotes = quorumInputs(sc.cast.council, epochOf(sc));
    sc.step('Council_QuorumCert', oldVotes);
    sc.step('Council_ReElect', { reason: 'tooling failed', eject: [] }, sc.operator);
    const now = epochOf(sc);
    const oldEpoch = (oldVotes.votes as unknown as Array<{ council_epoch: number }>)[0]!.council_epoch;
    expect(now).toBe(oldEpoch + 2); // +1 for the certificate, +1 for the re-election
    const r = quorum(sc, oldVotes);
    expectFail(r, 'quorum', `council_epoch ${oldEpoch}, current is ${now}`);
    // Through the reducer: guard_failed quorum, council stays in ELECT.
    const res = sc.submit(sc.build('Council_QuorumCert', oldVotes, sc.agent));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.rejection.code).toBe('guard_failed');
      expect(res.rejection.guard).toBe('quorum');
    }
    expect(sc.state.council.phase).toBe('ELECT');
    // Fresh votes for the current epoch pass; a future epoch is as wrong as a past one.
    expectPass(quorum(sc, quorumInputs(sc.cast.council, now)), 'quorum');
    expectFail(quorum(sc, quorumInputs(sc.cast.council, now + 1)), 'quorum', `council_epoch ${now + 1}, current is ${now}`);
  });

  it('a bad vote signature is refused', () => {
    const sc = atElect();
    const full = quorumInputs(sc.cast.council, epochOf(sc));
    const votes = (full.votes as Array<JsonObject & { signature: string }>).map((v, i) =>
      i === 0
        ? {
            ...v,
            signature: (castVote(sc.cast.council[1]!, full.member_set_hash as string, epochOf(sc)) as { signature: string }).signature,
          }
        : v,
    );
    expectFail(
      quorum(sc, { ...full, votes: votes.slice(0, 2) }),
      'quorum',
      `vote[0] by ${sc.cast.council[0]!.signer}: signature does not verify`,
    );
    // A vote signed by someone else in the voter's name.
    const forged = { ...castVote(testKey('mallory'), full.member_set_hash as string, epochOf(sc)), voter: sc.cast.council[2]!.signer };
    expectFail(
      quorum(sc, { ...full, votes: [(full.votes as JsonObject[])[0]!, forged as unknown as JsonObject] }),
      'quorum',
      'signature does not verify',
    );
  });

  it('members must be council-role signers of the genesis', () => {
    const sc = atElect();
    const agentAsMember = quorumInputs([sc.cast.council[0]!, sc.agent], epochOf(sc));
    expectFail(quorum(sc, agentAsMember), 'quorum', `member ${sc.agent.signer} is not a council-role signer`);
    const stranger = quorumInputs([sc.cast.council[0]!, sc.cast.council[1]!, sc.cast.stranger], epochOf(sc));
    expectFail(quorum(sc, stranger), 'quorum', `member ${sc.cast.stranger.signer} is not a council-role signer`);
  });

  it('ejected members are not eligible, and the reason says so', () => {
    const sc = atElect();
    sc.step('Council_QuorumCert', quorumInputs(sc.cast.council, epochOf(sc)));
    const ejected = sc.cast.council[2]!;
    sc.step('Council_ReElect', { reason: 'c-3 misbehaved', eject: [ejected.signer] }, sc.operator);
    expect(eligibleMembers(sc.state).has(ejected.signer)).toBe(false);
    expect(eligibleMembers(sc.state).size).toBe(2);
    expectFail(quorum(sc, quorumInputs(sc.cast.council, epochOf(sc))), 'quorum', `member ${ejected.signer} was ejected`);
    expectPass(quorum(sc, quorumInputs(sc.cast.council.slice(0, 2), epochOf(sc))), 'quorum');
  });

  it('the claimed member_set_hash must be H(members sorted byte-wise)', () => {
    const sc = atElect();
    const full = quorumInputs(sc.cast.council, epochOf(sc));
    const members = full.members as string[];
    const unsorted = [...members].reverse();
    const wrongHash = H(unsorted);
    expect(wrongHash).not.toBe(full.member_set_hash);
    const r = quorum(sc, { ...full, member_set_hash: wrongHash });
    expectFail(r, 'quorum', `member_set_hash ${wrongHash} is not H(sorted members) ${full.member_set_hash as string}`);
    // The order in which members are listed does not matter: the hash is over the sorted set.
    expectPass(quorum(sc, { ...full, members: unsorted }), 'quorum');
    expect(memberSetHash(unsorted)).toBe(full.member_set_hash);
  });
});

describe('mcp guard (Council_McpGreen)', () => {
  function atToolingSync(): Scenario {
    const sc = new Scenario(spec);
    sc.boot();
    sc.step('Council_ProfilesLoaded', { roles: ['planner'] });
    sc.step('Council_QuorumCert', quorumInputs(sc.cast.council, sc.state.epoch.council));
    return sc;
  }
  const pinnedTools = (sc: Scenario): McpTool[] =>
    Object.entries(sc.genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
  const report = (sc: Scenario, o: { by?: Signer; observed_ms?: number; tools?: McpTool[] } = {}): JsonObject => ({
    report: mcpReport(
      o.by ?? sc.cast.mcp,
      'http://mcp.local',
      o.observed_ms ?? sc.wall_ms - 5,
      o.tools ?? pinnedTools(sc),
    ) as unknown as JsonObject,
  });
  const mcp = (sc: Scenario, inputs: JsonObject) => mcpGuard(ctxOf(sc, 'Council_McpGreen', inputs));

  it('passes with every pinned tool present, reachable and at its pin (extra tools are fine)', () => {
    const sc = atToolingSync();
    expectPass(mcp(sc, report(sc)), 'mcp');
    expectPass(mcp(sc, report(sc, { tools: [...pinnedTools(sc), { name: 'extra', version: '0.0.1', reachable: false }] })), 'mcp');
  });

  it('refuses a report signed by a key other than the genesis MCP signer', () => {
    const sc = atToolingSync();
    const r = mcp(sc, report(sc, { by: sc.cast.stranger }));
    expectFail(r, 'mcp', `report signer ${sc.cast.stranger.signer} is not the genesis MCP signer`);
  });

  it("refuses a report in the MCP signer's name with a bad signature", () => {
    const sc = atToolingSync();
    const forged = { ...(report(sc, { by: sc.cast.stranger }).report as JsonObject), signer: sc.cast.mcp.signer };
    expectFail(mcp(sc, { report: forged }), 'mcp', 'report signature does not verify');
    const genuine = report(sc).report as JsonObject;
    const tampered = { ...genuine, tools: [...pinnedTools(sc), { name: 'x', version: '1', reachable: true }] };
    expectFail(mcp(sc, { report: tampered as unknown as JsonObject }), 'mcp', 'report signature does not verify');
  });

  it('names a missing, unreachable or wrong-version pinned tool', () => {
    const sc = atToolingSync();
    const tools = pinnedTools(sc);
    const [first, second] = tools as [McpTool, McpTool];
    expectFail(mcp(sc, report(sc, { tools: [second] })), 'mcp', `pinned tool ${first.name} missing from the report`);
    expectFail(mcp(sc, report(sc, { tools: [{ ...first, reachable: false }, second] })), 'mcp', `tool ${first.name} unreachable`);
    expectFail(
      mcp(sc, report(sc, { tools: [{ ...first, version: '9.9.9' }, second] })),
      'mcp',
      `tool ${first.name} at 9.9.9, pinned ${first.version}`,
    );
    // Each problem is reported, not just the first.
    const r = mcp(sc, report(sc, { tools: [] }));
    expect(r.reasons).toHaveLength(tools.length);
  });

  it('observed_ms: exactly max_age_ms old passes, one ms older fails', () => {
    const sc = atToolingSync();
    const max = sc.genesis.mcp.max_age_ms;
    expectPass(mcp(sc, report(sc, { observed_ms: sc.wall_ms - max })), 'mcp');
    expectFail(mcp(sc, report(sc, { observed_ms: sc.wall_ms - max - 1 })), 'mcp', `report is ${max + 1} ms old, max_age_ms ${max}`);
  });

  it('observed_ms from the future: up to max_drift_ms passes, beyond fails', () => {
    const sc = atToolingSync();
    const drift = sc.genesis.max_drift_ms;
    expectPass(mcp(sc, report(sc, { observed_ms: sc.wall_ms + drift })), 'mcp');
    expectFail(
      mcp(sc, report(sc, { observed_ms: sc.wall_ms + drift + 1 })),
      'mcp',
      `observed ${drift + 1} ms after the proposal, max_drift_ms ${drift}`,
    );
  });

  it('through the reducer: guard_failed with guard mcp, council stays TOOLING_SYNC', () => {
    const sc = atToolingSync();
    const res = sc.submit(sc.build('Council_McpGreen', report(sc, { tools: [] }), sc.agent));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.rejection.code).toBe('guard_failed');
      expect(res.rejection.guard).toBe('mcp');
      expect(res.rejection.reason).toContain('missing from the report');
    }
    expect(sc.state.council.phase).toBe('TOOLING_SYNC');
  });
});

describe('policy guards', () => {
  function atValidate(): Scenario {
    const sc = new Scenario(spec);
    sc.boot();
    sc.step('Ingestion_SourcesResolved', { sources: ['git://a'] });
    sc.step('Ingestion_BytesOk', { content_hash: fakeHash('bytes') });
    return sc;
  }

  it('policy: findings of denied kinds fail, naming kind, path, detail and policy version', () => {
    const sc = atValidate();
    const findings = [
      { kind: 'secret', path: 'config/.env', detail: 'AWS key' },
      { kind: 'style', path: 'a.md', detail: 'long line' },
      { kind: 'license:gpl', path: 'vendor/x', detail: '' },
    ];
    const r = policyGuard(ctxOf(sc, 'Ingestion_SchemaOk', { findings }));
    expectFail(r, 'policy', 'secret at config/.env: AWS key (denied by policy v1)', 'license:gpl at vendor/x (denied by policy v1)');
    expect(r.reasons).toHaveLength(2);
    expect(r.reasons.join(' ')).not.toContain('style');
  });

  it('policy: no findings, or only kinds the policy allows, pass', () => {
    const sc = atValidate();
    expectPass(policyGuard(ctxOf(sc, 'Ingestion_SchemaOk', { findings: [] })), 'policy');
    const r = policyGuard(
      ctxOf(sc, 'Ingestion_SchemaOk', {
        findings: [
          { kind: 'style', path: 'a', detail: 'b' },
          { kind: 'SECRET', path: '', detail: '' },
        ],
      }),
    );
    expectPass(r, 'policy');
    expect(r.reasons[0]).toContain('2 findings, none denied by policy v1');
  });

  it('policy_version: must strictly increase', () => {
    const sc = atValidate();
    const upd = (version: number) => policyUpdateGuard(ctxOf(sc, 'Policy_Update', { policy: { version, deny: [] } }, sc.operator));
    expectFail(upd(1), 'policy_version', 'policy version 1 is not newer than 1');
    expectFail(upd(0), 'policy_version', 'policy version 0 is not newer than 1');
    expectPass(upd(2), 'policy_version');
    expectPass(upd(1000), 'policy_version');
  });
});

describe('all_ready guard (Execution_AllReady)', () => {
  function allReady(): Scenario {
    return new Scenario(spec).boot().ingest().elect().provision();
  }
  const pinsOf = (s: State): JsonObject => ({
    content_hash: s.ingestion.content_hash as string,
    version: s.ingestion.version as string,
    member_set_hash: s.council.member_set_hash as string,
    env_hash: s.environment.env_hash as string,
  });

  it('passes when the inputs are exactly the READY pins', () => {
    const sc = allReady();
    expectPass(allReadyGuard(ctxOf(sc, 'Execution_AllReady', pinsOf(sc.state))), 'all_ready');
  });

  it.each([
    ['content_hash', fakeHash('other corpus')],
    ['version', 'v2'],
    ['member_set_hash', fakeHash('other council')],
    ['env_hash', fakeHash('other env')],
  ])('a mismatching %s fails and is named with both values', (field, value) => {
    const sc = allReady();
    const pins = pinsOf(sc.state);
    const r = allReadyGuard(ctxOf(sc, 'Execution_AllReady', { ...pins, [field]: value }));
    expectFail(r, 'all_ready', `${field} ${value} does not match the READY pin ${pins[field] as string}`);
    expect(r.reasons).toHaveLength(1);
  });

  it('through the reducer: guard_failed all_ready; while a region is not READY the structural in_state guard answers first', () => {
    const sc = allReady();
    const pins = pinsOf(sc.state);
    const bad = sc.submit(sc.build('Execution_AllReady', { ...pins, env_hash: fakeHash('x') }, sc.agent));
    expect(!bad.ok && bad.rejection.guard).toBe('all_ready');
    sc.step('Environment_Deprovision', { reason: 'node lost' }, sc.operator);
    const notReady = sc.submit(sc.build('Execution_AllReady', pins, sc.agent));
    expect(notReady.ok).toBe(false);
    if (!notReady.ok) {
      expect(notReady.rejection.code).toBe('guard_failed');
      expect(notReady.rejection.guard).toBe('in_state');
      expect(notReady.rejection.reasons).toEqual(['not in FLOW.PROJECT_LIFECYCLE.Environment.READY']);
    }
  });
});

describe('approval guards (Execution_Approve, Execution_ApprovalsThreshold)', () => {
  function inReview(): Scenario {
    const sc = new Scenario(spec).toExecution();
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('plan') });
    sc.seekWindow(5100);
    sc.step('Execution_BeatReviewGate', {});
    return sc;
  }
  const beatOf = (sc: Scenario, wall_ms = sc.wall_ms) => beatPosition(sc.genesis.backbeat, wall_ms).beat;

  it('one approval per operator per beat', () => {
    const sc = inReview();
    const [op1, op2] = sc.cast.operators as unknown as [Signer, Signer];
    expectPass(approvalGuard(ctxOf(sc, 'Execution_Approve', { note: 'lgtm' }, op1)), 'approval');
    sc.step('Execution_Approve', { note: 'lgtm' }, op1);
    const beat = beatOf(sc);
    expectFail(
      approvalGuard(ctxOf(sc, 'Execution_Approve', { note: 'again' }, op1)),
      'approval',
      `${op1.signer} already approved beat ${beat}`,
    );
    expectPass(approvalGuard(ctxOf(sc, 'Execution_Approve', { note: 'me too' }, op2)), 'approval');
    // The next beat is a new beat for the same operator.
    const nextBeat_ms = sc.wall_ms + sc.genesis.backbeat.period_ms;
    expectPass(approvalGuard(ctxOf(sc, 'Execution_Approve', { note: 'next beat' }, op1, nextBeat_ms)), 'approval');
    // Through the reducer.
    const dup = sc.submit(sc.build('Execution_Approve', { note: 'again' }, op1));
    expect(!dup.ok && dup.rejection.code).toBe('guard_failed');
    expect(!dup.ok && dup.rejection.guard).toBe('approval');
  });

  it('approvals: the count of this beat must reach the quorum threshold', () => {
    const sc = inReview();
    const [op1, op2] = sc.cast.operators as unknown as [Signer, Signer];
    sc.step('Execution_Approve', { note: 'one' }, op1);
    sc.seekWindow(7600);
    const beat = beatOf(sc);
    expectFail(
      approvalsGuard(ctxOf(sc, 'Execution_ApprovalsThreshold', {})),
      'approvals',
      `1 operator approvals in beat ${beat}, threshold 2`,
    );
    sc.step('Execution_Approve', { note: 'two' }, op2);
    expectPass(approvalsGuard(ctxOf(sc, 'Execution_ApprovalsThreshold', {})), 'approvals');
    // Approvals of an earlier beat do not count in a later one.
    const later_ms = sc.wall_ms + sc.genesis.backbeat.period_ms;
    expectFail(
      approvalsGuard(ctxOf(sc, 'Execution_ApprovalsThreshold', {}, sc.agent, later_ms)),
      'approvals',
      `0 operator approvals in beat ${beat + 1}`,
    );
  });

  it('through the reducer: too few approvals is guard_failed approvals, and the window outcome is recorded first', () => {
    const sc = inReview();
    sc.step('Execution_Approve', { note: 'one' }, sc.cast.operators[0]!);
    sc.seekWindow(7600);
    const res = sc.submit(sc.build('Execution_ApprovalsThreshold', {}, sc.operator));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.rejection.code).toBe('guard_failed');
    expect(res.rejection.guard).toBe('approvals');
    expect(res.rejection.guard_outcomes?.map((g) => [g.guard, g.ok])).toEqual([
      ['window', true],
      ['license', true],
      ['approvals', false],
    ]);
    expect(sc.state.execution.phase).toBe('REVIEW');
  });
});

describe('migration guards', () => {
  const REGIONS: MigrationRegion[] = ['council', 'ingestion', 'execution'];
  const MODES: RouteMode[] = ['legacy', 'shadow', 'swoosh'];
  const sc = new Scenario(spec);
  const op = sc.operator;
  const withRoutes = (routes: MigrationRoutes, bypass = false): State => ({
    ...sc.state,
    migration: { ...sc.state.migration, routes, bypass, bypass_reason: bypass ? 'incident 7' : null },
  });
  const route = (routes: MigrationRoutes, region: MigrationRegion, mode: RouteMode): GuardResult =>
    migrationOrderGuard(
      ctxOf(sc, 'Migration_Route', { region, mode, justification: 'shadow clean for a week' }, op, sc.wall_ms, withRoutes(routes)),
    );
  const R = (council: RouteMode, ingestion: RouteMode, execution: RouteMode): MigrationRoutes => ({ council, ingestion, execution });

  it('one step at a time along legacy → shadow → swoosh, either way', () => {
    expectPass(route(R('legacy', 'legacy', 'legacy'), 'council', 'shadow'), 'migration_order');
    expectPass(route(R('shadow', 'legacy', 'legacy'), 'council', 'swoosh'), 'migration_order');
    expectPass(route(R('swoosh', 'legacy', 'legacy'), 'council', 'shadow'), 'migration_order');
    expectPass(route(R('shadow', 'legacy', 'legacy'), 'council', 'legacy'), 'migration_order');
    expectFail(route(R('legacy', 'legacy', 'legacy'), 'council', 'swoosh'), 'migration_order', 'council "legacy" → "swoosh" skips a step');
    expectFail(route(R('swoosh', 'legacy', 'legacy'), 'council', 'legacy'), 'migration_order', 'skips a step');
    expectFail(route(R('shadow', 'legacy', 'legacy'), 'council', 'shadow'), 'migration_order', 'council is already "shadow"');
  });

  it('a region becomes "swoosh" only after every region before it in council → ingestion → execution', () => {
    expectFail(
      route(R('shadow', 'shadow', 'legacy'), 'ingestion', 'swoosh'),
      'migration_order',
      'ingestion may become "swoosh" only after council (now "shadow")',
    );
    expectFail(
      route(R('legacy', 'swoosh', 'shadow'), 'execution', 'swoosh'),
      'migration_order',
      'execution may become "swoosh" only after council (now "legacy")',
    );
    expectFail(route(R('swoosh', 'shadow', 'shadow'), 'execution', 'swoosh'), 'migration_order', 'only after ingestion (now "shadow")');
    expectPass(route(R('swoosh', 'shadow', 'shadow'), 'ingestion', 'swoosh'), 'migration_order');
    expectPass(route(R('swoosh', 'swoosh', 'shadow'), 'execution', 'swoosh'), 'migration_order');
    // Shadowing has no order: any region may be mirrored at any time.
    expectPass(route(R('legacy', 'legacy', 'legacy'), 'execution', 'shadow'), 'migration_order');
  });

  it('a region leaves "swoosh" only while no region after it is "swoosh"', () => {
    expectFail(
      route(R('swoosh', 'swoosh', 'legacy'), 'council', 'shadow'),
      'migration_order',
      'council may leave "swoosh" only after ingestion leaves "swoosh"',
    );
    expectFail(
      route(R('swoosh', 'swoosh', 'swoosh'), 'council', 'shadow'),
      'migration_order',
      'only after ingestion and execution leave "swoosh"',
    );
    expectPass(route(R('swoosh', 'swoosh', 'swoosh'), 'execution', 'shadow'), 'migration_order');
    expectPass(route(R('swoosh', 'swoosh', 'shadow'), 'ingestion', 'shadow'), 'migration_order');
  });

  it('over every route set, region and mode: passes exactly on one step that keeps the "swoosh" regions a prefix', () => {
    // Independent oracle: "is swoosh" never turns true again once false along the order.
    const ordered = (r: MigrationRoutes): boolean =>
      REGIONS.every((reg, i) => i === 0 || r[reg] !== 'swoosh' || r[REGIONS[i - 1]!] === 'swoosh');
    let passes = 0;
    for (const c of MODES)
      for (const i of MODES)
        for (const e of MODES) {
          const routes = R(c, i, e);
          if (!ordered(routes)) continue;
          for (const region of REGIONS)
            for (const mode of MODES) {
              const next = { ...routes, [region]: mode };
              const oneStep = Math.abs(MODES.indexOf(mode) - MODES.indexOf(routes[region])) === 1;
              const r = route(routes, region, mode);
              expect(r.ok, `${JSON.stringify(routes)} ${region} → ${mode}: ${r.reasons.join('; ')}`).toBe(oneStep && ordered(next));
              if (r.ok) passes += 1;
            }
        }
    expect(passes).toBeGreaterThan(20);
  });

  it('bypass only when not bypassed; restore only when bypassed', () => {
    const routes = R('swoosh', 'shadow', 'legacy');
    const bypass = (b: boolean) =>
      migrationBypassGuard(ctxOf(sc, 'Migration_Bypass', { reason: 'divergence storm' }, op, sc.wall_ms, withRoutes(routes, b)));
    const restore = (b: boolean) =>
      migrationBypassGuard(ctxOf(sc, 'Migration_Restore', { justification: 'fixed' }, op, sc.wall_ms, withRoutes(routes, b)));
    expectPass(bypass(false), 'migration_bypass');
    expectFail(bypass(true), 'migration_bypass', 'already bypassed (incident 7); Migration_Restore first');
    expectPass(restore(true), 'migration_bypass');
    expect(restore(true).reasons[0]).toBe('routes back in force: council "swoosh", ingestion "shadow", execution "legacy"');
    expectFail(restore(false), 'migration_bypass', 'not bypassed: nothing to restore');
  });
});
