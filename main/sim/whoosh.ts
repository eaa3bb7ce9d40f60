// The legacy WHOOSH orchestrator, simulated: the event-driven system SWOOSH replaces, on a
// real loopback HTTP server, for the migration shim's tests and rehearsals
// (docs/migration.md). Every mutation is an event appended to an in-memory log and folded
// into per-project state; a restart (POST /_restart) rebuilds the state by replaying that
// log. There are no guards, no signatures and no ordering: that is the point.
//
// Idempotency-Key is honoured loosely, as legacy systems do: a small in-memory cache of
// recent keys (not bound to the route or body, lost on restart).
//
// Knobs (GET/POST /_knobs, beside latency_ms / down / bearer) reproduce the failures that
// motivated SWOOSH, each visible in WHOOSH's own state:
//   split_brain_council  an election is accepted by two partitions: two member sets
//                        (`council.member_sets`), the reported one not the one asked for
//   index_swap           the index is rebuilt behind the caller's back: READY's content
//                        hash changes without a new version (`ingestion.builds`)
//   duplicate_delivery   the event bus delivers every event twice (counters doubled)
//   restart_reorder      a restart replays the event log in reverse order
//
// API (JSON bodies; :p is the project, created on first use):
//   GET  /api/projects/:p/council | /ingestion | /execution      region state
//   GET  /api/projects/:p/events?from=N&limit=M                   the event log
//   POST /api/projects/:p/council/roles      {roles: [string]}
//   POST /api/projects/:p/council/members    {members: [string]}  nominations (roster)
//   POST /api/projects/:p/council/elect      {members: [string], …}
//   POST /api/projects/:p/council/tooling    {report}
//   POST /api/projects/:p/council/reelect    {reason}             back to ELECT, members cleared
//   POST /api/projects/:p/ingestion/sources  {sources: [string]}
//   POST /api/projects/:p/ingestion/fetch    {content_hash}
//   POST /api/projects/:p/ingestion/validate {findings: […]}
//   POST /api/projects/:p/ingestion/index    {content_hash, version}
//   POST /api/projects/:p/ingestion/rollback {reason}
//   POST /api/projects/:p/tasks/:task/plan   {plan_hash}
//   POST /api/projects/:p/tasks/:task/review {}
//   POST /api/projects/:p/tasks/:task/submit {artifact_hash}
//   POST /_restart                            replay the log into fresh state
// A mutation answers 200 {ok: true, project, event, <region>: <region state>}.

import { H } from '../../core/hash';
import { memberSetHash } from '../../core/guards/quorum';
import { SimServer, type BaseKnobs, type SimReply, type SimRequest } from './base';

export interface WhooshKnobs extends BaseKnobs {
  split_brain_council: boolean;
  index_swap: boolean;
  duplicate_delivery: boolean;
  restart_reorder: boolean;
}

export type WhooshRegion = 'council' | 'ingestion' | 'execution';

export interface WhooshCouncil {
  phase: string;
  roles: string[];
  nominated: string[];
  members: string[];
  member_set_hash: string | null;
  /** Every member set accepted by the last election: more than one is a split brain. */
  member_sets: string[][];
  elections: number;
  tooling_registry: string | null;
}

export interface WhooshIngestion {
  phase: string;
  sources: string[];
  fetched_hash: string | null;
  content_hash: string | null;
  version: string | null;
  rollbacks: number;
  /** READY builds, newest last (bounded): a version with two hashes is a swapped index. */
  builds: Array<{ version: string; content_hash: string }>;
}

export interface WhooshExecution {
  phase: string | null;
  task: string | null;
  plan_hash: string | null;
  reviews: number;
  submissions: number;
  last_artifact_hash: string | null;
}

export interface WhooshProject {
  council: WhooshCouncil;
  ingestion: WhooshIngestion;
  execution: WhooshExecution;
}

export interface WhooshEvent {
  seq: number;
  project: string;
  kind: string;
  data: Record<string, unknown>;
}

/** Bounds: a legacy system is sloppy, a simulator of it still must not grow without limit. */
export const WHOOSH_PROJECTS_MAX = 64;
export const WHOOSH_EVENTS_MAX = 20_000;
export const WHOOSH_IDEM_CACHE_MAX = 64;
const BUILDS_MAX = 16;
const LIST_MAX = 256;

