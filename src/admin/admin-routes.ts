import { englishOfSaid } from '../links/link-text.js';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AbuseService } from '../abuse/abuse-service.js';
import { HttpError } from '../http/http-error.js';
import { retryInText, type RequestLimit } from '../http/rate-limits.js';
import { requireFormBody, stringFields } from '../http/form-values.js';
import { KEY_SCOPES, type KeyScope } from '../keys/key-store.js';
import { KEY_NAME_PATTERN, type KeyService } from '../keys/key-service.js';
import { text, type Text } from '../i18n/catalog.js';
import { endOfUtcDay } from '../links/link-limits.js';
import { parseLinkForm } from '../links/link-form.js';
import { optionFormValues, parseUtcDate } from '../links/link-options.js';
import { splitUtm } from '../links/utm.js';
import { PasswordFieldSchema } from '../links/link-password.js';
import {
  DEFAULT_DOMAIN_KEY,
  domainKeyOf,
  isLinkCode,
  type Link,
  type LinkFilter,
  type LinkQuery,
} from '../links/link.js';
import { chooseDomain, domainOptions } from '../links/link-domains.js';
import type { LinkService } from '../links/link-service.js';
import { formatTagList, parseTagList, tagKey, type TagFilter } from '../links/tags.js';
import type { GeoSource } from '../stats/geo-source.js';
import { linkStatsSection, statsCsvDownload } from '../stats/stats-view.js';
import type { VisitStore } from '../stats/visit-store.js';
import { pageLanguageOf } from '../http/page-language.js';
import { csvRecord } from '../transfer/csv.js';
import { createTransferRoutes, type TransferDeps } from '../transfer/transfer-routes.js';
import type { AdminAuth } from './admin-auth.js';
import { linkAddressFor, type DomainService } from '../domains/domain-service.js';
import { createClientToolRoutes } from './client-tools.js';
import { createDomainAdminRoutes } from './domain-admin-routes.js';
import { createStatsAdminRoutes } from './stats-admin-routes.js';
import { ADMIN_LINKS_PER_PAGE } from './admin-page-size.js';

export type AdminDeps = {
  auth: AdminAuth;
  links: LinkService;
  abuse: AbuseService;
  keys: KeyService;
  visits: VisitStore;
  now: () => number;
  publicOrigin: (req: Request) => string;
  ownHosts: (req: Request) => string[];
  /** Sign-in attempts per client: fixed at 10 per 15 minutes. */
  limitSignIn: RequestLimit;
  /** Admin actions (every POST) per client: RATE_LIMIT_MANAGE. */
  limitAction: RequestLimit;
  /** Writes a consistent copy of the database to the response as a download. */
  /** Null where the database is backed up with its own tools (PostgreSQL: pg_dump). */
  sendBackup: ((res: Response) => Promise<void>) | null;
  /** CSV export and import. */
  transfer: TransferDeps;
  /** The domains page; without it, /admin/domains is a 404. */
  domains?: DomainService;
  /** The country database, named on the statistics as its licence asks; null: none. */
  geoSource?: GeoSource | null;
};

const PER_PAGE = ADMIN_LINKS_PER_PAGE;
const FILTERS: readonly (LinkFilter | 'all')[] = [
  'all',
  'active',
  'scheduled',
  'expired',
  'disabled',
  'banned',
  'deleted',
  'reported',
];

const ListQuerySchema = z.object({
  q: z.string().max(200).optional().default(''),
  state: z
    .enum(FILTERS as [string, ...string[]])
    .optional()
    .default('all'),
  sort: z.enum(['created', 'visits', 'lastVisit']).optional().default('created'),
  tags: z.string().max(400).optional().default(''),
  tagMode: z.enum(['any', 'all', 'none']).optional().default('any'),
  /** Only the links on this domain (its host); '': every domain. */
  domain: z.string().max(300).optional().default(''),
  dir: z.enum(['asc', 'desc']).optional().default('desc'),
  page: z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number)
    .pipe(z.number().min(1))
    .optional()
    .default(1),
});

type ListQuery = z.infer<typeof ListQuerySchema>;
const DEFAULT_LIST: ListQuery = ListQuerySchema.parse({});

