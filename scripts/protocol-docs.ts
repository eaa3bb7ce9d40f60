// Regenerates the generated blocks of docs/protocol.md from the sources that enforce the
// protocol, so the document cannot drift from the code:
//   transitions      statechart/swoosh.statechart.yaml (via core/spec.ts) + core/wire.ts INPUT_SCHEMAS
//   schema-*         the proposal, vote, licence token, MCP report and genesis schemas of core/wire.ts
//   error-codes      the error code enum of main/api/openapi.ts
//   http-calls       the paths and responses of main/api/openapi.ts
// Each block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in a
// hand-written page; everything outside the markers is left alone.
//
//   node --import tsx scripts/protocol-docs.ts           rewrite docs/protocol.md if it is stale
//   node --import tsx scripts/protocol-docs.ts --check   exit 1 if it is stale, change nothing
//
// scripts/protocol-docs.test.ts fails on a stale page too.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JsonSchema } from '../core/schema';
import type { Spec, TransitionSpec } from '../core/spec';
import {
  GENESIS_SCHEMA,
  HASH_PATTERN,
  INPUT_SCHEMAS,
  LICENSE_TOKEN_SCHEMA,
  MCP_REPORT_SCHEMA,
  PROPOSAL_SCHEMA,
  SIGNATURE_PATTERN,
  SIGNER_PATTERN,
  VOTE_SCHEMA,
} from '../core/wire';
import { openApiDocument } from '../main/api/openapi';
import { loadMachine } from '../main/machine';

export const PROTOCOL_PATH = fileURLToPath(new URL('../docs/protocol.md', import.meta.url));

/** Schemas that have a name of their own; inside other schemas they are shown by that name. */
const NAMED_SCHEMAS: ReadonlyArray<[JsonSchema, string]> = [
  [VOTE_SCHEMA, 'Vote'],
  [LICENSE_TOKEN_SCHEMA, 'LicenseToken'],
  [MCP_REPORT_SCHEMA, 'McpReport'],
];

/** Patterns with a name in the text of the protocol (§1, §2). */
const NAMED_PATTERNS: Readonly<Record<string, string>> = {
  [HASH_PATTERN]: 'hash',
  [SIGNER_PATTERN]: 'signer',
  [SIGNATURE_PATTERN]: 'signature',
};

// Nested schemas are shallow (the deepest is genesis.signers[].roles[]); the bound keeps a
// malformed schema from recursing without end.
const MAX_SCHEMA_DEPTH = 8;

// ---- compact schema notation --------------------------------------------------------------

function range(min: number | undefined, max: number | undefined): string {
  if (min === undefined && max === undefined) return '';
  return `(${min ?? ''}..${max ?? ''})`;
}

function stringType(s: JsonSchema): string {
  const named = s.pattern === undefined ? undefined : NAMED_PATTERNS[s.pattern];
  if (named !== undefined) return named;
  if (s['x-format'] !== undefined) return s['x-format'];
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join('|');
  const lengths = s.minLength === undefined && s.maxLength === undefined ? '' : `[${s.minLength ?? 0}..${s.maxLength ?? ''}]`;
  const pattern = s.pattern === undefined ? '' : ` /${s.pattern}/`;
  return `string${lengths}${pattern}`;
}

function arrayType(s: JsonSchema, depth: number): string {
  const items = s.items === undefined ? 'any' : typeOf(s.items, depth + 1);
  const bounds = [
    s.minItems !== undefined && s.minItems > 0 ? `≥${s.minItems}` : null,
    s.maxItems !== undefined ? `≤${s.maxItems}` : null,
    s.uniqueItems === true ? 'unique' : null,
  ].filter((b) => b !== null);
  return `[${items}]${bounds.length > 0 ? ` (${bounds.join(', ')})` : ''}`;
}

