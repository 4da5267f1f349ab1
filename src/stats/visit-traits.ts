import Bowser from 'bowser';
import { REMEMBERED_AGENTS, rememberedBy } from './remembered.js';

/**
 * What a visit's headers say about the visitor's software, reduced to a few coarse keys that the
 * statistics count per link and day. Nothing here keeps a visitor's data: the User-Agent string
 * is parsed in memory and only its family names leave this module.
 *
 * How to use (on the redirect path, for a counted visit without DNT/GPC):
 *
 *   const { browser, os, device } = traitsOf(req.headers['user-agent'] ?? '');
 *   const language = firstLanguage(req.headers['accept-language']);
 *
 * Both return plain strings from closed sets (`BROWSER_KEYS`, `OS_KEYS`, `DEVICE_KEYS`; a
 * language is a lower-case primary tag such as `de`), `unknown` when nothing could be derived.
 * Neither throws, whatever the header holds. `traitsOf` answers a User-Agent seen before from
 * memory without parsing it again (the same few browsers come back all day); the object it
 * returns is shared and frozen.
 */

/** Browser families counted under their own key; any other browser bowser knows is `other`. */
export const BROWSER_KEYS = [
  'chrome',
  'chromium',
  'edge',
  'firefox',
  'safari',
  'opera',
  'samsung',
  'brave',
  'vivaldi',
  'yandex',
  'uc',
  'duckduckgo',
  'silk',
  'ie',
  'other',
  'unknown',
] as const;
/** Operating system families; any other system bowser knows is `other`. */
export const OS_KEYS = [
  'android',
  'ios',
  'windows',
  'macos',
  'linux',
  'chromeos',
  'harmonyos',
  'other',
  'unknown',
] as const;
export const DEVICE_KEYS = ['desktop', 'mobile', 'tablet', 'unknown'] as const;

export type BrowserKey = (typeof BROWSER_KEYS)[number];
export type OsKey = (typeof OS_KEYS)[number];
export type DeviceKey = (typeof DEVICE_KEYS)[number];
export interface VisitTraits {
  readonly browser: BrowserKey;
  readonly os: OsKey;
  readonly device: DeviceKey;
}

// bowser's display names (its BROWSER_MAP / OS_MAP) to snip's keys. Names bowser may add later
// fall into `other` until they are listed here.
const BROWSER_BY_NAME: ReadonlyMap<string, BrowserKey> = new Map([
  ['Chrome', 'chrome'],
  ['Chromium', 'chromium'],
  ['Microsoft Edge', 'edge'],
  ['Firefox', 'firefox'],
  ['Focus', 'firefox'],
  ['LibreWolf', 'firefox'],
  ['Safari', 'safari'],
  ['Opera', 'opera'],
  ['Opera Coast', 'opera'],
  ['Samsung Internet for Android', 'samsung'],
  ['Brave', 'brave'],
  ['Vivaldi', 'vivaldi'],
  ['Yandex Browser', 'yandex'],
  ['UC Browser', 'uc'],
  ['DuckDuckGo', 'duckduckgo'],
  ['Amazon Silk', 'silk'],
  ['Internet Explorer', 'ie'],
]);
const OS_BY_NAME: ReadonlyMap<string, OsKey> = new Map([
  ['Android', 'android'],
  ['iOS', 'ios'],
  ['Windows', 'windows'],
  ['macOS', 'macos'],
  ['Linux', 'linux'],
  ['Chrome OS', 'chromeos'],
  ['HarmonyOS', 'harmonyos'],
]);
// bowser's platform types are desktop, mobile, tablet, tv and bot; a television or a bot is
// none of the three classes the statistics show.
const DEVICE_BY_TYPE: ReadonlyMap<string, DeviceKey> = new Map([
  ['desktop', 'desktop'],
  ['mobile', 'mobile'],
  ['tablet', 'tablet'],
]);

/**
 * Only the first 512 characters of a User-Agent are read: real ones are shorter, and bowser's
 * regular expressions would otherwise run over whatever a client sends (8 KB headers and more).
 * A longer agent is remembered under those first characters, so the memo holds at most
 * REMEMBERED_AGENTS strings of this length (a few MB) and an 8 KB agent costs a lookup, not a parse.
 */
export const PARSED_AGENT_LENGTH = 512;
// Agents whose traits are remembered; the memo is emptied when it is full.
const rememberedTraits = rememberedBy(REMEMBERED_AGENTS, parseTraits);