/**
 * Where the bulk form was sent from, as its hidden `list` field carries it: `/admin` and a query
 * of the list's own parameters, each once, in printable ASCII without `#` (so no scheme, no host,
 * no second path, no line break). The answer's address is rebuilt from the parsed values
 * (`listPath`), never echoed; whatever does not parse reads as the default list.
 */
const ListPathSchema = z
  .string()
  .max(8000)
  .regex(/^\/admin(?:\?[\x21\x22\x24-\x7e]*)?$/)
  .transform((path) => [...new URLSearchParams(path.slice('/admin'.length))])
  .refine((params) => new Set(params.map(([name]) => name)).size === params.length)
  .transform((params) => Object.fromEntries(params))
  .pipe(z.strictObject(ListQuerySchema.shape));

/** The list at `query`: `/admin` with the values that differ from the default list's, then `done`. */
function listPath(query: ListQuery, done?: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== DEFAULT_LIST[name as keyof ListQuery]) params.set(name, String(value));
  }
  if (done !== undefined) params.set('done', done);
  return params.size === 0 ? '/admin' : `/admin?${params}`;
}

/** The list a bulk form came from; the default list when its `list` field is missing or forged. */
function listOfBulkForm(body: unknown): ListQuery {
  const list = (body as { list?: unknown } | null)?.list;
  const parsed = ListPathSchema.safeParse(list);
  return parsed.success && parseTagList(parsed.data.tags).ok ? parsed.data : DEFAULT_LIST;
}

const BulkSchema = z.object({
  action: z.enum(['disable', 'enable', 'delete', 'tag', 'untag']),
  /** The tag to add (`tag`) or remove (`untag`). */
  tag: z.string().max(400).optional().default(''),
  /** A link on the default domain by its code, one on an added domain as `host/code`. */
  code: z.union([z.string(), z.array(z.string()).max(PER_PAGE)]).transform((c) => [c].flat()),
});

/** Why a ban was refused, in the page's words (the issue's message names the Text). */
const BAN_REASON_ERRORS = {
  missing: text('admin.link.ban.missingReason'),
  tooLong: text('admin.link.ban.reasonTooLong'),
} as const;

const BanSchema = z.object({
  reason: z.string().trim().min(1, { error: 'missing' }).max(200, { error: 'tooLong' }),
  block_host: z.literal('on').optional(),
  disable_others: z.literal('on').optional(),
});

/** Notices after a change (Post/Redirect/Get), picked from a Map so no request finds another key. */
const NOTICES: ReadonlyMap<string, Text> = new Map([
  ['created', text('admin.flash.created')],
  ['disabled', text('admin.flash.disabled')],
  ['enabled', text('admin.flash.enabled')],
  ['deleted', text('admin.flash.deleted')],
  ['banned', text('admin.flash.banned')],
  ['unbanned', text('admin.flash.unbanned')],
  ['dismissed', text('admin.flash.dismissed')],
  ['saved', text('admin.flash.saved')],
  ['password-removed', text('admin.flash.passwordRemoved')],
  ['bulk', text('admin.flash.bulk')],
  ['tagged', text('admin.flash.tagged')],
  ['untagged', text('admin.flash.untagged')],
  ['blocked', text('admin.flash.blocked')],
  ['unblocked', text('admin.flash.unblocked')],
  ['revoked', text('admin.flash.revoked')],
]);

function noticeOf(req: Request): Text | undefined {
  return typeof req.query.done === 'string' ? NOTICES.get(req.query.done) : undefined;
}

/**
 * `/admin`: the operator's pages, behind ADMIN_PASSWORD. Every page is server-rendered and works
 * without JavaScript; every form passes the same cross-origin check as the others (the app's
 * same-origin middleware runs before this router), and every action counts against the client's
 * RATE_LIMIT_MANAGE. Without ADMIN_PASSWORD this router is not mounted: /admin is a 404.
 */
