import { englishOfSaid } from '../links/link-text.js';
import busboy from 'busboy';
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ApiProblem } from '../api/api-problems.js';
import type { ApiDeps } from '../api/api-routes.js';
import {
  admitCreation,
  callerKeyId,
  identifyCaller,
  linkAddress,
  rateLimited,
  type Caller,
} from '../api/api-routes.js';
import { DEFAULT_MIGRATIONS_DIR } from '../db/migrations-dir.js';
import { loadMigrations } from '../db/migrations.js';
import { HttpError } from '../http/http-error.js';
import { classifyError, NOT_UNDERSTOOD, STORAGE_BUSY } from '../http/classify-error.js';
import { noteStorageUnavailable } from '../http/request-notes.js';
import { formatInstant } from '../links/link-limits.js';
import { DEFAULT_DOMAIN_KEY, isLinkCode, type Link } from '../links/link.js';
import { DEFAULT_OPTIONS, LINK_OPTIONS } from '../links/link-options.js';
import { hasUtf8Query, notUtf8, verifyUtf8Form } from '../http/utf8-body.js';

/**
 * The YOURLS API (`/yourls-api.php`), so that YOURLS's clients (ShareX's YOURLS shortener and
 * uploaders, Raycast, scripts) work against snip unchanged: GET or POST (form or multipart), the
 * key as `signature` (or a key's name as `username` and the key as `password`, or YOURLS's
 * time-limited `timestamp` and `signature` made with the key's token, ADR 041),
 * `action=shorturl|expand|url-stats|db-stats|stats|version`, `format=json|jsonp|xml|simple` (XML
 * when absent, as YOURLS does). `shorturl` takes a `title` (snip's title; snip never fetches one from
 * the page), and every answer carries it. snip keeps no IP address, so that field is empty.
 */

type Answer = Record<string, unknown>;
type Params = Record<string, string>;

const MULTIPART_LIMIT = '32kb';

