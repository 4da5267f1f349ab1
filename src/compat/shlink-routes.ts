import { englishOf } from '../i18n/catalog.js';
import { englishOfSaid, errorsInEnglish } from '../links/link-text.js';
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { domainErrorInEnglish, type DomainService } from '../domains/domain-service.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  admitCreation,
  callerKeyId,
  identifyCaller,
  linkAddress,
  requireFullKey,
  urlContext,
  type ApiDeps,
} from '../api/api-routes.js';
import { canonicalHost, hostKey } from '../domains/canonical-host.js';
import { ApiProblem } from '../api/api-problems.js';
import type { HealthStore } from '../health/health-store.js';
import { classifyError, NOT_UNDERSTOOD, STORAGE_BUSY } from '../http/classify-error.js';
import { noteStorageUnavailable } from '../http/request-notes.js';
import {
  formatInstant,
  LATEST_INSTANT,
  isStorableInstant,
  LATEST_INSTANT_TEXT,
  MAX_VISIT_LIMIT,
} from '../links/link-limits.js';
import {
  DEFAULT_DOMAIN_KEY,
  domainKeyOf,
  isLinkCode,
  type Link,
  type LinkQuery,
} from '../links/link.js';
import {
  DEFAULT_OPTIONS,
  LINK_OPTIONS,
  pickOptions,
  type LinkOptions,
} from '../links/link-options.js';
import { checkTags, MAX_TAGS, tagKey, type TagSummary } from '../links/tags.js';
import { verifyUtf8Form, verifyUtf8Json } from '../http/utf8-body.js';
import { canonicalRules, readRules, rulesFromText } from '../links/redirect-rules.js';
import { rulesFromShlink, rulesToShlink, ShlinkRulesBodySchema } from './shlink-redirect-rules.js';
import {
  groupVisitsSource,
  linkVisitsSource,
  orphanVisitsSource,
  shlinkVisitsPage,
  type VisitsSource,
} from './compat-stats.js';
import { utcDay } from '../stats/visit-counter.js';

/**
 * Shlink's REST API (`/rest/v1`, `/rest/v2`, `/rest/v3` — Shlink answers all three alike), so that
 * Shlink's clients (its web client and SDK, ShareX's Shlink uploader, Raycast, PowerToys, the
 * GNOME extension) work against snip unchanged. Fields snip has no use for are accepted and
 * answered with Shlink's neutral values. A short URL's `domain` is snip's: `domain` on creation
 * puts it on that domain, `?domain=` addresses a short code on it, and the answer's `domain` is
 * null for the default domain (as Shlink answers) or the host. A short URL's `title` is snip's
 * title: set on creation and edition, answered, searched by `searchTerm`. Tags are snip's own:
 * Shlink's `tags` on creation, edition and the list (with `tags[]`, `tagsMode`, `excludeTags[]`
 * and `excludeTagsMode`), and its `/tags` and `/tags/stats`, in Shlink's shapes.
 */

const ERROR_BASE = 'https://shlink.io/api/error/';
const VERSIONS = ['/rest/v1', '/rest/v2', '/rest/v3'];

type ShlinkError = {
  status: number;
  code: string;
  title: string;
  detail: string;
  extra?: Record<string, unknown>;
};

class ShlinkProblem extends Error {
  constructor(readonly problem: ShlinkError) {
    super(problem.detail);
  }
}

function invalidData(detail: string, invalidElements: string[]): ShlinkProblem {
  return new ShlinkProblem({
    status: 400,
    code: 'invalid-data',
    title: 'Invalid data',
    detail,
    extra: { invalidElements },
  });
}

/** Shlink's ShortUrlNotFoundException: the domain named, if any, in the detail and the extra. */
function notFound(shortCode: string, domain: string | null = null): ShlinkProblem {
  return new ShlinkProblem({
    status: 404,
    code: 'short-url-not-found',
    title: 'Short URL not found',
    detail: `No URL found with short code "${shortCode}"${domain === null ? '' : ` for domain "${domain}"`}`,
    extra: { shortCode, ...(domain === null ? {} : { domain }) },
  });
}

/** Shlink's TagNotFoundException. */
function tagNotFound(tag: string): ShlinkProblem {
  return new ShlinkProblem({
    status: 404,
    code: 'tag-not-found',
    title: 'Tag not found',
    detail: `Tag with name "${tag}" could not be found`,
    extra: { tag },
  });
}

/** Shlink's Renaming: both names are required. */
const RenamingSchema = z.object({ oldName: z.string().min(1), newName: z.string().min(1) });

/** Shlink's OrphanVisitType. */
const ORPHAN_TYPES = ['invalid_short_url', 'base_url', 'regular_404'] as const;

/**
 * Shlink's edit-domain-redirects body (DomainRedirectsRequest): a redirect left out stays, null
 * removes it.
 */
const DomainRedirectsSchema = z.object({
  domain: z.string().min(1),
  baseUrlRedirect: z.string().nullish(),
  regular404Redirect: z.string().nullish(),
  invalidShortUrlRedirect: z.string().nullish(),
});

const Iso = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** A whole number, also written as a string of digits (as forms send it). */
function wholeNumber<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value),
    schema,
  );
}

/** Shlink's creation body: every field it documents is accepted; unknown ones are ignored, as Shlink does. */
const CreateShortUrlSchema = z.object({
  longUrl: z.string(),
  customSlug: z.string().nullish(),
  findIfExists: z.boolean().nullish(),
  validSince: Iso.nullish(),
  validUntil: Iso.nullish(),
  maxVisits: wholeNumber(z.int().min(1).max(MAX_VISIT_LIMIT).nullish()),
  // Shlink's web client sends the length as its form field holds it: a string.
  shortCodeLength: wholeNumber(z.int().min(4).max(16).nullish()),
  title: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  domain: z.string().nullish(),
  crawlable: z.boolean().nullish(),
  forwardQuery: z.boolean().nullish(),
  pathPrefix: z.string().nullish(),
});

