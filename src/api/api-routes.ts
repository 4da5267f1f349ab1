import { errorsInEnglish } from '../links/link-text.js';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { KeyScope } from '../keys/key-store.js';
import type { KeyService } from '../keys/key-service.js';
import { formatInstant } from '../links/link-limits.js';
import { DEFAULT_OPTIONS } from '../links/link-options.js';
import { domainKeyOf, isLinkCode, type Link } from '../links/link.js';
import { linkAddressFor, type DomainService } from '../domains/domain-service.js';
import type { LinkService, UrlContext } from '../links/link-service.js';
import { utcDay } from '../stats/visit-counter.js';
import { linkStats } from '../stats/link-stats.js';
import { siteStats } from '../stats/site-stats.js';
import type { VisitStore } from '../stats/visit-store.js';
import type { LimitVerdict } from '../http/rate-limits.js';
import { comesFromAnotherSite } from '../http/same-origin.js';
import {
  ApiProblem,
  INVALID_KEY_CHALLENGE,
  PROBLEMS,
  type FieldError,
  type ProblemKind,
} from './api-problems.js';
import { describeProblem, openApiDocument } from './openapi.js';
import {
  API_FIELDS,
  CreateLinkSchema,
  fieldErrors,
  readApiOptions,
  showApiOptions,
  LinkStatsQuerySchema,
  ListLinksQuerySchema,
  SiteStatsQuerySchema,
  UpdateLinkSchema,
  type LinkBody,
} from './api-schemas.js';
import { verifyUtf8Json } from '../http/utf8-body.js';

const STATS_DAYS = 30;
const TOP_REFERRERS = 10;
/** A link is a URL and a few options: 32 KiB is far more than the longest allowed (8 KiB). */
export const API_BODY_LIMIT = '32kb';

export type ApiDeps = {
  links: LinkService;
  visits: VisitStore;
  keys: KeyService;
  now: () => number;
  publicOrigin: (req: Request) => string;
  ownHosts: (req: Request) => string[];
  /** `private`: creating a link needs a key. */
  createAccess: 'public' | 'private';
  /** Counts a request of an API key against RATE_LIMIT_API. */
  limitKey: (keyId: number, res: Response) => Promise<LimitVerdict | null>;
  /** Counts an anonymous creation against the client's RATE_LIMIT_CREATE (shared with the form). */
  limitAnonymousCreate: (req: Request, res: Response) => Promise<LimitVerdict | null>;
  /** The domains a link can be on, by host (ADR 031). */
  linkDomains: Pick<DomainService, 'domainForLinks' | 'hostOfDomainId' | 'linkKeyOfHost'>;
};

/** The key a request presents: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedKey(req: Request): string | null {
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
  return bearer ?? req.get('x-api-key')?.trim() ?? null;
}

export type Caller = { keyId: number; scope: KeyScope } | null;

/**
 * Who is calling: a valid key, or nobody. A key that is wrong, revoked or expired is a 401 at
 * once, never treated as anonymous. Each caller is rate-limited: a key per key, anonymous
 * creation per client.
 */
export function identifyCaller(
  deps: Pick<ApiDeps, 'keys' | 'limitKey'>,
  presented: (req: Request) => string | null = presentedKey,
): RequestHandler {
  return async (req, res, next) => {
    const key = presented(req);
    if (key === null || key === '') {
      res.locals.caller = null;
      return next();
    }
    const check = await deps.keys.checkKey(key);
    if (!check.ok) {
      const why = {
        unknown: 'is not a key of this snip',
        revoked: 'was revoked',
        expired: 'has expired',
      };
      throw new ApiProblem(
        'unauthorized',
        `The API key ${why[check.reason]}.`,
        undefined,
        INVALID_KEY_CHALLENGE,
      );
    }
    const verdict = await deps.limitKey(check.key.id, res);
    if (verdict?.limited) throw rateLimited(verdict);
    res.locals.caller = { keyId: check.key.id, scope: check.key.scope } satisfies Caller;
    next();
  };
}

export function rateLimited(verdict: LimitVerdict): ApiProblem {
  return new ApiProblem(
    'rate-limited',
    `Too many requests; try again in ${verdict.resetSeconds} s.`,
  );
}

function callerOf(res: Response): Caller {
  return (res.locals.caller as Caller | undefined) ?? null;
}

/** The id of the key that calls, recorded on the links it makes; null without a key. */
export function callerKeyId(res: Response): number | null {
  return callerOf(res)?.keyId ?? null;
}