const UNKNOWN_TRAITS: VisitTraits = Object.freeze({
  browser: 'unknown',
  os: 'unknown',
  device: 'unknown',
});
let parses = 0;

/** The browser family, operating system family and device class a User-Agent names. */
export function traitsOf(userAgent: string): VisitTraits {
  const agent =
    userAgent.length > PARSED_AGENT_LENGTH ? userAgent.slice(0, PARSED_AGENT_LENGTH) : userAgent;
  return rememberedTraits(agent);
}

/** How many User-Agents have really been parsed since the process started (for tests and the bench). */
export function traitsParseCount(): number {
  return parses;
}

function parseTraits(agent: string): VisitTraits {
  parses++;
  if (agent.trim() === '') return UNKNOWN_TRAITS;
  try {
    // `true`: parse lazily, only what is asked for below (the engine is never needed).
    const parser = Bowser.getParser(agent, true);
    const browserName = parser.getBrowserName();
    const osName = parser.getOSName();
    const traits: VisitTraits = {
      browser: browserName === '' ? 'unknown' : (BROWSER_BY_NAME.get(browserName) ?? 'other'),
      os: osName === '' ? 'unknown' : (OS_BY_NAME.get(osName) ?? 'other'),
      device: DEVICE_BY_TYPE.get(parser.getPlatformType()) ?? 'unknown',
    };
    if (traits.browser === 'unknown' && traits.os === 'unknown' && traits.device === 'unknown')
      return UNKNOWN_TRAITS;
    return Object.freeze(traits);
  } catch {
    // bowser does not throw on a non-empty string today; a future version must not break a visit.
    return UNKNOWN_TRAITS;
  }
}

/** Longer `Accept-Language` headers are not read (real ones are well under 200 characters). */
export const LANGUAGE_HEADER_LENGTH = 512;

// RFC 9110 §12.5.4 and RFC 4647 §2.1: a language range is 1–8 letters, then subtags of 1–8
// letters or digits; `*` alone is the wildcard. A weight is `q=` then 0–1 with up to 3 decimals.
// The primary tag is taken only when it is 2 or 3 letters, an ISO 639 code (RFC 5646 §2.2.1): a
// singleton (`x-…` private use, `i-…` grandfathered) names no language, and 4–8 letters are
// reserved or unassigned, so a header's invention never becomes a key of the statistics.
const LANGUAGE_RANGE = /^([a-z]{1,8})(?:-[a-z0-9]{1,8})*$/i;
const WEIGHT = /^q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/**
 * The primary tag of the language the visitor prefers most in `Accept-Language`, lower-case
 * (`de-AT;q=0.8, fr` → `fr`). Equal weights keep the header's order; `*`, weight 0 and malformed
 * entries are skipped; the primary tag must be 2 or 3 letters. `unknown` when the header is
 * absent, too long, or names no language.
 */
export function firstLanguage(acceptLanguage: string | undefined): string {
  if (acceptLanguage === undefined || acceptLanguage.length > LANGUAGE_HEADER_LENGTH)
    return 'unknown';
  return rememberedLanguage(acceptLanguage);
}

/**
 * `Accept-Language` headers whose first language is remembered: browsers send a few hundred
 * distinct ones, so a visit costs a lookup, not a parse; the memo is emptied when it is full.
 */
export const REMEMBERED_LANGUAGE_HEADERS = 1000;
const rememberedLanguage = rememberedBy(REMEMBERED_LANGUAGE_HEADERS, parseFirstLanguage);

function parseFirstLanguage(acceptLanguage: string): string {
  let best = 'unknown';
  let bestWeight = 0;
  let start = 0;
  while (start <= acceptLanguage.length) {
    let end = acceptLanguage.indexOf(',', start);
    if (end === -1) end = acceptLanguage.length;
    const entry = acceptLanguage.slice(start, end);
    start = end + 1;
    const semicolon = entry.indexOf(';');
    const range = (semicolon === -1 ? entry : entry.slice(0, semicolon)).trim();
    const primary = LANGUAGE_RANGE.exec(range)?.[1];
    if (primary === undefined || primary.length < 2 || primary.length > 3) continue;
    let weight = 1;
    if (semicolon !== -1) {
      const parameter = entry.slice(semicolon + 1).trim();
      if (!WEIGHT.test(parameter)) continue;
      weight = Number(parameter.slice(2));
    }
    // Strictly greater: the first of equal weights wins.
    if (weight > bestWeight) {
      bestWeight = weight;
      best = primary;
      if (weight === 1) break;
    }
  }
  return best === 'unknown' ? best : best.toLowerCase();
}