/**
 * Shlink's edition body (ShortUrlEdition): a field left out stays as it is; `null` clears
 * validUntil, maxVisits and title, and leaves forwardQuery and crawlable as they are (Shlink's
 * `bool|null`).
 */
const EditShortUrlSchema = z.object({
  longUrl: z.string().nullish(),
  validSince: Iso.nullish(),
  validUntil: Iso.nullish(),
  maxVisits: wholeNumber(z.int().min(1).max(MAX_VISIT_LIMIT).nullish()),
  title: z.string().nullish(),
  tags: z.array(z.string()).max(100).nullish(),
  crawlable: z.boolean().nullish(),
  forwardQuery: z.boolean().nullish(),
});

/** Shlink's `title` as snip keeps it: trimmed, '' is none; one snip cannot keep is invalid data. */
function readTitle(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const reading = LINK_OPTIONS.title.file.read(value);
  if (!reading.ok) throw invalidData(reading.problem, ['title']);
  return reading.value;
}

/** `validUntil` as snip stores it; null when none is sent; refused when past or too late. */
function readValidUntil(value: string | null | undefined, now: number): number | null {
  const expiresAt = value ? Date.parse(value) : null;
  if (expiresAt !== null && expiresAt <= now)
    throw invalidData('validUntil has already passed', ['validUntil']);
  if (expiresAt !== null && expiresAt > LATEST_INSTANT)
    throw invalidData(`validUntil must be no later than ${LATEST_INSTANT_TEXT}`, ['validUntil']);
  return expiresAt;
}

/**
 * `validSince` as snip stores it (its `startsAt`): past or future, as Shlink takes it; null when
 * none is sent; refused outside the range every door stores.
 */
function readValidSince(value: string | null | undefined): number | null {
  const startsAt = value ? Date.parse(value) : null;
  if (startsAt !== null && !isStorableInstant(startsAt))
    throw invalidData(`validSince must be from 1970 to ${LATEST_INSTANT_TEXT}`, ['validSince']);
  return startsAt;
}

/** `2016-08-21T20:34:16+00:00`: Shlink's ATOM dates. */
function atom(epochMs: number | null): string | null {
  return formatInstant(epochMs)?.replace(/\.\d{3}Z$/, '+00:00') ?? null;
}

/** A valid key of any scope; anonymous callers are refused like on every route but creation. */
function requireAnyKey(res: Response): void {
  if (!res.locals.caller) throw new ApiProblem('unauthorized', 'Send an API key (X-Api-Key).');
}

/** The link service's field names as Shlink calls them. */
const SHLINK_FIELDS: Record<string, string> = {
  alias: 'customSlug',
  expires_on: 'validUntil',
  starts_at: 'validSince',
  max_visits: 'maxVisits',
  forwardQuery: 'forwardQuery',
  crawlable: 'crawlable',
  title: 'title',
  tags: 'tags',
};

/** A query parameter Shlink takes as a list: `tags[]=a&tags[]=b` (or `tags=a`), as tag keys. */
function tagsParam(query: Record<string, unknown>, name: string): string[] {
  const values = [query[`${name}[]`], query[name]].flatMap((v) =>
    v === undefined ? [] : [v].flat(),
  );
  if (values.length > MAX_TAGS * 2 || values.some((v) => typeof v !== 'string')) {
    throw invalidData(`${name} must be a list of at most ${MAX_TAGS * 2} tags`, [name]);
  }
  const checked = checkTags(values as string[]);
  if (!checked.ok) throw invalidData(englishOf(checked.message), [name]);
  return checked.tags.map(tagKey);
}

/** `any` (Shlink's default) or `all`. */
function modeParam(query: Record<string, unknown>, name: string): 'any' | 'all' {
  const value = query[name];
  if (value === undefined || value === 'any') return 'any';
  if (value === 'all') return 'all';
  throw invalidData(`${name} must be any or all`, [name]);
}

/** A whole-number query parameter of Shlink's paging (`page`, `itemsPerPage`), or null. */
function numberParam(query: Record<string, unknown>, name: string): number | null {
  const value = query[name];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value)) {
    throw invalidData(`${name} must be a number`, [name]);
  }
  return Number(value);
}

/** Shlink's pagination of a list it holds whole: `itemsPerPage` absent or -1 is every item. */
function paginate<T>(items: readonly T[], query: Record<string, unknown>) {
  const number = (name: string) => numberParam(query, name);
  const page = Math.max(1, number('page') ?? 1);
  const asked = number('itemsPerPage');
  const perPage = asked === null || asked < 0 ? items.length : Math.max(1, asked);
  const data = perPage === 0 ? [] : items.slice((page - 1) * perPage, page * perPage);
  return {
    data,
    pagination: {
      currentPage: page,
      pagesCount: perPage === 0 ? 0 : Math.ceil(items.length / perPage),
      itemsPerPage: perPage,
      itemsInCurrentPage: data.length,
      totalItems: items.length,
    },
  };
}

/** The most visits one page of a short URL's visits holds (what Shlink's web client asks for). */
const MAX_VISITS_PER_PAGE = 5000;

/**
 * Shlink's `page` (1 and up; less is 1) and `itemsPerPage` (absent or negative: every item,
 * here null; snip answers at most MAX_VISITS_PER_PAGE).
 */
function pageParams(query: Record<string, unknown>): { page: number; perPage: number | null } {
  const number = (name: string) => numberParam(query, name);
  const page = Math.max(1, number('page') ?? 1);
  const asked = number('itemsPerPage');
  return {
    page,
    perPage: asked === null || asked < 0 ? null : Math.min(Math.max(1, asked), MAX_VISITS_PER_PAGE),
  };
}

/** A visits query's date: an ISO 8601 date, or a date-time with or without an offset. */
const VisitsDate = z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()]);

