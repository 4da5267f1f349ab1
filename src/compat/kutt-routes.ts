import { englishOf } from '../i18n/catalog.js';
import { errorsInEnglish } from '../links/link-text.js';
import express, { Router, type ErrorRequestHandler, type Request } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  admitCreation,
  callerKeyId,
  identifyCaller,
  linkAddress,
  presentedKey,
  requireFullKey,
  type ApiDeps,
} from '../api/api-routes.js';
import { hostKey } from '../domains/canonical-host.js';
import {
  domainErrorInEnglish,
  linksOnDomainMessage,
  type DomainService,
} from '../domains/domain-service.js';
import type { Domain } from '../domains/domain.js';
import { ApiProblem } from '../api/api-problems.js';
import { classifyError, NOT_UNDERSTOOD, STORAGE_BUSY } from '../http/classify-error.js';
import { noteStorageUnavailable } from '../http/request-notes.js';
import { formatInstant, LATEST_DAY_TEXT, LATEST_INSTANT } from '../links/link-limits.js';
import { DEFAULT_DOMAIN_KEY, domainKeyOf, isLinkCode, type Link } from '../links/link.js';
import { DEFAULT_OPTIONS, LINK_OPTIONS, pickOptions } from '../links/link-options.js';
import { passwordProblem } from '../links/link-password.js';
import { verifyUtf8Json } from '../http/utf8-body.js';
import { kuttStats } from './compat-stats.js';

/**
 * Kutt's API v2 (`/api/v2`), so that Kutt's clients (ShareX's Kutt shortener, the Kutt browser
 * extension, Raycast) work against snip unchanged. Kutt's `id` is snip's code (`code@host` for a
 * link on an added domain, since a code is unique only per domain), so the id a client keeps also
 * deletes the link. Kutt's `description` is snip's title. Kutt's `domain` puts a link on one of
 * snip's domains; a link's `domain` is null on the default domain, as Kutt answers, or the host.
 */

export type KuttDeps = ApiDeps & {
  /** snip's domains: `GET /users` lists them as the user's, `/domains` adds and removes one. */
  domains?: Pick<DomainService, 'current' | 'add' | 'remove'>;
};

/** Kutt's domain object for one of snip's domains; `home` is the default domain's host. */
function kuttDomain(domain: Domain, home: string) {
  return {
    id: domain.host,
    address: domain.host,
    banned: false,
    homepage: domain.rootRedirect ?? home,
    created_at: iso(domain.created),
    updated_at: iso(domain.updated),
  };
}

/** Kutt's new domain: its address (a host) and, optionally, its homepage. */
const DomainSchema = z.object({
  address: z.string({ error: 'Domain is not valid.' }).trim().min(1, 'Domain is not valid.'),
  homepage: z.string().trim().nullish(),
  apikey: z.string().nullish(),
});

/** Between a code and its domain's host in the `id` of a link on an added domain. */
const ID_SEPARATOR = '@';

const iso = formatInstant;

class KuttError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CreateSchema = z.object({
  target: z.string({ error: 'Target is missing.' }),
  customurl: z.string().nullish(),
  reuse: z.boolean().nullish(),
  expire_in: z.string().nullish(),
  description: z.string().max(2040).nullish(),
  password: z.string().nullish(),
  domain: z.string().nullish(),
  apikey: z.string().nullish(),
});

/**
 * Kutt's edit: an empty or missing field is left as it is, as Kutt does. Its `password` sets or
 * changes the password; `null` or '' removes it. Kutt's own handler also removes it when the field
 * is missing (its web form always sends the field); snip leaves an omitted password alone, as it
 * leaves every other omitted field, so that a client changing only the target cannot unprotect a
 * link by accident. A value of only bullets (`••••`, what Kutt's form shows) keeps it.
 */
const EditSchema = z.object({
  target: z.string().nullish(),
  address: z.string().nullish(),
  expire_in: z.string().nullish(),
  description: z.string().max(2040).nullish(),
  password: z.string().nullish(),
  apikey: z.string().nullish(),
});

/** A description as snip's title; one snip cannot keep is refused in Kutt's words. */
function readDescription(value: string | null | undefined): string | null {
  if (!value) return null;
  const reading = LINK_OPTIONS.title.file.read(value);
  if (!reading.ok) throw new KuttError(400, reading.problem.replace(/^A title/, 'Description'));
  return reading.value;
}

/**
 * What Kutt's edit asks of a link's password: a new one (checked by snip's rules), null to remove
 * it, or undefined to leave it as it is (see EditSchema).
 */