function objectType(s: JsonSchema, depth: number): string {
  const props = Object.entries(s.properties ?? {});
  if (props.length === 0) return s.additionalProperties === false ? '{} (closed)' : '{}';
  const required = new Set(s.required ?? []);
  const fields = props.map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${typeOf(v, depth + 1)}`);
  return `{${fields.join(', ')}}${s.additionalProperties === false ? ' (closed)' : ''}`;
}

/** One-line notation of a schema: `{token: LicenseToken}`, `[hash] (≤256, unique)`, `int(0..)`. */
export function typeOf(s: JsonSchema, depth = 0): string {
  const named = NAMED_SCHEMAS.find(([schema]) => schema === s);
  if (named !== undefined && depth > 0) return named[1];
  if (depth > MAX_SCHEMA_DEPTH) return '…';
  if (Array.isArray(s.type)) return s.type.map((t) => typeOf({ ...s, type: t }, depth)).join(' | ');
  switch (s.type) {
    case 'string':
      return stringType(s);
    case 'integer':
      return `int${range(s.minimum, s.maximum)}`;
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return arrayType(s, depth);
    case 'object':
      return objectType(s, depth);
    default:
      return 'any';
  }
}

const code = (s: string): string => `\`${s}\``;
const cell = (s: string): string => s.replaceAll('|', '\\|');

/** A table of a closed or open object schema: one row per field. */
export function fieldTable(s: JsonSchema): string {
  const required = new Set(s.required ?? []);
  const rows = ['| field | type | required |', '|---|---|---|'];
  for (const [name, field] of Object.entries(s.properties ?? {})) {
    rows.push(`| ${code(name)} | ${cell(code(typeOf(field, 1)))} | ${required.has(name) ? 'yes' : 'no'} |`);
  }
  const extra = s.additionalProperties === false ? 'Other fields: refused (`malformed`).' : 'Other fields: allowed.';
  return `${rows.join('\n')}\n\n${extra}\n`;
}

// ---- the transition table -------------------------------------------------------------------

function targets(t: TransitionSpec): string {
  if (t.branches === null) return t.to.length === 0 ? '(stays)' : t.to.map(code).join(', ');
  return Object.entries(t.branches)
    .map(([b, o]) => `${b}: ${o.to.length === 0 ? '(stays)' : o.to.map(code).join(', ')}`)
    .join('<br>');
}

function alsoAccepted(t: TransitionSpec): string {
  const flags = [
    t.when_quarantined ? 'quarantined' : null,
    t.when_paused ? 'paused' : null,
    t.license_exempt ? 'licence-exempt' : null,
    t.compensation ? 'compensation' : null,
    t.snapshot ? 'snapshot' : null,
  ].filter((f) => f !== null);
  return flags.join(', ') || '—';
}

function guardsOf(t: TransitionSpec): string {
  return [...t.requires_in.map((p) => `in ${code(p)}`), ...t.guards.map(code)].join(', ') || '—';
}

function inputsOf(name: string): string {
  const schema = INPUT_SCHEMAS[name];
  return schema === undefined ? '**no schema**' : cell(code(typeOf(schema)));
}

export function transitionsBlock(spec: Spec): string {
  const rows = ['| transition | from | to | roles | guards | window class | flags | minimum inputs |', '|---|---|---|---|---|---|---|---|'];
  for (const t of Object.values(spec.transitions)) {
    const window = t.window === null ? '—' : t.window.map(code).join(' or ');
    const from = t.from.map(code).join(', ');
    rows.push(
      `| ${code(t.name)} | ${from} | ${targets(t)} | ${t.roles.join(', ')} | ${guardsOf(t)} | ${window} | ${alsoAccepted(t)} | ${inputsOf(t.name)} |`,
    );
  }
  return `${rows.join('\n')}\n`;
}

// ---- the HTTP API (from the OpenAPI document) -----------------------------------------------

interface OpenApiOperation {
  summary?: string;
  responses?: Record<string, { description?: string }>;
}

type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

interface OpenApiShape {
  paths: OpenApiPaths;
  components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } };
}

function openApi(): OpenApiShape {
  return openApiDocument() as unknown as OpenApiShape;
}

export function errorCodesBlock(): string {
  const codes = openApi().components.schemas.Error.properties.error.properties.code.enum;
  return `${codes.map(code).join(', ')}\n`;
}

export function httpCallsBlock(): string {
  const rows = ['| call | summary | answers |', '|---|---|---|'];
  for (const [path, methods] of Object.entries(openApi().paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const answers = Object.entries(op.responses ?? {})
        .map(([status, r]) => `${status} ${r.description ?? ''}`.trim())
        .join('<br>');
      rows.push(`| ${code(`${method.toUpperCase()} ${path}`)} | ${cell(op.summary ?? '')} | ${cell(answers)} |`);
    }
  }
  return `${rows.join('\n')}\n`;
}

// ---- the page ---------------------------------------------------------------------------------

/** The content of every generated block, by marker name. */
export function protocolBlocks(spec: Spec): Record<string, string> {
  return {
    'schema-genesis': fieldTable(GENESIS_SCHEMA),
    'schema-proposal': fieldTable(PROPOSAL_SCHEMA),
    transitions: transitionsBlock(spec),
    'schema-vote': fieldTable(VOTE_SCHEMA),
    'schema-license-token': fieldTable(LICENSE_TOKEN_SCHEMA),
    'schema-mcp-report': fieldTable(MCP_REPORT_SCHEMA),
    'error-codes': errorCodesBlock(),
    'http-calls': httpCallsBlock(),
  };
}

export type RenderResult = { ok: true; text: string } | { ok: false; reason: string };

/** The page with every generated block brought up to date; every block's markers must be there, once. */
export function renderProtocol(page: string, blocks: Record<string, string>): RenderResult {
  let text = page;
  for (const [name, content] of Object.entries(blocks)) {
    const begin = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const i = text.indexOf(begin);
    const j = text.indexOf(end, i + begin.length);
    if (i < 0 || j < 0) return { ok: false, reason: `missing ${begin} … ${end}` };
    if (text.indexOf(begin, i + begin.length) >= 0) return { ok: false, reason: `${begin} appears twice` };
    text = `${text.slice(0, i + begin.length)}\n${content}${text.slice(j)}`;
  }
  return { ok: true, text };
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`protocol-docs: unknown argument ${unknown.join(' ')}; usage: protocol-docs [--check]`);
    return 2;
  }
  const page = readFileSync(PROTOCOL_PATH, 'utf8');
  const rendered = renderProtocol(page, protocolBlocks(loadMachine()));
  if (!rendered.ok) {
    console.error(`protocol-docs: ${PROTOCOL_PATH}: ${rendered.reason}`);
    return 1;
  }
  if (rendered.text === page) {
    console.log('protocol-docs: docs/protocol.md is up to date');
    return 0;
  }
  if (check) {
    console.error('protocol-docs: docs/protocol.md is stale; run `npm run protocol:docs`');
    return 1;
  }
  writeFileSync(PROTOCOL_PATH, rendered.text);
  console.log('protocol-docs: docs/protocol.md regenerated');
  return 0;
}

// Run only as a script, so the test can import the renderer without side effects.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
