// A tiny suite with every way a file can fail, for scripts/vitest-summary.test.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.fixture.ts'],
    reporters: ['../../../vitest.summary.ts'],
  },
});
