// OpenAPI 3.1 document, built from the same schema objects the reducer validates with
// (core/wire.ts), so the published contract and the enforced one cannot drift.

import { GENESIS_SCHEMA, INPUT_SCHEMAS, LICENSE_TOKEN_SCHEMA, MCP_REPORT_SCHEMA, PROPOSAL_SCHEMA, VOTE_SCHEMA } from '../../core/wire';

const ERROR_CODES = [
  'malformed',
  'inputs_hash_mismatch',
  'bad_signature',
  'unknown_signer',
  'role_denied',
  'unknown_transition',
  'invalid_from_state',
  'guard_failed',
  'hlc_regression',
  'hlc_from_future',
  'wrong_window',
  'idem_key_conflict',
  'quarantined',
  'terminated',
  'stale_state_hash',
  'payload_too_large',
  'unsupported_media_type',
  'overloaded',
  'not_writer',
  'no_leader',
  'shutting_down',
  'not_found',
  'method_not_allowed',
  'forbidden_origin',
  'misdirected_request',
  'shim_unreachable',
  'internal',
];

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'reason'],
      properties: {
        code: { type: 'string', enum: ERROR_CODES },
        reason: { type: 'string' },
        guard: { type: 'string' },
        reasons: { type: 'array', items: { type: 'string' } },
        head_hash: { type: 'string' },
        leader: { type: 'string', description: 'not_writer from a cluster follower: the leader URL (also in Location)' },
      },
    },
  },
};

const accepted = {
  type: 'object',
  required: ['index', 'state_post_hash', 'decision_id'],
  properties: {
    index: { type: 'integer' },
    state_post_hash: { type: 'string' },
    decision_id: { type: 'string' },
    duplicate: { type: 'boolean', const: true },
  },
};

const snapshot = {
  type: 'object',
  required: ['index', 'hlc', 'state_hash', 'record_hash', 'state'],
  properties: {
    index: { type: 'integer', description: 'WAL index the snapshot is the state after' },
    hlc: { type: ['string', 'null'] },
    state_hash: { type: 'string', description: 'H(state): a reader checks it before using the state' },
    record_hash: { type: 'string', description: 'record_hash of WAL record `index`' },
    state: { type: 'object' },
  },
};

