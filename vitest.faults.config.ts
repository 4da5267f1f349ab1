// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { defineConfig } from 'vitest/config';

/**
 * Fault tests: a real snip process on a real SQLite file, killed, starved of disk, locked out,
 * stopped under load, given a broken migration or slow clients, or made to ban 10,000 links
 * while visitors keep coming. `npm run test:faults`.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/faults/fault-summary.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file at a time: each starts its own server and loads the machine's two cores, and the
    // slow-client and shutdown timings mean something only when nothing else competes.
    fileParallelism: false,
  },
});
