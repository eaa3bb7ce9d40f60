// Wire schemas (docs/protocol.md §4–§6): the proposal envelope, each transition's minimum inputs,
// the signed facts they carry, and the genesis document. One source: the reducer
// validates with these and the host publishes them in /openapi.json.

import { HLC_COUNTER_MAX, parseHlc } from './hlc';
import { MIGRATION_ORDER, ROUTE_MODES, routeOrderProblem } from './state';
import { isEvidenceUri } from './ucxl';
import { validate, type FormatCheck, type JsonSchema, type SchemaError } from './schema';
import type { Genesis, Proposal } from './types';

export const HASH_PATTERN = '^sha256-[0-9a-f]{64}$';
export const SIGNER_PATTERN = '^hmmm:ed25519:[A-Za-z0-9_-]{43}$';
export const SIGNATURE_PATTERN = '^[A-Za-z0-9_-]{86}$';
/** Keys that are never legitimate in a SWOOSH document and are a classic injection vector. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const hash: JsonSchema = { type: 'string', pattern: HASH_PATTERN };
const signer: JsonSchema = { type: 'string', pattern: SIGNER_PATTERN };
const signature: JsonSchema = { type: 'string', pattern: SIGNATURE_PATTERN };
const ms: JsonSchema = { type: 'integer', minimum: 0, maximum: 253402300799999 };
const text = (maxLength: number, minLength = 0): JsonSchema => ({ type: 'string', minLength, maxLength });
const list = (items: JsonSchema, maxItems: number, minItems = 0): JsonSchema => ({ type: 'array', items, maxItems, minItems });
const object = (properties: Record<string, JsonSchema>, required: string[], additionalProperties = true): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties,
});

export const VOTE_SCHEMA = object(
  { voter: signer, member_set_hash: hash, council_epoch: { type: 'integer', minimum: 0 }, signature },
  ['voter', 'member_set_hash', 'council_epoch', 'signature'],
  false,
);

export const LICENSE_TOKEN_SCHEMA = object(
  { licensee: text(256, 1), issued_ms: ms, expires_ms: ms, grace_ms: ms, signature },
  ['licensee', 'issued_ms', 'expires_ms', 'grace_ms', 'signature'],
  false,
);

export const MCP_REPORT_SCHEMA = object(
  {
    registry: text(2048, 1),
    observed_ms: ms,
    tools: list(
      object({ name: text(256, 1), version: text(128, 1), reachable: { type: 'boolean' } }, ['name', 'version', 'reachable'], false),
      1000,
    ),
    signer,
    signature,
  },
  ['registry', 'observed_ms', 'tools', 'signer', 'signature'],
  false,
);

export const FINDING_SCHEMA = object({ kind: text(128, 1), path: text(2048), detail: text(4096) }, ['kind', 'path', 'detail']);

export const POLICY_SCHEMA = object({ version: { type: 'integer', minimum: 0 }, deny: { ...list(text(128, 1), 256), uniqueItems: true } }, [
  'version',
  'deny',
]);

const reason = text(4096, 1);
const empty = object({}, []);
/** A migration justification or reason: bounded, and not blank (it is what an audit reads). */
const said: JsonSchema = { ...reason, pattern: '\\S', description: 'non-blank text, at most 4096 characters' };
const MIGRATION_REGIONS = [...MIGRATION_ORDER];
const routeMode: JsonSchema = { type: 'string', enum: [...ROUTE_MODES] };

/** Genesis `migration`: all three routes, each a mode (the order rule is checked in validateGenesis). */
export const MIGRATION_GENESIS_SCHEMA = object(
  { routes: object({ council: routeMode, ingestion: routeMode, execution: routeMode }, MIGRATION_REGIONS, false) },
  ['routes'],
  false,
);

