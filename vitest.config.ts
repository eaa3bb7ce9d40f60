import { defineConfig } from 'vitest/config';

const UNIT = [
  'core/**/*.test.ts',
  'protocol/**/*.test.ts',
  'main/**/*.test.ts',
  'client/**/*.test.ts',
  'renderer/**/*.test.ts',
  'bench/**/*.test.ts',
  'scripts/**/*.test.ts',
];

export default defineConfig({
  test: {
    // A test that asserts nothing proves nothing: it fails (expect.assertions / expect.hasAssertions also count).
    expect: { requireAssertions: true },
    globalSetup: ['./e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './vitest.summary.ts'],
    // Tests never fetch the ~100 MB Electron binary (`swoosh start` would on first start):
    // offline, the attempt can hang up to its 180 s bound. A binary already there is used.
    env: { ELECTRON_SKIP_BINARY_DOWNLOAD: process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ?? '1' },
    // The browser specs run after everything else: a demo host and Chromium that share two
    // cores with the chaos and cluster suites miss their UI deadlines (seen in full runs).
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'browser', include: ['e2e/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
