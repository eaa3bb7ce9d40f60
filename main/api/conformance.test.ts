// API conformance (docs/protocol.md §8): a full lifecycle from BOOT.UNINITIALIZED to EXECUTION and
// two REVERB loops, driven only through HTTP by the client SDK with real Ed25519
// signatures, against a real server on an ephemeral port and a temporary database.
//
// Time: the BACKBEAT period is 1 s (review [500, 750) ms, reverb [750, 1000) ms of each
// beat). The server and the SDK's HLC run on one ManualClock the test sets to instants
// inside those windows, so no HLC is ever ahead of the server's clock (never
// `hlc_from_future`) and the test never waits for real time to get there.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient, type ProposeAccepted, type ProposeResult, type ServerEvent } from '../../client/client';
import { H } from '../../core/hash';
import { ManualClock } from '../../core/hlc';
import { fakeHash, licenseToken, makeCast, makeGenesis, mcpReport, quorumInputs, wallAt } from '../../core/testing/kit';
import type { Genesis, JsonObject } from '../../core/types';
import { beatPosition } from '../../core/window';
import { INPUT_SCHEMAS } from '../../core/wire';
import { openServer as startServer, type Running } from '../app/server';
import { loadMachine } from '../machine';

const PERIOD_MS = 1000;
const cast = makeCast();
const genesis: Genesis = makeGenesis(cast, { period_ms: PERIOD_MS });
const spec = loadMachine();

let dir: string;
let running: Running;
let clock: ManualClock;
let agent: SwooshClient;
let op1: SwooshClient;
let op2: SwooshClient;
const accepted: Array<{ transition: string; result: ProposeAccepted }> = [];
const events: ServerEvent[] = [];
const stopEvents = new AbortController();
let pump: Promise<void>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeout_ms = 5000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function expectAccepted(transition: string, r: ProposeResult): ProposeAccepted {
  if (!r.ok) throw new Error(`${transition} rejected: ${r.status} ${r.code}: ${r.reason} ${JSON.stringify(r.reasons ?? [])}`);
  expect(r.status).toBe(202);
  expect(r.duplicate).toBe(false);
  expect(r.decision_id).toBe(`bubble://dr/${r.index}`);
  accepted.push({ transition, result: r });
  return r;
}

async function step(by: SwooshClient, transition: string, inputs: JsonObject, evidence?: string[]): Promise<ProposeAccepted> {
  return expectAccepted(transition, await by.propose(transition, inputs, evidence ? { evidence } : {}));
}

/**
 * Sets the shared clock (server and client) to `offset_bp` into a beat: `beat` if given,
 * else the first beat whose such instant is after everything proposed so far. Returns the beat.
 */
function enterWindow(offset_bp: number, beat?: number): number {
  const schedule = genesis.backbeat;
  const after = Math.max(clock.now_ms(), agent.lastHlc.wall_ms + 1);
  let b = beat ?? beatPosition(schedule, after).beat;
  let target = wallAt(schedule, b, offset_bp);
  if (beat === undefined && target < after) {
    b += 1;
    target = wallAt(schedule, b, offset_bp);
  }
  clock.set(target);
  return b;
}