/** Minimum inputs per transition (docs/protocol.md §6); more fields are allowed and hashed. */
export const INPUT_SCHEMAS: Record<string, JsonSchema> = {
  Boot_ConfigOk: object({ config_hash: hash }, ['config_hash']),
  Boot_Licensed: object({ token: LICENSE_TOKEN_SCHEMA }, ['token']),
  License_Refresh: object({ token: LICENSE_TOKEN_SCHEMA }, ['token']),
  Ingestion_SourcesResolved: object({ sources: { ...list(text(2048, 1), 1000, 1), uniqueItems: true } }, ['sources']),
  Ingestion_BytesOk: object({ content_hash: hash }, ['content_hash']),
  Ingestion_SchemaOk: object({ findings: list(FINDING_SCHEMA, 1000) }, ['findings']),
  Ingestion_CorpusBuilt: object({ content_hash: hash, version: text(128, 1) }, ['content_hash', 'version']),
  Ingestion_RollbackIndex: object({ reason }, ['reason']),
  Council_ProfilesLoaded: object({ roles: { ...list(text(128, 1), 256, 1), uniqueItems: true } }, ['roles']),
  Council_QuorumCert: object(
    { members: { ...list(signer, 256, 1), uniqueItems: true }, member_set_hash: hash, votes: list(VOTE_SCHEMA, 256) },
    ['members', 'member_set_hash', 'votes'],
  ),
  Council_McpGreen: object({ report: MCP_REPORT_SCHEMA }, ['report']),
  Council_ReElect: object({ reason, eject: { ...list(signer, 256), uniqueItems: true } }, ['reason', 'eject']),
  Environment_CapacityOk: object({ allocations: { type: 'array', maxItems: 1000 } }, ['allocations']),
  Environment_Installed: object({ assets: { type: 'array', maxItems: 1000 } }, ['assets']),
  Environment_Green: object({ env_hash: hash }, ['env_hash']),
  Environment_Amber: object({ reasons: list(reason, 100, 1) }, ['reasons']),
  Environment_Deprovision: object({ reason }, ['reason']),
  Execution_AllReady: object({ content_hash: hash, version: text(128, 1), member_set_hash: hash, env_hash: hash }, [
    'content_hash',
    'version',
    'member_set_hash',
    'env_hash',
  ]),
  Execution_PlanLocked: object({ plan_hash: hash }, ['plan_hash']),
  Execution_BeatReviewGate: empty,
  Execution_Approve: object({ note: text(4096) }, ['note']),
  Execution_ApprovalsThreshold: empty,
  Execution_Submit: object({ artifact_hash: hash }, ['artifact_hash']),
  Execution_NextWindow: empty,
  Execution_QuorumLost: object({ reason }, ['reason']),
  Control_Pause: object({ reason }, ['reason']),
  Control_Resume: object({ reason }, ['reason']),
  Control_Recover: object({ reason }, ['reason']),
  Policy_Violation: object({ rationale: reason, findings: list(FINDING_SCHEMA, 1000) }, ['rationale', 'findings']),
  Policy_Update: object({ policy: POLICY_SCHEMA }, ['policy']),
  Quarantine_Release: object({ justification: reason }, ['justification']),
  Quarantine_ConfirmBlock: object({ justification: reason }, ['justification']),
  Migration_Route: object({ region: { type: 'string', enum: MIGRATION_REGIONS }, mode: routeMode, justification: said }, [
    'region',
    'mode',
    'justification',
  ]),
  Migration_Bypass: object({ reason: said }, ['reason']),
  Migration_Restore: object({ justification: said }, ['justification']),
};

export const PROPOSAL_SCHEMA: JsonSchema = object(
  {
    current_state_hash: hash,
    transition: { type: 'string', minLength: 1, maxLength: 64 },
    inputs: { type: 'object' },
    inputs_hash: hash,
    signer,
    idem_key: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    hlc: { type: 'string', maxLength: 64, 'x-format': 'hlc' },
    window_id: { type: ['string', 'null'], maxLength: 64 },
    evidence: { ...list({ type: 'string', maxLength: 2048, 'x-format': 'evidence-uri' }, 64), uniqueItems: true },
    signature,
  },
  ['current_state_hash', 'transition', 'inputs', 'inputs_hash', 'signer', 'idem_key', 'hlc', 'window_id', 'evidence', 'signature'],
  false,
);

export const GENESIS_SCHEMA: JsonSchema = object(
  {
    project: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    signers: {
      ...list(
        object(
          {
            id: text(128, 1),
            signer,
            roles: { ...list({ type: 'string', enum: ['operator', 'agent', 'council'] }, 3, 1), uniqueItems: true },
          },
          ['id', 'signer', 'roles'],
          false,
        ),
        1000,
        1,
      ),
    },
    kaching: object({ signer }, ['signer'], false),
    mcp: object({ signer, max_age_ms: { type: 'integer', minimum: 1 }, pins: { type: 'object' } }, ['signer', 'max_age_ms', 'pins'], false),
    policy: POLICY_SCHEMA,
    quorum: object({ threshold: { type: 'integer', minimum: 1, maximum: 256 } }, ['threshold'], false),
    backbeat: object(
      {
        epoch_ms: ms,
        period_ms: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
        windows: { type: 'object' },
      },
      ['epoch_ms', 'period_ms', 'windows'],
      false,
    ),
    max_drift_ms: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    migration: MIGRATION_GENESIS_SCHEMA,
  },
  ['project', 'signers', 'kaching', 'mcp', 'policy', 'quorum', 'backbeat', 'max_drift_ms'],
  false,
);

const HLC_FORMAT_HINT = `expected YYYY-MM-DDTHH:MM:SS.mmm+00:00#<counter>, a real UTC instant in 1970..9999, counter 0..${HLC_COUNTER_MAX} without leading zeros`;

export const FORMATS: Record<string, FormatCheck> = {
  hlc: (v) => (typeof v === 'string' && parseHlc(v) !== null) || HLC_FORMAT_HINT,
  'evidence-uri': (v) => isEvidenceUri(v),
};

