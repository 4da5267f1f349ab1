import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseLinkForm } from '../links/link-form.js';
import { optionFormValues } from '../links/link-options.js';
import { splitUtm } from '../links/utm.js';
import type { Link } from '../links/link.js';
import type { LinkService } from '../links/link-service.js';
import type { ShortUrlOf } from '../links/link-routes.js';
import { passwordProblem } from '../links/link-password.js';
import type { GeoSource } from '../stats/geo-source.js';
import { linkStatsSection, statsCsvDownload } from '../stats/stats-view.js';
import type { VisitStore } from '../stats/visit-store.js';
import { csvRecord } from '../transfer/csv.js';
import { pageLanguageOf } from '../http/page-language.js';
import { FORM_ONLY, isFormPost, stringFields } from '../http/form-values.js';
import { forgetToken } from '../links/remembered-links.js';
import { formatTagList } from '../links/tags.js';
import { HttpError } from '../http/http-error.js';
import { retryInText, type RequestLimit } from '../http/rate-limits.js';
import { text, type Text } from '../i18n/catalog.js';

export type ManageRouteDeps = {
  links: LinkService;
  visits: VisitStore;
  now: () => number;
  publicOrigin: (req: Request) => string;
  /** A link's short URL, on its domain (ADR 031). */
  shortUrlOf: ShortUrlOf;
  ownHosts: (req: Request) => string[];
  /** Whether this request came over HTTPS: the cookie is then Secure. */
  secureCookies: (req: Request) => boolean;
  /** Counts a management action (a POST) against the client's RATE_LIMIT_MANAGE. */
  limit: RequestLimit;
  /** The country database, named on the statistics as its licence asks; null: none. */
  geoSource?: GeoSource | null;
};

const UpdateFormSchema = z.object({ url: z.string().trim() });
/**
 * The password fields of the management page: an empty `password` keeps the current one, a new
 * one replaces it, and `remove_password` removes it.
 */
const PasswordChangeSchema = z.object({
  password: z.string().optional().default(''),
  remove_password: z.literal('1').optional(),
});

/**
 * Notices shown once after a change (Post/Redirect/Get), keyed by a fixed query value. A Map, so
 * that `?done=constructor` finds nothing rather than something of Object.prototype.
 */
const NOTICES: ReadonlyMap<string, Text> = new Map([
  ['saved', text('manage.notice.saved')],
  ['disabled', text('manage.notice.disabled')],
  ['enabled', text('manage.notice.enabled')],
]);

/**
 * `/manage/:token`: whoever holds the token sees the link's statistics and may change, disable
 * or delete it. A token that matches no link is a plain 404, like any unknown page.
 */
