import { domainToUnicode } from 'node:url';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { rememberToken, readRememberedTokens } from './remembered-links.js';
import { FORM_ONLY, isFormPost, stringFields } from '../http/form-values.js';
import { HttpError } from '../http/http-error.js';
import { retryIn, type RequestLimit } from '../http/rate-limits.js';
import { parseLinkForm } from './link-form.js';
import type { LinkService, LinkState } from './link-service.js';
import { CODE_CHARS, CODE_PATTERN, DEFAULT_DOMAIN_KEY, type Link } from './link.js';
import type { RedirectResponder } from './redirect-response.js';
import type { PasswordGate } from './password-gate.js';
import { PasswordFieldSchema } from './link-password.js';
import { describeConditions, parsedRules } from './redirect-rules.js';
import { chooseDomain, domainOptions, type LinkDomains } from './link-domains.js';
import { bookmarkletFor, sharedUrlOf } from './shared-url.js';
import { pageLanguageOf } from '../http/page-language.js';

/** `/<code>+` is the preview of a link, as on other shorteners. */
const PREVIEW_PATTERN = new RegExp(`^(${CODE_CHARS})\\+$`);

/**
 * The form's URL and alias. urlencoded bodies give a string, or an array when a field is
 * repeated; only single strings are accepted. Surrounding spaces (a sloppy paste) are trimmed
 * here; the URL policy refuses any other whitespace.
 */
export const ShortenFormSchema = z.object({
  // Missing is the same as empty: the URL policy then asks for a link.
  url: z.string().trim().optional().default(''),
  alias: z.string().trim().optional().default(''),
});

export type PublicOrigin = (req: Request) => string;

/** A link's short URL, on its domain (ADR 031). */
export type ShortUrlOf = (req: Request, link: Pick<Link, 'code' | 'domainId'>) => string;

export type LinkRouteDeps = {
  links: LinkService;
  now: () => number;
  publicOrigin: PublicOrigin;
  shortUrlOf: ShortUrlOf;
  /** Host names under which snip is reachable, for the no-loops rule. */
  ownHosts: (req: Request) => string[];
  /** Whether this request came over HTTPS: the cookie is then Secure. */
  secureCookies: (req: Request) => boolean;
  /** Counts a creation attempt against the client's RATE_LIMIT_CREATE. */
  limitCreate: RequestLimit;
  /** `private`: the form is not offered; links come from API keys (and the admin). */
  createAccess: 'public' | 'private';
  /** Password-protected links: the page that asks, and what unlocks them. */
  passwordGate: PasswordGate;
  /** The domains a link can be made on (the form's select); without them, the default only. */
  domains?: LinkDomains;
};

/**
 * The domain key (link.ts) of the links this request's host answers, as the host gate found it
 * (src/domains/domain-routes.ts, ADR 031); null: none. Without the gate, the default domain's.
 */
export function linkDomainKeyOf(res: Response): number | null {
  const key = res.locals.linkDomainKey as number | null | undefined;
  return key === undefined ? DEFAULT_DOMAIN_KEY : key;
}

/**
 * `GET /:code` (Express answers `HEAD` with it too). In the server, the fast path
 * (redirect-fast-path.ts) answers plain `/<code>` requests before they reach Express; this route
 * answers the rest the same way (`/%41bc`, `/abc/`, and every test that drives the app alone).
 * It runs before the page middleware, does one indexed lookup and answers through the same
 * responder. Unknown, expired, disabled and deleted links fall through to the pages (404/410).
 */
export function createRedirectHandler(deps: {
  links: LinkService;
  respond: RedirectResponder;
}): RequestHandler {
  return async (req, res, next) => {
    const code = req.params.code;
    if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return next();
    const domainKey = linkDomainKeyOf(res);
    if (domainKey === null) return next();
    const link = await deps.links.findActiveRedirect(code, domainKey);
    // A password-protected link asks for its password on a page (createLinkPages).
    if (link === null || link.passwordHash !== null) return next();
    // The responder counts it for the metrics, as on the fast path.
    res.locals.routeName = 'redirect';
    deps.respond(req, res, link);
  };
}