/** Every route but creation needs a key that may do everything. */
export function requireFullKey(res: Response): void {
  const caller = callerOf(res);
  if (caller === null) {
    throw new ApiProblem(
      'unauthorized',
      'Send an API key: Authorization: Bearer <key> or X-Api-Key: <key>.',
    );
  }
  if (caller.scope !== 'full') throw new ApiProblem('forbidden', 'This key may only create links.');
}

/**
 * Creation: any key; without one only while CREATE_ACCESS is public, at the anonymous limit,
 * and never from another site's page: a page anywhere could otherwise make links through its
 * visitors' browsers, at their addresses' limits (ADR 020). Scripts send neither Origin nor
 * Sec-Fetch-Site, so they keep working.
 */
export async function admitCreation(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  if (callerOf(res) !== null) return;
  if (deps.createAccess === 'private') {
    throw new ApiProblem('unauthorized', 'Creating links on this snip needs an API key.');
  }
  if (comesFromAnotherSite(req, deps.publicOrigin(req))) {
    throw new ApiProblem(
      'cross-site',
      'Creating a link without an API key is refused from another site’s page; send a key, or use snip’s own form.',
    );
  }
  const verdict = await deps.limitAnonymousCreate(req, res);
  if (verdict?.limited) throw rateLimited(verdict);
}

export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'body' | 'query',
): z.infer<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ApiProblem(
    'invalid-request',
    where === 'body' ? 'The body has fields to fix.' : 'The query has parameters to fix.',
    fieldErrors(result.error, where),
  );
}

const iso = formatInstant;

/** The most days one statistics answer covers: ten years. */
export const MAX_STATS_DAYS = 3660;
const DAY_MS = 86_400_000;

/**
 * The range of UTC days a statistics query asks for: `from` to `to`, both included; without
 * `to`, today; without `from`, the 30 days that end on `to`. Null when it is longer than
 * MAX_STATS_DAYS.
 */
export function statsRange(
  from: string | undefined,
  to: string | undefined,
  now: number,
): { from: string; to: string } | null {
  const last = to ?? utcDay(now);
  const first = from ?? utcDay(Date.parse(`${last}T00:00:00Z`) - (STATS_DAYS - 1) * DAY_MS);
  const days = (Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS + 1;
  return days > MAX_STATS_DAYS ? null : { from: first, to: last };
}

/** statsRange's range of a parsed query, or the 400 that says it is too long. */
function statsRangeOrThrow(
  query: { from?: string | undefined; to?: string | undefined },
  now: number,
): { from: string; to: string } {
  const range = statsRange(query.from, query.to, now);
  if (range === null) {
    throw new ApiProblem('invalid-request', 'The query has parameters to fix.', [
      { pointer: '/from', detail: `a range has at most ${MAX_STATS_DAYS} days` },
    ]);
  }
  return range;
}

/**
 * A link's domain and short URL: an added domain's host under the public origin's scheme
 * (BASE_URL's), the default domain's under the public origin itself (ADR 031).
 */
export function linkAddress(
  deps: Pick<ApiDeps, 'publicOrigin' | 'linkDomains'>,
  req: Request,
  link: Pick<Link, 'code' | 'domainId'>,
): { domain: string; shortUrl: string } {
  return linkAddressFor(
    deps.publicOrigin(req),
    deps.linkDomains.hostOfDomainId(link.domainId),
    link,
  );
}

export function toApiLink(
  deps: Pick<ApiDeps, 'links' | 'publicOrigin' | 'linkDomains'>,
  req: Request,
  link: Link,
  tags: readonly string[],
  /** Whether a key of scope `full` asks: only it sees the private options (the note). */
  full = true,
): LinkBody {
  const state = deps.links.stateOf(link).kind;
  const { domain, shortUrl } = linkAddress(deps, req, link);
  return {
    code: link.code,
    domain,
    shortUrl,
    url: state === 'deleted' ? null : link.target,
    ...showApiOptions(link, { full }),
    tags: [...tags],
    state,
    visits: { total: deps.links.totalVisits(link), lastVisitAt: iso(link.lastVisit) },
    createdAt: iso(link.created),
    updatedAt: iso(link.updated),
    hasPassword: link.passwordHash !== null,
  };
}

/** The shortening form's refusals as problem documents: the same policy, another door. */
export function creationProblem(
  status: 409 | 422,
  errors: Record<string, string | undefined>,
): ApiProblem {
  const fields: FieldError[] = Object.entries(errors)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([field, detail]) => ({ pointer: `/${API_FIELDS[field] ?? field}`, detail }));
  const kind: ProblemKind = status === 409 ? 'alias-taken' : 'refused';
  return new ApiProblem(kind, fields[0]?.detail ?? PROBLEMS[kind].title, fields);
}

