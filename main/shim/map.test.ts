// The map file: the shipped example validates against the real statechart; every kind of
// mistake is reported with the entry it is in; matching, inputs and templates.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMachine } from '../machine';
import { atPointer, buildInputs, comparePath, MapError, matchRoute, parseMap, parsePointer, renderTemplate } from './map';

const EXAMPLE = fileURLToPath(new URL('../../docs/examples/whoosh-map.yaml', import.meta.url));
const transitions = new Set(Object.keys(loadMachine().transitions));

function errorsOf(text: string): string[] {
  try {
    parseMap(text, transitions);
  } catch (err) {
    if (err instanceof MapError) return err.errors;
    throw err;
  }
  throw new Error('the map was accepted');
}

const route = (over: string) => `version: 1
project: demo
routes:
  - name: ok.route
    method: POST
    path: /api/projects/:project/council/elect
    region: council
    transition: Council_QuorumCert
    inputs: { members: body:/members }
    response: { status: 200, body: { ok: true } }
${over}`;

describe('map file', () => {
  it('the shipped example is valid, names real transitions and covers the three regions', () => {
    const map = parseMap(readFileSync(EXAMPLE, 'utf8'), transitions);
    expect(new Set(map.routes.map((r) => r.region))).toEqual(new Set(['council', 'ingestion', 'execution']));
    expect(map.compare.map((c) => c.region)).toEqual(['council', 'ingestion', 'execution']);
    expect(map.compare_interval_ms).toBe(10_000);
    expect(comparePath(map, map.compare[0]!)).toBe('/api/projects/demo/council');
  });

  it('names the entry of every problem, all at once', () => {
    const errors = errorsOf(
      route(`  - method: POST
    path: /a/:x/b
    region: council
    transition: Council_QuorumCert
    inputs: { members: body:members }
    response: { body: {} }
  - method: GET
    path: a/b
    region: payroll
    transition: Council_Nope
    inputs: { a: cookie:/x, b: params:/y, c: { from: "query:/q", fallback: 1 } }
    response: { status: 500, body: { x: $nowhere:/a, y: $$literal } }
  - method: POST
    path: /api/projects/:project/council/elect
    region: council
    transition: Council_QuorumCert
    response: { body: {} }
compare:
  - region: council
    legacy: /api/projects/:project/tasks/:task
    pairs: [{ legacy: members, swoosh: /council/members }]
`),
    );
    expect(errors).toEqual([
      'routes[1].inputs.members: JSON pointer must start with /',
      'routes[2].method: must be one of POST, PUT, PATCH, DELETE (reads pass through unmapped)',
      'routes[2].path: must be a path starting with / (at most 512 characters)',
      'routes[2].region: must be one of council, ingestion, execution',
      'routes[2].transition: unknown transition Council_Nope',
      'routes[2].inputs.a: unknown source "cookie" (params, query, body, headers)',
      'routes[2].inputs.b: params:/y names no parameter of the path (none)',
      'routes[2].inputs.c.fallback: unknown key (from, default)',
      'routes[2].response.status: must be a 2xx status',
      'routes[2].response.body.x: "$nowhere:/a" is not a template reference ($<source>:<pointer> with source params, query, body, headers, result, state; $$ for a literal $)',
      'routes[3]: same method and path as routes[0]',
      'compare[0].legacy: only :project may be substituted, not :task',
      'compare[0].pairs[0].legacy: JSON pointer must start with /',
    ]);
  });

  it('refuses what is not a map', () => {
    expect(errorsOf('- a\n- b')).toEqual(['map: must be a mapping with version, project, routes and compare']);
    expect(errorsOf('version: [')[0]).toMatch(/^map: not YAML/);
    expect(errorsOf('version: 2\nproject: "a b"\nroutes: []\nextra: 1')).toEqual([
      'extra: unknown key',
      'version: must be 1',
      'project: must be the legacy project name (letters, digits, . _ -)',
      'routes: must be a non-empty list',
    ]);
  });

  it('matches method and path, decodes parameters, and builds inputs from every source', () => {
    const map = parseMap(
      route(`  - name: t
    method: PUT
    path: /p/:project/tasks/:task
    region: execution
    transition: Execution_Submit
    inputs:
      artifact_hash: body:/a/0
      task: params:/task
      who: headers:/x-caller
      note: { from: "query:/note", default: "none" }
      fixed: { const: { k: [1] } }
    response: { body: { t: $params:/task, i: $result:/index, p: $state:/execution/phase, lit: $$x, gone: $body:/nope } }
`),
      transitions,
    );
    expect(matchRoute(map, 'post', '/api/projects/demo/council/elect')?.params).toEqual({ project: 'demo' });
    expect(matchRoute(map, 'GET', '/api/projects/demo/council/elect')).toBeNull();
    const m = matchRoute(map, 'PUT', '/p/demo/tasks/t%2F1');
    expect(m?.params).toEqual({ project: 'demo', task: 't/1' });
    const req = { params: m!.params, query: {}, body: { a: ['sha256-x'] }, headers: { 'x-caller': 'bot' } };
    expect(buildInputs(m!.route, req)).toEqual({
      ok: true,
      inputs: { artifact_hash: 'sha256-x', task: 't/1', who: 'bot', note: 'none', fixed: { k: [1] } },
    });
    expect(buildInputs(m!.route, { ...req, body: {} })).toEqual({
      ok: false,
      reason: 'input artifact_hash: body:/a/0 is absent from the request',
    });
    expect(renderTemplate(m!.route.response.body, { ...req, result: { index: 7 }, state: { execution: { phase: 'REVERB' } } })).toEqual({
      t: 't/1',
      i: 7,
      p: 'REVERB',
      lit: '$x',
      gone: null,
    });
  });

  it('JSON pointers follow RFC 6901', () => {
    expect(parsePointer('/a~1b/c~0d')).toEqual(['a/b', 'c~d']);
    expect(parsePointer('/bad~2')).toMatch(/bad escape/);
    expect(atPointer({ a: [{ b: 1 }] }, ['a', '0', 'b'])).toBe(1);
    expect(atPointer({ a: [1] }, ['a', '01'])).toBeUndefined();
    expect(atPointer({}, ['toString'])).toBeUndefined();
  });
});
