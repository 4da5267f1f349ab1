// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs (`npm run test:mutation`, stryker.config.json): those that
 * exercise the mutated modules in this process. Tests that start `node dist/server.js` or other
 * child processes are left out: a mutant is switched on inside the test process only, so they
 * could never kill one and would only slow every run down.
 */
export default defineConfig({
  test: {
    include: [
      'test/links/url-policy*.test.ts',
      'test/links/link-routes.test.ts',
      'test/http/bad-inputs.test.ts',
      'test/manage/*.test.ts',
      'test/stats/visit-counter.test.ts',
      'test/db/full-disk.test.ts',
      'test/db/busy-database.test.ts',
      'test/db/database-file.test.ts',
      'test/links/link-limits.test.ts',
      'test/links/link-options*.test.ts',
      'test/links/link-store.contract.test.ts',
      'test/transfer/import-formats.test.ts',
      'test/api/api-routes.test.ts',
      'test/transfer/csv.test.ts',
      'test/transfer/link-export.test.ts',
      'test/http/cross-site-creation.test.ts',
      'test/qr/qr-routes.test.ts',
      'test/db/batched-writes.test.ts',
      'test/http/utf8-body.test.ts',
      'test/links/tags.test.ts',
      'test/links/link-password.test.ts',
    ],
    // Each test runs once per mutant that it covers: a tenth of the property runs keeps a
    // full run of the suite to seconds (the regular suite keeps 10 000).
    env: { PROPERTY_RUNS: '1000' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