export function createManageRoutes(deps: ManageRouteDeps): Router {
  const router = Router({ caseSensitive: true });

  async function requireLink(req: Request): Promise<Link | null> {
    return await deps.links.findLinkByToken(String(req.params.token));
  }

  async function renderManage(
    req: Request,
    res: Response,
    link: Link,
    extra: { values?: object; errors?: object; status?: number } = {},
  ) {
    const token = String(req.params.token);
    // The statistics' period: ?days=7|30|90|all or ?from=&to=; a range that is none is a 400
    // page that says what to fix.
    const section = await linkStatsSection(
      deps.visits,
      link,
      req.query,
      deps.now(),
      pageLanguageOf(res),
    );
    const shortUrl = deps.shortUrlOf(req, link);
    res.status(extra.status ?? (section.stats === null ? 400 : 200)).render('manage', {
      link,
      token,
      // A link on an added domain: its QR code is asked for by naming its domain (ADR 031).
      qrQuery:
        link.domainId === null ? '' : `domain=${encodeURIComponent(new URL(shortUrl).hostname)}`,
      state: deps.links.stateOf(link),
      created: req.query.created !== undefined,
      notice: NOTICES.get(String(req.query.done)),
      shortUrl,
      manageUrl: `${deps.publicOrigin(req)}/manage/${token}`,
      totalVisits: deps.links.totalVisits(link),
      stats: section.stats,
      range: {
        // Back to the statistics section after the page loads.
        action: `/manage/${token}#stats-title`,
        hidden: {},
        query: '',
        errors: section.errors,
        values: section.values,
      },
      csvPath: `/manage/${token}/stats.csv`,
      geoSource: deps.geoSource ?? null,
      // The URL field holds the target without its UTM parameters; the UTM fields hold them.
      values: extra.values ?? {
        ...splitUtm(link.target).utm,
        url: splitUtm(link.target).url,
        ...optionFormValues(link),
        tags: formatTagList((await deps.links.tagsOf([link])).get(link.id) ?? []),
      },
      errors: extra.errors ?? {},
    });
  }

  // Every change goes through here first: a client over its limit changes nothing.
  router.post('/manage/*path', async (req, _res, next) => {
    const verdict = await deps.limit(req, _res);
    if (!verdict?.limited) return next();
    next(new HttpError(429, text('manage.tooMany', { when: retryInText(verdict.resetSeconds) })));
  });

  router.get('/manage/deleted', async (_req, res) => {
    res.render('manage-deleted');
  });

  router.get('/manage/:token', async (req, res, next) => {
    const link = await requireLink(req);
    if (!link) return next();
    await renderManage(req, res, link);
  });

  router.post('/manage/:token', async (req, res, next) => {
    const link = await requireLink(req);
    if (!link) return next();
    const body: unknown = req.body ?? {};
    // The password typed is never shown again.
    const { password: _typed, ...shown } = stringFields(body);
    const refuse = async (status: number, errors: object) =>
      renderManage(req, res, link, { values: shown, errors, status });
    if (!isFormPost(req)) return refuse(415, { url: FORM_ONLY });
    const fields = UpdateFormSchema.safeParse(body);
    if (!fields.success) return refuse(400, { url: text('manage.problem.url') });
    const form = parseLinkForm(body, deps.now());
    if (!form.ok) return refuse(422, form.errors);
    const passwordFields = PasswordChangeSchema.safeParse(body);
    if (!passwordFields.success)
      return refuse(400, { password: text('manage.problem.passwordOnce') });
    const { password, remove_password: remove } = passwordFields.data;
    // Checked before anything is saved, so a refused password changes nothing.
    const refusedPassword =
      password !== '' && remove !== undefined
        ? text('manage.problem.passwordBoth')
        : password === ''
          ? null
          : passwordProblem(password);
    if (refusedPassword !== null) return refuse(422, { password: refusedPassword });
    const result = await deps.links.update(
      link,
      { url: fields.data.url, options: form.options, utm: form.utm, tags: form.tags },
      { ownHosts: deps.ownHosts(req), addMissingScheme: true },
    );
    if (!result.ok) return refuse(result.status, result.errors);
    if (password !== '' || (remove !== undefined && link.passwordHash !== null)) {
      // An empty field keeps the password; a new one replaces it; the checkbox removes it.
      await deps.links.setPassword(link, password === '' ? null : password);
    }
    res.redirect(303, `/manage/${String(req.params.token)}?done=saved`);
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(`/manage/:token/${action}`, async (req, res, next) => {
      const link = await requireLink(req);
      if (!link) return next();
      await deps.links.setDisabled(link, disabled);
      res.redirect(303, `/manage/${String(req.params.token)}?done=${action}d`);
    });
  }

  // The aggregates of the page's range as CSV, for whoever holds the token, like the page.
  router.get('/manage/:token/stats.csv', async (req, res, next) => {
    const link = await requireLink(req);
    if (!link) return next();
    const csv = await statsCsvDownload(deps.visits, link, req.query, deps.now());
    if (!csv.ok) throw new HttpError(400, csv.problem);
    res.attachment(csv.name).type('text/csv; charset=utf-8').send(csv.rows.map(csvRecord).join(''));
  });

  router.get('/manage/:token/delete', async (req, res, next) => {
    const link = await requireLink(req);
    if (!link) return next();
    res.render('manage-delete', {
      link,
      token: String(req.params.token),
      shortUrl: deps.shortUrlOf(req, link),
    });
  });

  router.post('/manage/:token/delete', async (req, res, next) => {
    const link = await requireLink(req);
    if (!link) return next();
    await deps.links.delete(link);
    forgetToken(req, res, String(req.params.token), deps.secureCookies(req));
    res.redirect(303, '/manage/deleted');
  });

  return router;
}
