import type { Said } from './link-text.js';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { text as textOf, translator } from '../i18n/catalog.js';
import { SOURCE_LANGUAGE, type LanguageTag } from '../i18n/languages.js';
import { rememberedBy } from '../stats/remembered.js';
import type { RedirectStatus } from './link-options.js';

/**
 * Redirect rules: an ordered list on a link, each a target and conditions that must all hold;
 * the first rule whose conditions hold decides where a visit goes, otherwise the link's own
 * target does (docs/links.md#redirect-rules, ADR 029).
 *
 * A link stores its rules as one JSON text (`urls.redirect_rules`, null for none) in the
 * canonical form `canonicalRules` writes, so that a row stays a link without mapping and equal
 * rules are equal texts. The redirect path parses a text once and keeps the result (`parsed`).
 */

export const MAX_RULES = 10;
export const MAX_CONDITIONS = 10;
const MAX_QUERY_NAME = 100;
const MAX_QUERY_VALUE = 500;

/** The devices a rule can name: Shlink's values (DeviceType), each a platform or a class. */
export const DEVICES = [
  'ios',
  'android',
  'mobile',
  'desktop',
  'windows',
  'macos',
  'linux',
  'chromeos',
] as const;
export type Device = (typeof DEVICES)[number];

export type RuleCondition =
  | { type: 'device'; value: Device }
  /** A language tag, `de` (any region) or `de-AT`, stored with a lower-case language. */
  | { type: 'language'; value: string }
  /** Absent `value`: present with any value; `''`: present without a value; else equal to it. */
  | { type: 'query'; name: string; value?: string }
  /** An instant (ISO 8601, UTC): the visit is before it, or after it. */
  | { type: 'before' | 'after'; value: string }
  /** An ISO 3166-1 country code, upper-case: the country of the visitor's address. */
  | { type: 'country'; value: string };

export type RedirectRule = { url: string; conditions: RuleCondition[] };

/** A language tag as rules take it: a primary language, optionally a region or script. */
const LANGUAGE_TAG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$/i;

/** An instant with its zone, or a date (midnight UTC). */
const INSTANT =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The instant of a rule's date text, as the ISO text rules store; null when it is not one. */
export function ruleInstant(text: string): string | null {
  if (!INSTANT.test(text)) return null;
  const time = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(time)) return null;
  const year = new Date(time).getUTCFullYear();
  return year >= 2000 && year <= 9999 ? new Date(time).toISOString() : null;
}

const ConditionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('device'),
      value: z.enum(DEVICES, { error: `must be one of ${DEVICES.join(', ')}` }),
    }),
    z.strictObject({
      type: z.literal('language'),
      value: z
        .string()
        .regex(LANGUAGE_TAG, { error: 'must be a language tag such as de or de-AT' })
        .transform((tag) => {
          const [language, region] = tag.split('-');
          return region === undefined
            ? language!.toLowerCase()
            : `${language!.toLowerCase()}-${region.toUpperCase()}`;
        }),
    }),
    z.strictObject({
      type: z.literal('query'),
      name: z
        .string()
        .min(1, { error: 'must name a query parameter' })
        .max(MAX_QUERY_NAME, { error: `must have at most ${MAX_QUERY_NAME} characters` })
        .refine((name) => !/\p{Cc}/u.test(name), { error: 'must not hold control characters' }),
      value: z
        .string()
        .max(MAX_QUERY_VALUE, { error: `must have at most ${MAX_QUERY_VALUE} characters` })
        .refine((value) => !/\p{Cc}/u.test(value), { error: 'must not hold control characters' })
        .optional(),
    }),
    z.strictObject({
      type: z.enum(['before', 'after']),
      value: z.string().transform((text, context) => {
        const instant = ruleInstant(text);
        if (instant !== null) return instant;
        context.addIssue({
          code: 'custom',
          message: 'must be a date-time with its zone (2027-01-01T00:00:00Z) or a date',
        });
        return z.NEVER;
      }),
    }),
    z.strictObject({
      type: z.literal('country'),
      value: z
        .string()
        .regex(/^[A-Za-z]{2}$/, { error: 'must be a two-letter country code such as DE' })
        .transform((code) => code.toUpperCase()),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `is not a condition snip knows (device, language, query, before, after, country)`
        : undefined,
  },
);