function readEditedPassword(
  value: string | null | undefined,
  link: Pick<Link, 'passwordHash'>,
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return link.passwordHash === null ? undefined : null;
  if (/^•+$/.test(value)) return undefined;
  const problem = passwordProblem(value);
  if (problem !== null) throw new KuttError(400, englishOf(problem));
  return value;
}

/** Kutt's `expire_in` as the first instant the link no longer works, from `now`. */
function readExpireIn(value: string, now: number): number {
  const duration = parseExpireIn(value);
  if (duration === null) {
    // Kutt's own two messages: a text `ms` cannot read, and a duration under a minute.
    const readable = parseExpireIn(value, 0) !== null;
    throw new KuttError(
      400,
      readable
        ? 'Expire time should be more than 1 minute.'
        : 'Expire format is invalid. Valid examples: 1m, 8h, 42 days.',
    );
  }
  const expiresAt = now + duration;
  if (!(expiresAt <= LATEST_INSTANT)) {
    throw new KuttError(400, `Expire time should end no later than ${LATEST_DAY_TEXT}.`);
  }
  return expiresAt;
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_557_600_000,
};

/**
 * Kutt's `expire_in`: "2 minutes", "1 day", "8h" (the `ms` package's words), at least `least`
 * milliseconds (a minute, as Kutt asks).
 */
export function parseExpireIn(text: string, least = 60_000): number | null {
  const match =
    /^(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)$/i.exec(
      text.trim(),
    );
  if (!match) return null;
  const unit = match[2]!.toLowerCase();
  // Whole milliseconds, as snip stores times; "1.0000001 s" is not a time of its own.
  const ms = Math.round(Number(match[1]) * UNIT_MS[unit.startsWith('mi') ? 'm' : unit[0]!]!);
  return ms >= least && ms > 0 ? ms : null;
}