const json = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const err = (description: string) => ({ description, ...json('Error') });
const indexParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'integer', minimum: 0 },
});
const pageParams = (fromDefault: number) => [
  { name: 'from', in: 'query', schema: { type: 'integer', minimum: 0, default: fromDefault } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
];

export function openApiDocument(): Record<string, unknown> {
  const inputs = Object.fromEntries(Object.entries(INPUT_SCHEMAS).map(([name, s]) => [`Inputs_${name}`, s]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'SWOOSH orchestrator API',
      version: '1.0.0',
      description:
        'Signed, idempotent, HLC-ordered proposals judged by a deterministic statechart (docs/protocol.md). Inputs_<Transition> schemas give the minimum inputs of each transition; more fields are allowed and are bound by inputs_hash.',
    },
    servers: [{ url: 'http://127.0.0.1:7420' }],
    paths: {
      '/transition': {
        post: {
          summary: 'Propose a guarded state transition',
          requestBody: { required: true, ...json('Proposal') },
          responses: {
            200: { description: 'Duplicate of an applied proposal: the original outcome', ...json('Accepted') },
            202: { description: 'Accepted; the WAL record is durable', ...json('Accepted') },
            400: err('Rejected (code, guard, reasons)'),
            409: err('stale_state_hash, with head_hash'),
            413: err('Body over 1 MiB'),
            415: err('Not application/json'),
            429: {
              description: 'overloaded; honour Retry-After',
              headers: { 'Retry-After': { schema: { type: 'integer' } } },
              ...json('Error'),
            },
            503: {
              description:
                'not_writer, with the writer URL (a cluster follower: error.leader and Location name the leader); no_leader during an election, honour Retry-After; shutting_down while the host stops',
              headers: { Location: { schema: { type: 'string' } }, 'Retry-After': { schema: { type: 'integer' } } },
              ...json('Error'),
            },
          },
        },
      },
      '/state': {
        get: {
          summary: 'Current state, whole or projected',
          parameters: [
            { name: 'projection', in: 'query', description: 'Comma-separated region names, case-insensitive', schema: { type: 'string' } },
          ],
          responses: { 200: { description: '{hash, index, hlc, state | projection}' }, 400: err('Unknown projection') },
        },
      },
      '/state/at/{index}': {
        get: {
          summary: 'State after WAL record N (time travel)',
          parameters: [indexParam('index', 'WAL index; 0 is the genesis state')],
          responses: { 200: { description: '{index, hash, hlc, state}' }, 404: err('Outside 0..HEAD') },
        },
      },
      '/health': {
        get: {
          summary: 'Readiness and consensus status',
          responses: { 200: { description: '{status, consensus, lastSnapshotHLC, walLag}' }, 503: { description: 'Not ready' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain exposition format' } } } },
      '/wal': {
        get: {
          summary: 'WAL records in order',
          parameters: pageParams(1),
          responses: { 200: { description: '{from, count, head_index, records}' }, 400: err('Bad paging') },
        },
      },
      '/decisions/{index}': {
        get: {
          summary: 'BUBBLE decision record of WAL index N',
          parameters: [indexParam('index', 'WAL index ≥ 1')],
          responses: { 200: { description: 'Decision record' }, 404: err('No such record') },
        },
      },
      '/rejections': {
        get: {
          summary: 'Rejected proposals with code, guard, reasons',
          parameters: pageParams(0),
          responses: { 200: { description: '{from, count, rejections}' } },
        },
      },
      '/events': {
        get: { summary: 'Server-Sent Events: accepted, rejected, health', responses: { 200: { description: 'text/event-stream' } } },
      },
      '/snapshot/latest': {
        get: {
          summary: 'Newest stored snapshot at or before HEAD (a cluster follower behind etcd catches up from it, hash-checked)',
          responses: { 200: { description: 'Snapshot', ...json('Snapshot') }, 404: err('not_found: no snapshot is stored yet') },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
      // Served only by a host started with a migration shim (`swoosh serve --shim URL`, docs/migration.md); 404 otherwise.
      '/migration/divergences': {
        get: {
          summary: "The shim's shadow divergences (its GET /shadow/divergences), through the host; only with --shim",
          parameters: pageParams(0),
          responses: {
            200: { description: "The shim's divergences page, as the shim answered it" },
            400: err('Bad paging'),
            404: err('not_found: no shim configured'),
            405: err('method_not_allowed: only GET'),
            502: err('shim_unreachable'),
          },
        },
      },
      '/migration/health': {
        get: {
          summary: "The shim's GET /health, through the host; only with --shim",
          responses: {
            200: { description: 'The shim is healthy' },
            404: err('not_found: no shim configured'),
            502: err('shim_unreachable'),
            503: { description: 'The shim is not healthy' },
          },
        },
      },
      '/migration/metrics': {
        get: {
          summary: "The shim's Prometheus metrics, through the host; only with --shim",
          responses: {
            200: { description: 'text/plain exposition format' },
            404: err('not_found: no shim configured'),
            502: err('shim_unreachable'),
          },
        },
      },
    },
    components: {
      schemas: {
        Proposal: PROPOSAL_SCHEMA,
        Vote: VOTE_SCHEMA,
        LicenseToken: LICENSE_TOKEN_SCHEMA,
        McpReport: MCP_REPORT_SCHEMA,
        Genesis: GENESIS_SCHEMA,
        Accepted: accepted,
        Error: errorBody,
        Snapshot: snapshot,
        ...inputs,
      },
    },
  };
}