/** A rule's target is checked by the URL policy where the link is saved (link-service.ts). */
const RuleSchema = z.strictObject({
  url: z.string({ error: 'must be a URL' }).min(1, { error: 'must be a URL' }),
  conditions: z
    .array(ConditionSchema, { error: 'must be a list of conditions' })
    .min(1, { error: 'needs at least one condition' })
    .max(MAX_CONDITIONS, { error: `may have at most ${MAX_CONDITIONS} conditions` }),
});

/** A link's rules as a door receives them (JSON), checked and in canonical form. */
export const RulesSchema = z
  .array(RuleSchema, { error: 'must be a list of rules' })
  .max(MAX_RULES, { error: `A link has at most ${MAX_RULES} redirect rules.` });

export type RulesReading = { ok: true; rules: RedirectRule[] } | { ok: false; problem: string };
/** The forms' rules: a line's problem is a Text; the rules' own (as data) stay English. */
export type LinesReading = { ok: true; rules: RedirectRule[] } | { ok: false; problem: Said };

/** Checks rules given as data (an API body, a stored or imported JSON text once parsed). */
export function readRules(input: unknown): RulesReading {
  const parsed = RulesSchema.safeParse(input);
  if (parsed.success) return { ok: true, rules: parsed.data as RedirectRule[] };
  const issue = parsed.error.issues[0]!;
  const where =
    issue.path.length === 0 ? 'Redirect rules' : `Redirect rule ${describe(issue.path)}`;
  return { ok: false, problem: `${where}: ${issue.message}` };
}

function describe(path: readonly PropertyKey[]): string {
  const [rule, part, index, field] = path;
  let text = `${Number(rule) + 1}`;
  if (part === 'conditions' && index !== undefined) text += `, condition ${Number(index) + 1}`;
  else if (part !== undefined) text += `, ${String(part)}`;
  if (field !== undefined && field !== 'type') text += ` (${String(field)})`;
  return text;
}

/** The stored text of rules: null for none, else canonical JSON (keys in one order). */
export function canonicalRules(rules: readonly RedirectRule[]): string | null {
  if (rules.length === 0) return null;
  return JSON.stringify(
    rules.map((rule) => ({
      url: rule.url,
      conditions: rule.conditions.map((condition) =>
        condition.type === 'query'
          ? condition.value === undefined
            ? { type: 'query', name: condition.name }
            : { type: 'query', name: condition.name, value: condition.value }
          : { type: condition.type, value: condition.value },
      ),
    })),
  );
}

/** Reads a stored (or exported) rules text back; a damaged one reads as a problem. */
export function rulesFromText(text: string | null): RulesReading {
  if (text === null || text === '') return { ok: true, rules: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'Redirect rules must be a JSON list of rules.' };
  }
  return readRules(data);
}

const PARSED_LIMIT = 1000;
/** Rules ready for the redirect path: parsed, with the `Vary` they need worked out once. */
export type ParsedRules = { rules: RedirectRule[]; vary: string };
const parsedTexts = new Map<string, ParsedRules>();

/**
 * The rules of a stored text, parsed once per text and kept (a bounded map, emptied when full):
 * the redirect path asks for them on every visit. A damaged text has no rules.
 */
