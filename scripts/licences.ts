// npm run licences: every production dependency (package.json dependencies and
// optionalDependencies, and theirs, as installed in node_modules) must carry a licence on
// the allow-list below; otherwise it names each package, its version and its licence, and
// exits 1. The tree is walked the way Node resolves packages (nearest node_modules
// first), so what is checked is what ships.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../', import.meta.url));

/**
 * Licences we may ship, each with why: the ones the production tree needs, all permissive
 * (they ask for the notice to be kept and nothing of the code that uses them: no copyleft,
 * no field-of-use limits). A new licence is added here, with its reason, after a look.
 */
export const ALLOWED_LICENCES: Readonly<Record<string, string>> = {
  MIT: 'permissive; most of the tree (react, pino, xstate, better-sqlite3, @noble/*)',
  ISC: 'permissive, MIT-equivalent (the d3-* packages under recharts, chownr, …)',
  'Apache-2.0': 'permissive with a patent grant, our own licence (@opentelemetry/*, prom-client)',
  'BSD-2-Clause': "permissive, notice kept (one side of rc's licence choice)",
  'BSD-3-Clause': 'permissive, notice kept, no endorsement (age-encryption, d3-ease, ieee754)',
  'OFL-1.1': 'SIL Open Font License: the fonts may ship inside software (@fontsource-variable/*)',
};

/** A runaway tree (a link loop) fails loudly instead of hanging. */
const PACKAGES_MAX = 5000;

export interface InstalledPackage {
  name: string;
  version: string;
  licence: string;
  dir: string;
}

interface Manifest {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  licenses?: Array<{ type?: string } | string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** The licence as an SPDX expression; the legacy `licenses` array becomes an OR. */
export function licenceOf(m: Manifest): string {
  if (typeof m.license === 'string') return m.license;
  if (m.license && typeof m.license.type === 'string') return m.license.type;
  const legacy = (m.licenses ?? []).map((l) => (typeof l === 'string' ? l : l.type)).filter((t): t is string => typeof t === 'string');
  return legacy.length > 0 ? `(${legacy.join(' OR ')})` : 'UNKNOWN';
}

/** Does the SPDX expression allow shipping? OR needs one allowed side, AND needs all. */
export function licenceAllowed(expression: string, allowed: Readonly<Record<string, string>> = ALLOWED_LICENCES): boolean {
  const text = expression
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  if (/\s+OR\s+/i.test(text) && !/[()]/.test(text)) return text.split(/\s+OR\s+/i).some((part) => licenceAllowed(part, allowed));
  if (/\s+AND\s+/i.test(text) && !/[()]/.test(text)) return text.split(/\s+AND\s+/i).every((part) => licenceAllowed(part, allowed));
  return Object.hasOwn(allowed, text);
}

/** Where Node would find `name` from a package in `from`: the nearest node_modules up to `root`. */
function resolveFrom(from: string, name: string, root: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
    dir = dirname(dir);
  }
}

/** Every package the production install of `root` contains (dependencies and optional ones, transitively). */
export function productionPackages(root: string = REPO_DIR): InstalledPackage[] {
  const top = manifestOf(root);
  const seen = new Map<string, InstalledPackage>();
  const pending: Array<{ from: string; name: string; optional: boolean }> = [];
  const want = (from: string, m: Manifest) => {
    for (const name of Object.keys(m.dependencies ?? {})) pending.push({ from, name, optional: false });
    for (const name of Object.keys(m.optionalDependencies ?? {})) pending.push({ from, name, optional: true });
    for (const name of Object.keys(m.peerDependencies ?? {})) pending.push({ from, name, optional: true });
  };
  want(root, top);
  while (pending.length > 0) {
    const { from, name, optional } = pending.pop()!;
    const dir = resolveFrom(from, name, root);
    if (dir === null) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from === root ? 'the package' : from}) is not installed: run npm ci`);
    }
    if (seen.has(dir)) continue;
    if (seen.size >= PACKAGES_MAX) throw new Error(`more than ${PACKAGES_MAX} production packages: a link loop?`);
    const m = manifestOf(dir);
    seen.set(dir, { name: m.name ?? name, version: m.version ?? '?', licence: licenceOf(m), dir });
    want(dir, m);
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

export interface LicenceReport {
  checked: number;
  refused: Array<{ name: string; version: string; licence: string }>;
}

export function checkLicences(root: string = REPO_DIR): LicenceReport {
  const packages = productionPackages(root);
  const refused = packages.filter((p) => !licenceAllowed(p.licence)).map(({ name, version, licence }) => ({ name, version, licence }));
  return { checked: packages.length, refused };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.argv[2] ?? REPO_DIR;
  const report = checkLicences(root);
  for (const r of report.refused)
    process.stderr.write(
      `licences: ${r.name}@${r.version} is licensed ${r.licence}, which is not on the allow-list (scripts/licences.ts)\n`,
    );
  process.stdout.write(`${JSON.stringify({ ok: report.refused.length === 0, checked: report.checked, refused: report.refused.length })}\n`);
  process.exitCode = report.refused.length === 0 ? 0 : 1;
}
