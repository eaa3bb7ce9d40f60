// What "pure" means for core/ and protocol/, in one place: the names a pure module may not
// use, and the two text helpers their purity tests (core/tidy.test.ts,
// protocol/tidy.test.ts) read sources with. Dev-only: imported by tests, never shipped.

/** Names that read a clock, draw randomness, touch the process or reach the outside. */
export const IMPURE_NAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew Date\s*\(\s*\)/, 'new Date() without an argument'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\brandomUUID\b/, 'randomUUID'],
  [/\bgetRandomValues\b/, 'getRandomValues'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/\bprocess\./, 'process'],
  [/\brequire\s*\(/, 'require()'],
  [/\bfetch\s*\(/, 'fetch()'],
  [/\beval\s*\(|\bnew Function\b/, 'eval'],
];

/** The source without comments, so a comment that names a banned call is not a finding. */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** Every module specifier a source imports or re-exports, static or dynamic. */
export function importsOf(src: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}