function freshProject(): WhooshProject {
  return {
    council: {
      phase: 'PLAN_ROLES',
      roles: [],
      nominated: [],
      members: [],
      member_set_hash: null,
      member_sets: [],
      elections: 0,
      tooling_registry: null,
    },
    ingestion: { phase: 'DISCOVER', sources: [], fetched_hash: null, content_hash: null, version: null, rollbacks: 0, builds: [] },
    execution: { phase: null, task: null, plan_hash: null, reviews: 0, submissions: 0, last_artifact_hash: null },
  };
}

type Body = Record<string, unknown>;
type Check = (body: Body) => string | null;

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= LIST_MAX && v.every((x) => typeof x === 'string');
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024;

/** What each mutation requires of its body (legacy validation: shapes only). */
const MUTATIONS: Record<string, { region: WhooshRegion; kind: string; check: Check }> = {
  'council/roles': {
    region: 'council',
    kind: 'roles_loaded',
    check: (b) => (isStringList(b.roles) ? null : 'roles must be a list of strings'),
  },
  'council/members': {
    region: 'council',
    kind: 'members_nominated',
    check: (b) => (isStringList(b.members) ? null : 'members must be a list of strings'),
  },
  'council/elect': {
    region: 'council',
    kind: 'council_elected',
    check: (b) => (isStringList(b.members) && b.members.length > 0 ? null : 'members must be a non-empty list of strings'),
  },
  'council/tooling': {
    region: 'council',
    kind: 'tooling_green',
    check: (b) => (typeof b.report === 'object' && b.report !== null ? null : 'report must be an object'),
  },
  'council/reelect': {
    region: 'council',
    kind: 'council_reelect_called',
    check: (b) => (isText(b.reason) ? null : 'reason must be a string'),
  },
  'ingestion/sources': {
    region: 'ingestion',
    kind: 'sources_resolved',
    check: (b) => (isStringList(b.sources) ? null : 'sources must be a list of strings'),
  },
  'ingestion/fetch': {
    region: 'ingestion',
    kind: 'bytes_fetched',
    check: (b) => (isText(b.content_hash) ? null : 'content_hash must be a string'),
  },
  'ingestion/validate': {
    region: 'ingestion',
    kind: 'schema_validated',
    check: (b) => (Array.isArray(b.findings) ? null : 'findings must be a list'),
  },
  'ingestion/index': {
    region: 'ingestion',
    kind: 'index_built',
    check: (b) => (isText(b.content_hash) && isText(b.version) ? null : 'content_hash and version must be strings'),
  },
  'ingestion/rollback': {
    region: 'ingestion',
    kind: 'index_rolled_back',
    check: (b) => (isText(b.reason) ? null : 'reason must be a string'),
  },
  'task/plan': { region: 'execution', kind: 'plan_locked', check: (b) => (isText(b.plan_hash) ? null : 'plan_hash must be a string') },
  'task/review': { region: 'execution', kind: 'review_opened', check: () => null },
  'task/submit': {
    region: 'execution',
    kind: 'artifact_submitted',
    check: (b) => (isText(b.artifact_hash) ? null : 'artifact_hash must be a string'),
  },
};