export function parsedRules(text: string): ParsedRules {
  let parsed = parsedTexts.get(text);
  if (parsed === undefined) {
    const reading = rulesFromText(text);
    const rules = reading.ok ? reading.rules : [];
    parsed = { rules, vary: headersRead(rules) };
    if (parsedTexts.size >= PARSED_LIMIT) parsedTexts.clear();
    parsedTexts.set(text, parsed);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// The forms' text: one rule per line, `conditions -> url`.

const ARROW = /\s+(?:->|→)\s+/;

/**
 * The rules of the forms' `rules` field: one rule per line, its conditions separated by spaces,
 * then `->` and the URL. Conditions: `device:ios`, `language:de-AT`, `query:ref` (any value),
 * `query:ref=` (no value), `query:ref=x`, `before:2027-01-01T00:00:00Z`, `after:2027-01-01`.
 * A query's name and value are written with `%XX` escapes for spaces and the like.
 */
export function rulesFromLines(text: string): LinesReading {
  const rules: unknown[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const parts = line.split(ARROW);
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      return { ok: false, problem: textOf('links.rules.noArrow', { line: index + 1 }) };
    }
    const conditions: unknown[] = [];
    for (const token of parts[0]!.split(/\s+/)) {
      const condition = conditionFromToken(token);
      if (condition === null) {
        return {
          ok: false,
          problem: textOf('links.rules.notCondition', { line: index + 1, token }),
        };
      }
      conditions.push(condition);
    }
    rules.push({ url: parts[1]!.trim(), conditions });
  }
  const reading = readRules(rules);
  return reading.ok ? reading : { ok: false, problem: reading.problem };
}

function conditionFromToken(token: string): unknown {
  const colon = token.indexOf(':');
  if (colon <= 0) return null;
  const type = token.slice(0, colon);
  const rest = token.slice(colon + 1);
  if (type !== 'query') return { type, value: rest };
  const equals = rest.indexOf('=');
  const name = decode(equals === -1 ? rest : rest.slice(0, equals));
  if (name === null) return null;
  if (equals === -1) return { type, name };
  const value = decode(rest.slice(equals + 1));
  return value === null ? null : { type, name, value };
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Rules as the forms show them, the inverse of rulesFromLines. */
export function rulesToLines(rules: readonly RedirectRule[]): string {
  return rules
    .map((rule) => {
      const conditions = rule.conditions.map((condition) => {
        if (condition.type !== 'query') return `${condition.type}:${condition.value}`;
        const name = encodeURIComponent(condition.name);
        return condition.value === undefined
          ? `query:${name}`
          : `query:${name}=${encodeURIComponent(condition.value)}`;
      });
      return `${conditions.join(' ')} -> ${rule.url}`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Choosing the target of a visit.

const DEVICE_CACHE_LIMIT = 1000;

/**
 * The devices a User-Agent names, as Shlink reads them: a platform (ios, android, windows,
 * macos, linux, chromeos) and its class (mobile or desktop). Worked out once per User-Agent
 * string and kept (a bounded map, emptied when full): the same browsers come back all day.
 */
export const devicesOf: (userAgent: string) => readonly Device[] = rememberedBy(
  DEVICE_CACHE_LIMIT,
  classify,
);

function classify(agent: string): readonly Device[] {
  if (/\b(?:iPhone|iPad|iPod)\b/.test(agent)) return ['ios', 'mobile'];
  if (/\bAndroid\b/.test(agent)) return ['android', 'mobile'];
  if (/\bCrOS\b/.test(agent)) return ['chromeos', 'desktop'];
  if (/\bWindows\b/.test(agent)) return ['windows', 'desktop'];
  if (/\bMacintosh\b|\bMac OS X\b/.test(agent)) return ['macos', 'desktop'];
  if (/\bLinux\b|\bX11\b/.test(agent)) return ['linux', 'desktop'];
  if (/\bMobi/.test(agent)) return ['mobile'];
  return [];
}

/**
 * The languages a visitor prefers, from `Accept-Language`: those with a quality of at least 0.9
 * (as Shlink reads them), lower-case, `*` left out.
 */
function preferredLanguages(header: string | undefined): string[] {
  if (header === undefined) return [];
  const languages: string[] = [];
  for (const part of header.split(',').slice(0, 20)) {
    const [tag = '', ...params] = part.trim().split(';');
    const quality = params
      .map((param) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param)?.[1])
      .find((q) => q !== undefined);
    if (tag === '' || tag === '*' || (quality !== undefined && Number(quality) < 0.9)) continue;
    languages.push(tag.toLowerCase());
  }
  return languages;
}

function languageMatches(rule: string, accepted: readonly string[]): boolean {
  const [language, region] = rule.toLowerCase().split('-');
  return accepted.some((tag) => {
    const [acceptedLanguage, acceptedRegion] = tag.split('-');
    return acceptedLanguage === language && (region === undefined || acceptedRegion === region);
  });
}

/** A visit as the rules see it. */
export type Visit = {
  url: string;
  headers: IncomingHttpHeaders;
  now: number;
  /** The country of the visitor's address, looked up only when a rule asks (in memory only). */
  country?: () => string;
};

function holds(condition: RuleCondition, visit: Visit, query: () => URLSearchParams): boolean {
  switch (condition.type) {
    case 'device':
      return devicesOf(visit.headers['user-agent'] ?? '').includes(condition.value);
    case 'language':
      return languageMatches(condition.value, preferredLanguages(visit.headers['accept-language']));
    case 'query': {
      if (!visit.url.includes('?')) return false;
      const value = query().get(condition.name);
      if (condition.value === undefined) return value !== null;
      return value === condition.value;
    }
    case 'before':
      return visit.now < Date.parse(condition.value);
    case 'after':
      return visit.now > Date.parse(condition.value);
    case 'country':
      return visit.country?.() === condition.value;
  }
}

/** The target of the first rule whose conditions all hold, or null for the link's own. */
export function chooseRuleTarget(rules: readonly RedirectRule[], visit: Visit): string | null {
  let params: URLSearchParams | undefined;
  const query = () => {
    const start = visit.url.indexOf('?');
    params ??= new URLSearchParams(start === -1 ? '' : visit.url.slice(start + 1));
    return params;
  };
  for (const rule of rules) {
    if (rule.conditions.every((condition) => holds(condition, visit, query))) return rule.url;
  }
  return null;
}

/**
 * The request headers a link's rules read, for `Vary`: the same list on every answer for the
 * link, whichever rule decides.
 */
export function headersRead(rules: readonly RedirectRule[]): string {
  const read = new Set<string>();
  for (const rule of rules) {
    for (const condition of rule.conditions) {
      if (condition.type === 'device') read.add('User-Agent');
      if (condition.type === 'language') read.add('Accept-Language');
    }
  }
  return [...read].join(', ');
}

/**
 * The status a link with rules answers: never one a browser keeps (301, 308), since the next
 * visit may go elsewhere. 301 becomes 302 and 308 becomes 307, keeping the method rule.
 */
export function statusWithRules(status: RedirectStatus): RedirectStatus {
  if (status === 301) return 302;
  if (status === 308) return 307;
  return status;
}

/** A rule's conditions in words, for the preview page, in its language: "on an iPhone or iPad, for readers of de". */
export function describeConditions(
  conditions: readonly RuleCondition[],
  language: LanguageTag = SOURCE_LANGUAGE,
): string {
  const t = translator(language);
  const devices: Record<Device, () => string> = {
    ios: () => t('preview.when.ios'),
    android: () => t('preview.when.android'),
    mobile: () => t('preview.when.mobile'),
    desktop: () => t('preview.when.desktop'),
    windows: () => t('preview.when.windows'),
    macos: () => t('preview.when.macos'),
    linux: () => t('preview.when.linux'),
    chromeos: () => t('preview.when.chromeos'),
  };
  const words = conditions.map((condition) => {
    switch (condition.type) {
      case 'device':
        return devices[condition.value]();
      case 'language':
        return t('preview.when.language', { language: condition.value });
      case 'query':
        return condition.value === undefined
          ? t('preview.when.query', { name: condition.name })
          : t('preview.when.queryValue', { name: condition.name, value: condition.value });
      case 'before':
        return t('preview.when.before', { moment: condition.value.replace('.000Z', 'Z') });
      case 'after':
        return t('preview.when.after', { moment: condition.value.replace('.000Z', 'Z') });
      case 'country':
        return t('preview.when.country', { country: countryName(language, condition.value) });
    }
  });
  return listOf(language).format(words);
}

const countryNames = new Map<LanguageTag, Intl.DisplayNames>();
function countryName(language: LanguageTag, code: string): string {
  let names = countryNames.get(language);
  if (!names) {
    names = new Intl.DisplayNames([language], { type: 'region', fallback: 'code' });
    countryNames.set(language, names);
  }
  return names.of(code) ?? code;
}

const lists = new Map<LanguageTag, Intl.ListFormat>();
/** "a, b and c" in each language's own words and punctuation (Chinese: "a、b和c"). */
function listOf(language: LanguageTag): Intl.ListFormat {
  let list = lists.get(language);
  if (!list) {
    list = new Intl.ListFormat(language, { type: 'conjunction', style: 'long' });
    lists.set(language, list);
  }
  return list;
}