/** The UTC day of Shlink's `startDate`/`endDate` (an ISO 8601 date or date-time), or null when absent. */
function dayParam(query: Record<string, unknown>, name: string): string | null {
  const value = query[name];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !VisitsDate.safeParse(value).success) {
    throw invalidData(`${name} must be an ISO 8601 date or date-time`, [name]);
  }
  // A date, or a date-time without an offset (Shlink reads it in its own zone), is UTC here.
  const utc =
    value.length === 10
      ? `${value}T00:00:00Z`
      : /[zZ]|[+-]\d{2}:?\d{2}$/.test(value.slice(10))
        ? value
        : `${value}Z`;
  const time = Date.parse(utc);
  if (!Number.isFinite(time)) {
    throw invalidData(`${name} must be an ISO 8601 date or date-time`, [name]);
  }
  return utcDay(time);
}

/** Shlink's orderBy fields of short URLs as snip's list sorts them. */
const LIST_ORDERS: Record<string, LinkQuery['orderBy']> = {
  dateCreated: 'created',
  shortCode: 'code',
  longUrl: 'target',
  title: 'title',
  // snip counts no bot: every visit is a non-bot one.
  visits: 'visits',
  nonBotVisits: 'visits',
};

/**
 * The instant of Shlink's `startDate`/`endDate` of the list (an ISO 8601 date or date-time, read
 * as UTC without an offset), or null when absent.
 */
function instantParam(query: Record<string, unknown>, name: string): number | null {
  const value = query[name];
  if (value === undefined || value === '') return null;
  const time =
    typeof value === 'string' && VisitsDate.safeParse(value).success
      ? Date.parse(
          value.length === 10
            ? `${value}T00:00:00Z`
            : /[zZ]|[+-]\d{2}:?\d{2}$/.test(value.slice(10))
              ? value
              : `${value}Z`,
        )
      : NaN;
  if (!Number.isFinite(time)) {
    throw invalidData(`${name} must be an ISO 8601 date or date-time`, [name]);
  }
  return time;
}

/** A flag of Shlink's query: `true` (or `1`) is on, `false` (or `0`) and absent are off. */
function flagParam(query: Record<string, unknown>, name: string): boolean {
  const value = query[name];
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw invalidData(`${name} must be true or false`, [name]);
}

/** Shlink's `searchTerm` and `orderBy` over the tags: by name unless told otherwise. */
function sortedTags(tags: readonly TagSummary[], query: Record<string, unknown>): TagSummary[] {
  const term = typeof query.searchTerm === 'string' ? tagKey(query.searchTerm.slice(0, 200)) : '';
  const orderBy = typeof query.orderBy === 'string' ? query.orderBy : 'tag-ASC';
  const order = /^(tag|shortUrlsCount|visits|nonBotVisits)-(ASC|DESC)$/.exec(orderBy);
  if (!order) {
    throw invalidData(
      'orderBy can be tag, shortUrlsCount, visits or nonBotVisits, with -ASC or -DESC',
      ['orderBy'],
    );
  }
  const sign = order[2] === 'ASC' ? 1 : -1;
  const byName = (a: TagSummary, b: TagSummary) => (tagKey(a.name) < tagKey(b.name) ? -1 : 1);
  const value = (tag: TagSummary) => (order[1] === 'shortUrlsCount' ? tag.links : tag.visits);
  return tags
    .filter((tag) => term === '' || tagKey(tag.name).includes(term))
    .sort((a, b) =>
      order[1] === 'tag' ? sign * byName(a, b) : sign * (value(a) - value(b)) || byName(a, b),
    );
}

/** Every day a count can have, for totals of all time. */
const FIRST_DAY = '0000-01-01';
const LAST_DAY = '9999-12-31';

export type ShlinkDeps = ApiDeps & {
  health: HealthStore;
  version: string;
  /** The added domains, listed after the default one, and their redirects, edited. */
  domains?: Pick<DomainService, 'list' | 'editRedirects'>;
};

/** Where a Shlink request puts or looks for a short code: a domain key, and the name it gave. */
type NamedDomain = {
  /** The domain key (links/link.ts); null when the name is none of snip's domains for links. */
  key: number | null;
  /** The domain as the request named it, for Shlink's messages; null for the default domain. */
  name: string | null;
  /** Why the name is none of snip's domains for links. */
  problem?: string;
};

