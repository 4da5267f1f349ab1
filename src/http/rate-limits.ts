import { englishOf, text, type Text } from '../i18n/catalog.js';
import net from 'node:net';
import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { parseIpv6 } from './ip-address.js';

/** `60/h`: at most `points` requests per client in each window of `seconds`. */
export type RateLimitRule = { points: number; seconds: number; text: string };

const UNIT_SECONDS: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86_400 };

/** Parses `<count>/<window>` (`60/h`, `10/15min`, `1000/d`); null when it is not one. */
export function parseRateLimit(text: string): RateLimitRule | null {
  const match = /^(\d+)\s*\/\s*(\d*)\s*(s|min|h|d)$/.exec(text.trim());
  if (!match) return null;
  const points = Number(match[1]);
  const seconds = Number(match[2] || '1') * UNIT_SECONDS[match[3]!]!;
  if (points < 1 || seconds < 1 || !Number.isSafeInteger(points * seconds)) return null;
  return { points, seconds, text: text.trim() };
}

export type LimitVerdict =
  | { limited: false; remaining: number; resetSeconds: number }
  | { limited: true; remaining: 0; resetSeconds: number };

/**
 * One limit's counters. This is the only place that knows where they live: in this process's
 * memory today. Several machines need a shared store (rate-limiter-flexible's PostgreSQL
 * limiter, with this memory one as its insurance) behind the same `hit`.
 */
export type Limiter = {
  rule: RateLimitRule;
  hit(key: string): Promise<LimitVerdict>;
  /** Where `key` stands, counting nothing: for limits that count only failures. */
  peek(key: string): Promise<LimitVerdict>;
};

/** Makes the limiter of one named limit: where its counters live is the storage's choice. */
export type LimiterFactory = (name: string, rule: RateLimitRule) => Limiter;

export function createLimiter(name: string, rule: RateLimitRule): Limiter {
  return limiterOver(rule, memoryStore(name, rule));
}

/** Counters in this process's memory. */
export function memoryStore(name: string, rule: RateLimitRule): RateLimiterMemory {
  return new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.seconds });
}

/** A limit whose counters are in `store`, answering in snip's terms. */
export function limiterOver(
  rule: RateLimitRule,
  store: Pick<RateLimiterMemory, 'consume' | 'get'>,
): Limiter {
  return {
    rule,
    async peek(key) {
      const res = await store.get(key);
      if (res === null) return { limited: false, remaining: rule.points, resetSeconds: 0 };
      const resetSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      return res.consumedPoints >= rule.points
        ? { limited: true, remaining: 0, resetSeconds }
        : { limited: false, remaining: rule.points - res.consumedPoints, resetSeconds };
    },
    async hit(key) {
      try {
        const res = await store.consume(key);
        return {
          limited: false,
          remaining: res.remainingPoints,
          resetSeconds: Math.ceil(res.msBeforeNext / 1000),
        };
      } catch (rejection) {
        // A RateLimiterRes means "over the limit"; anything else is a store failure and throws.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return {
          limited: true,
          remaining: 0,
          resetSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        };
      }
    },
  };
}

/**
 * Who a request comes from. On Fly.io the proxy puts the client in `Fly-Client-IP` and the socket
 * is always the proxy; anywhere else the socket address counts, or the address that the proxies
 * TRUST_PROXY names report (Express's `req.ip`). A spoofed header off Fly changes nothing.
 * IPv6 clients are keyed by their /64: one host usually holds a whole /64.
 */
export function clientKey(req: Request, onFly: boolean): string {
  const flyClient = onFly ? req.get('fly-client-ip')?.trim() : undefined;
  const address =
    flyClient && net.isIP(flyClient) ? flyClient : (req.ip ?? req.socket.remoteAddress ?? '');
  return addressKey(address);
}

export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(address)) {
    const groups = parseIpv6(address.replace(/%.*$/, ''));
    if (groups)
      return `${groups
        .slice(0, 4)
        .map((g) => g.toString(16))
        .join(':')}::/64`;
  }
  return address;
}

/**
 * Counts one request of `key` against `limiter` and says so in the IETF headers (RateLimit-Limit,
 * -Remaining, -Reset and -Policy, draft 6); a refused request also gets Retry-After. Without a
 * limiter (RATE_LIMITS=off) nothing is counted and every request passes.
 */
export async function checkLimit(
  limiter: Limiter | null,
  key: string,
  res: Response,
): Promise<LimitVerdict | null> {
  if (limiter === null) return null;
  const verdict = await limiter.hit(key);
  res.set({
    'RateLimit-Policy': `${limiter.rule.points};w=${limiter.rule.seconds}`,
    'RateLimit-Limit': String(limiter.rule.points),
    'RateLimit-Remaining': String(verdict.remaining),
    'RateLimit-Reset': String(verdict.resetSeconds),
  });
  if (verdict.limited) res.set('Retry-After', String(verdict.resetSeconds));
  return verdict;
}