/** First key anywhere in `value` that is in FORBIDDEN_KEYS, as a path; null if none. */
export function findForbiddenKey(value: unknown, path = '$', depth = 0): string | null {
  if (depth > 64 || typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findForbiddenKey(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `${path}.${key}`;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const JSON_DEPTH_MAX = 48;

/**
 * First value anywhere in `value` that cannot appear in a hashed SWOOSH document (docs/protocol.md
 * §1): a number that is not a safe integer (floats, NaN, ±Infinity, 1e21), a string or key
 * with a lone surrogate (no UTF-8 form), anything that is not plain JSON data, or nesting
 * deeper than JCS allows. The schema types only the fields it names; free-form inputs
 * (extra fields, allocations, assets) are checked here, so H(inputs) can never fail later.
 */
export function findNonJson(value: unknown, path = '$', depth = 0): SchemaError | null {
  if (depth > JSON_DEPTH_MAX) return { path, reason: `nested deeper than ${JSON_DEPTH_MAX}` };
  switch (typeof value) {
    case 'string':
      return LONE_SURROGATE.test(value) ? { path, reason: 'string contains a lone surrogate' } : null;
    case 'number':
      return Number.isSafeInteger(value)
        ? null
        : { path, reason: `number ${String(value)} is not a safe integer (numbers in SWOOSH documents are integers)` };
    case 'boolean':
      return null;
    case 'object':
      break;
    default:
      return { path, reason: `${typeof value} is not JSON` };
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return { path, reason: 'not a plain JSON array' };
    for (let i = 0; i < value.length; i += 1) {
      const found = findNonJson(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) {
    return { path, reason: 'not a plain JSON object' };
  }
  for (const key of Object.keys(value)) {
    if (LONE_SURROGATE.test(key)) return { path, reason: 'key contains a lone surrogate' };
    const found = findNonJson((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Envelope + inputs check. Inputs are checked only for a known transition. */
export function validateProposal(input: unknown): { ok: true; proposal: Proposal } | { ok: false; error: SchemaError } {
  const forbidden = findForbiddenKey(input);
  if (forbidden) return { ok: false, error: { path: forbidden, reason: 'forbidden key' } };
  const envelope = validate(PROPOSAL_SCHEMA, input, '$', FORMATS);
  if (envelope) return { ok: false, error: envelope };
  const nonJson = findNonJson(input);
  if (nonJson) return { ok: false, error: nonJson };
  const proposal = input as Proposal;
  const inputsSchema = Object.hasOwn(INPUT_SCHEMAS, proposal.transition) ? INPUT_SCHEMAS[proposal.transition] : undefined;
  if (inputsSchema) {
    const err = validate(inputsSchema, proposal.inputs, '$.inputs', FORMATS);
    if (err) return { ok: false, error: err };
  }
  return { ok: true, proposal };
}

/** Genesis check: schema plus the cross-field rules a schema cannot say. */
export function validateGenesis(input: unknown): { ok: true; genesis: Genesis } | { ok: false; errors: SchemaError[] } {
  const forbidden = findForbiddenKey(input);
  if (forbidden) return { ok: false, errors: [{ path: forbidden, reason: 'forbidden key' }] };
  const err = validate(GENESIS_SCHEMA, input, '$', FORMATS) ?? findNonJson(input);
  if (err) return { ok: false, errors: [err] };
  const g = input as Genesis;
  const errors: SchemaError[] = [];
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const [i, s] of g.signers.entries()) {
    if (ids.has(s.id)) errors.push({ path: `$.signers[${i}].id`, reason: `duplicate id ${s.id}` });
    if (keys.has(s.signer)) errors.push({ path: `$.signers[${i}].signer`, reason: 'duplicate signer key' });
    ids.add(s.id);
    keys.add(s.signer);
  }
  const council = g.signers.filter((s) => s.roles.includes('council')).length;
  if (council < g.quorum.threshold) {
    errors.push({ path: '$.quorum.threshold', reason: `threshold ${g.quorum.threshold} exceeds the ${council} council signers` });
  }
  for (const [name, version] of Object.entries(g.mcp.pins)) {
    if (typeof version !== 'string' || version === '') errors.push({ path: `$.mcp.pins.${name}`, reason: 'expected a version string' });
  }
  for (const [cls, win] of Object.entries(g.backbeat.windows)) {
    const ok = Array.isArray(win) && win.length === 2 && win.every((b) => Number.isInteger(b) && b >= 0 && b <= 10000) && win[0]! < win[1]!;
    if (!ok) errors.push({ path: `$.backbeat.windows.${cls}`, reason: 'expected [from_bp, to_bp) with 0 <= from < to <= 10000' });
  }
  for (const cls of ['review', 'reverb']) {
    if (!(cls in g.backbeat.windows)) errors.push({ path: `$.backbeat.windows.${cls}`, reason: 'required' });
  }
  const order = g.migration ? routeOrderProblem(g.migration.routes) : null;
  if (order) errors.push({ path: '$.migration.routes', reason: order });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, genesis: g };
}