async function reverbLoop(loop: number): Promise<void> {
  await step(agent, 'Execution_PlanLocked', { plan_hash: fakeHash(`plan:${loop}`) });
  const beat = enterWindow(5100);
  const gate = await step(agent, 'Execution_BeatReviewGate', {});
  await step(op1, 'Execution_Approve', { note: `ok loop ${loop}` });
  await step(op2, 'Execution_Approve', { note: `ok loop ${loop} too` });
  enterWindow(7600, beat);
  await step(agent, 'Execution_ApprovalsThreshold', {});
  await step(agent, 'Execution_Submit', { artifact_hash: fakeHash(`artifact:${loop}`) });
  const next = await step(agent, 'Execution_NextWindow', {});
  const decision = await agent.decision(gate.index);
  expect(decision.window_id).toBe(`backbeat:W-${beat}`);
  expect((await agent.decision(next.index)).window_id).toBe(`backbeat:W-${beat}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-conformance-'));
  clock = new ManualClock(Date.now());
  running = await startServer({ db: join(dir, 'swoosh.db'), genesis, host: '127.0.0.1', port: 0, durability: 'FULL', quiet: true, clock });
  agent = new SwooshClient({ url: running.url, signer: cast.agents[0]!, clock, spec });
  op1 = agent.withSigner(cast.operators[0]!);
  op2 = agent.withSigner(cast.operators[1]!);
  pump = (async () => {
    for await (const e of agent.events({ signal: stopEvents.signal })) events.push(e);
  })().catch(() => undefined);
  await until('the event stream to open', () => events.some((e) => e.event === 'health'));
});

afterAll(async () => {
  stopEvents.abort();
  await pump;
  await running?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('API conformance: the whole lifecycle through HTTP with the client SDK', () => {
  it('drives BOOT.UNINITIALIZED → EXECUTION and two REVERB loops with real signatures', async () => {
    const s0 = await agent.state();
    expect(s0.index).toBe(0);
    expect(s0.hlc).toBeNull();
    expect(s0.state.boot.phase).toBe('UNINITIALIZED');
    expect(s0.hash).toBe(H(s0.state));

    clock.set(Date.now());
    const now = clock.now_ms();
    await step(op1, 'Boot_ConfigOk', { config_hash: H(genesis) });
    const token = licenseToken(cast.kaching, {
      licensee: genesis.project,
      issued_ms: now - 1000,
      expires_ms: now + 30 * 86_400_000,
      grace_ms: 86_400_000,
    });
    await step(agent, 'Boot_Licensed', { token: token as unknown as JsonObject });

    // A stale HEAD is followed: the SDK re-reads it and re-proposes with the same idem_key.
    const stale = expectAccepted(
      'Ingestion_SourcesResolved',
      await agent.propose(
        'Ingestion_SourcesResolved',
        { sources: ['git://corpus/a', 'git://corpus/b'] },
        {
          current_state_hash: s0.hash,
          rebase: true,
          idem_key: 'demo:sources:1',
        },
      ),
    );
    expect(stale.attempts).toBe(2);
    expect(stale.proposal.idem_key).toBe('demo:sources:1');

    await step(agent, 'Ingestion_BytesOk', { content_hash: fakeHash('bytes:v1') });
    await step(agent, 'Ingestion_SchemaOk', { findings: [] });
    await step(agent, 'Ingestion_CorpusBuilt', { content_hash: fakeHash('corpus:v1'), version: 'v1' }, [
      `ucxl://agent-1:ingest@${genesis.project}:index/corpus*^/`,
    ]);

    await step(agent, 'Council_ProfilesLoaded', { roles: ['planner', 'reviewer'] });
    // Votes name the council region's current epoch (old votes cannot be replayed).
    const councilEpoch = (await agent.state()).state.epoch.council;
    await step(agent, 'Council_QuorumCert', quorumInputs(cast.council, councilEpoch));
    const tools = Object.entries(genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
    await step(agent, 'Council_McpGreen', {
      report: mcpReport(cast.mcp, 'http://127.0.0.1:7431', clock.now_ms() - 5, tools) as unknown as JsonObject,
    });

    await step(agent, 'Environment_CapacityOk', { allocations: [{ node: 'n1', cpu: 2 }] });
    await step(agent, 'Environment_Installed', { assets: ['image:swoosh-worker@1'] });
    await step(agent, 'Environment_Green', { env_hash: fakeHash('env:1') });

    const ready = await agent.state(['ingestion', 'council', 'environment']);
    expect(ready.projection.ingestion!.phase).toBe('READY');
    expect(ready.projection.council!.phase).toBe('READY');
    expect(ready.projection.environment!.phase).toBe('READY');
    await step(agent, 'Execution_AllReady', {
      content_hash: ready.projection.ingestion!.content_hash!,
      version: ready.projection.ingestion!.version!,
      member_set_hash: ready.projection.council!.member_set_hash!,
      env_hash: ready.projection.environment!.env_hash!,
    });
    expect((await agent.state('execution')).projection.execution!.phase).toBe('PLAN');

    await reverbLoop(0);
    await reverbLoop(1);

    const end = await agent.state();
    expect(end.state.execution.phase).toBe('PLAN');
    expect(end.state.execution.loop).toBe(2);
    expect(end.state.execution.submissions).toBe(2);
    expect(end.index).toBe(accepted.length);
    expect(end.hash).toBe(accepted[accepted.length - 1]!.result.state_post_hash);
    expect(end.hash).toBe(H(end.state));
    expect(end.hlc).toBe(accepted[accepted.length - 1]!.result.proposal.hlc);
  });

  it('answers a re-sent proposal with its original outcome (200, duplicate) and changes nothing', async () => {
    const before = await agent.state();
    const first = accepted[3]!.result;
    const again = await agent.submit(first.proposal);
    expect(again).toMatchObject({ ok: true, status: 200, duplicate: true, index: first.index, state_post_hash: first.state_post_hash });
    const after = await agent.state();
    expect(after.hash).toBe(before.hash);
    expect(after.index).toBe(before.index);
  });

  it('GET /state: whole state and case-insensitive projections of the same HEAD', async () => {
    const whole = await agent.state();
    const projected = await agent.state('Council,INGESTION');
    expect(projected.hash).toBe(whole.hash);
    expect(projected.index).toBe(whole.index);
    expect(projected.hlc).toBe(whole.hlc);
    expect(Object.keys(projected.projection).sort()).toEqual(['council', 'ingestion']);
    expect(projected.projection.council).toEqual(whole.state.council);
    expect(projected.projection.ingestion).toEqual(whole.state.ingestion);
    const all = await agent.state(['boot', 'ingestion', 'council', 'environment', 'execution', 'control', 'policy']);
    for (const key of Object.keys(all.projection))
      expect(all.projection[key as keyof typeof all.projection]).toEqual(whole.state[key as keyof typeof whole.state]);
  });

  it('GET /state/at/N is the state after record N, and its hash is the one accepted at N', async () => {
    const zero = await agent.stateAt(0);
    expect(zero.index).toBe(0);
    expect(zero.state.boot.phase).toBe('UNINITIALIZED');
    expect(zero.hash).toBe(H(zero.state));
    for (const { result } of accepted) {
      const at = await agent.stateAt(result.index);
      expect(at.index).toBe(result.index);
      expect(at.hash).toBe(result.state_post_hash);
      expect(H(at.state)).toBe(at.hash);
    }
  });

  it('GET /decisions/N: BUBBLE decision records with the UCXL backlink and every guard outcome', async () => {
    for (const { transition, result } of accepted) {
      const dr = await agent.decision(result.index);
      expect(dr.id).toBe(`bubble://dr/${result.index}`);
      expect(dr.transition).toBe(transition);
      expect(dr.ucxl).toBe(`ucxl://swoosh:orchestrator@${genesis.project}:${transition}/wal/${result.index}*^/`);
      expect(dr.state_post_hash).toBe(result.state_post_hash);
      expect(dr.inputs_hash).toBe(result.proposal.inputs_hash);
      expect(dr.signer).toBe(result.proposal.signer);
      expect(dr.hlc).toBe(result.proposal.hlc);
      expect(dr.evidence).toEqual(result.proposal.evidence);
      expect(typeof dr.justification).toBe('string');
      const guards = dr.guards.map((g) => g.guard);
      if (spec.transitions[transition]!.window) expect(guards).toContain('window');
      for (const g of spec.transitions[transition]!.guards) expect(guards).toContain(g);
      expect(dr.guards.every((g) => g.ok)).toBe(true);
    }
    const quorum = accepted.find((a) => a.transition === 'Council_QuorumCert')!;
    expect((await agent.decision(quorum.result.index)).guards.find((g) => g.guard === 'quorum')?.ok).toBe(true);
    const corpus = accepted.find((a) => a.transition === 'Ingestion_CorpusBuilt')!;
    expect((await agent.decision(corpus.result.index)).evidence).toEqual([`ucxl://agent-1:ingest@${genesis.project}:index/corpus*^/`]);
  });

  it('GET /wal pages through a linked hash chain', async () => {
    const head = (await agent.state()).index;
    const all = [];
    for (let from = 1; from <= head; from += 4) {
      const page = await agent.wal(from, 4);
      expect(page.from).toBe(from);
      expect(page.head_index).toBe(head);
      expect(page.count).toBe(Math.min(4, head - from + 1));
      expect(page.records.map((r) => r.index)).toEqual(Array.from({ length: page.count }, (_, i) => from + i));
      all.push(...page.records);
    }
    expect((await agent.wal(head + 1, 10)).count).toBe(0);
    expect(all.length).toBe(head);
    const zero = await agent.stateAt(0);
    expect(all[0]!.prev_record_hash).toBe(zero.hash);
    expect(all[0]!.state_pre_hash).toBe(zero.hash);
    for (let i = 1; i < all.length; i += 1) {
      expect(all[i]!.prev_record_hash).toBe(all[i - 1]!.record_hash);
      expect(all[i]!.state_pre_hash).toBe(all[i - 1]!.state_post_hash);
    }
    for (const r of all) {
      const { record_hash, ...rest } = r;
      expect(H(rest)).toBe(record_hash);
      expect(r.inputs_hash).toBe(H(r.proposal.inputs));
    }
    expect(all.map((r) => r.transition)).toEqual(accepted.map((a) => a.transition));
  });

  it('a rejection changes nothing, is logged in GET /rejections and streamed as an SSE event', async () => {
    const before = await agent.state();
    const r = await agent.propose('Control_Pause', { reason: 'agents may not pause' }, { idem_key: 'demo:pause:by-agent' });
    expect(r).toMatchObject({ ok: false, status: 400, code: 'role_denied' });
    const after = await agent.state();
    expect(after.hash).toBe(before.hash);
    expect(after.index).toBe(before.index);
    const page = await agent.rejections(0, 1000);
    const row = page.rejections.find((j) => j.idem_key === 'demo:pause:by-agent');
    expect(row).toMatchObject({
      code: 'role_denied',
      transition: 'Control_Pause',
      signer: cast.agents[0]!.signer,
      head_index: before.index,
    });
    const outOfWindow = await agent.propose('Execution_PlanLocked', { plan_hash: fakeHash('p') }, { window_id: 'backbeat:W-1' });
    expect(outOfWindow).toMatchObject({ ok: false, status: 400, code: 'wrong_window' });
    const rejected = () =>
      events.filter((e) => e.event === 'rejected').map((e) => e.data as { code: string; idem_key: string; status: number });
    await until('the rejected events', () => rejected().some((j) => j.code === 'wrong_window'));
    // The first attempt of the rebased proposal earlier was a 409, also streamed.
    expect(rejected()[0]).toMatchObject({ code: 'stale_state_hash', idem_key: 'demo:sources:1', status: 409 });
    expect(rejected().slice(-2)).toMatchObject([
      { code: 'role_denied', idem_key: 'demo:pause:by-agent', status: 400 },
      { code: 'wrong_window', idem_key: outOfWindow.proposal!.idem_key, status: 400 },
    ]);
  });

  it('GET /events delivered one `accepted` event per accepted transition, in WAL order', async () => {
    await until('all accepted events', () => events.filter((e) => e.event === 'accepted').length >= accepted.length);
    const acc = events.filter((e) => e.event === 'accepted');
    expect(acc.map((e) => Number(e.id))).toEqual(accepted.map((a) => a.result.index));
    expect(acc.map((e) => (e.data as { transition: string }).transition)).toEqual(accepted.map((a) => a.transition));
    expect(acc.map((e) => (e.data as { state_post_hash: string }).state_post_hash)).toEqual(accepted.map((a) => a.result.state_post_hash));
  });

  it("GET /openapi.json is an OpenAPI 3.1 document of every route and every transition's inputs", async () => {
    const doc = (await agent.openapi()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { type?: string }> };
    };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const routes: Array<[string, string]> = [
      ['/transition', 'post'],
      ['/state', 'get'],
      ['/state/at/{index}', 'get'],
      ['/health', 'get'],
      ['/metrics', 'get'],
      ['/wal', 'get'],
      ['/decisions/{index}', 'get'],
      ['/rejections', 'get'],
      ['/events', 'get'],
      ['/openapi.json', 'get'],
    ];
    for (const [path, method] of routes) {
      expect(doc.paths[path], path).toBeDefined();
      expect(Object.keys(doc.paths[path]![method]!.responses).length, `${method} ${path}`).toBeGreaterThan(0);
    }
    expect(Object.keys(doc.paths['/transition']!.post!.responses).sort()).toEqual(['200', '202', '400', '409', '413', '415', '429', '503']);
    for (const name of Object.keys(spec.transitions)) {
      expect(doc.components.schemas[`Inputs_${name}`], `Inputs_${name}`).toMatchObject({ type: 'object' });
    }
    expect(Object.keys(INPUT_SCHEMAS).sort()).toEqual(Object.keys(spec.transitions).sort());
    for (const name of ['Proposal', 'Error', 'Accepted']) expect(doc.components.schemas[name], name).toBeDefined();
    // Every $ref resolves inside the document.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
  });

  it('GET /metrics exposes the seven metrics of docs/protocol.md §8', async () => {
    const text = await agent.metrics();
    for (const name of [
      'swoosh_transition_total',
      'swoosh_guard_fail_total',
      'swoosh_state_advance_latency_seconds',
      'swoosh_retry_count',
      'swoosh_quarantine_total',
      'swoosh_recovery_time_seconds',
      'swoosh_wal_lag_records',
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(text).toMatch(/^swoosh_transition_total\{transition="Execution_NextWindow"\} 2$/m);
    expect(text).toMatch(/^swoosh_transition_total\{transition="Boot_ConfigOk"\} 1$/m);
    expect(text).toMatch(/^swoosh_retry_count\{transition="Ingestion_SourcesResolved"\} 1$/m);
  });

  it('GET /health answers 200 with status, consensus, lastSnapshotHLC and walLag', async () => {
    const h = await agent.health();
    expect(h.http_status).toBe(200);
    expect(h.body.status).toBe('ok');
    expect(h.body).toHaveProperty('consensus');
    expect(h.body.walLag).toBe(0);
    // Execution_NextWindow is a snapshot point: the last one is the second loop's.
    const last = accepted.filter((a) => a.transition === 'Execution_NextWindow').pop()!;
    expect(h.body.lastSnapshotHLC).toBe(last.result.proposal.hlc);
  });
});
