import type { Request, Response } from 'express';
import { retryInText, type FailureLimit } from '../http/rate-limits.js';
import { text, type Text } from '../i18n/catalog.js';
import type { LinkService } from './link-service.js';
import type { Link } from './link.js';
import {
  UNLOCK_COOKIE,
  UNLOCK_SECONDS,
  PASSWORD_MAX_BYTES,
  unlocks,
  unlockValue,
} from './link-password.js';
import type { RedirectResponder } from './redirect-response.js';

export type PasswordGateDeps = {
  links: Pick<LinkService, 'passwordMatches' | 'unlockKey'>;
  respond: RedirectResponder;
  now: () => number;
  /** Whether this request came over HTTPS: the unlock cookie is then Secure. */
  secureCookies: (req: Request) => boolean;
  /** Wrong passwords per link and client (RATE_LIMIT_PASSWORD). */
  limit: FailureLimit;
  /** Hears of every wrong password (the metrics count them). */
  onFailure: () => void;
};

/**
 * The challenge of the password page. Not `Basic`: a browser would show its own dialog instead of
 * the page. Scripts send the password with Basic auth all the same (ADR 027).
 */
const CHALLENGE = 'Form realm="snip"';

type Protected = Link & { passwordHash: string };

/**
 * A password-protected link (ADR 027). `GET /code` answers a page asking for the password (401);
 * a valid unlock cookie, or HTTP Basic auth carrying the password (any user name), redirects as
 * the link would. `POST /code` with the right password answers 303 See Other to the target with
 * an unlock cookie, and counts one visit. Wrong passwords are answered 401 with the form again
 * and counted per link and client; past RATE_LIMIT_PASSWORD every attempt of that client on that
 * link is 429. The target appears only in the `Location` of a redirect the password allowed.
 */
export function createPasswordGate(deps: PasswordGateDeps) {
  function showForm(req: Request, res: Response, link: Link, status: number, error?: Text) {
    // The form's answer is a redirect to the target, wherever it is: a CSP `form-action 'self'`
    // would make the browser stop there. Any web origin, then — naming the target's would show it.
    const policy = res.getHeader('Content-Security-Policy');
    if (typeof policy === 'string') {
      res.setHeader(
        'Content-Security-Policy',
        policy.replace("form-action 'self'", "form-action 'self' https: http:"),
      );
    }
    res
      .status(status)
      .set({
        'WWW-Authenticate': CHALLENGE,
        'Cache-Control': 'no-store',
        'X-Robots-Tag': 'noindex',
      })
      .vary('Cookie')
      .vary('Authorization')
      .render('password', { code: link.code, error: error ?? null, maxBytes: PASSWORD_MAX_BYTES });
  }

  function tooMany(req: Request, res: Response, link: Link, resetSeconds: number) {
    showForm(req, res, link, 429, text('password.tooMany', { when: retryInText(resetSeconds) }));
  }

  /** Whether the request carries a cookie that unlocks this link now. */
  async function hasUnlock(req: Request, link: Protected): Promise<boolean> {
    const values = unlockCookies(req.headers.cookie);
    if (values.length === 0) return false;
    const key = await deps.links.unlockKey();
    const nowSeconds = Math.floor(deps.now() / 1000);
    return values.some((value) => unlocks(key, value, link, nowSeconds));
  }

  /** A wrong password: counted, told to the metrics, answered with the form again. */
  async function refuse(req: Request, res: Response, link: Link) {
    deps.onFailure();
    await deps.limit.fail(req, link.code);
    showForm(req, res, link, 401, text('password.wrong'));
  }

  return {
    /** `GET`/`HEAD /code` of an active protected link. */
    async get(req: Request, res: Response, link: Protected): Promise<void> {
      // Its redirects are logged at debug, as the fast path's are (ADR 011): a protected link's
      // every visit comes this way, and the log does not say which links are followed.
      const redirect = () => {
        res.locals.logLevel = 'debug';
        deps.respond(req, res, link);
      };
      if (await hasUnlock(req, link)) return redirect();
      const basic = basicPassword(req.headers.authorization);
      if (basic === null) return showForm(req, res, link, 401);
      const verdict = await deps.limit.check(req, link.code, res);
      if (verdict?.limited) return tooMany(req, res, link, verdict.resetSeconds);
      if (basic !== undefined && (await deps.links.passwordMatches(link, basic))) {
        return redirect();
      }
      return refuse(req, res, link);
    },

    /** `POST /code` of an active protected link, with the form's `password`. */
    async post(req: Request, res: Response, link: Protected): Promise<void> {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const password = body.password;
      if (typeof password !== 'string' || password === '') {
        return showForm(req, res, link, 400, text('password.missing'));
      }
      const verdict = await deps.limit.check(req, link.code, res);
      if (verdict?.limited) return tooMany(req, res, link, verdict.resetSeconds);
      if (!(await deps.links.passwordMatches(link, password))) return refuse(req, res, link);
      const expires = Math.floor(deps.now() / 1000) + UNLOCK_SECONDS;
      const value = unlockValue(await deps.links.unlockKey(), link, expires);
      const cookie = [
        `${UNLOCK_COOKIE}=${value}`,
        `Path=/${link.code}`,
        `Max-Age=${UNLOCK_SECONDS}`,
        'HttpOnly',
        'SameSite=Lax',
        ...(deps.secureCookies(req) ? ['Secure'] : []),
      ].join('; ');
      // 303: the browser follows with a GET and never sends the password on to the target.
      deps.respond(req, res, link, { status: 303, cookie });
    },
  };
}

export type PasswordGate = ReturnType<typeof createPasswordGate>;

/** Every `snip_unlock` value the request carries (one per unlocked link whose path matched). */
function unlockCookies(header: string | undefined): string[] {
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === UNLOCK_COOKIE) values.push(value.join('='));
  }
  return values.slice(0, 20);
}

/**
 * The password of `Authorization: Basic …` (whatever the user name); null when there is no
 * Basic auth, undefined when it is there but malformed (a wrong password, then).
 */
export function basicPassword(header: string | undefined): string | null | undefined {
  if (typeof header !== 'string') return null;
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match) return /^Basic(\s|$)/i.test(header) ? undefined : null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}
