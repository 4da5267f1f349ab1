import type { Config } from '../config.js';
import { SNIP_COOKIES, type SnipCookie } from '../http/cookies.js';
import { FIXED_RULES, type RateLimitRule } from '../http/rate-limits.js';
import { MAX_REMEMBERED_LINKS } from '../links/remembered-links.js';
import type { GeoSource } from '../stats/geo-source.js';
import {
  DIMENSIONS,
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type Dimension,
} from '../stats/visit-store.js';

export type { GeoSource };

/**
 * What the privacy page (`GET /privacy`) says, built from the configuration the server runs with
 * and the country database it loaded, so that the page cannot drift from what snip does.
 *
 * How to use: `privacyFacts(config, geoSource, statistics?)` once at start (the facts do not
 * change while the server runs) and render `views/privacy.ejs` with `{ facts }`;
 * privacy-routes.ts does both. `geoSource` is the country database in use, or null when there is
 * none. `statistics` describes what a visit adds to a link's statistics: VISIT_STATISTICS unless
 * the statistics change.
 *
 * Every sentence is plain text (the view escapes it); each one states something the code does,
 * and says where it reads it: the cookies from SNIP_COOKIES, the limits from the config and
 * FIXED_RULES, the log from LOG_LEVEL.
 */

/** What a counted visit may add to its link's statistics, besides the totals and days. */
export type VisitDimension = Dimension;

/** What the statistics keep of a visit: changed here when the statistics change. */
export type VisitStatistics = Readonly<{
  /** Counted per link, per UTC day and per value, in the order the page lists them. */
  dimensions: readonly VisitDimension[];
  /** Unique visitors estimated with a keyed hash under a daily in-memory key, into a sketch. */
  uniqueVisitors: boolean;
  /** A visit with `DNT: 1` or `Sec-GPC: 1` counts toward the total and the visit limit only. */
  doNotTrack: boolean;
}>;

/** The statistics as snip keeps them: every dimension, unique visitors, DNT and GPC honoured. */
export const VISIT_STATISTICS: VisitStatistics = Object.freeze({
  dimensions: DIMENSIONS,
  uniqueVisitors: true,
  doNotTrack: true,
});

/** STATISTICS=basic: visits per day (and referring hosts over all time), as before; DNT honoured. */
export const BASIC_STATISTICS: VisitStatistics = Object.freeze({
  dimensions: Object.freeze([] as const),
  uniqueVisitors: false,
  doNotTrack: true,
});

/** What the statistics keep under the running configuration (STATISTICS). */
export function statisticsOf(config: Pick<Config, 'statistics'>): VisitStatistics {
  return config.statistics === 'full' ? VISIT_STATISTICS : BASIC_STATISTICS;
}

export type CookieFact = Readonly<{
  name: string;
  path: string;
  purpose: string;
  lifetime: string;
}>;

export type LimitFact = Readonly<{ what: string; rule: string; keyedBy: string }>;

export type PrivacyFacts = Readonly<{
  /** 'SQLite' or 'PostgreSQL': where the database is, without naming a file or a server. */
  engine: string;
  visits: Readonly<{
    neverStored: readonly string[];
    stored: readonly string[];
    /** One sentence per dimension kept, in VisitStatistics' order. */
    perValue: readonly string[];
    uniqueVisitors: string | null;
    doNotTrack: string | null;
    notCounted: string;
    country: Readonly<{ source: GeoSource | null; sentence: string }>;
  }>;
  cookies: readonly CookieFact[];
  noCookies: string;
  log: Readonly<{ level: string; sentences: readonly string[] }>;
  rateLimits: Readonly<{
    on: boolean;
    limits: readonly LimitFact[];
    sentences: readonly string[];
  }>;
  clientAddress: readonly string[];
  access: readonly string[];
  links: readonly string[];
}>;

