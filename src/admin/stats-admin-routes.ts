import { Router, type Request, type Response } from 'express';
import { pageLanguageOf } from '../http/page-language.js';
import { translator } from '../i18n/catalog.js';
import { DEFAULT_DOMAIN_KEY, type Link } from '../links/link.js';
import type { GeoSource } from '../stats/geo-source.js';
import type { TopLink } from '../stats/site-stats.js';
import { buildSiteStatsView, MAX_RANGE_DAYS, parseStatsRange } from '../stats/stats-view.js';
import type { VisitStore } from '../stats/visit-store.js';

type Render = (res: Response, view: string, locals?: object, status?: number) => Promise<void>;

const DAY_MS = 86_400_000;

export type StatsAdminDeps = {
  visits: VisitStore;
  now: () => number;
  render: Render;
  /** A link's admin page, on its domain. */
  linkPath: (link: Pick<Link, 'code' | 'domainId'>) => string;
  /** An added domain's host by its id; null for one that is gone. */
  hostOfDomainId: (domainId: number) => string | null;
  /** The default domain's host for this request (BASE_URL's, or the request's). */
  defaultHost: (req: Request) => string;
  geoSource: GeoSource | null;
};

/**
 * `/admin/stats`: the whole site's statistics for a range (`?days=7|30|90|all`, `?from=&to=`,
 * as a link's page): visits and unique visitors over time, the most visited links, countries
 * and referrers, and requests for unknown codes per domain. A range that is none is a 400 page
 * that says what to fix. Mounted inside the admin's router, behind its session.
 */
export function createStatsAdminRoutes(deps: StatsAdminDeps): Router {
  const router = Router({ caseSensitive: true });

  router.get('/stats', async (req, res) => {
    const now = deps.now();
    // All time: as far back as a range goes; the view starts it on the first day with a visit.
    const parsed = parseStatsRange(req.query, now - (MAX_RANGE_DAYS - 1) * DAY_MS, now);
    const language = pageLanguageOf(res);
    const t = translator(language);
    const defaultHost = deps.defaultHost(req);
    const hostOf = (domainId: number | null) =>
      domainId === null
        ? defaultHost
        : (deps.hostOfDomainId(domainId) ?? t('stats.admin.goneDomain', { id: String(domainId) }));
    const stats = parsed.ok
      ? await buildSiteStatsView(deps.visits, parsed.range, language, {
          link: (link: TopLink) => ({
            label:
              link.domainId === null ? `/${link.code}` : `${hostOf(link.domainId)}/${link.code}`,
            href: deps.linkPath(link),
          }),
          domain: (domainKey) =>
            hostOf(Number(domainKey) === DEFAULT_DOMAIN_KEY ? null : Number(domainKey)),
        })
      : null;
    await deps.render(
      res,
      'stats',
      {
        stats,
        range: {
          action: '/admin/stats',
          hidden: {},
          query: '',
          errors: parsed.ok ? {} : parsed.errors,
          values: parsed.ok ? { from: '', to: '' } : parsed.values,
        },
        geoSource: deps.geoSource,
      },
      parsed.ok ? 200 : 400,
    );
  });

  return router;
}
