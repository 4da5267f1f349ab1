// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Browser tests are slow and need Chromium: `npm run test:e2e` runs them (vitest.e2e.config.ts).
    // The container test builds the image for minutes: `npm run test:container`.
    // Fault tests kill, starve and stop real processes for minutes: `npm run test:faults`.
    // PostgreSQL tests start a throw-away cluster first: `npm run test:postgres`.
    exclude: [
      ...configDefaults.exclude,
      'test/e2e/**',
      'test/container/**',
      'test/faults/**',
      'test/postgres/**',
      'test/engines/**',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
