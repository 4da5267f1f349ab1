import { Router, type Request, type Response } from 'express';
import { stringFields } from '../http/form-values.js';
import { HttpError } from '../http/http-error.js';
import { pageLanguageOf } from '../http/page-language.js';
import { text, translator } from '../i18n/catalog.js';
import { hostKey } from '../domains/canonical-host.js';
import { linksOnDomainText, type DomainService } from '../domains/domain-service.js';

type Render = (res: Response, view: string, locals?: object, status?: number) => Promise<void>;

/** The notice after a change, worded in the page's language. */
function noticeOf(res: Response, done: unknown): string | undefined {
  const t = translator(pageLanguageOf(res));
  if (done === 'added') return t('domains.added');
  if (done === 'deleted') return t('domains.deleted');
  if (done === 'edited') return t('domains.edited');
  return undefined;
}

/** The form's fields, in the order of the page: its errors come back at the same names. */
const FIELDS = ['host', 'rootRedirect', 'notFoundRedirect', 'expiredRedirect', 'aliasOf'] as const;
/** The fields of a domain's edit form: its redirects (its host and aliasOf stay). */
const REDIRECT_FORM_FIELDS = ['rootRedirect', 'notFoundRedirect', 'expiredRedirect'] as const;

/**
 * `/admin/domains`: the domains snip answers on (ADR 028). A list, a form to add one (field
 * errors come back at their fields, 422 or 409), an edit page for an added domain's redirects
 * and a delete button per domain. Mounted inside
 * the admin's router, behind its session and its action limit.
 */
export function createDomainAdminRoutes(deps: {
  domains: DomainService;
  ownHosts: (req: Request) => string[];
  render: Render;
}): Router {
  const router = Router({ caseSensitive: true });

  async function page(
    res: Response,
    locals: { notice?: string; values?: object; errors?: object },
    status = 200,
  ) {
    await deps.render(
      res,
      'domains',
      {
        domains: await deps.domains.list(),
        defaultHost: deps.domains.defaultHost,
        notice: locals.notice,
        values: locals.values ?? {},
        errors: locals.errors ?? {},
      },
      status,
    );
  }

  router.get('/domains', async (req, res) => {
    await page(res, { notice: noticeOf(res, req.query.done) });
  });

  router.post('/domains', async (req, res) => {
    const fields = stringFields(req.body);
    const input = Object.fromEntries(FIELDS.map((name) => [name, fields[name] ?? ''])) as Record<
      (typeof FIELDS)[number],
      string
    >;
    const result = await deps.domains.add(input, deps.ownHosts(req));
    if (!result.ok) return page(res, { values: input, errors: result.errors }, result.status);
    res.redirect(303, '/admin/domains?done=added');
  });

  /** An added domain's edit page: its redirects, as stored or as sent back with their errors. */
  async function editPage(
    res: Response,
    host: string,
    locals: { values?: object; errors?: object } = {},
    status = 200,
  ) {
    const key = hostKey(host);
    const domain = (await deps.domains.list()).find((d) => !d.isDefault && d.host === key);
    if (domain === undefined) throw new HttpError(404, text('domains.notAdded', { host }));
    await deps.render(
      res,
      'domain-edit',
      { domain, values: locals.values ?? domain, errors: locals.errors ?? {} },
      status,
    );
  }

  router.get('/domains/edit', async (req, res) => {
    await editPage(res, typeof req.query.host === 'string' ? req.query.host : '');
  });

  router.post('/domains/edit', async (req, res) => {
    const fields = stringFields(req.body);
    const host = fields.host ?? '';
    const input = Object.fromEntries(
      REDIRECT_FORM_FIELDS.map((name) => [name, fields[name] ?? '']),
    ) as Record<(typeof REDIRECT_FORM_FIELDS)[number], string>;
    const result = await deps.domains.editRedirects(host, input, deps.ownHosts(req));
    if (result.ok) return res.redirect(303, '/admin/domains?done=edited');
    if (result.reason === 'invalid') {
      return editPage(res, host, { values: input, errors: result.errors }, 422);
    }
    throw new HttpError(
      result.reason === 'default' ? 409 : 404,
      result.reason === 'default'
        ? text('domains.defaultNoRedirects')
        : text('domains.notAdded', { host }),
    );
  });

  router.post('/domains/delete', async (req, res) => {
    const host = typeof req.body?.host === 'string' ? req.body.host : '';
    const result = await deps.domains.remove(host);
    if (result.ok) return res.redirect(303, '/admin/domains?done=deleted');
    if (result.reason === 'aliased') {
      throw new HttpError(409, text('domains.aliasesOf', { count: result.aliases, host }));
    }
    if (result.reason === 'default') {
      throw new HttpError(409, text('domains.defaultByBaseUrl'));
    }
    if (result.reason === 'in_use') {
      throw new HttpError(409, linksOnDomainText(host, result.links));
    }
    throw new HttpError(404, text('domains.notAdded', { host }));
  });

  return router;
}
