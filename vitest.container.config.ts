// First: on an older Node the SQLite driver crashes the test workers; this stops with one line.
import './scripts/check-node.mjs';
import { defineConfig } from 'vitest/config';

/**
 * The container test: builds the real Dockerfile with podman and runs the image.
 * `npm run test:container`; it takes minutes, so `npm test` leaves it out (vitest.config.ts).
 */
export default defineConfig({
  test: {
    include: ['test/container/**/*.container.test.ts'],
    // One cold image build (npm ci compiling better-sqlite3) takes a few minutes on 2 cores.
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    fileParallelism: false,
  },
});
