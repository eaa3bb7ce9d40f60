// The OpenAPI document lists every route the host serves, and nothing it does not: the
// routes are read from the server's own route table (main/api/server.ts, `pattern:`
// entries) and from the migration shim proxy (main/app/shim-proxy.ts), so a route added
// there without its spec fails here. The document's shape itself is conformance.test.ts's.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shimTarget } from '../app/shim-proxy';
import { openApiDocument } from './openapi';

const source = (rel: string): string => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');

/** `{ method: 'GET', pattern: /^\/state\/at\/(\d{1,15})$/ …` → ['get', '/state/at/{}']. */
function servedRoutes(): Array<[string, string]> {
  const text = source('./server.ts');
  const found = [...text.matchAll(/\{ method: '([A-Z]+)', pattern: \/\^(.+?)\$\/,/g)].map(([, method, re]) => {
    const path = re!
      .replace(/\([^)]*\)/g, '{}')
      .replace(/\\\//g, '/')
      .replace(/\\\./g, '.');
    return [method!.toLowerCase(), path] as [string, string];
  });
  // Every route-table entry was understood (a new style of entry must be taught here).
  expect(found.length).toBe((text.match(/ pattern: \//g) ?? []).length);
  expect(found.length).toBeGreaterThan(10);
  return found;
}

/** The host paths the shim proxy answers (the literals it matches). */
function shimPaths(): string[] {
  const paths = [...new Set(source('../app/shim-proxy.ts').match(/'\/migration\/[a-z-]+'/g) ?? [])].map((q) => q.slice(1, -1));
  expect(paths.length).toBeGreaterThan(0);
  for (const p of paths) expect(shimTarget('GET', new URL(`http://h${p}`)), p).not.toBeNull();
  return paths;
}

const template = (p: string): string => p.replace(/\{[^}]*\}/g, '{}');

describe('openapi.json covers the served routes', () => {
  const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const specRoutes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => [m, template(path)] as [string, string]),
  );
  const key = ([m, p]: [string, string]) => `${m.toUpperCase()} ${p}`;

  it('every route of the server and of the shim proxy is in the document, with responses', () => {
    const served = [...servedRoutes(), ...shimPaths().map((p) => ['get', p] as [string, string])];
    const inSpec = new Set(specRoutes.map(key));
    expect(served.map(key).filter((r) => !inSpec.has(r))).toEqual([]);
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(ops)) expect(Object.keys(op.responses).length, `${m} ${path}`).toBeGreaterThan(0);
  });

  it('the document names no route the host does not serve', () => {
    const served = new Set([...servedRoutes(), ...shimPaths().map((p) => ['get', p] as [string, string])].map(key));
    expect(specRoutes.map(key).filter((r) => !served.has(r))).toEqual([]);
  });

  it('documents the snapshot a follower catches up from, and the cluster refusals', () => {
    const snap = doc.paths['/snapshot/latest']!.get!.responses;
    expect(Object.keys(snap).sort()).toEqual(['200', '404']);
    const schemas = (openApiDocument() as { components: { schemas: Record<string, { required?: string[] }> } }).components.schemas;
    expect(schemas.Snapshot!.required).toEqual(['index', 'hlc', 'state_hash', 'record_hash', 'state']);
    const codes = JSON.stringify(schemas.Error);
    for (const c of ['not_writer', 'no_leader', 'not_found', 'shim_unreachable']) expect(codes).toContain(`"${c}"`);
  });
});