export function createLinkPages(deps: LinkRouteDeps): Router {
  const router = Router({ caseSensitive: true });

  /** The home page's locals: the form's values and errors, and this browser's links. */
  async function homeLocals(req: Request, values: object, errors: object) {
    const found = await Promise.all(
      readRememberedTokens(req).map(async (token) => ({
        token,
        link: await deps.links.findLinkByToken(token),
      })),
    );
    const yourLinks = found.flatMap(({ token, link }) => {
      if (!link) return [];
      const state = deps.links.stateOf(link);
      const shortUrl = deps.shortUrlOf(req, link);
      return [{ link, token, state, shortUrl, visits: deps.links.totalVisits(link) }];
    });
    return {
      values,
      errors,
      yourLinks,
      privateMode: deps.createAccess === 'private',
      domainOptions: await domainOptions(deps.domains, req.hostname),
      bookmarklet: bookmarkletFor(deps.publicOrigin(req)),
    };
  }

  router.get('/', async (req, res) => {
    // The list of "your links" comes from the cookie: a shared cache must not mix browsers.
    // `?url=` (the bookmarklet) or the share target's `url`/`text` fill the URL field; a GET
    // never makes a link.
    const shared = sharedUrlOf(req.query);
    res.vary('Cookie').render('home', await homeLocals(req, shared ? { url: shared } : {}, {}));
  });

  router.post('/shorten', async (req, res) => {
    if (deps.createAccess === 'private') {
      throw new HttpError(
        403,
        'Shortening on this snip is private: links are made with an API key.',
      );
    }
    const body: unknown = req.body ?? {};
    const refuse = async (status: number, errors: object) =>
      res.status(status).render('home', await homeLocals(req, stringFields(body), errors));
    const verdict = await deps.limitCreate(req, res);
    if (verdict?.limited) {
      return refuse(429, {
        url: `You have made many links in a short time. Try again ${retryIn(verdict.resetSeconds)}; what you entered is kept below.`,
      });
    }
    if (!isFormPost(req)) return refuse(415, { url: FORM_ONLY });
    const fields = ShortenFormSchema.safeParse(body);
    if (!fields.success) return refuse(400, { url: 'Send one URL and at most one alias.' });
    const form = parseLinkForm(body, deps.now());
    const domain = await chooseDomain(deps.domains, body);
    if (!form.ok || !domain.ok) {
      return refuse(422, {
        ...(domain.ok ? {} : { domain: domain.message }),
        ...(form.ok ? {} : form.errors),
      });
    }
    const password = PasswordFieldSchema.safeParse(body);
    if (!password.success) return refuse(400, { password: 'Send the password once.' });
    const result = await deps.links.shorten(
      {
        ...fields.data,
        domainId: domain.domainId,
        options: form.options,
        utm: form.utm,
        tags: form.tags,
        password: password.data.password,
      },
      { ownHosts: deps.ownHosts(req), addMissingScheme: true },
    );
    if (!result.ok) return refuse(result.status, result.errors);
    rememberToken(req, res, result.manageToken, deps.secureCookies(req));
    res.redirect(303, `/manage/${result.manageToken}?created=1`);
  });

  // Reached only when the redirect handler passed: a preview, a password-protected link, or a
  // link that is gone (410) or not started yet (404).
  router.get('/:code', async (req, res, next) => {
    const param = String(req.params.code);
    const preview = PREVIEW_PATTERN.exec(param)?.[1];
    const code = preview ?? param;
    const domainKey = linkDomainKeyOf(res);
    const link =
      CODE_PATTERN.test(code) && domainKey !== null
        ? await deps.links.findLink(code, domainKey)
        : null;
    if (!link) return next();
    const state = deps.links.stateOf(link);
    if (state.kind !== 'active') {
      res.status(goneStatus(state)).render('gone', { link, state });
      return;
    }
    if (preview === undefined) {
      if (link.passwordHash === null) return next();
      return deps.passwordGate.get(req, res, { ...link, passwordHash: link.passwordHash });
    }
    // A protected link's preview shows neither its target nor its host.
    const locked = link.passwordHash !== null;
    res.render('preview', {
      link: locked ? { code: link.code, created: link.created } : link,
      locked,
      shortUrl: deps.shortUrlOf(req, link),
      host: locked ? null : describeHost(link.target),
      // Every other place the link can send a visit, with when (redirect-rules.ts).
      destinations: locked
        ? []
        : parsedRules(link.rules ?? '[]').rules.map((rule) => ({
            url: rule.url,
            when: describeConditions(rule.conditions, pageLanguageOf(res)),
          })),
    });
  });

  // The password form of a protected link posts here; any other link is not a form (404).
  router.post('/:code', async (req, res, next) => {
    const code = String(req.params.code);
    const domainKey = linkDomainKeyOf(res);
    const link =
      CODE_PATTERN.test(code) && domainKey !== null
        ? await deps.links.findLink(code, domainKey)
        : null;
    if (!link || link.passwordHash === null) return next();
    const state = deps.links.stateOf(link);
    if (state.kind !== 'active') {
      res.status(goneStatus(state)).render('gone', { link, state });
      return;
    }
    return deps.passwordGate.post(req, res, { ...link, passwordHash: link.passwordHash });
  });

  return router;
}

/**
 * A link that does not redirect: 410 Gone once it has stopped for good or for now, 404 while it is
 * scheduled (not yet at its start), as Shlink answers a short URL before its validSince (ADR 037).
 */
export function goneStatus(state: LinkState): 404 | 410 {
  return state.kind === 'scheduled' ? 404 : 410;
}

/** The host as a person reads it, and as the browser will connect to it when they differ. */
export function describeHost(target: string): { unicode: string; ascii: string } {
  // Only active links are previewed, and their targets parse; a row edited by hand may not.
  const ascii = URL.canParse(target) ? new URL(target).hostname : '';
  // domainToUnicode answers '' for a name it cannot convert; the ASCII form is then all there is.
  return { unicode: domainToUnicode(ascii) || ascii, ascii };
}