/** `30 minutes`, `12 hours`, `365 days`: a whole number of the largest unit that fits. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, unit] of units) {
    // Two days or more in days; a day is "24 hours", which reads as the limit it is.
    if (ms % size === 0 && (size !== 86_400_000 || ms >= 2 * size)) {
      const n = ms / size;
      return `${n.toLocaleString('en')} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} milliseconds`;
}

/** `60/h` as words: `60 per hour`, `10 per 15 minutes`. */
export function formatRule(rule: RateLimitRule): string {
  const window = formatDuration(rule.seconds * 1000);
  return `${rule.points.toLocaleString('en')} per ${window.replace(/^1 /, '')}`;
}

function dimensionSentence(dimension: VisitDimension, geo: GeoSource | null): string | null {
  switch (dimension) {
    case 'country':
      return geo === null
        ? null
        : `The country (its ISO code), looked up in this server’s memory from the visitor’s address in the ${geo.name} database; the address is then thrown away. Unknown and private addresses count as “unknown”.`;
    case 'browser':
      return 'The browser family (for example chrome, firefox or safari), read in memory from the User-Agent header, which is then thrown away.';
    case 'os':
      return 'The operating system family (for example windows, macos, linux, ios or android), read from the same header.';
    case 'device':
      return 'The device class: desktop, mobile or tablet.';
    case 'language':
      return 'The first preferred language of the browser (Accept-Language), as its primary tag only, such as de or fr.';
    case 'referrer':
      return `The host of the page the visitor came from (for example news.example) — never its path or query. Visits without one count as direct; at most ${MAX_REFERRER_HOSTS} hosts are kept per link, the rest count as “${OTHER_REFERRERS}”.`;
  }
}

function cookieFacts(config: Config): CookieFact[] {
  const lifetime = (cookie: SnipCookie): string =>
    cookie.maxAgeSeconds === null
      ? `Until the browser is closed. The session itself ends after ${formatDuration(config.adminSessionIdleMs)} without a request, and ${formatDuration(config.adminSessionMaxMs)} after sign-in at the latest.`
      : `${formatDuration(cookie.maxAgeSeconds * 1000)}${cookie === SNIP_COOKIES.rememberedLinks ? ` after the last link made in that browser; it lists the newest ${MAX_REMEMBERED_LINKS} links at most` : ''}.`;
  return Object.values(SNIP_COOKIES)
    .filter((cookie) => cookie !== SNIP_COOKIES.admin || config.adminPassword !== null)
    .map((cookie) => ({
      name: cookie.name,
      path: cookie.path,
      purpose: cookie.purpose,
      lifetime: lifetime(cookie),
    }));
}

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function logSentences(level: Config['logLevel']): string[] {
  const writes = (at: (typeof LEVEL_ORDER)[number]) =>
    LEVEL_ORDER.indexOf(level) <= LEVEL_ORDER.indexOf(at);
  if (level === 'silent') return ['LOG_LEVEL is silent: snip writes no log at all.'];
  const sentences = [
    `The log is written to the server’s standard output; how long it is kept is up to whoever runs this site. LOG_LEVEL is ${level}.`,
  ];
  if (writes('info')) {
    sentences.push(
      'Each request to a page or an API gets one line: a request id, the method, the path (with management tokens replaced by :token), the status and the duration. It never holds an IP address, a User-Agent, a referrer, a cookie or the query string.',
      writes('debug')
        ? 'At this level, followed short links are logged too, with the short code as the path.'
        : 'Most followed short links are answered before the request log and are not logged at this level; the few that pass through it (a password-protected link, for example) are logged like any page, with the short code as the path.',
    );
  } else {
    sentences.push(
      'At this level no line is written per request: only problems, with the id of the request that failed and never its address.',
    );
  }
  return sentences;
}

const LIMIT_NAMES: Record<keyof NonNullable<Config['rateLimits']>, string> = {
  create: 'Links created without an API key (form and API)',
  notFound: 'Requests for short links that do not exist',
  manage: 'Changes made on management and admin pages',
  api: 'API requests made with a key',
  qr: 'QR code images drawn',
  password: 'Wrong passwords for one password-protected link',
};

