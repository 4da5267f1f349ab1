import type { Config } from '../config.js';
import { SNIP_COOKIES, type SnipCookie } from '../http/cookies.js';
import { text, type Text } from '../i18n/catalog.js';
import { FIXED_RULES, type RateLimitRule } from '../http/rate-limits.js';
import { MAX_REMEMBERED_LINKS } from '../links/remembered-links.js';
import type { GeoSource } from '../stats/geo-source.js';
import { DIMENSIONS, MAX_REFERRER_HOSTS, type Dimension } from '../stats/visit-store.js';

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
 * Every sentence is a Text (a catalog key and its values, worded by the page in the reader's
 * language, escaped); each one states something the code does, and says where it reads it: the
 * cookies from SNIP_COOKIES, the limits from the config and FIXED_RULES, the log from LOG_LEVEL.
 * `englishOf` words one in English.
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
  purpose: Text;
  lifetime: Text;
}>;

export type PrivacyFacts = Readonly<{
  /** 'SQLite' or 'PostgreSQL': where the database is, without naming a file or a server. */
  engine: string;
  visits: Readonly<{
    neverStored: readonly Text[];
    stored: readonly Text[];
    /** One sentence per dimension kept, in VisitStatistics' order. */
    perValue: readonly Text[];
    uniqueVisitors: Text | null;
    doNotTrack: Text | null;
    notCounted: Text;
    country: Readonly<{ source: GeoSource | null; sentence: Text }>;
  }>;
  cookies: readonly CookieFact[];
  noCookies: Text;
  log: Readonly<{ level: string; sentences: readonly Text[] }>;
  rateLimits: Readonly<{
    on: boolean;
    /** One line per limit: what it counts, its rule, and what it counts per. */
    limits: readonly Text[];
    sentences: readonly Text[];
  }>;
  clientAddress: readonly Text[];
  access: readonly Text[];
  links: readonly Text[];
}>;

const DAY_MS = 86_400_000;

/** The largest unit a duration is a whole number of: two days or more in days, a day in hours. */
function unitOf(ms: number): 'days' | 'hours' | 'minutes' | 'seconds' | 'milliseconds' {
  // A day is "24 hours", which reads as the limit it is.
  if (ms % DAY_MS === 0 && ms >= 2 * DAY_MS) return 'days';
  if (ms % 3_600_000 === 0) return 'hours';
  if (ms % 60_000 === 0) return 'minutes';
  if (ms % 1000 === 0) return 'seconds';
  return 'milliseconds';
}

const UNIT_MS = { days: DAY_MS, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1 };

/** `30 minutes`, `12 hours`, `365 days`: a whole number of the largest unit that fits. */
export function durationText(ms: number): Text {
  const unit = unitOf(ms);
  const count = ms / UNIT_MS[unit];
  return {
    days: () => text('privacy.duration.days', { count }),
    hours: () => text('privacy.duration.hours', { count }),
    minutes: () => text('privacy.duration.minutes', { count }),
    seconds: () => text('privacy.duration.seconds', { count }),
    milliseconds: () => text('privacy.duration.milliseconds', { count }),
  }[unit]();
}

/** `60/h` as words: `60 per hour`, `10 per 15 minutes`. */
export function ruleText(rule: RateLimitRule): Text {
  const ms = rule.seconds * 1000;
  const unit = unitOf(ms);
  const values = { points: rule.points, count: ms / UNIT_MS[unit] };
  return {
    days: () => text('privacy.rule.days', values),
    hours: () => text('privacy.rule.hours', values),
    minutes: () => text('privacy.rule.minutes', values),
    seconds: () => text('privacy.rule.seconds', values),
    milliseconds: () => text('privacy.rule.milliseconds', values),
  }[unit]();
}

function dimensionSentence(dimension: VisitDimension, geo: GeoSource | null): Text | null {
  switch (dimension) {
    case 'country':
      return geo === null ? null : text('privacy.perValue.country', { database: geo.name });
    case 'browser':
      return text('privacy.perValue.browser');
    case 'os':
      return text('privacy.perValue.os');
    case 'device':
      return text('privacy.perValue.device');
    case 'language':
      return text('privacy.perValue.language');
    case 'referrer':
      return text('privacy.perValue.referrer', {
        max: MAX_REFERRER_HOSTS,
        other: text('stats.value.others'),
      });
  }
}

