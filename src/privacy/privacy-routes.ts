import { Router } from 'express';
import type { Config } from '../config.js';
import {
  privacyFacts,
  statisticsOf,
  type GeoSource,
  type VisitStatistics,
} from './privacy-facts.js';

/**
 * `GET /privacy`: what snip stores, said from the configuration the server runs with (see
 * privacy-facts.ts). The facts are built once: nothing they read changes while the server runs.
 * Served on every host the host gate lets through, like every page.
 */
export function createPrivacyRoutes(deps: {
  config: Config;
  /** The country database in use; null when no country lookup is configured. */
  geoSource: GeoSource | null;
  /** What the statistics keep; without it, what STATISTICS says. */
  statistics?: VisitStatistics;
}): Router {
  const facts = privacyFacts(
    deps.config,
    deps.geoSource,
    deps.statistics ?? statisticsOf(deps.config),
  );
  const router = Router({ caseSensitive: true });
  router.get('/privacy', (_req, res) => {
    res.render('privacy', { facts });
  });
  return router;
}