/** Folds one event into a project's state. No guards: WHOOSH accepts what it is told. */
export function applyWhooshEvent(p: WhooshProject, e: WhooshEvent): void {
  const d = e.data;
  const c = p.council;
  const i = p.ingestion;
  const x = p.execution;
  switch (e.kind) {
    case 'roles_loaded':
      c.roles = d.roles as string[];
      c.phase = 'ELECT';
      break;
    case 'members_nominated':
      c.nominated = d.members as string[];
      break;
    case 'council_elected': {
      const sets = (d.member_sets as string[][]).map((s) => [...s].sort());
      const reported = sets[sets.length - 1] as string[];
      c.member_sets = sets;
      c.members = reported;
      c.member_set_hash = memberSetHash(reported);
      c.elections += 1;
      c.phase = 'TOOLING_SYNC';
      break;
    }
    case 'tooling_green':
      c.tooling_registry = typeof (d.report as Body).registry === 'string' ? ((d.report as Body).registry as string) : null;
      c.phase = 'READY';
      break;
    case 'council_reelect_called':
      // A rotation: the sitting council stands down until the next election.
      c.members = [];
      c.member_set_hash = null;
      c.member_sets = [];
      c.tooling_registry = null;
      c.phase = 'ELECT';
      break;
    case 'sources_resolved':
      i.sources = d.sources as string[];
      i.phase = 'FETCH';
      break;
    case 'bytes_fetched':
      i.fetched_hash = d.content_hash as string;
      i.phase = 'VALIDATE';
      break;
    case 'schema_validated':
      i.phase = 'INDEX';
      break;
    case 'index_built':
    case 'index_swapped':
      i.content_hash = d.content_hash as string;
      i.version = d.version as string;
      i.phase = 'READY';
      i.builds = [...i.builds, { version: d.version as string, content_hash: d.content_hash as string }].slice(-BUILDS_MAX);
      break;
    case 'index_rolled_back':
      i.rollbacks += 1;
      i.content_hash = null;
      i.version = null;
      i.phase = 'VALIDATE';
      break;
    case 'plan_locked':
      x.plan_hash = d.plan_hash as string;
      x.task = d.task as string;
      x.phase = 'WORK';
      break;
    case 'review_opened':
      x.reviews += 1;
      x.task = d.task as string;
      x.phase = 'REVIEW';
      break;
    case 'artifact_submitted':
      x.submissions += 1;
      x.last_artifact_hash = d.artifact_hash as string;
      x.task = d.task as string;
      x.phase = 'REVERB';
      break;
    default:
      break;
  }
}

/** The WHOOSH simulator: its SimServer plus read access to its state for tests. */
export class WhooshSim {
  readonly server: SimServer<WhooshKnobs>;
  private projects = new Map<string, WhooshProject>();
  private log: WhooshEvent[] = [];
  private nextSeq = 1;
  private idem = new Map<string, SimReply>();
  /** Mutations received per route key (e.g. "council/elect"), knob and reads excluded. */
  readonly mutations = new Map<string, number>();

  constructor(knobs: Partial<WhooshKnobs> = {}) {
    this.server = new SimServer<WhooshKnobs>(
      'whoosh',
      {
        latency_ms: 0,
        down: false,
        split_brain_council: false,
        index_swap: false,
        duplicate_delivery: false,
        restart_reorder: false,
        ...knobs,
      },
      (req) => this.handle(req),
    );
  }

  get url(): string {
    return this.server.url;
  }

  listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  project(name: string): WhooshProject | null {
    return this.projects.get(name) ?? null;
  }

  events(): readonly WhooshEvent[] {
    return this.log;
  }

  /** A restart: the idempotency cache is lost and state is rebuilt from the event log. */
  restart(): void {
    this.idem.clear();
    this.projects = new Map();
    const order = this.server.knobs.restart_reorder ? [...this.log].reverse() : this.log;
    for (const e of order) applyWhooshEvent(this.projectFor(e.project) as WhooshProject, e);
  }

  private projectFor(name: string): WhooshProject | null {
    const existing = this.projects.get(name);
    if (existing) return existing;
    if (this.projects.size >= WHOOSH_PROJECTS_MAX) return null;
    const p = freshProject();
    this.projects.set(name, p);
    return p;
  }

  private handle(req: SimRequest): SimReply {
    if (req.url.pathname === '/_restart' && req.method === 'POST') {
      this.restart();
      return { status: 200, body: { ok: true, events: this.log.length, reordered: this.server.knobs.restart_reorder } };
    }
    const m = /^\/api\/projects\/([A-Za-z0-9._-]{1,64})\/(.+)$/.exec(req.url.pathname);
    if (!m) return notFound(req.url.pathname);
    const name = m[1] as string;
    const rest = m[2] as string;
    if (req.method === 'GET') return this.read(name, rest, req.url);
    if (req.method !== 'POST')
      return { status: 405, body: { error: { code: 'method_not_allowed', reason: `${req.method} ${req.url.pathname}` } } };
    return this.mutate(name, rest, req);
  }