function cookieFacts(config: Config): CookieFact[] {
  const lifetime = (cookie: SnipCookie): Text =>
    cookie.maxAgeSeconds === null
      ? text('privacy.cookie.lifetimeSession', {
          idle: durationText(config.adminSessionIdleMs),
          max: durationText(config.adminSessionMaxMs),
        })
      : cookie === SNIP_COOKIES.rememberedLinks
        ? text('privacy.cookie.lifetimeLinks', {
            duration: durationText(cookie.maxAgeSeconds * 1000),
            count: MAX_REMEMBERED_LINKS,
          })
        : text('privacy.cookie.lifetime', { duration: durationText(cookie.maxAgeSeconds * 1000) });
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

function logSentences(level: Config['logLevel']): Text[] {
  const writes = (at: (typeof LEVEL_ORDER)[number]) =>
    LEVEL_ORDER.indexOf(level) <= LEVEL_ORDER.indexOf(at);
  if (level === 'silent') return [text('privacy.log.silent')];
  const sentences = [text('privacy.log.where', { level })];
  if (writes('info')) {
    sentences.push(
      text('privacy.log.perRequest'),
      writes('debug')
        ? text('privacy.log.redirectsLogged')
        : text('privacy.log.redirectsNotLogged'),
    );
  } else {
    sentences.push(text('privacy.log.problemsOnly'));
  }
  return sentences;
}

const LIMIT_NAMES: Record<keyof NonNullable<Config['rateLimits']>, Text> = {
  create: text('privacy.limit.create'),
  notFound: text('privacy.limit.notFound'),
  manage: text('privacy.limit.manage'),
  api: text('privacy.limit.api'),
  qr: text('privacy.limit.qr'),
  password: text('privacy.limit.password'),
};

/** A limit's line, with what it counts per: a client address, an API key, or a link and address. */
function limitLine(what: Text, rule: RateLimitRule, per: 'address' | 'key' | 'link'): Text {
  const values = { what, rule: ruleText(rule) };
  return {
    address: () => text('privacy.limits.perAddress', values),
    key: () => text('privacy.limits.perKey', values),
    link: () => text('privacy.limits.perLinkAndAddress', values),
  }[per]();
}

function rateLimitFacts(config: Config): PrivacyFacts['rateLimits'] {
  const limits: Text[] = [];
  if (config.rateLimits !== null) {
    for (const [name, rule] of Object.entries(config.rateLimits) as [
      keyof typeof LIMIT_NAMES,
      RateLimitRule,
    ][]) {
      limits.push(
        limitLine(
          LIMIT_NAMES[name],
          rule,
          name === 'api' ? 'key' : name === 'password' ? 'link' : 'address',
        ),
      );
    }
    limits.push(limitLine(text('privacy.limit.reports'), FIXED_RULES.report, 'address'));
  }
  if (config.adminPassword !== null) {
    limits.push(limitLine(text('privacy.limit.signIn'), FIXED_RULES.signIn, 'address'));
  }
  const sentences: Text[] = [];
  if (config.rateLimits === null) {
    sentences.push(
      config.adminPassword === null
        ? text('privacy.limits.off')
        : text('privacy.limits.offButSignIn'),
    );
  }
  if (limits.length > 0) {
    sentences.push(
      text('privacy.limits.counted'),
      config.databaseEngine === 'postgres'
        ? text('privacy.limits.postgres')
        : text('privacy.limits.memory'),
    );
  }
  return { on: config.rateLimits !== null, limits, sentences };
}

function clientAddressSentences(
  config: Config,
  geoSource: GeoSource | null,
  statistics: VisitStatistics,
): Text[] {
  const trust = config.trustProxy;
  const rule =
    trust === false || trust === 0
      ? text('privacy.address.rule.connection')
      : trust === true
        ? text('privacy.address.rule.everyProxy')
        : typeof trust === 'number'
          ? text('privacy.address.rule.hops', { count: trust, setting: String(trust) })
          : text('privacy.address.rule.trusted', { proxies: trust });
  const sentences = [
    config.onFly ? text('privacy.address.fly', { rule }) : text('privacy.address.from', { rule }),
  ];
  const country = geoSource !== null && statistics.dimensions.includes('country');
  const inMemory =
    country && statistics.uniqueVisitors
      ? text('privacy.address.memory.both')
      : country
        ? text('privacy.address.memory.country')
        : statistics.uniqueVisitors
          ? text('privacy.address.memory.unique')
          : null;
  const limited = config.rateLimits !== null || config.adminPassword !== null;
  sentences.push(
    inMemory === null
      ? limited
        ? text('privacy.address.usedForLimits')
        : text('privacy.address.unused')
      : limited
        ? text('privacy.address.usedForLimitsAndInMemory', { what: inMemory })
        : text('privacy.address.usedInMemory', { what: inMemory }),
  );
  return sentences;
}

function accessSentences(config: Config): Text[] {
  return [
    text('privacy.access.manage'),
    config.adminPassword === null ? text('privacy.access.noAdmin') : text('privacy.access.admin'),
    text('privacy.access.keys'),
    config.metricsToken === null
      ? text('privacy.access.noMetrics')
      : text('privacy.access.metrics'),
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
        text('privacy.never.address'),
        text('privacy.never.userAgent'),
        text('privacy.never.cookie'),
      ],
      stored: [
        text('privacy.stored.total'),
        text('privacy.stored.perDay'),
        text('privacy.stored.referrers', {
          max: MAX_REFERRER_HOSTS,
          other: text('stats.value.others'),
        }),
        text('privacy.stored.notFound'),
      ],
      perValue,
      uniqueVisitors: statistics.uniqueVisitors ? text('privacy.uniqueVisitors') : null,
      doNotTrack: statistics.doNotTrack ? text('privacy.doNotTrack') : null,
      notCounted:
        statistics.dimensions.length > 0
          ? text('privacy.notCounted.full')
          : text('privacy.notCounted.basic'),
      country: {
        source: countryKept ? geoSource : null,
        sentence: !countryKept
          ? text('privacy.country.notKept')
          : geoSource === null
            ? text('privacy.country.noLookup')
            : text('privacy.country.source', {
                database: geoSource.name,
                licence: geoSource.licence,
              }),
      },
    },
    cookies: cookieFacts(config),
    noCookies: text('privacy.noOtherCookies'),
    log: { level: config.logLevel, sentences: logSentences(config.logLevel) },
    rateLimits: rateLimitFacts(config),
    clientAddress: clientAddressSentences(config, geoSource, statistics),
    access: accessSentences(config),
    links: [
      text('privacy.links.kept'),
      text('privacy.links.reports'),
      text('privacy.links.deleting'),
    ],
  });
}
