import type { TestProject } from 'vitest/node';
import { postgresUnavailable, startPostgresCluster } from './postgres.js';

/**
 * Starts one throw-away PostgreSQL cluster for the whole run of the PostgreSQL suite
 * (vitest.postgres.config.ts) and hands its URL to the test files; stops it and deletes its
 * directory at the end. Without PostgreSQL on this machine the tests are told why, and skip
 * (or, with CI set, fail: a skipped suite in CI would pass without testing anything).
 */
export async function setup(project: TestProject): Promise<() => void> {
  const unavailable = postgresUnavailable();
  if (unavailable !== null) {
    project.provide('postgres', { url: null, skipped: unavailable });
    return () => {};
  }
  const started = Date.now();
  const cluster = await startPostgresCluster();
  console.log(
    `postgres: test cluster on port ${cluster.port}, started in ${Date.now() - started} ms`,
  );
  project.provide('postgres', { url: cluster.url, skipped: null });
  // A run cut short (Ctrl+C, a crash) may skip the teardown; the server must not outlive it.
  process.once('exit', cluster.stop);
  return () => cluster.stop();
}