export function createShlinkRoutes(deps: ShlinkDeps, logger: Logger): Router {
  const router = Router({ caseSensitive: true });

  async function tagsOf(link: Link): Promise<string[]> {
    return (await deps.links.tagsOf([link])).get(link.id) ?? [];
  }

  /**
   * The domain a request names (its body's or query's `domain`): absent, '' or the default
   * domain's host in any spelling is the default domain, as Shlink drops its default domain
   * from a request (DropDefaultDomainFromRequestMiddleware); an alias takes no links.
   */
  async function namedDomain(req: Request, name: unknown): Promise<NamedDomain> {
    if (name === undefined || name === null || name === '') {
      return { key: DEFAULT_DOMAIN_KEY, name: null };
    }
    if (typeof name !== 'string') {
      throw invalidData('domain must be one host name, given once', ['domain']);
    }
    if (hostKey(name) === hostKey(new URL(deps.publicOrigin(req)).hostname)) {
      return { key: DEFAULT_DOMAIN_KEY, name: null };
    }
    const found = await deps.linkDomains.domainForLinks(name);
    return found.ok
      ? { key: domainKeyOf(found.domainId), name }
      : { key: null, name, problem: found.message };
  }

  function shortUrlOf(req: Request, link: Link, tags: readonly string[]) {
    const total = deps.links.totalVisits(link);
    const address = linkAddress(deps, req, link);
    return {
      shortUrl: address.shortUrl,
      shortCode: link.code,
      longUrl: link.target,
      dateCreated: atom(link.created),
      tags: [...tags],
      meta: {
        validSince: atom(link.startsAt),
        validUntil: atom(link.expiresAt),
        maxVisits: link.maxVisits,
      },
      // Shlink's default domain is null; an added domain is its host.
      domain: link.domainId === null ? null : address.domain,
      title: link.title,
      crawlable: link.crawlable === 1,
      forwardQuery: link.forwardQuery === 1,
      visitsSummary: { total, nonBots: total, bots: 0 },
      // Shlink 3 answered this on /rest/v2; clients written then still read it.
      visitsCount: total,
      hasRedirectRules: link.rules !== null,
    };
  }

  /** The short code of the path on the domain of `?domain=` (Shlink's ShortUrlIdentifier). */
  async function findLink(req: Request): Promise<Link> {
    const shortCode = String(req.params.shortCode);
    const domain = await namedDomain(req, req.query.domain);
    const link =
      isLinkCode(shortCode) && domain.key !== null
        ? await deps.links.findLink(shortCode, domain.key)
        : null;
    if (!link || link.deletedAt !== null) throw notFound(shortCode, domain.name);
    return link;
  }

  /** A link as it is now, on its domain. */
  async function reread(link: Link): Promise<Link> {
    const now = await deps.links.findLink(link.code, domainKeyOf(link.domainId));
    if (!now || now.deletedAt !== null) throw notFound(link.code);
    return now;
  }

  const health = async (req: Request, res: Response) => {
    const ok = await deps.health.ping();
    res
      .status(ok ? 200 : 503)
      .type('application/health+json')
      .set('Cache-Control', 'no-store')
      .send(
        JSON.stringify({
          status: ok ? 'pass' : 'fail',
          version: deps.version,
          links: { about: `${deps.publicOrigin(req)}/api/v1/openapi.json` },
        }),
      );
  };
  router.get(['/rest/health', ...VERSIONS.map((v) => `${v}/health`)], health);

  const api = Router({ caseSensitive: true });
  // Shlink's key header is X-Api-Key; it is the one snip reads too (Bearer works as well).
  api.use(identifyCaller(deps));
  // JSON, and the form encoding the GNOME extension still sends.
  api.use(
    express.json({ limit: '32kb', verify: verifyUtf8Json }),
    express.urlencoded({ extended: false, limit: '32kb', verify: verifyUtf8Form }),
  );

  // Shlink's single-step creation: the key in `apiKey`, the URL in `longUrl`, the answer the
  // short URL in JSON or, with `format=txt` (or an Accept of text/plain), its address alone.
  api.get(
    '/short-urls/shorten',
    (req, _res, next) => {
      const key = req.query.apiKey;
      if (typeof key !== 'string' || key === '') {
        throw new ShlinkProblem({
          status: 401,
          code: 'missing-authentication',
          title: 'Invalid authorization',
          detail: 'Expected authentication to be provided in "apiKey" query param',
          extra: { param: 'apiKey' },
        });
      }
      next();
    },
    identifyCaller(deps, (req) => String(req.query.apiKey)),
    async (req, res) => {
      const format = typeof req.query.format === 'string' ? req.query.format.toLowerCase() : null;
      const text =
        format !== null
          ? format === 'txt'
          : (req.get('accept') ?? '').split(',')[0]!.toLowerCase().includes('text/plain');
      const longUrl = typeof req.query.longUrl === 'string' ? req.query.longUrl : undefined;
      const shortUrl = await createShortUrl(req, res, { longUrl });
      if (text) res.type('text/plain').send(shortUrl.shortUrl);
      else res.json(shortUrl);
    },
  );

  api.post('/short-urls', async (req, res) => {
    res.json(await createShortUrl(req, res, req.body ?? {}));
  });

  /** Shlink's creation (CreateShortUrlAction) of the body given: the short URL made, or found. */
  async function createShortUrl(req: Request, res: Response, input: unknown) {
    await admitCreation(deps, req, res);
    const parsed = CreateShortUrlSchema.safeParse(input);
    if (!parsed.success) {
      throw invalidData('Provided data is not valid', [
        ...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body'))),
      ]);
    }
    const body = parsed.data;
    const now = deps.now();
    const startsAt = readValidSince(body.validSince);
    const expiresAt = readValidUntil(body.validUntil, now);
    const title = readTitle(body.title) ?? null;
    // Shlink makes a domain it does not know; snip adds domains only on purpose (/api/v1/domains).
    const domain = await namedDomain(req, body.domain);
    if (domain.key === null) throw invalidData(domain.problem!, ['domain']);
    const context = urlContext(deps, req);
    const slug = body.customSlug?.trim() ?? '';
    const apiKeyId = callerKeyId(res);
    // findIfExists: the newest active link this key made to the URL on the domain, or the slug's
    // link when this key made it and it goes there. Never someone else's link (ADR 020).
    if (body.findIfExists) {
      const found = await deps.links.findReusable(
        body.longUrl,
        apiKeyId,
        context,
        slug,
        domain.key,
      );
      if (found) return shortUrlOf(req, found, await tagsOf(found));
    }
    const result = await deps.links.shorten(
      {
        url: body.longUrl,
        alias: slug,
        apiKeyId,
        codeLength: body.shortCodeLength ? Math.max(5, body.shortCodeLength) : undefined,
        options: {
          ...DEFAULT_OPTIONS,
          expiresAt,
          startsAt,
          maxVisits: body.maxVisits ?? null,
          title,
          // Shlink's default is on (ShortUrlCreation: `bool $forwardQuery = true`).
          forwardQuery: body.forwardQuery === false ? 0 : 1,
          // Shlink's default is off (ShortUrlCreation: `bool $crawlable = false`).
          crawlable: body.crawlable === true ? 1 : 0,
        },
        tags: body.tags ?? [],
        domainId: domain.key === DEFAULT_DOMAIN_KEY ? null : domain.key,
      },
      context,
    );
    if (!result.ok) {
      if (result.status === 409) {
        throw new ShlinkProblem({
          status: 400,
          code: 'non-unique-slug',
          title: 'Invalid custom slug',
          detail: `Provided slug "${slug}" is already in use${domain.name === null ? '' : ` for domain "${domain.name}"`}.`,
          extra: { customSlug: slug, ...(domain.name === null ? {} : { domain: domain.name }) },
        });
      }
      const fields = Object.keys(result.errors).map((f) => SHLINK_FIELDS[f] ?? 'longUrl');
      throw invalidData(
        Object.values(errorsInEnglish(result.errors))[0] ?? 'Provided data is not valid',
        fields,
      );
    }
    return shortUrlOf(req, result.link, await tagsOf(result.link));
  }

  api.get('/short-urls', async (req, res) => {
    requireFullKey(res);
    const query = req.query as Record<string, unknown>;
    const number = (name: string, fallback: number) => {
      const value = query[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value))
        throw invalidData(`${name} must be a number`, [name]);
      return Number(value);
    };
    const page = Math.max(1, number('page', 1));
    const requested = number('itemsPerPage', 10);
    // -1 means "all" in Shlink; snip answers at most 1,000 at a time.
    const perPage = requested === -1 ? 1000 : Math.min(Math.max(1, requested), 1000);
    // Shlink's OrderableField, with -ASC or -DESC; dateCreated-DESC when absent.
    const orderBy = typeof query.orderBy === 'string' ? query.orderBy : 'dateCreated-DESC';
    const order = /^(dateCreated|shortCode|longUrl|title|visits|nonBotVisits)-(ASC|DESC)$/.exec(
      orderBy,
    );
    if (!order)
      throw invalidData(
        'orderBy can be dateCreated, shortCode, longUrl, title, visits or nonBotVisits, with -ASC or -DESC',
        ['orderBy'],
      );
    const createdFrom = instantParam(query, 'startDate');
    const createdTo = instantParam(query, 'endDate');
    const search = typeof query.searchTerm === 'string' ? query.searchTerm.slice(0, 200) : '';
    const tags = tagsParam(query, 'tags');
    const excluded = tagsParam(query, 'excludeTags');
    const tagsMode = modeParam(query, 'tagsMode');
    const excludeMode = modeParam(query, 'excludeTagsMode');
    // `domain`: that domain's short URLs only, `DEFAULT` the default domain's; a domain that is
    // none of snip's has none, as Shlink answers.
    const domain =
      query.domain === 'DEFAULT'
        ? { key: DEFAULT_DOMAIN_KEY }
        : query.domain === undefined
          ? { key: undefined }
          : await namedDomain(req, query.domain);
    // Shlink forgets a deleted short URL: it is in no page and no total.
    const { links, total } =
      domain.key === null
        ? { links: [], total: 0 }
        : await deps.links.listLinks({
            search,
            state: null,
            excludeDeleted: true,
            searchTags: true,
            orderBy: LIST_ORDERS[order[1]!]!,
            direction: order[2] === 'ASC' ? 'asc' : 'desc',
            ...(createdFrom === null ? {} : { createdFrom }),
            ...(createdTo === null ? {} : { createdTo }),
            excludeMaxVisitsReached: flagParam(query, 'excludeMaxVisitsReached'),
            excludeExpired: flagParam(query, 'excludePastValidUntil'),
            limit: perPage,
            offset: (page - 1) * perPage,
            tags: {
              any: tagsMode === 'any' ? tags : [],
              all: tagsMode === 'all' ? tags : [],
              none: excludeMode === 'any' ? excluded : [],
              notAll: excludeMode === 'all' ? excluded : [],
            },
            ...(domain.key === undefined ? {} : { domainKey: domain.key }),
          });
    const linkTags = await deps.links.tagsOf(links);
    res.json({
      shortUrls: {
        data: links.map((link) => shortUrlOf(req, link, linkTags.get(link.id) ?? [])),
        pagination: {
          currentPage: page,
          pagesCount: Math.ceil(total / perPage),
          itemsPerPage: perPage,
          itemsInCurrentPage: links.length,
          totalItems: total,
        },
      },
    });
  });

  // Shlink's EditShortUrlAction: the fields sent change, null clears one; the answer is the short
  // URL as it is now.
  api.patch('/short-urls/:shortCode', async (req, res) => {
    requireFullKey(res);
    const link = await findLink(req);
    const parsed = EditShortUrlSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw invalidData('Provided data is not valid', [
        ...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body'))),
      ]);
    }
    const body = parsed.data;
    const now = deps.now();
    const options: LinkOptions = pickOptions(link);
    if (body.validUntil !== undefined) options.expiresAt = readValidUntil(body.validUntil, now);
    if (body.validSince !== undefined) options.startsAt = readValidSince(body.validSince);
    if (body.maxVisits !== undefined) options.maxVisits = body.maxVisits;
    if (body.title !== undefined) options.title = readTitle(body.title) ?? null;
    // null leaves it as it is (Shlink's `bool|null`).
    if (typeof body.forwardQuery === 'boolean') options.forwardQuery = body.forwardQuery ? 1 : 0;
    if (typeof body.crawlable === 'boolean') options.crawlable = body.crawlable ? 1 : 0;
    const result = await deps.links.update(
      link,
      // null or left out: the tags stay as they are.
      { url: body.longUrl ?? link.target, options, tags: body.tags ?? undefined },
      urlContext(deps, req),
    );
    if (!result.ok) {
      const fields = Object.keys(result.errors).map((f) => SHLINK_FIELDS[f] ?? 'longUrl');
      throw invalidData(
        Object.values(errorsInEnglish(result.errors))[0] ?? 'Provided data is not valid',
        fields,
      );
    }
    const changed = await reread(link);
    res.json(shortUrlOf(req, changed, await tagsOf(changed)));
  });

  // Shlink's redirect rules of a short URL, read and replaced in Shlink's shape.
  const answerRules = (res: Response, link: Link) => {
    const reading = rulesFromText(link.rules);
    res.json({
      defaultLongUrl: link.target,
      redirectRules: rulesToShlink(reading.ok ? reading.rules : []),
    });
  };
  api.get('/short-urls/:shortCode/redirect-rules', async (req, res) => {
    requireFullKey(res);
    answerRules(res, await findLink(req));
  });
  const setRules = async (req: Request, res: Response) => {
    requireFullKey(res);
    const link = await findLink(req);
    const parsed = ShlinkRulesBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidData('Provided data is not valid', ['redirectRules']);
    const mapped = rulesFromShlink(parsed.data);
    if (!mapped.ok) {
      throw invalidData(`"${mapped.type}" is not a redirect condition snip supports`, [
        'redirectRules',
      ]);
    }
    const reading = readRules(mapped.rules);
    if (!reading.ok) throw invalidData(reading.problem, ['redirectRules']);
    const result = await deps.links.update(
      link,
      { url: link.target, options: { ...pickOptions(link), rules: canonicalRules(reading.rules) } },
      urlContext(deps, req),
    );
    if (!result.ok) {
      throw invalidData(
        Object.values(errorsInEnglish(result.errors))[0] ?? 'Provided data is not valid',
        ['redirectRules'],
      );
    }
    answerRules(res, await reread(link));
  };
  api.post('/short-urls/:shortCode/redirect-rules', setRules);
  api.patch('/short-urls/:shortCode/redirect-rules', setRules);

  api.get('/short-urls/:shortCode', async (req, res) => {
    requireFullKey(res);
    const link = await findLink(req);
    res.json(shortUrlOf(req, link, await tagsOf(link)));
  });

  api.delete('/short-urls/:shortCode', async (req, res) => {
    requireFullKey(res);
    await deps.links.delete(await findLink(req));
    res.status(204).end();
  });

  // Asked for by clients before they offer to shorten (Raycast needs the default domain), so a
  // create-only key may read them too: they hold nothing about any link.
  api.get('/domains', async (req, res) => {
    requireAnyKey(res);
    const none = { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null };
    // Shlink's DomainItem: snip's not-found redirect is both of Shlink's 404 redirects.
    const added = ((await deps.domains?.list()) ?? []).filter((domain) => !domain.isDefault);
    res.json({
      domains: {
        data: [
          { domain: new URL(deps.publicOrigin(req)).host, isDefault: true, redirects: none },
          ...added.map((domain) => ({
            domain: domain.host,
            isDefault: false,
            redirects: {
              baseUrlRedirect: domain.rootRedirect,
              regular404Redirect: domain.notFoundRedirect,
              invalidShortUrlRedirect: domain.notFoundRedirect,
            },
          })),
        ],
        defaultRedirects: none,
      },
    });
  });

  // Shlink's edit-domain-redirects. snip keeps one not-found redirect where Shlink keeps two
  // (regular404Redirect and invalidShortUrlRedirect): the two must agree, or one be null or left
  // out. Shlink makes a domain it does not know; snip answers that it does not know it.
  api.patch('/domains/redirects', async (req, res) => {
    requireFullKey(res);
    const parsed = DomainRedirectsSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw invalidData('Provided data is not valid', [
        ...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body'))),
      ]);
    }
    const body = parsed.data;
    if (canonicalHost(body.domain) === null) {
      throw invalidData(`"${body.domain}" is not a host name`, ['domain']);
    }
    const notFoundFields = (['regular404Redirect', 'invalidShortUrlRedirect'] as const).filter(
      (field) => body[field] !== undefined,
    );
    const notFoundValues = [
      ...new Set(notFoundFields.map((field) => body[field]?.trim() || null)),
    ].filter((value) => value !== null);
    if (notFoundValues.length > 1) {
      throw invalidData(
        'snip sends an unknown short code and any other unknown address to one redirect: give regular404Redirect and invalidShortUrlRedirect the same URL, or one of them only',
        [...notFoundFields],
      );
    }
    const changes = {
      ...(body.baseUrlRedirect === undefined ? {} : { rootRedirect: body.baseUrlRedirect }),
      ...(notFoundFields.length === 0 ? {} : { notFoundRedirect: notFoundValues[0] ?? null }),
    };
    const isDefault = hostKey(body.domain) === hostKey(new URL(deps.publicOrigin(req)).hostname);
    const edited = isDefault
      ? ({ ok: false, reason: 'default' } as const)
      : deps.domains
        ? await deps.domains.editRedirects(body.domain, changes, deps.ownHosts(req))
        : ({ ok: false, reason: 'unknown' } as const);
    if (!edited.ok) {
      if (edited.reason === 'default') {
        throw invalidData(
          "The default domain (BASE_URL's host) has no redirects of its own in snip",
          ['domain'],
        );
      }
      if (edited.reason === 'unknown') {
        throw new ShlinkProblem({
          status: 404,
          code: 'domain-not-found',
          title: 'Domain not found',
          detail: `Domain with authority "${body.domain}" could not be found`,
          extra: { authority: body.domain },
        });
      }
      const fields = [
        ...(edited.errors.rootRedirect ? ['baseUrlRedirect'] : []),
        ...(edited.errors.notFoundRedirect ? notFoundFields : []),
      ];
      const refused = Object.values(edited.errors)[0];
      throw invalidData(
        refused === undefined ? 'Provided data is not valid' : domainErrorInEnglish(refused),
        fields,
      );
    }
    res.json({
      baseUrlRedirect: edited.domain.rootRedirect,
      regular404Redirect: edited.domain.notFoundRedirect,
      invalidShortUrlRedirect: edited.domain.notFoundRedirect,
    });
  });

  // Shlink's visits overview. snip counts no bot visit, so every visit is a non-bot one. Orphan
  // visits are the requests for codes that do not exist, counted per domain and day (bots'
  // included: snip does not tell them apart there, so all count as nonBots). Shlink 3 answered
  // visitsCount and orphanVisitsCount beside the summaries; clients written then still read them.
  api.get('/visits', async (_req, res) => {
    requireFullKey(res);
    const total = await deps.links.totalVisitsOfAllLinks();
    const unknown = await deps.visits.notFoundCounts(FIRST_DAY, LAST_DAY);
    const orphans = unknown.reduce((sum, row) => sum + row.count, 0);
    res.json({
      visits: {
        nonOrphanVisits: { total, nonBots: total, bots: 0 },
        orphanVisits: { total: orphans, nonBots: orphans, bots: 0 },
        visitsCount: total,
        orphanVisitsCount: orphans,
      },
    });
  });

  /**
   * A page of visits built from snip's daily aggregates (ADR 034), in Shlink's shape: the totals
   * are the real ones of the range (`startDate`, `endDate`), the rows carry the day, the country
   * and the referring host only. `excludeBots` changes nothing: snip counts no bot.
   */
  async function answerVisits(
    req: Request,
    res: Response,
    source: VisitsSource,
    visitedUrl: string | null,
    orphan = false,
  ) {
    const query = req.query as Record<string, unknown>;
    const today = utcDay(deps.now());
    const range = {
      from: dayParam(query, 'startDate') ?? utcDay(0),
      to: dayParam(query, 'endDate') ?? today,
    };
    const { page, perPage } = pageParams(query);
    const limit = perPage ?? MAX_VISITS_PER_PAGE;
    const { data, total } = await shlinkVisitsPage(
      source,
      range,
      { offset: (page - 1) * limit, limit },
      visitedUrl,
      orphan,
    );
    // Without itemsPerPage Shlink answers every visit; snip at most MAX_VISITS_PER_PAGE.
    const itemsPerPage = perPage ?? Math.min(total, MAX_VISITS_PER_PAGE);
    res.json({
      visits: {
        data,
        pagination: {
          currentPage: page,
          pagesCount: itemsPerPage === 0 ? 0 : Math.ceil(total / itemsPerPage),
          itemsPerPage,
          itemsInCurrentPage: data.length,
          totalItems: total,
        },
      },
    });
  }

  /**
   * The domain key of the `domain` query parameter of the visit lists (Shlink's
   * WithDomainVisitsParams): undefined when absent (every domain), `DEFAULT` or the default
   * host the default domain's, null for a domain snip has no links on (no visits).
   */
  async function visitsDomainParam(req: Request): Promise<number | null | undefined> {
    const value = req.query.domain;
    if (value === undefined || value === '') return undefined;
    if (value === 'DEFAULT') return DEFAULT_DOMAIN_KEY;
    return (await namedDomain(req, value)).key;
  }

  const noVisits: VisitsSource = { days: async () => [], values: async () => [] };

  // A short URL's visits.
  api.get('/short-urls/:shortCode/visits', async (req, res) => {
    requireFullKey(res);
    const link = await findLink(req);
    await answerVisits(
      req,
      res,
      linkVisitsSource(deps.visits, link.id),
      linkAddress(deps, req, link).shortUrl,
    );
  });

  // Every short URL's visits (on the domain of `?domain=`), summed per day and value: a row does
  // not say which short URL it went to (visitedUrl null).
  api.get('/visits/non-orphan', async (req, res) => {
    requireFullKey(res);
    const domainKey = await visitsDomainParam(req);
    const source =
      domainKey === null
        ? noVisits
        : groupVisitsSource(
            deps.visits,
            domainKey === undefined ? { kind: 'all' } : { kind: 'domain', domainKey },
          );
    await answerVisits(req, res, source, null);
  });

  // The requests for unknown codes (Shlink's invalid_short_url orphan visits), per day only:
  // snip keeps no code, no referrer and no country of them. snip does not count Shlink's other
  // two types (base_url, regular_404): asked for those, the list is empty.
  api.get('/visits/orphan', async (req, res) => {
    requireFullKey(res);
    const type = req.query.type;
    if (
      type !== undefined &&
      (typeof type !== 'string' || !ORPHAN_TYPES.includes(type as (typeof ORPHAN_TYPES)[number]))
    ) {
      throw invalidData(
        `${String(type)} is not a valid orphan visit type. Expected one of ["${ORPHAN_TYPES.join('", "')}"]`,
        ['type'],
      );
    }
    const domainKey = await visitsDomainParam(req);
    const source =
      domainKey === null || (type !== undefined && type !== 'invalid_short_url')
        ? noVisits
        : orphanVisitsSource(deps.visits, domainKey ?? null);
    await answerVisits(req, res, source, null, true);
  });

  // The visits of the short URLs with a tag (on the domain of `?domain=`).
  api.get('/tags/:tag/visits', async (req, res) => {
    requireFullKey(res);
    const tag = String(req.params.tag);
    const known = (await deps.links.listTags()).some((t) => tagKey(t.name) === tagKey(tag));
    if (!known) throw tagNotFound(tag);
    const domainKey = await visitsDomainParam(req);
    const source =
      domainKey === null
        ? noVisits
        : groupVisitsSource(deps.visits, {
            kind: 'tag',
            tagKey: tagKey(tag),
            ...(domainKey === undefined ? {} : { domainKey }),
          });
    await answerVisits(req, res, source, null);
  });

  // The visits of a domain's short URLs: `DEFAULT` or the default host is the default domain.
  api.get('/domains/:domain/visits', async (req, res) => {
    requireFullKey(res);
    const name = String(req.params.domain);
    const domain = name === 'DEFAULT' ? { key: DEFAULT_DOMAIN_KEY } : await namedDomain(req, name);
    if (domain.key === null) {
      throw new ShlinkProblem({
        status: 404,
        code: 'domain-not-found',
        title: 'Domain not found',
        detail: `Domain with authority "${name}" could not be found`,
        extra: { authority: name },
      });
    }
    await answerVisits(
      req,
      res,
      groupVisitsSource(deps.visits, { kind: 'domain', domainKey: domain.key }),
      null,
    );
  });

  // A create-only key may read the list too (Raycast loads it before it offers to shorten), but
  // it holds nothing about the links: it gets an empty one.
  api.get('/tags', async (req, res) => {
    requireAnyKey(res);
    const query = req.query as Record<string, unknown>;
    const full = (res.locals.caller as { scope?: string } | null)?.scope === 'full';
    const tags = full ? sortedTags(await deps.links.listTags(), query) : [];
    const page = paginate(
      tags.map((tag) => tag.name),
      query,
    );
    res.json({ tags: page });
  });

  // Shlink's UpdateTagAction: the tag is renamed on every short URL that carries it; 204.
  api.put('/tags', async (req, res) => {
    requireFullKey(res);
    const parsed = RenamingSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw invalidData('Provided data is not valid', ['oldName', 'newName']);
    }
    const { oldName, newName } = parsed.data;
    const renamed = await deps.links.renameTag(oldName, newName);
    if (!renamed.ok) {
      if (renamed.reason === 'unknown') throw tagNotFound(oldName);
      if (renamed.reason === 'taken') {
        throw new ShlinkProblem({
          status: 409,
          code: 'tag-conflict',
          title: 'Tag conflict',
          detail: `You cannot rename tag ${oldName} to ${newName}, because it already exists`,
          extra: { oldName, newName },
        });
      }
      throw invalidData(englishOfSaid(renamed.message), ['newName']);
    }
    res.status(204).end();
  });

  // Shlink's DeleteTagsAction: `tags[]` taken off every short URL and forgotten; 204.
  api.delete('/tags', async (req, res) => {
    requireFullKey(res);
    await deps.links.deleteTags(tagsParam(req.query as Record<string, unknown>, 'tags'));
    res.status(204).end();
  });

  api.get('/tags/stats', async (req, res) => {
    requireFullKey(res);
    const query = req.query as Record<string, unknown>;
    const page = paginate(sortedTags(await deps.links.listTags(), query), query);
    res.json({
      tags: {
        data: page.data.map((tag) => ({
          tag: tag.name,
          shortUrlsCount: tag.links,
          // snip counts no bot visits: every visit it counts is a person's.
          visitsSummary: { total: tag.visits, nonBots: tag.visits, bots: 0 },
          // Shlink 3 answered it beside visitsSummary; clients written then still read it.
          visitsCount: tag.visits,
        })),
        pagination: page.pagination,
      },
    });
  });

  // snip publishes no real-time updates: Shlink's answer when no Mercure hub is configured, which
  // its web client reads as "no live updates".
  api.get('/mercure-info', (_req, res) => {
    requireAnyKey(res);
    throw new ShlinkProblem({
      status: 501,
      code: 'mercure-not-configured',
      title: 'Mercure integration not configured',
      detail: 'This Shlink instance is not integrated with a mercure hub.',
    });
  });

  api.use((req) => {
    throw new ShlinkProblem({
      status: 404,
      code: 'not-found',
      title: 'Not found',
      detail: `${req.method} ${req.originalUrl} is not a route of this API`,
    });
  });

  router.use(VERSIONS, api, handleShlinkErrors(logger));
  return router;
}

