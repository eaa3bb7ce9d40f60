// Prints one plain closing line, "vitest: N passed, N failed, N skipped", so that any
// CI log reader (not only one that knows Vitest's banner) can tell how the run went.
//
// "failed" counts what failed, not only failed tests: a test file that failed outside
// any test (an import error, a throwing beforeAll, a module-level error) counts once, and
// so does each unhandled error. A run where two e2e files could not start must never
// read "0 failed".
import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Files that failed outside any test, with their first error. */
  failedModules: Array<{ file: string; error: string }>;
  unhandled: string[];
}

export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0, failedModules: [], unhandled: [] };
  for (const mod of testModules) {
    let failedTests = 0;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed += 1;
      else if (state === 'failed') failedTests += 1;
      else counts.skipped += 1;
    }
    counts.failed += failedTests;
    const errors = mod.errors();
    if (failedTests === 0 && (errors.length > 0 || mod.state() === 'failed')) {
      counts.failed += 1;
      counts.failedModules.push({ file: mod.moduleId, error: firstLine(errors[0]?.message ?? 'failed outside any test') });
    }
  }
  for (const e of unhandledErrors) {
    counts.failed += 1;
    counts.unhandled.push(firstLine(e.message ?? String(e)));
  }
  return counts;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const c = countRun(testModules, unhandledErrors);
    for (const m of c.failedModules) console.log(`vitest: file failed outside any test: ${m.file}: ${m.error}`);
    for (const u of c.unhandled) console.log(`vitest: unhandled error: ${u}`);
    if (reason === 'interrupted') console.log('vitest: the run was interrupted');
    console.log(`vitest: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  }
}
