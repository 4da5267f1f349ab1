// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { defineConfig } from 'vitest/config';

/** Browser tests: a real snip process driven by Chromium. `npm run test:e2e`. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One browser at a time: the files start their own server and browser, and parallel
    // Chromiums on a small CI machine make timings flaky rather than faster.
    fileParallelism: false,
  },
});