/** Shlink's problem documents: `type` under shlink.io/api/error, its titles and extra fields. */
function handleShlinkErrors(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const send = (p: ShlinkError) =>
      res
        .status(p.status)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: `${ERROR_BASE}${p.code}`,
            title: p.title,
            detail: p.detail,
            status: p.status,
            ...p.extra,
          }),
        );
    if (error instanceof ShlinkProblem) return send(error.problem);
    if (error instanceof ApiProblem) {
      if (error.kind === 'unauthorized') {
        const missing = !req.get('x-api-key') && !req.get('authorization') && !req.query.apiKey;
        return send(
          missing
            ? {
                status: 401,
                code: 'missing-authentication',
                title: 'Invalid authorization',
                detail:
                  'Expected one of the following authentication headers, ["X-Api-Key"], but none were provided',
                extra: { expectedHeaders: ['X-Api-Key'] },
              }
            : {
                status: 401,
                code: 'invalid-api-key',
                title: 'Invalid API key',
                detail: 'Provided API key does not exist or is invalid.',
              },
        );
      }
      if (error.kind === 'forbidden' || error.kind === 'cross-site') {
        return send({
          status: 403,
          code: 'forbidden-operation',
          title: 'Forbidden operation',
          detail: error.message,
        });
      }
      if (error.kind === 'rate-limited') {
        return send({
          status: 429,
          code: 'rate-limited',
          title: 'Too many requests',
          detail: error.message,
        });
      }
      if (error.kind === 'refused' || error.kind === 'invalid-request') {
        return send({
          status: 400,
          code: 'invalid-data',
          title: 'Invalid data',
          detail: error.message,
          extra: { invalidElements: (error.errors ?? []).map((e) => e.pointer.slice(1)) },
        });
      }
    }
    const sorted = classifyError(error);
    if (sorted.kind === 'bad-request' && sorted.parserType === 'entity.parse.failed') {
      return send({
        status: 400,
        code: 'malformed-request-body',
        title: 'Malformed request body',
        detail: 'Provided request does not contain a valid JSON body.',
      });
    }
    if (sorted.kind === 'storage-unavailable') {
      noteStorageUnavailable(res, error);
      res.set(sorted.headers);
      return send({
        status: 503,
        code: 'storage-unavailable',
        title: 'Storage unavailable',
        detail: STORAGE_BUSY,
      });
    }
    if (sorted.status >= 400 && sorted.status < 500) {
      return send({
        status: sorted.status,
        code: 'invalid-data',
        title: 'Invalid data',
        detail: NOT_UNDERSTOOD,
        extra: { invalidElements: [] },
      });
    }
    logger.error({ err: error, reqId: req.id }, 'Shlink API request failed');
    send({
      status: 500,
      code: 'internal-server-error',
      title: 'Internal server error',
      detail: `The request failed; quote request id ${req.id}.`,
    });
  };
}