export function createKuttRoutes(deps: KuttDeps, logger: Logger): Router {
  const router = Router({ caseSensitive: true });

  function kuttLink(req: Request, link: Link) {
    const address = linkAddress(deps, req, link);
    const domain = link.domainId === null ? null : address.domain;
    return {
      id: domain === null ? link.code : `${link.code}${ID_SEPARATOR}${domain}`,
      address: link.code,
      description: link.title,
      banned: false,
      // Kutt answers whether a link has a password (`!!link.password`), never the password.
      password: link.passwordHash !== null,
      expire_in: iso(link.expiresAt),
      target: link.target,
      visit_count: deps.links.totalVisits(link),
      created_at: iso(link.created),
      updated_at: iso(link.updated),
      link: address.shortUrl,
      domain,
    };
  }

  /** Whether a host names the default domain: the public origin's host, any spelling. */
  function isDefaultHost(req: Request, name: string): boolean {
    return hostKey(name) === hostKey(new URL(deps.publicOrigin(req)).hostname);
  }

  /** The link a Kutt `id` names (`code`, or `code@host` on an added domain), or a 404. */
  async function findById(req: Request, missing = 'Could not find the link.'): Promise<Link> {
    const id = String(req.params.id);
    const at = id.lastIndexOf(ID_SEPARATOR);
    const code = at === -1 ? id : id.slice(0, at);
    const host = at === -1 ? null : id.slice(at + 1);
    let domainKey: number | null = DEFAULT_DOMAIN_KEY;
    if (host !== null && !isDefaultHost(req, host)) {
      const found = await deps.linkDomains.domainForLinks(host);
      domainKey = found.ok ? domainKeyOf(found.domainId) : null;
    }
    const link =
      isLinkCode(code) && domainKey !== null ? await deps.links.findLink(code, domainKey) : null;
    if (!link || link.deletedAt !== null) throw new KuttError(404, missing);
    return link;
  }

  // Kutt's health check reads no key: a client sending a wrong one is still told the API is up.
  router.get('/health', async (_req, res) => {
    res.type('text/plain').send('OK');
  });

  router.use(express.json({ limit: '32kb', verify: verifyUtf8Json }));
  // Kutt takes the key from the X-API-KEY header, or an `apikey` field of the body or query.
  const kuttKey = (req: Request): string | null => {
    const fromQuery = typeof req.query.apikey === 'string' ? req.query.apikey : null;
    const fromBody = (req.body as { apikey?: unknown } | undefined)?.apikey;
    return presentedKey(req) ?? (typeof fromBody === 'string' ? fromBody : fromQuery);
  };
  router.use(identifyCaller(deps, kuttKey));

  router.post('/links', async (req, res) => {
    await admitCreation(deps, req, res);
    const parsed = CreateSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new KuttError(400, parsed.error.issues[0]?.message ?? 'Invalid input.');
    const body = parsed.data;
    // Kutt's `password`: empty or null is none (as Kutt reads it); snip's rules for the rest.
    const password = body.password ? body.password : null;
    const refusedPassword = password === null ? null : passwordProblem(password);
    if (refusedPassword !== null) throw new KuttError(400, englishOf(refusedPassword));
    // Kutt's `domain`: empty or its default domain is the default; a domain of snip's that
    // takes links (not an alias) puts the link there; any other is refused in Kutt's words.
    let domainId: number | null = null;
    if (body.domain && !isDefaultHost(req, body.domain)) {
      const found = await deps.linkDomains.domainForLinks(body.domain);
      if (!found.ok) throw new KuttError(400, "You can't use this domain.");
      domainId = found.domainId;
    }
    const expiresAt = body.expire_in ? readExpireIn(body.expire_in, deps.now()) : null;
    const title = readDescription(body.description);
    // Kutt, like the form, adds a scheme to an address that has none.
    const context = { ownHosts: deps.ownHosts(req), addMissingScheme: true };
    const alias = body.customurl?.trim() ?? '';
    const apiKeyId = callerKeyId(res);
    // A password asks for a protected link: an existing one is never handed out instead.
    const reused =
      body.reuse && !alias && password === null
        ? await deps.links.findReusable(body.target, apiKeyId, context, '', domainKeyOf(domainId))
        : null;
    if (reused) {
      res.status(200).json(kuttLink(req, reused));
      return;
    }
    const result = await deps.links.shorten(
      {
        url: body.target,
        alias,
        apiKeyId,
        options: { ...DEFAULT_OPTIONS, expiresAt, title },
        password,
        domainId,
      },
      context,
    );
    if (!result.ok) {
      if (result.status === 409) throw new KuttError(400, 'Custom URL is already in use.');
      throw new KuttError(
        400,
        Object.values(errorsInEnglish(result.errors))[0] ?? 'URL is not valid.',
      );
    }
    res.status(201).json(kuttLink(req, result.link));
  });

  router.get('/links', async (req, res) => {
    requireFullKey(res);
    const number = (name: string, fallback: number, max: number) => {
      const value = req.query[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'string' || !/^\d{1,9}$/.test(value))
        throw new KuttError(400, `${name} must be a number.`);
      return Math.min(Number(value), max);
    };
    const limit = Math.max(1, number('limit', 10, 50));
    const skip = number('skip', 0, 1_000_000_000);
    const search = typeof req.query.search === 'string' ? req.query.search.slice(0, 200) : '';
    // Kutt forgets a deleted link: it is in no page and no total.
    const { links, total } = await deps.links.listLinks({
      search,
      state: null,
      excludeDeleted: true,
      orderBy: 'created',
      direction: 'desc',
      limit,
      offset: skip,
    });
    res.json({
      total,
      limit,
      skip,
      data: links.map((link) => kuttLink(req, link)),
    });
  });

  // Kutt's edit: target, description, expire_in and password; what is empty or the same is left alone.
  router.patch('/links/:id', async (req, res) => {
    requireFullKey(res);
    const link = await findById(req, 'Link was not found.');
    const parsed = EditSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new KuttError(400, parsed.error.issues[0]?.message ?? 'Invalid input.');
    const body = parsed.data;
    const password = readEditedPassword(body.password, link);
    if (body.address && body.address.trim() !== link.code) {
      throw new KuttError(400, 'The address of a link cannot be changed here.');
    }
    const options = pickOptions(link);
    let changed = false;
    const target = body.target?.trim() || link.target;
    if (target !== link.target) changed = true;
    const title = readDescription(body.description);
    if (title !== null && title !== link.title) {
      options.title = title;
      changed = true;
    }
    if (body.expire_in) {
      options.expiresAt = readExpireIn(body.expire_in, deps.now());
      changed = true;
    }
    if (password !== undefined) changed = true;
    if (!changed) throw new KuttError(400, 'Should at least update one field.');
    const result = await deps.links.update(
      link,
      { url: target, options },
      { ownHosts: deps.ownHosts(req), addMissingScheme: true },
    );
    if (!result.ok)
      throw new KuttError(
        400,
        Object.values(errorsInEnglish(result.errors))[0] ?? 'URL is not valid.',
      );
    if (password !== undefined) await deps.links.setPassword(link, password);
    res.json(kuttLink(req, (await deps.links.findLink(link.code, domainKeyOf(link.domainId)))!));
  });

  // Kutt's stats of a link: its periods from snip's daily counts (src/compat/compat-stats.ts),
  // then the link's fields, as Kutt answers. Kutt's own message for an unknown link.
  router.get('/links/:id/stats', async (req, res) => {
    requireFullKey(res);
    const link = await findById(req, 'Link could not be found.');
    const stats = await kuttStats(deps.visits, link.id, deps.now());
    res.json({ ...stats, ...kuttLink(req, link) });
  });

  router.delete('/links/:id', async (req, res) => {
    requireFullKey(res);
    const link = await findById(req);
    await deps.links.delete(link);
    res.json({ message: 'Link has been deleted successfully.' });
  });

  // The Kutt browser extension checks a key here and reads the user's custom domains, which it
  // offers when shortening: any valid key passes, a create-only one too, since the answer holds
  // nothing about any link. snip's domains that take links (not the aliases) are Kutt's domain
  // objects: the host is their `id` and `address`, their `homepage` where their root sends a
  // visitor (Kutt's default domain without one).
  // Kutt's user object holds the user's key: snip keeps only its hash, so it answers the key the
  // caller sent, never stored anywhere in the answer's way (no-store).
  router.get('/users', async (req, res) => {
    if (!res.locals.caller) throw new ApiProblem('unauthorized', 'Send an API key (X-API-KEY).');
    const known = deps.domains ? await deps.domains.current() : { domains: [] };
    const home = new URL(deps.publicOrigin(req)).host;
    res.set('Cache-Control', 'no-store').json({
      apikey: kuttKey(req),
      email: '',
      domains: known.domains
        .filter((domain) => domain.aliasOf === null)
        .map((domain) => kuttDomain(domain, home)),
    });
  });

  // Kutt's domains of a user are snip's domains, which a full key adds and deletes as through
  // /api/v1/domains: `address` is the host, `homepage` where its root sends a visitor. Kutt's
  // answer is the domain (200); a domain that has links or aliases is not deleted (snip never
  // leaves links without their domain), and says why.
  router.post('/domains', async (req, res) => {
    requireFullKey(res);
    const domains = requireDomains();
    const parsed = DomainSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new KuttError(400, parsed.error.issues[0]?.message ?? 'Domain is not valid.');
    // Kutt takes an address with a scheme or a path too, and keeps its host.
    const address = parsed.data.address;
    const host = address.includes('://') ? (URL.parse(address)?.hostname ?? address) : address;
    const result = await domains.add(
      { host, aliasOf: null, rootRedirect: parsed.data.homepage || null },
      deps.ownHosts(req),
    );
    if (!result.ok) {
      const refused = Object.values(result.errors)[0];
      const message =
        refused === undefined ? "You can't add this domain." : domainErrorInEnglish(refused);
      throw new KuttError(400, message);
    }
    res.json(kuttDomain(result.domain, new URL(deps.publicOrigin(req)).host));
  });

  router.delete('/domains/:id', async (req, res) => {
    requireFullKey(res);
    const result = await requireDomains().remove(String(req.params.id));
    if (!result.ok) {
      if (result.reason === 'in_use') {
        throw new KuttError(400, linksOnDomainMessage(String(req.params.id), result.links));
      }
      if (result.reason === 'aliased') {
        throw new KuttError(400, 'Other domains are aliases of this domain: delete them first.');
      }
      throw new KuttError(400, 'Could not delete the domain.');
    }
    res.json({ message: 'Domain deleted successfully' });
  });

  function requireDomains(): NonNullable<KuttDeps['domains']> {
    if (!deps.domains) throw new KuttError(404, 'Not found.');
    return deps.domains;
  }

  router.use(() => {
    throw new KuttError(404, 'Not found.');
  });
  router.use(handleKuttErrors(logger));
  return router;
}

/** Kutt's errors: `{ "error": "…" }` with the status. */
function handleKuttErrors(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const send = (status: number, message: string) => res.status(status).json({ error: message });
    if (error instanceof KuttError) return send(error.status, error.message);
    if (error instanceof ApiProblem) {
      if (error.kind === 'unauthorized') return send(401, 'Unauthorized.');
      if (error.kind === 'forbidden') return send(403, 'This key may only create links.');
      if (error.kind === 'cross-site') return send(403, error.message);
      if (error.kind === 'rate-limited') return send(429, error.message);
      return send(400, error.message);
    }
    const sorted = classifyError(error);
    if (sorted.kind === 'storage-unavailable') {
      noteStorageUnavailable(res, error);
      res.set(sorted.headers);
      return send(503, STORAGE_BUSY);
    }
    // Kutt's clients get its one sentence for a refused request, with the status.
    if (sorted.status >= 400 && sorted.status < 500) return send(sorted.status, NOT_UNDERSTOOD);
    logger.error({ err: error, reqId: req.id }, 'Kutt API request failed');
    send(500, `The request failed; quote request id ${req.id}.`);
  };
}