function rateLimitFacts(config: Config): PrivacyFacts['rateLimits'] {
  const perAddress = 'address';
  const limits: LimitFact[] = [];
  if (config.rateLimits !== null) {
    for (const [name, rule] of Object.entries(config.rateLimits) as [
      keyof typeof LIMIT_NAMES,
      RateLimitRule,
    ][]) {
      limits.push({
        what: LIMIT_NAMES[name],
        rule: formatRule(rule),
        keyedBy: name === 'api' ? 'API key' : name === 'password' ? 'link and address' : perAddress,
      });
    }
    limits.push({
      what: 'Abuse reports',
      rule: formatRule(FIXED_RULES.report),
      keyedBy: perAddress,
    });
  }
  if (config.adminPassword !== null) {
    limits.push({
      what: 'Admin sign-in attempts (always limited)',
      rule: formatRule(FIXED_RULES.signIn),
      keyedBy: perAddress,
    });
  }
  const sentences: string[] = [];
  if (config.rateLimits === null) {
    sentences.push(
      config.adminPassword === null
        ? 'Rate limits are off (RATE_LIMITS=off): nothing is counted per client.'
        : 'Rate limits are off (RATE_LIMITS=off): only admin sign-in attempts are counted, because they are always limited.',
    );
  }
  if (limits.length > 0) {
    sentences.push(
      'A limit counts requests per client address (an IPv6 address by its /64 network, which one home or phone usually holds): the counter’s key is the limit’s name and the address in plain text, with the count and the end of its window. API requests are counted per key, not per address.',
      config.databaseEngine === 'postgres'
        ? 'These counters are kept in the database’s rate_limits table, shared by every server of this site, and deleted about an hour after their window ends; while the database cannot be reached, each server counts in its own memory instead.'
        : 'These counters are kept in this server’s memory only, never written to disk, and each one is forgotten when its window ends.',
    );
  }
  return { on: config.rateLimits !== null, limits, sentences };
}

function clientAddressSentences(
  config: Config,
  geoSource: GeoSource | null,
  statistics: VisitStatistics,
): string[] {
  const trust = config.trustProxy;
  const rule =
    trust === false || trust === 0
      ? 'the address of the connection; X-Forwarded-For is ignored (TRUST_PROXY is off), so a forged one changes nothing.'
      : trust === true
        ? 'the first address in X-Forwarded-For, because every proxy is trusted (TRUST_PROXY=true).'
        : typeof trust === 'number'
          ? `the address X-Forwarded-For names ${trust} ${trust === 1 ? 'proxy' : 'proxies'} back (TRUST_PROXY=${trust}).`
          : `the address of the connection or, when that is one of the trusted proxies (${trust}), the address they report in X-Forwarded-For.`;
  const sentences = [
    config.onFly
      ? `On Fly.io the visitor’s address is the one Fly’s proxy puts in Fly-Client-IP; without it, ${rule}`
      : `The visitor’s address is ${rule}`,
  ];
  const inMemory = [
    ...(geoSource !== null && statistics.dimensions.includes('country')
      ? ['the country lookup']
      : []),
    ...(statistics.uniqueVisitors ? ['the unique-visitor estimate'] : []),
  ];
  const uses = [
    ...(config.rateLimits !== null || config.adminPassword !== null
      ? ['for the rate limits as described above']
      : []),
    ...(inMemory.length > 0 ? [`in memory only, for ${inMemory.join(' and ')}`] : []),
  ];
  sentences.push(
    uses.length === 0
      ? 'It is not used for anything, and never written to the log or the database.'
      : `It is used ${uses.join(', and ')}; it is never written to the log.`,
  );
  return sentences;
}

