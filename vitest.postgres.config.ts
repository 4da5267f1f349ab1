// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { defineConfig } from 'vitest/config';

/**
 * The PostgreSQL suite: migrations and the migrate command against a real, throw-away PostgreSQL
 * cluster (test/support/postgres.ts), started once for the run. `npm run test:postgres`; starting
 * the cluster takes seconds, so `npm test` leaves it out (vitest.config.ts).
 */
export default defineConfig({
  test: {
    // The engines suite runs the same HTTP tests on SQLite and on PostgreSQL; the store contract
    // tests run in `npm test` on SQLite, and here on both engines (test/support/store-contract.ts).
    include: [
      'test/postgres/**/*.postgres.test.ts',
      'test/engines/**/*.test.ts',
      'test/**/*.contract.test.ts',
    ],
    // global-setup.ts builds dist/, which the tests run as real processes.
    globalSetup: ['test/support/global-setup.ts', 'test/support/postgres-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
