import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'core/**/*.test.ts',
      'protocol/**/*.test.ts',
      'main/**/*.test.ts',
      'client/**/*.test.ts',
      'renderer/**/*.test.ts',
      'bench/**/*.test.ts',
      'e2e/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    // A test that asserts nothing proves nothing: it fails (expect.assertions / expect.hasAssertions also count).
    expect: { requireAssertions: true },
    globalSetup: ['./e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './vitest.summary.ts'],
  },
});