/** YOURLS's `2014-10-24 16:01:39`; '' for a time damaged in the database. */
function yourlsTime(epochMs: number): string {
  return formatInstant(epochMs)?.slice(0, 19).replace('T', ' ') ?? '';
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function toXml(value: unknown, name: string): string {
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value as Answer)
      .map(([key, child]) => toXml(child, key))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(value === null || value === undefined ? '' : String(value))}</${name}>`;
}

/**
 * Sends an answer the way YOURLS does: the HTTP status from `statusCode` or `errorCode`, and the
 * body as JSON, XML (root element `<root>`, as since YOURLS 1.8) or the one line `simple` asks for.
 */
/** The most links YOURLS's `stats` answers at once. */
const MAX_STATS_LINKS = 1000;

/** PHP's intval of a parameter: its leading integer, 0 for none; `fallback` when absent. */
function intval(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^\s*([+-]?\d{1,9})/.exec(value);
  return match ? Number(match[1]) : 0;
}

/**
 * A JSONP callback snip wraps an answer in: a dotted JavaScript identifier (`cb`,
 * `jQuery3710_17`, `window.app.done`), no longer than 128 characters. That is narrower than
 * YOURLS's own check (letters, digits, `_`, `$` and dots, with no `u` and four hex digits, which
 * could spell an escape); snip refuses what YOURLS refuses, and names that start with a digit or
 * have an empty part, which are no function.
 */
const JSONP_CALLBACK = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

export function isSafeCallback(name: string): boolean {
  return name.length <= 128 && JSONP_CALLBACK.test(name) && !/u[0-9a-fA-F]{4}/.test(name);
}

function reply(res: Response, format: string, answer: Answer, simple: string): void {
  // YOURLS puts the `callback` (or `jsonp`) parameter into every answer, in any format.
  const params = res.locals.yourls as Params | undefined;
  const callback = params?.callback ?? params?.jsonp;
  if (callback !== undefined) answer = { ...answer, callback };
  const status = Number(answer.statusCode ?? answer.errorCode ?? 200);
  res.status(status);
  if (format === 'jsonp') {
    // YOURLS: the answer as the argument of the callback (none: in parentheses), and for a
    // callback that is not a safe name a 400 with its own words, never the name echoed.
    res.type('application/javascript').set('X-Content-Type-Options', 'nosniff');
    const name = typeof answer.callback === 'string' ? answer.callback : '';
    if (answer.callback !== undefined && !isSafeCallback(name)) {
      res
        .status(400)
        .send(JSON.stringify({ errorCode: '400', error: 'Invalid callback parameter' }));
      return;
    }
    res.send(`${name}(${JSON.stringify(answer)})`);
  } else if (format === 'json') {
    res.type('application/json').send(JSON.stringify(answer));
  } else if (format === 'xml') {
    res
      .type('application/xml')
      .send(`<?xml version="1.0" encoding="UTF-8"?>\n${toXml(answer, 'root')}`);
  } else {
    res.type('text/plain').send(simple);
  }
}

/**
 * The text fields of a multipart body (files are skipped); null when it cannot be read: no
 * boundary, a boundary the body lacks, a body cut short. busboy reads what browsers and ShareX
 * send, one-character boundaries included, which the web platform's FormData parser refuses.
 */
function readMultipartFields(body: Buffer, contentType: string): Promise<Params | null> {
  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType } });
    } catch {
      return resolve(null);
    }
    const fields: Params = {};
    parser.on('field', (name, value) => {
      if (typeof name === 'string' && name !== '') fields[name] = value;
    });
    parser.on('file', (_name, file) => file.resume());
    parser.on('error', () => resolve(null));
    parser.on('close', () => resolve(fields));
    parser.end(body);
  });
}

/** The answer's format: XML when none is asked for, as YOURLS does; `simple` for any other. */
function formatOf(asked: string | undefined): string {
  if (asked === undefined) return 'xml';
  return ['json', 'jsonp', 'xml', 'simple'].includes(asked) ? asked : 'simple';
}

/** `$_REQUEST`: query and body together, single strings only (the body wins). */
async function readParams(req: Request): Promise<Params> {
  if (!hasUtf8Query(req.originalUrl)) throw notUtf8();
  let body: Record<string, unknown> = (req.body as Record<string, unknown> | undefined) ?? {};
  if (Buffer.isBuffer(req.body)) {
    // ShareX posts multipart/form-data. A body that cannot be read is the client's mistake.
    const fields = await readMultipartFields(req.body, req.get('content-type') ?? '');
    if (fields === null) throw new HttpError(400, 'The multipart body could not be read.');
    // busboy decodes bytes that are not UTF-8 to U+FFFD, which no one types.
    if (Object.values(fields).some((value) => value.includes('\ufffd'))) throw notUtf8();
    body = fields;
  }
  const params: Params = {};
  for (const source of [req.query as Record<string, unknown>, body]) {
    for (const [key, value] of Object.entries(source)) {
      if (typeof value === 'string') params[key] = value;
    }
  }
  return params;
}

export type YourlsDeps = ApiDeps & {
  /** snip's version, which `action=version` answers. */
  version?: string;
};

let newestMigration: string | undefined;

/** The version of the newest migration snip's code has: its database schema's version. */
function schemaVersion(): string {
  newestMigration ??= loadMigrations(DEFAULT_MIGRATIONS_DIR).at(-1)?.version ?? '';
  return newestMigration;
}

export function createYourlsRoutes(deps: YourlsDeps, logger: Logger): Router {
  const router = Router({ caseSensitive: true });
  const identifyKey = identifyCaller(
    deps,
    (req) => (req.res?.locals.yourlsKey as string | undefined) ?? null,
  );

  function codeOf(shorturl: string): string {
    return shorturl.replace(/\/+$/, '').split('/').at(-1) ?? '';
  }

  /**
   * The link a short URL or keyword names. YOURLS has no domains: a keyword, or a short URL on
   * any other host, is the default domain's; a short URL on one of snip's domains is the code a
   * visit there would find (on an alias, the domain it aliases).
   */
  async function findLink(shorturl: string): Promise<Link | null> {
    const code = codeOf(shorturl);
    const host = URL.parse(shorturl)?.hostname;
    const domainKey =
      (host ? await deps.linkDomains.linkKeyOfHost(host) : null) ?? DEFAULT_DOMAIN_KEY;
    const link = isLinkCode(code) ? await deps.links.findLink(code, domainKey) : null;
    return link && link.deletedAt === null ? link : null;
  }

  router.all(
    '/yourls-api.php',
    express.urlencoded({ extended: false, limit: '32kb', verify: verifyUtf8Form }),
    express.raw({ type: 'multipart/form-data', limit: MULTIPART_LIMIT }),
    async (req, res, next) => {
      // The query's format already, so that a body that cannot be read is answered in it.
      const asked = req.query.format;
      res.locals.format = formatOf(typeof asked === 'string' ? asked : undefined);
      const params = await readParams(req);
      res.locals.yourls = params;
      const format = formatOf(params.format);
      res.locals.format = format;
      // A callback that is refused is refused before the action, which then changes nothing
      // (YOURLS would run the action and refuse only its output).
      const callback = params.callback ?? params.jsonp;
      if (format === 'jsonp' && callback !== undefined && !isSafeCallback(callback)) {
        return reply(res, format, {}, '');
      }
      // YOURLS's order: timestamp and signature, else a signature alone, else username and
      // password (each only when not empty).
      const given = (name: string) => (params[name] ?? '') !== '';
      const refuse = (message: string) =>
        reply(res, format, { message, errorCode: '403', callback: '' }, message);
      if (given('timestamp') && given('signature')) {
        // hash(timestamp . token) or hash(token . timestamp), each key's token derived from
        // ADMIN_PASSWORD (ADR 041); the matching key's rights apply.
        const check = await deps.keys.checkSignature({
          timestamp: params.timestamp!,
          signature: params.signature!,
          hash: params.hash,
        });
        if (!check.ok) {
          return refuse(
            check.reason === 'no-tokens'
              ? 'Please log in: timestamp and signature need ADMIN_PASSWORD set on this snip; send the API key as signature'
              : 'Please log in',
          );
        }
        const verdict = await deps.limitKey(check.key.id, res);
        if (verdict?.limited) throw rateLimited(verdict);
        res.locals.caller = { keyId: check.key.id, scope: check.key.scope } satisfies Caller;
        res.locals.yourlsSigned = true;
      } else if (given('signature')) {
        res.locals.yourlsKey = params.signature;
      } else if (given('username') && given('password')) {
        // snip's YOURLS user is an API key: its name as username, the key as password.
        const check = await deps.keys.checkKey(params.password!);
        if (!check.ok || check.key.name !== params.username) {
          return refuse('Invalid username or password');
        }
        res.locals.yourlsKey = params.password;
      }
      next();
    },
    // The key travels as `signature` (or `password`); a wrong one is refused like any wrong key.
    // A signed request has its caller already.
    (req, res, next) => (res.locals.yourlsSigned === true ? next() : identifyKey(req, res, next)),
    async (req, res) => {
      const params = res.locals.yourls as Params;
      const format = res.locals.format as string;

      if (params.action === 'shorturl') {
        await admitCreation(deps, req, res);
        const url = params.url ?? '';
        const keyword = params.keyword?.trim() ?? '';
        const title = LINK_OPTIONS.title.file.read(params.title ?? '');
        if (!title.ok) {
          const answer = {
            status: 'fail',
            code: 'error:title',
            message: title.problem,
            errorCode: '400',
            statusCode: '400',
          };
          return reply(res, format, answer, '');
        }
        const result = await deps.links.shorten(
          {
            url,
            alias: keyword,
            apiKeyId: callerKeyId(res),
            options: { ...DEFAULT_OPTIONS, title: title.value },
          },
          { ownHosts: deps.ownHosts(req), addMissingScheme: true },
        );
        if (!result.ok) {
          const taken = result.status === 409;
          const code = taken || result.errors.alias ? 'error:keyword' : 'error:nourl';
          const message = taken
            ? `Short URL ${keyword} already exists in database or is reserved`
            : englishOfSaid(result.errors.url ?? result.errors.alias ?? 'Missing or malformed URL');
          const answer = { status: 'fail', code, message, errorCode: '400', statusCode: '400' };
          return reply(res, format, answer, '');
        }
        const link = result.link;
        const shorturl = linkAddress(deps, req, link).shortUrl;
        const answer = {
          status: 'success',
          code: '',
          message: `${link.target} added to database`,
          errorCode: '',
          statusCode: '200',
          url: {
            keyword: link.code,
            url: link.target,
            title: link.title ?? '',
            date: yourlsTime(link.created),
            ip: '',
          },
          title: link.title ?? '',
          shorturl,
        };
        return reply(res, format, answer, shorturl);
      }

      if (params.action === 'expand' || params.action === 'url-stats') {
        const stats = params.action === 'url-stats';
        // Reads, like YOURLS's on a private install, need a key that may read: expand would
        // otherwise show anyone the target of a disabled or expired link, which snip's pages hide.
        if (res.locals.caller === null || res.locals.caller?.scope !== 'full') {
          throw new ApiProblem('unauthorized', 'Please log in');
        }
        const link = await findLink(params.shorturl ?? '');
        const keyword = codeOf(params.shorturl ?? '');
        if (!link) {
          const message = 'Error: short URL not found';
          const answer = stats
            ? { statusCode: '404', message }
            : { keyword, message, errorCode: '404' };
          return reply(
            res,
            format,
            answer,
            stats ? 'Need either XML or JSON format for stats' : 'not found',
          );
        }
        const shorturl = linkAddress(deps, req, link).shortUrl;
        if (!stats) {
          const answer = {
            keyword: link.code,
            shorturl,
            longurl: link.target,
            title: link.title ?? '',
            message: 'success',
            statusCode: '200',
          };
          return reply(res, format, answer, link.target);
        }
        const answer = {
          statusCode: '200',
          message: 'success',
          link: {
            shorturl,
            url: link.target,
            title: link.title ?? '',
            timestamp: yourlsTime(link.created),
            ip: '',
            clicks: String(deps.links.totalVisits(link)),
          },
        };
        return reply(res, format, answer, 'Need either XML or JSON format for stats');
      }

      // YOURLS's totals of the links (not deleted) and their clicks; `stats` adds the links of
      // its `filter` (top, bottom, last; rand a window of them at a random place) from `start`.
      if (params.action === 'db-stats' || params.action === 'stats') {
        if (res.locals.caller === null || res.locals.caller?.scope !== 'full') {
          throw new ApiProblem('unauthorized', 'Please log in');
        }
        const states = await deps.links.countByState();
        const totals = {
          total_links: Object.values(states).reduce((sum, n) => sum + n, 0) - states.deleted,
          total_clicks: await deps.links.totalVisitsOfAllLinks(),
        };
        const simple = 'Need either XML or JSON format for stats';
        if (params.action === 'db-stats') {
          const answer = { 'db-stats': totals, statusCode: '200', message: 'success' };
          return reply(res, format, answer, simple);
        }
        const limit = Math.min(intval(params.limit, 10), MAX_STATS_LINKS);
        const filter = params.filter ?? 'top';
        const random = filter === 'rand' || filter === 'random';
        const start = random
          ? Math.floor(Math.random() * Math.max(0, totals.total_links - limit + 1))
          : Math.max(0, intval(params.start, 0));
        const { links } =
          limit > 0
            ? await deps.links.listLinks({
                search: '',
                state: null,
                excludeDeleted: true,
                orderBy: filter === 'last' || random ? 'created' : 'visits',
                direction: filter === 'bottom' ? 'asc' : 'desc',
                limit,
                offset: start,
              })
            : { links: [] };
        const answer: Answer = {
          ...(links.length === 0
            ? {}
            : {
                links: Object.fromEntries(
                  links.map((link, i) => [
                    `link_${i + 1}`,
                    {
                      shorturl: linkAddress(deps, req, link).shortUrl,
                      url: link.target,
                      title: link.title ?? '',
                      timestamp: yourlsTime(link.created),
                      ip: '',
                      clicks: String(deps.links.totalVisits(link)),
                    },
                  ]),
                ),
              }),
          stats: totals,
          statusCode: '200',
          message: 'success',
        };
        return reply(res, format, answer, simple);
      }

      // YOURLS's version is its own; snip answers snip's, and with db=1 the newest migration
      // its code knows (YOURLS's database version). A private snip asks for a key, as a
      // private YOURLS asks for a login before any action.
      if (params.action === 'version') {
        if (deps.createAccess === 'private' && res.locals.caller === null) {
          throw new ApiProblem('unauthorized', 'Please log in');
        }
        const answer: Answer = { version: deps.version ?? '' };
        if (params.db === '1') answer.db_version = schemaVersion();
        return reply(res, format, answer, deps.version ?? '');
      }

      const message = 'Unknown or missing "action" parameter';
      reply(res, format, { errorCode: '400', message }, message);
    },
  );

  // YOURLS's answers for failures, in the format the client asked for.
  router.use('/yourls-api.php', ((error, req, res, next) => {
    if (res.headersSent) return next(error);
    const format = (res.locals.format as string | undefined) ?? 'xml';
    let answer: Answer;
    const sorted = classifyError(error);
    if (
      error instanceof ApiProblem &&
      (error.kind === 'unauthorized' || error.kind === 'forbidden')
    ) {
      answer = { message: 'Please log in', errorCode: '403', callback: '' };
    } else if (error instanceof ApiProblem && error.kind === 'cross-site') {
      answer = { message: error.message, errorCode: '403', callback: '' };
    } else if (error instanceof ApiProblem && error.kind === 'rate-limited') {
      answer = { message: error.message, errorCode: '429' };
    } else if (sorted.kind === 'storage-unavailable') {
      noteStorageUnavailable(res, error);
      res.set(sorted.headers);
      answer = {
        status: 'fail',
        code: 'error:db',
        message: STORAGE_BUSY,
        errorCode: '503',
        statusCode: '503',
      };
    } else if (sorted.status < 500) {
      answer = {
        message: sorted.kind === 'http' ? sorted.message : NOT_UNDERSTOOD,
        errorCode: String(sorted.status),
      };
    } else {
      logger.error({ err: error, reqId: req.id }, 'YOURLS API request failed');
      answer = { message: `The request failed; quote request id ${req.id}.`, errorCode: '500' };
    }
    reply(res, format, answer, String(answer.message));
  }) as express.ErrorRequestHandler);

  return router;
}