export function urlContext(deps: Pick<ApiDeps, 'ownHosts'>, req: Request): UrlContext {
  return { ownHosts: deps.ownHosts(req), addMissingScheme: false };
}

/** Parses JSON bodies of the API only; anything but JSON on a route that takes a body is a 415. */
export const readJsonBody: RequestHandler[] = [
  (req, _res, next) => {
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (
      hasBody &&
      req.headers['content-length'] !== '0' &&
      !req.is(['application/json', 'application/*+json'])
    ) {
      throw new ApiProblem(
        'unsupported-media-type',
        'Send the body as JSON (Content-Type: application/json).',
      );
    }
    next();
  },
  express.json({
    limit: API_BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    verify: verifyUtf8Json,
  }),
];

/**
 * `/api/v1`: links as JSON, for scripts and the clients people already use. Every answer is JSON
 * (or problem+json); `shortUrl` is always absolute.
 */
export function createApiRoutes(deps: ApiDeps): Router {
  const router = Router({ caseSensitive: true, strict: false });
  router.get('/openapi.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').json(openApiDocument());
  });
  router.get('/problems/:kind', async (req, res) => {
    const description = describeProblem(String(req.params.kind));
    if (!description) throw new ApiProblem('not-found', 'There is no such kind of problem.');
    res.json(description);
  });
  router.use(identifyCaller(deps));

  /** The domain key `?domain=host` names (the default domain without it); unknown: 404. */
  async function domainKeyOfQuery(req: Request): Promise<number> {
    const name = req.query.domain;
    if (name === undefined) return domainKeyOf(null);
    if (typeof name !== 'string' || name === '') {
      throw new ApiProblem('invalid-request', 'The query has parameters to fix.', [
        { pointer: '/domain', detail: 'domain must be one host name, given once' },
      ]);
    }
    const found = await deps.linkDomains.domainForLinks(name);
    if (!found.ok) throw new ApiProblem('not-found', found.message);
    return domainKeyOf(found.domainId);
  }

  async function findOr404(req: Request, code: string): Promise<Link> {
    const domainKey = await domainKeyOfQuery(req);
    const link = isLinkCode(code) ? await deps.links.findLink(code, domainKey) : null;
    if (!link) throw new ApiProblem('not-found', `There is no link with the code "${code}".`);
    return link;
  }

  async function findChangeable(req: Request, code: string): Promise<Link> {
    const link = await findOr404(req, code);
    if (link.deletedAt !== null)
      throw new ApiProblem('not-found', `The link "${code}" was deleted.`);
    return link;
  }

  async function tagsOf(link: Link): Promise<string[]> {
    return (await deps.links.tagsOf([link])).get(link.id) ?? [];
  }

  async function changedLink(req: Request, changed: Link): Promise<LinkBody> {
    const link = (await deps.links.findLink(changed.code, domainKeyOf(changed.domainId)))!;
    return toApiLink(deps, req, link, await tagsOf(link));
  }

  router.get('/tags', async (_req, res) => {
    requireFullKey(res);
    res.json({ data: await deps.links.listTags() });
  });

  router.post('/links', ...readJsonBody, async (req, res) => {
    await admitCreation(deps, req, res);
    const body = parseOrThrow(CreateLinkSchema, req.body ?? {}, 'body');
    const now = deps.now();
    const options = readApiOptions(body, DEFAULT_OPTIONS, now);
    const context = urlContext(deps, req);
    const apiKeyId = callerKeyId(res);
    const onDomain =
      body.domain === undefined
        ? ({ ok: true, domainId: null } as const)
        : await deps.linkDomains.domainForLinks(body.domain);
    if (!onDomain.ok) throw creationProblem(422, { domain: onDomain.message });
    // A password asks for a protected link: an existing one is never handed out instead.
    const reused =
      body.reuse && !body.alias && body.password === undefined
        ? await deps.links.findReusable(
            body.url,
            apiKeyId,
            context,
            '',
            domainKeyOf(onDomain.domainId),
          )
        : null;
    let link: Link;
    let manageUrl: string | undefined;
    if (reused) {
      link = reused;
    } else {
      const result = await deps.links.shorten(
        {
          url: body.url,
          alias: body.alias?.trim() ?? '',
          options,
          tags: body.tags,
          apiKeyId,
          password: body.password ?? null,
          domainId: onDomain.domainId,
        },
        context,
      );
      if (!result.ok) throw creationProblem(result.status, errorsInEnglish(result.errors));
      link = result.link;
      manageUrl = `${deps.publicOrigin(req)}/manage/${result.manageToken}`;
    }
    // A create-only key, or no key, makes links but is not shown their private options.
    const full = callerOf(res)?.scope === 'full';
    const answer = {
      ...toApiLink(deps, req, link, await tagsOf(link), full),
      ...(manageUrl ? { manageUrl } : {}),
    };
    res.status(reused ? 200 : 201);
    if (!reused) res.location(answer.shortUrl);
    // `Accept: text/plain`: the bare short URL, for shell scripts and clipboard tools.
    if (req.accepts(['application/json', 'text/plain']) === 'text/plain') {
      res.type('text/plain').send(answer.shortUrl);
      return;
    }
    res.json(answer);
  });

  router.get('/links', async (req, res) => {
    requireFullKey(res);
    const query = parseOrThrow(ListLinksQuerySchema, req.query, 'query');
    const onDomain =
      query.domain === undefined ? null : await deps.linkDomains.domainForLinks(query.domain);
    if (onDomain?.ok === false) {
      throw new ApiProblem('invalid-request', 'The query has parameters to fix.', [
        { pointer: '/domain', detail: onDomain.message },
      ]);
    }
    const { links, total } = await deps.links.listLinks({
      domainKey: onDomain === null ? undefined : domainKeyOf(onDomain.domainId),
      search: query.search,
      state: query.state ?? null,
      orderBy: query.orderBy,
      direction: query.direction,
      limit: query.perPage,
      offset: (query.page - 1) * query.perPage,
      tags: {
        any: query.tagMode === 'any' ? query.tag : [],
        all: query.tagMode === 'all' ? query.tag : [],
        none: query.excludeTag,
      },
    });
    const tags = await deps.links.tagsOf(links);
    res.json({
      data: links.map((link) => toApiLink(deps, req, link, tags.get(link.id) ?? [])),
      pagination: {
        page: query.page,
        perPage: query.perPage,
        totalItems: total,
        totalPages: Math.ceil(total / query.perPage),
      },
    });
  });

  router.get('/links/:code', async (req, res) => {
    requireFullKey(res);
    const link = await findOr404(req, String(req.params.code));
    res.json({
      ...toApiLink(deps, req, link, await tagsOf(link)),
      stats: {
        perDay: await deps.visits.dailyCounts(
          link.id,
          statsRange(undefined, undefined, deps.now())!.from,
        ),
        topReferrers: await deps.visits.topReferrers(link.id, TOP_REFERRERS),
      },
    });
  });

  router.get('/links/:code/stats', async (req, res) => {
    requireFullKey(res);
    const query = parseOrThrow(LinkStatsQuerySchema, req.query, 'query');
    const link = await findOr404(req, String(req.params.code));
    const range = statsRangeOrThrow(query, deps.now());
    const stats = await linkStats(deps.visits, link.id, query.groupBy, range.from, range.to);
    res.json({ link: link.code, ...stats });
  });

  // Every link's statistics: for keys that may do everything (an admin session is a cookie of
  // the admin pages, which show the same figures; the API takes keys only).
  router.get('/stats', async (req, res) => {
    requireFullKey(res);
    const query = parseOrThrow(SiteStatsQuerySchema, req.query, 'query');
    const range = statsRangeOrThrow(query, deps.now());
    res.json(await siteStats(deps.visits, query.groupBy, range.from, range.to));
  });

  router.patch('/links/:code', ...readJsonBody, async (req, res) => {
    requireFullKey(res);
    const link = await findChangeable(req, String(req.params.code));
    const body = parseOrThrow(UpdateLinkSchema, req.body ?? {}, 'body');
    const options = readApiOptions(body, link, deps.now());
    const result = await deps.links.update(
      link,
      { url: body.url ?? link.target, options, tags: body.tags },
      urlContext(deps, req),
    );
    if (!result.ok) throw creationProblem(422, errorsInEnglish(result.errors));
    // Absent: the password stays; a string replaces it; null removes it (checked by the schema).
    if (body.password !== undefined) {
      const changed = await deps.links.setPassword(link, body.password);
      if (!changed.ok) throw creationProblem(422, errorsInEnglish(changed.errors));
    }
    res.json(await changedLink(req, link));
  });

  router.delete('/links/:code', async (_req, res) => {
    requireFullKey(res);
    await deps.links.delete(await findChangeable(_req, String(_req.params.code)));
    res.status(204).end();
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    router.post(`/links/:code/${action}`, async (req, res) => {
      requireFullKey(res);
      const link = await findChangeable(req, String(req.params.code));
      await deps.links.setDisabled(link, disabled);
      res.json(await changedLink(req, link));
    });
  }

  router.use((req) => {
    throw new ApiProblem('not-found', `The API has no ${req.method} ${req.baseUrl}${req.path}.`);
  });
  return router;
}