export function createAdminRoutes(deps: AdminDeps): Router {
  const router = Router({ caseSensitive: true });

  const render = async (res: Response, view: string, locals: object = {}, status = 200) => {
    const openReports = await deps.abuse.countOpenReports();
    res.status(status).render(`admin/${view}`, { openReports, ...locals });
  };

  router.get('/sign-in', async (req, res) => {
    if (await deps.auth.isSignedIn(req)) return res.redirect(303, '/admin');
    await render(res, 'sign-in', { error: null });
  });

  // Every action is a form post; the import alone takes a file (transfer-routes.ts).
  router.post('/*path', requireFormBody(['/import']));

  router.post('/sign-in', async (req, res) => {
    const verdict = await deps.limitSignIn(req, res);
    if (verdict?.limited) {
      return render(
        res,
        'sign-in',
        { error: text('admin.signIn.tooMany', { when: retryInText(verdict.resetSeconds) }) },
        429,
      );
    }
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    if (!deps.auth.passwordMatches(password)) {
      return render(res, 'sign-in', { error: text('admin.signIn.wrong') }, 401);
    }
    await deps.auth.signIn(req, res);
    res.redirect(303, '/admin');
  });

  router.post('/sign-out', async (req, res) => {
    await deps.auth.signOut(req, res);
    res.redirect(303, '/admin/sign-in');
  });

  // Everything below needs a session; pages send the browser to sign in, actions are refused.
  router.use(async (req, res, next) => {
    if (await deps.auth.isSignedIn(req)) return next();
    if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/admin/sign-in');
    next(new HttpError(401, text('admin.signIn.first')));
  });
  const countAction: RequestHandler = async (req, res, next) => {
    const verdict = await deps.limitAction(req, res);
    if (!verdict?.limited) return next();
    next(
      new HttpError(
        429,
        text('admin.common.tooManyChanges', { when: retryInText(verdict.resetSeconds) }),
      ),
    );
  };
  router.post('/*path', countAction);

  // After a leak, or on a shared computer: every session on every machine ends, this one too.
  router.post('/sessions/end', async (req, res) => {
    await deps.auth.endAllSessions(req, res);
    res.redirect(303, '/admin/sign-in');
  });

  /**
   * The domain key a host names (any spelling; '' or none: the default domain), as `?domain=`
   * names the domain of the code on a link's page and its actions (ADR 031). An unknown domain
   * or an alias (which holds no links) is a 404.
   */
  async function domainKeyOfName(name: unknown): Promise<number> {
    if (name === undefined || name === '') return DEFAULT_DOMAIN_KEY;
    if (typeof name !== 'string') throw new HttpError(400, text('admin.link.oneDomain'));
    const found = deps.domains
      ? await deps.domains.domainForLinks(name)
      : { ok: false as const, message: text('admin.link.unknownDomain', { name }) };
    if (!found.ok) throw new HttpError(404, found.message);
    return domainKeyOf(found.domainId);
  }

  /** The host of a link's domain, null for the default domain. */
  function hostOf(link: Pick<Link, 'domainId'>): string | null {
    return link.domainId === null ? null : (deps.domains?.hostOfDomainId(link.domainId) ?? null);
  }

  /** Whether links can be on several domains: then the pages name each link's domain. */
  async function severalDomains(req: Request): Promise<boolean> {
    return (await domainOptions(deps.domains, req.hostname)).length > 1;
  }

  /**
   * A link's admin page, or one of its actions (`suffix`), with `?domain=` when the link is on
   * an added domain, so that the same code on another domain is never the one reached.
   */
  function linkPath(
    link: Pick<Link, 'code' | 'domainId'>,
    suffix = '',
    params: Record<string, string> = {},
  ): string {
    const query = new URLSearchParams();
    const host = hostOf(link);
    if (host !== null) query.set('domain', host);
    for (const [name, value] of Object.entries(params)) query.set(name, value);
    return `/admin/links/${link.code}${suffix}${query.size === 0 ? '' : `?${query}`}`;
  }

  async function findLink(code: string, domainKey = DEFAULT_DOMAIN_KEY): Promise<Link> {
    const link = isLinkCode(code) ? await deps.links.findLink(code, domainKey) : null;
    if (!link) throw new HttpError(404, text('admin.link.notFound', { code }));
    return link;
  }

  /** The link a page or an action names: its code in the path, its domain in `?domain=`. */
  async function linkOfRequest(req: Request): Promise<Link> {
    return findLink(String(req.params.code), await domainKeyOfName(req.query.domain));
  }

  /** A link the bulk form selected: `code` on the default domain, `host/code` on another. */
  async function findSelected(value: string): Promise<Link> {
    const slash = value.indexOf('/');
    if (slash === -1) return findLink(value);
    return findLink(value.slice(slash + 1), await domainKeyOfName(value.slice(0, slash)));
  }

  /** The value of a link's checkbox in the bulk form (findSelected reads it). */
  function selectionOf(link: Link): string {
    const host = hostOf(link);
    return host === null ? link.code : `${host}/${link.code}`;
  }

  /** The list of links at `query`; after a refused bulk action, with that form as it was sent. */
  async function renderList(
    req: Request,
    res: Response,
    query: ListQuery,
    page: { notice?: Text; bulk?: { tag: string; codes: string[]; error: Text | string } },
    status = 200,
  ) {
    const filterTags = parseTagList(query.tags);
    if (!filterTags.ok)
      throw new HttpError(400, text('admin.links.badTags', { problem: filterTags.message }));
    const keys = filterTags.tags.map(tagKey);
    const tagFilter: TagFilter = {
      any: query.tagMode === 'any' ? keys : [],
      all: query.tagMode === 'all' ? keys : [],
      none: query.tagMode === 'none' ? keys : [],
    };
    const options = await domainOptions(deps.domains, req.hostname);
    const domainKey = query.domain === '' ? undefined : await domainKeyOfName(query.domain);
    const listing: LinkQuery = {
      ...(domainKey === undefined ? {} : { domainKey }),
      search: query.q,
      state: query.state === 'all' ? null : (query.state as LinkFilter),
      orderBy: query.sort,
      direction: query.dir,
      limit: PER_PAGE,
      offset: (query.page - 1) * PER_PAGE,
      tags: tagFilter,
    };
    const { links, total } = await deps.links.listLinks(listing);
    const tags = await deps.links.tagsOf(links);
    await render(
      res,
      'links',
      {
        query,
        filters: FILTERS,
        notice: page.notice,
        list: listPath(query),
        bulk: page.bulk ?? { tag: '', codes: [], error: null },
        // The domain filter and column: only when links can be on several domains.
        byDomain: options.length > 1,
        // Without BASE_URL the default domain has no host to filter by ('' is every domain).
        domainOptions: options.filter((option) => option.value !== ''),
        rows: links.map((link) => ({
          link,
          href: linkPath(link),
          selection: selectionOf(link),
          host: hostOf(link) ?? options[0]?.host ?? '',
          state: deps.links.stateOf(link),
          visits: deps.links.totalVisits(link),
          tags: tags.get(link.id) ?? [],
        })),
        total,
        pages: Math.max(1, Math.ceil(total / PER_PAGE)),
        pageHref: (to: number) => `/admin?${new URLSearchParams({ ...query, page: String(to) })}`,
      },
      status,
    );
  }

  router.get('/', async (req, res) => {
    const parsed = ListQuerySchema.safeParse(req.query);
    await renderList(req, res, parsed.success ? parsed.data : DEFAULT_LIST, {
      notice: noticeOf(req),
    });
  });

  // All or nothing: every selected code is looked up before anything changes, and a page of
  // selections (PER_PAGE, fewer than a write batch) is then changed in one transaction. The
  // answer returns to the list the form was sent from, filters, sort and page kept.
  router.post('/links/bulk', async (req, res) => {
    const parsed = BulkSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new HttpError(400, text('admin.links.bulk.nothing'));
    const list = listOfBulkForm(req.body);
    const selected: Link[] = [];
    for (const value of new Set(parsed.data.code)) {
      const link = await findSelected(value);
      if (link.deletedAt === null) selected.push(link);
    }
    const { action, tag } = parsed.data;
    if (action === 'tag' || action === 'untag') {
      const result =
        action === 'tag'
          ? await deps.links.addTag(selected, tag)
          : await deps.links.removeTag(selected, tag);
      if (!result.ok) {
        // Refused before anything is written: the same list, the form as sent, the error at the tag.
        return renderList(
          req,
          res,
          list,
          { bulk: { tag, codes: parsed.data.code, error: englishOfSaid(result.message) } },
          422,
        );
      }
      return res.redirect(303, listPath(list, `${action}ged`));
    }
    if (action === 'delete') await deps.links.deleteMany(selected);
    else await deps.links.setDisabledMany(selected, action === 'disable');
    res.redirect(303, listPath(list, 'bulk'));
  });

  router.get('/new', async (req, res) => {
    await render(res, 'new', {
      values: {},
      errors: {},
      domainOptions: await domainOptions(deps.domains, req.hostname),
    });
  });

  router.post('/links', async (req, res) => {
    const body: unknown = req.body ?? {};
    const fields = stringFields(body);
    const refuse = async (status: number, errors: object) =>
      render(
        res,
        'new',
        { values: fields, errors, domainOptions: await domainOptions(deps.domains, req.hostname) },
        status,
      );
    const form = parseLinkForm(body, deps.now());
    const domain = await chooseDomain(deps.domains, body);
    if (!form.ok || !domain.ok) {
      return refuse(422, {
        ...(domain.ok ? {} : { domain: domain.message }),
        ...(form.ok ? {} : form.errors),
      });
    }
    const password = PasswordFieldSchema.safeParse(body);
    if (!password.success) return refuse(400, { password: text('admin.new.passwordOnce') });
    const result = await deps.links.shorten(
      {
        url: fields.url?.trim() ?? '',
        alias: fields.alias?.trim() ?? '',
        domainId: domain.domainId,
        options: form.options,
        utm: form.utm,
        tags: form.tags,
        password: password.data.password,
      },
      { ownHosts: deps.ownHosts(req), addMissingScheme: true },
    );
    if (!result.ok) return refuse(result.status, result.errors);
    res.redirect(303, linkPath(result.link, '', { done: 'created' }));
  });

  /** A link's admin page: its facts, statistics, open reports and the ban form. */
  async function renderLink(
    req: Request,
    res: Response,
    link: Link,
    page: {
      /** The statistics' period as the page's query asks for it (?days=, ?from=&to=). */
      statsQuery: unknown;
      notice?: Text;
      banErrors?: object;
      banValues?: object;
      editErrors?: object;
      editValues?: object;
    },
    status = 200,
  ) {
    const [section, groups, tagged] = await Promise.all([
      linkStatsSection(deps.visits, link, page.statsQuery, deps.now(), pageLanguageOf(res)),
      deps.abuse.openReports(),
      deps.links.tagsOf([link]),
    ]);
    const host = hostOf(link);
    const tags = formatTagList(tagged.get(link.id) ?? []);
    await render(
      res,
      'link',
      {
        link,
        state: deps.links.stateOf(link),
        notice: page.notice,
        shortUrl: linkAddressFor(deps.publicOrigin(req), hostOf(link), link).shortUrl,
        // Named on the page where links can be on several domains.
        domainHost: (await severalDomains(req))
          ? (hostOf(link) ?? new URL(deps.publicOrigin(req)).hostname)
          : null,
        // Every form of the page posts back to the link on its domain.
        actionPath: (action: string) => linkPath(link, `/${action}`),
        totalVisits: deps.links.totalVisits(link),
        tags,
        stats: section.stats,
        range: {
          action: `/admin/links/${link.code}#stats-title`,
          hidden: host === null ? {} : { domain: host },
          // The period links keep the domain.
          query: host === null ? '' : `domain=${encodeURIComponent(host)}&`,
          errors: section.errors,
          values: section.values,
        },
        csvPath: `/admin/links/${link.code}/stats.csv`,
        geoSource: deps.geoSource ?? null,
        reports: groups.find((group) => group.urlId === link.id)?.reports ?? [],
        banErrors: page.banErrors ?? {},
        banValues: page.banValues ?? {},
        // The edit form starts from the link as it is, as the management page does.
        errors: page.editErrors ?? {},
        values: page.editValues ?? {
          ...splitUtm(link.target).utm,
          url: splitUtm(link.target).url,
          ...optionFormValues(link),
          tags,
        },
      },
      // A statistics period that is no range: the page says what to fix.
      section.stats === null && status === 200 ? 400 : status,
    );
  }

  router.get('/links/:code', async (req, res) => {
    const link = await linkOfRequest(req);
    await renderLink(req, res, link, { statsQuery: req.query, notice: noticeOf(req) });
  });

  // The aggregates of the page's range as CSV, behind the admin's sign-in like the page.
  router.get('/links/:code/stats.csv', async (req, res) => {
    const link = await linkOfRequest(req);
    const csv = await statsCsvDownload(deps.visits, link, req.query, deps.now());
    if (!csv.ok) throw new HttpError(400, csv.problem);
    res.attachment(csv.name).type('text/csv; charset=utf-8').send(csv.rows.map(csvRecord).join(''));
  });

  const actions: Record<string, (link: Link) => Promise<void>> = {
    disable: (link) => deps.links.setDisabled(link, true),
    enable: (link) => deps.links.setDisabled(link, false),
    delete: (link) => deps.links.delete(link),
    unban: (link) => deps.abuse.unban(link),
    dismiss: (link) => deps.abuse.dismissReports(link),
    'remove-password': async (link) => {
      await deps.links.setPassword(link, null);
    },
  };
  const doneOf: Record<string, string> = {
    disable: 'disabled',
    enable: 'enabled',
    delete: 'deleted',
    unban: 'unbanned',
    dismiss: 'dismissed',
    'remove-password': 'password-removed',
  };
  router.post('/links/:code/:action', async (req, res, next) => {
    const action = String(req.params.action);
    if (!Object.hasOwn(actions, action)) return next();
    const link = await linkOfRequest(req);
    if (link.deletedAt !== null) throw new HttpError(409, text('admin.link.deleted'));
    await actions[action]!(link);
    res.redirect(303, linkPath(link, '', { done: doneOf[action]! }));
  });

  /** The admin edits a link as its owner would on the management page: target and options. */
  router.post('/links/:code/edit', async (req, res) => {
    const link = await linkOfRequest(req);
    if (link.deletedAt !== null) throw new HttpError(409, text('admin.link.deleted'));
    const body: unknown = req.body ?? {};
    const refuse = (status: number, errors: object) =>
      renderLink(
        req,
        res,
        link,
        { statsQuery: {}, editErrors: errors, editValues: stringFields(body) },
        status,
      );
    const url = stringFields(body).url;
    if (typeof url !== 'string') return refuse(400, { url: text('admin.link.edit.oneUrl') });
    const form = parseLinkForm(body, deps.now());
    if (!form.ok) return refuse(422, form.errors);
    const result = await deps.links.update(
      link,
      { url: url.trim(), options: form.options, utm: form.utm, tags: form.tags },
      { ownHosts: deps.ownHosts(req), addMissingScheme: true },
    );
    if (!result.ok) return refuse(result.status, result.errors);
    res.redirect(303, linkPath(link, '', { done: 'saved' }));
  });

  router.post('/links/:code/ban', async (req, res) => {
    const link = await linkOfRequest(req);
    if (link.deletedAt !== null) throw new HttpError(409, text('admin.link.deleted'));
    const parsed = BanSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      return renderLink(
        req,
        res,
        link,
        {
          statsQuery: {},
          banErrors: {
            reason:
              parsed.error.issues[0]?.message === 'tooLong'
                ? BAN_REASON_ERRORS.tooLong
                : BAN_REASON_ERRORS.missing,
          },
          banValues: stringFields(req.body),
        },
        422,
      );
    }
    const outcome = await deps.abuse.ban(link, {
      reason: parsed.data.reason,
      blockHost: parsed.data.block_host === 'on',
      disableOthers: parsed.data.disable_others === 'on',
    });
    res.redirect(
      303,
      linkPath(link, '', {
        done: 'banned',
        blocked: outcome.blocked ? '1' : '0',
        disabled: String(outcome.disabled.length),
      }),
    );
  });

  router.get('/tags', async (_req, res) => {
    await render(res, 'tags', { tags: await deps.links.listTags() });
  });

  router.get('/reports', async (req, res) => {
    await deps.domains?.current();
    await render(res, 'reports', {
      groups: await deps.abuse.openReports(),
      notice: noticeOf(req),
      // Each link's page on its domain (ADR 031).
      linkHref: (group: Pick<Link, 'code' | 'domainId'>, suffix = '') => linkPath(group, suffix),
    });
  });

  router.get('/blocklist', async (req, res) => {
    await render(res, 'blocklist', {
      hosts: await deps.abuse.blockedHosts(),
      notice: noticeOf(req),
      values: {},
      error: null,
    });
  });

  router.post('/blocklist', async (req, res) => {
    const host = normaliseHost(typeof req.body?.host === 'string' ? req.body.host : '');
    const reason = typeof req.body?.reason === 'string' ? req.body.reason.trim().slice(0, 200) : '';
    if (host === null) {
      return render(
        res,
        'blocklist',
        {
          hosts: await deps.abuse.blockedHosts(),
          notice: undefined,
          values: stringFields(req.body),
          error: text('admin.blocklist.badHost'),
        },
        422,
      );
    }
    await deps.abuse.blockHost(host, reason);
    res.redirect(303, '/admin/blocklist?done=blocked');
  });

  router.post('/blocklist/remove', async (req, res) => {
    const host = typeof req.body?.host === 'string' ? req.body.host : '';
    await deps.abuse.unblockHost(host);
    res.redirect(303, '/admin/blocklist?done=unblocked');
  });

  // The ShareX file, and what the keys page says about ShareX and iOS Shortcuts.
  router.use(createClientToolRoutes({ publicOrigin: deps.publicOrigin }));

  router.get('/keys', async (req, res) => {
    await render(res, 'keys', {
      keys: await deps.keys.listKeys(),
      tokens: await deps.keys.signatureTokens(),
      notice: noticeOf(req),
      created: null,
      values: {},
      error: null,
    });
  });

  router.post('/keys', async (req, res) => {
    const fields = stringFields(req.body);
    const name = fields.name?.trim() ?? '';
    const scope = (KEY_SCOPES as readonly string[]).includes(fields.scope ?? '')
      ? (fields.scope as KeyScope)
      : null;
    const expires = fields.expires?.trim() ?? '';
    const day = expires === '' ? null : parseUtcDate(expires);
    const expiresAt = day === null ? null : endOfUtcDay(day);
    const refuse = async (error: Text) =>
      render(
        res,
        'keys',
        {
          keys: await deps.keys.listKeys(),
          tokens: await deps.keys.signatureTokens(),
          notice: undefined,
          created: null,
          values: fields,
          error,
        },
        422,
      );
    if (!KEY_NAME_PATTERN.test(name)) return refuse(text('keys.nameInvalid'));
    if (scope === null) return refuse(text('keys.chooseScope'));
    if (expires !== '' && (day === null || expiresAt! <= deps.now()))
      return refuse(text('keys.futureDate'));
    const key = await deps.keys.createKey({ name, scope, expiresAt }, 'admin');
    if (key === null) return refuse(text('keys.nameTaken', { name }));
    // Shown once, on this answer only: it is not stored anywhere but as its hash.
    res.set('Cache-Control', 'no-store');
    await render(
      res,
      'keys',
      {
        keys: await deps.keys.listKeys(),
        tokens: await deps.keys.signatureTokens(),
        notice: undefined,
        created: { name, key },
        values: {},
        error: null,
      },
      201,
    );
  });

  router.post('/keys/revoke', async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name : '';
    if (!(await deps.keys.revokeKey(name)))
      throw new HttpError(404, text('keys.noActiveKey', { name }));
    res.redirect(303, '/admin/keys?done=revoked');
  });

  router.get('/backup', async (_req, res) => {
    if (deps.sendBackup === null) {
      throw new HttpError(409, text('admin.nav.backupElsewhere'));
    }
    await deps.sendBackup(res);
  });

  if (deps.domains) {
    router.use(createDomainAdminRoutes({ domains: deps.domains, ownHosts: deps.ownHosts, render }));
  }
  router.use(
    createStatsAdminRoutes({
      visits: deps.visits,
      now: deps.now,
      render,
      linkPath: (link) => linkPath(link),
      hostOfDomainId: (domainId) => deps.domains?.hostOfDomainId(domainId) ?? null,
      defaultHost: (req) => new URL(deps.publicOrigin(req)).hostname,
      geoSource: deps.geoSource ?? null,
    }),
  );
  router.use(createTransferRoutes(deps.transfer, render));

  return router;
}

/** A host name for the blocklist: what the URL policy will compare, lower-case, no port or path. */
function normaliseHost(input: string): string | null {
  const trimmed = input.trim().replace(/^\*\./, '');
  if (trimmed === '' || trimmed.length > 253) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  if (!URL.canParse(withScheme)) return null;
  const host = new URL(withScheme).hostname.replace(/\.$/, '');
  return host.includes('.') || host.startsWith('[') ? host : null;
}