function accessSentences(config: Config): string[] {
  return [
    'Whoever holds a link’s management link — the person who made it — sees that link’s statistics and settings, and can change, disable or delete it. The database keeps only a hash of the management token.',
    config.adminPassword === null
      ? 'There is no admin on this site (ADMIN_PASSWORD is not set).'
      : 'The admin, signed in with ADMIN_PASSWORD, sees every link with its statistics, the abuse reports, and the names of the API keys.',
    'An API key of scope full can read every link and its statistics; a create-only key can only create links. The database keeps only a hash of each key.',
    config.metricsToken === null
      ? 'Metrics are off (METRICS_TOKEN is not set).'
      : 'Whoever holds METRICS_TOKEN can read /metrics: totals by route and status, never a short code, a path or an address.',
  ];
}

/**
 * The facts of the privacy page, from the running configuration, the country database in use
 * (null: none) and what the statistics keep.
 */
export function privacyFacts(
  config: Config,
  geoSource: GeoSource | null,
  statistics: VisitStatistics = VISIT_STATISTICS,
): PrivacyFacts {
  const countryKept = statistics.dimensions.includes('country');
  const perValue = statistics.dimensions
    .map((dimension) => dimensionSentence(dimension, geoSource))
    .filter((sentence) => sentence !== null);
  return Object.freeze({
    engine: config.databaseEngine === 'postgres' ? 'PostgreSQL' : 'SQLite',
    visits: {
      neverStored: [
        'No IP address of a visitor is stored.',
        'No User-Agent string of a visitor is stored.',
        'No cookie is set on or read from a visitor who follows a short link (a password-protected link is the one exception, below).',
      ],
      stored: [
        'The number of visits in total, and the time of the last one.',
        'The number of visits per UTC day.',
        `The number of visits from each referring host (only the host, never the page’s path or query), over the link’s whole life: at most ${MAX_REFERRER_HOSTS} hosts per link, the rest as “${OTHER_REFERRERS}”.`,
        'The number of requests for short codes that do not exist, per domain and UTC day, bots’ and HEAD requests included — never the code asked for, nor anything about who asked.',
      ],
      perValue,
      uniqueVisitors: statistics.uniqueVisitors
        ? 'Unique visitors are estimated per link and day (and per value above) without storing anything about a visitor: the address and the User-Agent go through a keyed hash under a random key that lives only in this server’s memory, is never written anywhere and is replaced every UTC day, and the hash only feeds a cardinality sketch — a compact summary that estimates how many different values it has seen. Nobody, not even whoever runs this site, can tell from it whether two visits on different days came from the same person, or recover an address.'
        : null,
      doNotTrack: statistics.doNotTrack
        ? 'A visit whose browser sends DNT: 1 (Do Not Track) or Sec-GPC: 1 (Global Privacy Control) counts toward the link’s total and its visit limit only; nothing else is derived from it.'
        : null,
      notCounted:
        statistics.dimensions.length > 0
          ? 'Known bots, link prefetches and HEAD requests are not counted at all. Counts are gathered in memory and written to the database about once a second; what a visit adds to the other figures above, within five seconds (up to a minute while thousands of links are being visited at once).'
          : 'Known bots, link prefetches and HEAD requests are not counted at all. Counts are gathered in memory and written to the database about once a second.',
      country: {
        source: countryKept ? geoSource : null,
        sentence: !countryKept
          ? 'No country is derived from a visit.'
          : geoSource === null
            ? 'No country lookup is configured, so no country is derived from a visit.'
            : `Countries come from the ${geoSource.name} database (${geoSource.licence}).`,
      },
    },
    cookies: cookieFacts(config),
    noCookies:
      'snip sets no other cookie: no analytics, no advertising, nothing from another site, and this page loads nothing from another site.',
    log: { level: config.logLevel, sentences: logSentences(config.logLevel) },
    rateLimits: rateLimitFacts(config),
    clientAddress: clientAddressSentences(config, geoSource, statistics),
    access: accessSentences(config),
    links: [
      'For each link: its address, its short code, when it was made and changed, and what its owner set (a title, a note, tags, a password kept only as a hash, rules). If an API key made it, which key; nothing else about who made it.',
      'An abuse report keeps the reason, the details and the contact that the reporter typed — no address, User-Agent or cookie of theirs.',
      'Deleting a link deletes it and its statistics.',
    ],
  });
}
