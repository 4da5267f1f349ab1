import type { RequestHandler } from 'express';
import type { HealthRepository } from './health-repository.js';

/** `GET /healthz`: 200 while the database answers `SELECT 1`, 503 otherwise. Never cached. */
export function createHealthHandler(health: HealthRepository): RequestHandler {
  return (_req, res) => {
    const ok = health.ping();
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ok ? 'ok' : 'unavailable' });
  };
}