  private read(name: string, rest: string, url: URL): SimReply {
    const p = this.projects.get(name) ?? freshProject();
    if (rest === 'council' || rest === 'ingestion' || rest === 'execution') return { status: 200, body: { project: name, ...p[rest] } };
    if (rest === 'events') {
      const from = Math.max(1, Number(url.searchParams.get('from') ?? 1) || 1);
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
      return { status: 200, body: { events: this.log.filter((e) => e.project === name && e.seq >= from).slice(0, limit) } };
    }
    return notFound(url.pathname);
  }

  private mutate(name: string, rest: string, req: SimRequest): SimReply {
    const task = /^tasks\/([A-Za-z0-9._-]{1,128})\/(plan|review|submit)$/.exec(rest);
    const key = task ? `task/${task[2] as string}` : rest;
    const spec = MUTATIONS[key];
    if (!spec) return notFound(req.url.pathname);
    this.mutations.set(key, (this.mutations.get(key) ?? 0) + 1);
    const idemKey = headerOf(req, 'idempotency-key');
    const cached = idemKey === null ? undefined : this.idem.get(idemKey);
    if (cached) return cached;
    const body = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : null) as Body | null;
    const problem = body === null ? 'body must be a JSON object' : spec.check(body);
    if (problem !== null || body === null)
      return { status: 400, body: { error: { code: 'malformed', reason: problem ?? 'body must be a JSON object' } } };
    const p = this.projectFor(name);
    if (!p) return { status: 507, body: { error: { code: 'too_many_projects', reason: `at most ${WHOOSH_PROJECTS_MAX} projects` } } };
    if (this.log.length >= WHOOSH_EVENTS_MAX)
      return { status: 507, body: { error: { code: 'event_log_full', reason: `at most ${WHOOSH_EVENTS_MAX} events` } } };
    const seq = this.emit(name, p, spec.kind, this.eventData(spec.kind, body, p, task?.[1] ?? null));
    if (spec.kind === 'index_built' && this.server.knobs.index_swap) {
      // A background rebuild swaps the index under the same version: nobody asked for it.
      this.emit(name, p, 'index_swapped', { content_hash: H({ swapped: body.content_hash as string }), version: body.version as string });
    }
    const reply: SimReply = { status: 200, body: { ok: true, project: name, event: seq, [spec.region]: p[spec.region] } };
    if (idemKey !== null) this.remember(idemKey, reply);
    return reply;
  }

  private eventData(kind: string, body: Body, p: WhooshProject, task: string | null): Record<string, unknown> {
    if (kind !== 'council_elected') return task === null ? { ...body } : { ...body, task };
    const asked = body.members as string[];
    if (!this.server.knobs.split_brain_council) return { member_sets: [asked] };
    // The partition that missed the election accepts the roster it last saw (or the set
    // without its last member): two councils, each sure it is the one.
    const roster = p.council.nominated;
    const other = roster.length > 0 && memberSetHash(roster) !== memberSetHash(asked) ? roster : asked.slice(0, -1);
    return { member_sets: [asked, other] };
  }

  /** Appends an event and applies it (twice with duplicate_delivery); returns its seq. */
  private emit(project: string, p: WhooshProject, kind: string, data: Record<string, unknown>): number {
    const e: WhooshEvent = { seq: this.nextSeq++, project, kind, data };
    this.log.push(e);
    applyWhooshEvent(p, e);
    if (this.server.knobs.duplicate_delivery && this.log.length < WHOOSH_EVENTS_MAX) {
      this.log.push(e);
      applyWhooshEvent(p, e);
    }
    return e.seq;
  }

  private remember(key: string, reply: SimReply): void {
    if (this.idem.size >= WHOOSH_IDEM_CACHE_MAX) this.idem.delete(this.idem.keys().next().value as string);
    this.idem.set(key, structuredClone(reply));
  }
}

function headerOf(req: SimRequest, name: string): string | null {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? null : s;
}

function notFound(path: string): SimReply {
  return { status: 404, body: { error: { code: 'not_found', reason: path } } };
}

export function whooshSim(knobs: Partial<WhooshKnobs> = {}): WhooshSim {
  return new WhooshSim(knobs);
}