/** "in 40 seconds", "in 12 minutes", "in 2 hours": when a refused client may try again. */
export function retryIn(seconds: number): string {
  return englishOf(retryInText(seconds));
}

/** retryIn as a Text, for a page in the reader's language. */
export function retryInText(seconds: number): Text {
  if (seconds < 90) return text('time.inSeconds', { count: seconds });
  if (seconds < 90 * 60) return text('time.inMinutes', { count: Math.ceil(seconds / 60) });
  return text('time.inHours', { count: Math.ceil(seconds / 3600) });
}

/** Counts a request against one limit; null when limits are off. */
export type RequestLimit = (req: Request, res: Response) => Promise<LimitVerdict | null>;

/**
 * A limit on failures only, per client and per thing (a link's code): `check` says whether the
 * client is past it and counts nothing, `fail` counts one failure. Null verdicts: limits are off.
 */
export type FailureLimit = {
  check(req: Request, thing: string, res: Response): Promise<LimitVerdict | null>;
  fail(req: Request, thing: string): Promise<LimitVerdict | null>;
};

export type RequestLimits = {
  create: RequestLimit;
  notFound: RequestLimit;
  manage: RequestLimit;
  /**
   * Admin sign-in attempts: fixed at 10 per 15 minutes per client (PRODUCT §2), even with
   * RATE_LIMITS=off: nothing upstream knows which requests guess the admin password.
   */
  signIn: RequestLimit;
  /** Abuse reports from visitors: fixed at 10 per hour per client. */
  report: RequestLimit;
  /** QR images drawn for a client (RATE_LIMIT_QR); images served from the cache are not counted. */
  qr: RequestLimit;
  /** An API key's requests, counted per key (RATE_LIMIT_API), wherever they come from. */
  apiKey: (keyId: number, res: Response) => Promise<LimitVerdict | null>;
  /** Wrong passwords of a protected link, per link and client (RATE_LIMIT_PASSWORD). */
  password: FailureLimit;
};

/** Every limit a request can be refused by, as the metrics name them. */
export const RATE_LIMIT_NAMES = [
  'create',
  'notFound',
  'manage',
  'api',
  'signIn',
  'report',
  'qr',
  'password',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

type Rules = Record<'create' | 'notFound' | 'manage' | 'api' | 'qr' | 'password', RateLimitRule>;

/** The limits no setting changes: admin sign-in (always on) and abuse reports. */
export const FIXED_RULES = {
  signIn: { points: 10, seconds: 900, text: '10/15min' },
  report: { points: 10, seconds: 3600, text: '10/h' },
} as const;

/**
 * The limits of snip's doors; `rules` null (RATE_LIMITS=off) limits nothing but admin sign-in,
 * whose limit is always on: a proxy that limits requests cannot tell a guessed password from any
 * other form post, and with nothing counting, the password is open to guessing. `onRefused` hears
 * of every refused request (the metrics count them). `makeLimiter` keeps the counters: in this
 * machine's memory by default, in the shared database where several machines serve.
 */
export function createRequestLimits(
  rules: Rules | null,
  onFly: boolean,
  onRefused: (name: RateLimitName) => void = () => {},
  makeLimiter: (name: RateLimitName, rule: RateLimitRule) => Limiter = createLimiter,
): RequestLimits {
  const all: Partial<Record<RateLimitName, RateLimitRule>> =
    rules === null ? { signIn: FIXED_RULES.signIn } : { ...rules, ...FIXED_RULES };
  const limiter = (name: RateLimitName) => {
    const rule = all[name];
    return rule === undefined ? null : makeLimiter(name, rule);
  };
  const heard = (name: RateLimitName) => (verdict: LimitVerdict | null) => {
    if (verdict?.limited) onRefused(name);
    return verdict;
  };
  const perClient = (name: RateLimitName): RequestLimit => {
    const counted = limiter(name);
    const refused = heard(name);
    return (req, res) => checkLimit(counted, clientKey(req, onFly), res).then(refused);
  };
  const api = limiter('api');
  const apiRefused = heard('api');
  const password = limiter('password');
  const passwordRefused = heard('password');
  const passwordKey = (req: Request, code: string) => `${code} ${clientKey(req, onFly)}`;
  return {
    create: perClient('create'),
    notFound: perClient('notFound'),
    manage: perClient('manage'),
    signIn: perClient('signIn'),
    report: perClient('report'),
    qr: perClient('qr'),
    apiKey: (keyId, res) => checkLimit(api, `key:${keyId}`, res).then(apiRefused),
    password: {
      async check(req, code, res) {
        if (password === null) return null;
        const verdict = await password.peek(passwordKey(req, code));
        if (verdict.limited) res.set('Retry-After', String(verdict.resetSeconds));
        return passwordRefused(verdict);
      },
      async fail(req, code) {
        return password === null ? null : password.hit(passwordKey(req, code));
      },
    },
  };
}
