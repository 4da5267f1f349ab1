import fs from 'node:fs';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { Reader } from 'mmdb-lib';

/**
 * The country of a visitor's address, from an IP-to-country database read once into memory.
 * The address is used for the one call and not kept: nothing here remembers which addresses were
 * asked for (no cache per address; a lookup is a walk of at most 128 nodes of the tree in a
 * Buffer, about a microsecond — see bench/visit-traits.mjs).
 *
 * How to use (once at start, then per counted visit without DNT/GPC):
 *
 *   const geo = openCountryLookup({ file: config.GEOIP_DATABASE }); // throws: refuse to start
 *   geo.countryOf(clientAddress);  // 'DE', 'US' … or 'unknown'
 *   geo.source;                    // { name, licence, attribution, url } for the pages and README
 *   countryName('DE', 'fr', 'inconnu'); // 'Allemagne'
 *
 * Without `file`, the database shipped in the npm package
 * `@ip-location-db/geo-whois-asn-country-mmdb` (RIR WHOIS and ASN data with geofeeds, CC BY 4.0)
 * is used. `file` may name a newer `.mmdb` on the volume: DB-IP's IP to Country Lite or MaxMind's
 * GeoLite2-Country (records `{ country: { iso_code } }`), or one of ip-location-db's country
 * databases (records `{ country_code }`).
 */

export interface CountrySource {
  /** The database, as it should be named beside the statistics. */
  readonly name: string;
  readonly licence: string;
  /** The sentence to show where statistics are shown. */
  readonly attribution: string;
  readonly url: string;
}

export interface CountryLookup {
  /** ISO 3166-1 alpha-2, upper-case, or `unknown` (private, reserved, unparseable, not found). */
  countryOf(address: string): string;
  readonly source: CountrySource;
  /** When the database was built (from its metadata), for the privacy page and the logs. */
  readonly builtAt: Date;
}

const PACKAGED_DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

const PACKAGED_SOURCE: CountrySource = Object.freeze({
  name: 'ip-location-db geo-whois-asn-country',
  licence: 'CC BY 4.0',
  attribution:
    'Country data: ip-location-db (geo-whois-asn-country), built from the Regional Internet ' +
    'Registries’ data published by the Number Resource Organization (nro.net), CC BY 4.0.',
  url: 'https://github.com/sapics/ip-location-db',
});

/** Where the shipped database is on disk (the bench reports its size). */
export function packagedCountryDatabase(): string {
  return createRequire(import.meta.url).resolve(PACKAGED_DATABASE);
}

let shipped: CountryLookup | undefined;

/**
 * The country database to use: `file` opened anew, or without it the shipped one, opened once
 * per process (it is 7.5 MB, and every service graph of a test run would read it again).
 */
export function countryLookupFor(file: string | null): CountryLookup {
  if (file !== null) return openCountryLookup({ file });
  shipped ??= openCountryLookup();
  return shipped;
}

/**
 * Opens the country database: the shipped one, or `file`. Throws an Error meant for the
 * operator when the file cannot be read, is not an `.mmdb` file, or holds no country codes.
 */
export function openCountryLookup(options: { file?: string | undefined } = {}): CountryLookup {
  const file = options.file ?? packagedCountryDatabase();
  const advice =
    options.file === undefined
      ? 'Reinstall the dependencies (npm ci): the database ships in the npm package ' +
        '@ip-location-db/geo-whois-asn-country-mmdb.'
      : 'Point GEOIP_DATABASE at a country database in .mmdb format (DB-IP IP to Country Lite, ' +
        'MaxMind GeoLite2-Country, or an ip-location-db country .mmdb), or unset it to use the ' +
        'database shipped with snip.';
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (error) {
    throw new Error(
      `The country database ${file} cannot be read (${(error as Error).message}). ${advice}`,
      { cause: error },
    );
  }
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader<Record<string, unknown>>(buffer, { cache: recordCache() });
  } catch (error) {
    throw new Error(
      `The country database ${file} is not a MaxMind DB (.mmdb) file ` +
        `(${(error as Error).message}). ${advice}`,
      { cause: error },
    );
  }
  const { ipVersion, databaseType, buildEpoch } = reader.metadata;
  const v6 = ipVersion === 6;
  if (!v6 && ipVersion !== 4) {
    throw new Error(
      `The country database ${file} declares IP version ${ipVersion}, neither 4 nor 6. ${advice}`,
    );
  }
  // A country database answers these well-known, long-allocated addresses; an ASN, ISP or
  // anonymous-IP database (or a corrupt one) answers none of them with a country code.
  const probes = v6 ? [...PROBES_V4, ...PROBES_V6] : PROBES_V4;
  if (!probes.some((probe) => codeOf(safeGet(reader, probe)) !== 'unknown')) {
    throw new Error(
      `The country database ${file} (type "${databaseType}") gives no country code for ` +
        `well-known addresses such as ${PROBES_V4[0]}: it is not a country database. ${advice}`,
    );
  }

  return {
    countryOf(address: string): string {
      const lookup = lookupAddress(address);
      if (lookup === null || (!v6 && lookup.includes(':'))) return 'unknown';
      // A damaged region of a file must cost a visit its country, never its redirect.
      return codeOf(safeGet(reader, lookup));
    },
    source: options.file === undefined ? PACKAGED_SOURCE : sourceOf(databaseType, file),
    builtAt: buildEpoch,
  };
}

// Google's and Cloudflare's resolvers, heise.de, Japan's 133.0.0.0/8 and NIC.br: allocated for
// decades, in every registry's data.
const PROBES_V4 = ['8.8.8.8', '1.1.1.1', '193.99.144.80', '133.0.0.1', '200.160.2.3'];
const PROBES_V6 = ['2001:4860:4860::8888', '2606:4700:4700::1111', '2001:12ff::1'];

/**
 * Decoded records, keyed by their offset in the file's data section — not by address: a country
 * database holds a few hundred records (one per country), shared by all of its networks, so this
 * keeps mmdb-lib from decoding the same record (with its names in eight languages, in MaxMind's
 * and DB-IP's files) on every visit. Bounded for larger files such as a city database.
 */
function recordCache(): { get(key: number): unknown; set(key: number, value: unknown): void } {
  const records = new Map<number, unknown>();
  return {
    get: (offset) => records.get(offset),
    set(offset, record) {
      if (records.size >= 4096) records.clear();
      records.set(offset, record);
    },
  };
}

function safeGet(reader: Reader<Record<string, unknown>>, address: string): unknown {
  try {
    return reader.get(address);
  } catch {
    return null;
  }
}

const COUNTRY_CODE = /^[A-Za-z]{2}$/;

/**
 * The country code of a record in either shape: ip-location-db's `{ country_code }`, or the
 * GeoIP2 shape of MaxMind and DB-IP, `{ country: { iso_code } }`. MaxMind leaves `country` out
 * for some networks (anonymous proxies, satellite providers) and gives only
 * `registered_country`, the country where the network is registered: it is used then, as the
 * nearest thing to an answer.
 */
function codeOf(record: unknown): string {
  if (record === null || typeof record !== 'object') return 'unknown';
  const fields = record as {
    country_code?: unknown;
    country?: { iso_code?: unknown };
    registered_country?: { iso_code?: unknown };
  };
  const code =
    fields.country_code ?? fields.country?.iso_code ?? fields.registered_country?.iso_code;
  return typeof code === 'string' && COUNTRY_CODE.test(code) ? code.toUpperCase() : 'unknown';
}

/**
 * Who made a database given as a file, for its attribution: DB-IP's and MaxMind's files name
 * themselves in their metadata; ip-location-db's say only `country ipv4`/`ipv6`/`ipvAll`, and
 * their file names say which data set (and so which licence) they hold.
 */
function sourceOf(databaseType: string, file: string): CountrySource {
  const base = path.basename(file);
  if (base.startsWith('geo-whois-asn-country')) return PACKAGED_SOURCE;
  if (/dbip|db-ip/i.test(databaseType) || base.startsWith('dbip-')) {
    return {
      name: `DB-IP ${databaseType}`,
      licence: 'CC BY 4.0',
      attribution: 'IP Geolocation by DB-IP (db-ip.com), CC BY 4.0.',
      url: 'https://db-ip.com',
    };
  }
  if (/geolite2|geoip2/i.test(databaseType) || base.startsWith('geolite2-')) {
    return {
      name: `MaxMind ${databaseType}`,
      licence: 'GeoLite2 End User License Agreement',
      // The wording MaxMind's licence asks for.
      attribution:
        'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com.',
      url: 'https://www.maxmind.com',
    };
  }
  return {
    name: `${databaseType} (${base})`,
    licence: 'as given by the file’s provider',
    attribution: `Country data: ${base}.`,
    url: '',
  };
}

// ---------------------------------------------------------------------------------------------
// Which addresses are looked up at all.

/**
 * The address to look up: an IPv4 address as is, an IPv4-mapped IPv6 address as its IPv4
 * address, a global IPv6 address without its zone; `null` for an address that is not a valid IP
 * address, or that no database can place in a country — private, shared (CGNAT), loopback,
 * link-local, documentation, benchmarking, multicast and other reserved ranges (IANA's special-
 * purpose registries, RFC 6890, RFC 9637).
 */
export function lookupAddress(address: string): string | null {
  if (address.length > 64) return null;
  const packed = parseV4(address);
  if (packed !== -1) return isPublicV4(packed) ? address : null;
  // The common case behind a dual-stack listener: `::ffff:a.b.c.d`.
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:') {
    const v4 = address.slice(7);
    const mapped = parseV4(v4);
    if (mapped !== -1) return isPublicV4(mapped) ? v4 : null;
  }
  if (!isIPv6(address)) return null;
  const zone = address.indexOf('%');
  const v6 = zone === -1 ? address : address.slice(0, zone);
  readLeadingGroups(v6);
  const h0 = LEADING[0]!;
  const h1 = LEADING[1]!;
  // Only 2000::/3 is global unicast; everything else (::, ::1, IPv4-compatible, fc00::/7,
  // fe80::/10, ff00::/8, 64:ff9b::/96 translation, 100::/64 discard …) has no country, but for
  // IPv4-mapped addresses written otherwise than `::ffff:a.b.c.d` (rare), which start with 0.
  if ((h0 & 0xe000) !== 0x2000) return h0 === 0 ? mappedV4(v6) : null;
  // Documentation: 2001:db8::/32 and 3fff::/20; benchmarking: 2001:2::/48.
  if (h0 === 0x2001 && h1 === 0x0db8) return null;
  if (h0 === 0x3fff && h1 < 0x1000) return null;
  if (h0 === 0x2001 && h1 === 0x0002 && LEADING[2] === 0) return null;
  return v6;
}

// The first three 16-bit groups of the IPv6 address being looked at, reused by every call.
const LEADING = new Uint16Array(3);

/**
 * Reads the first three groups of an IPv6 address that isIPv6 accepted (no zone) into
 * LEADING. A `::` stands for at least one group of zeros, so once it is met every group still to
 * read is 0; a dotted IPv4 part can only come after it or after six groups.
 */
function readLeadingGroups(address: string): void {
  LEADING.fill(0);
  let i = 0;
  for (let group = 0; group < 3 && i < address.length; group++) {
    if (address.charCodeAt(i) === 58) return; // ':' where a group should start: `::`
    let value = 0;
    for (; i < address.length; i++) {
      const char = address.charCodeAt(i);
      if (char === 58) break;
      value = value * 16 + (char <= 57 ? char - 48 : (char | 32) - 87);
    }
    LEADING[group] = value;
    i++;
  }
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:0:0/96`) if it is public, or null. */
function mappedV4(address: string): string | null {
  const groups = hextets(address);
  if (groups === null) return null;
  const [h0, h1, h2, h3, h4, h5, h6 = 0, h7 = 0] = groups;
  if (h0 !== 0 || h1 !== 0 || h2 !== 0 || h3 !== 0 || h4 !== 0 || h5 !== 0xffff) return null;
  if (!isPublicV4(h6 * 0x10000 + h7)) return null;
  return `${h6 >> 8}.${h6 & 0xff}.${h7 >> 8}.${h7 & 0xff}`;
}

/**
 * An IPv4 address in the form net.isIPv4 accepts — four decimal parts of 0–255, without
 * leading zeros — as a 32-bit number, or -1: one pass where isIPv4's regular expression and a
 * second pass for the parts took two (a public address's lookup 351 → 330 ns,
 * bench/visit-traits.mjs).
 */
function parseV4(address: string): number {
  const length = address.length;
  if (length < 7 || length > 15) return -1;
  let packed = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= length; i++) {
    const char = i < length ? address.charCodeAt(i) : 46; // '.' after the last part
    if (char === 46) {
      if (digits === 0 || parts === 4) return -1;
      packed = packed * 256 + value;
      parts++;
      value = 0;
      digits = 0;
    } else if (char >= 48 && char <= 57) {
      if (digits > 0 && value === 0) return -1; // a leading zero
      value = value * 10 + (char - 48);
      digits++;
      if (value > 255) return -1;
    } else return -1;
  }
  return parts === 4 ? packed : -1;
}

function isPublicV4(packed: number): boolean {
  const a = packed >>> 24;
  const b = (packed >>> 16) & 0xff;
  const c = (packed >>> 8) & 0xff;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this network, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // shared address space (CGNAT)
  if (a === 169 && b === 254) return false; // link-local
  if (a === 172 && b >= 16 && b <= 31) return false; // private
  if (a === 192 && b === 168) return false; // private
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
}

/** The eight 16-bit groups of an IPv6 address that isIPv6 accepted (no zone), or null. */
function hextets(address: string): number[] | null {
  let text = address;
  const groups: number[] = [];
  // A trailing dotted IPv4 part stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  let tail: number[] = [];
  if (text.indexOf('.', lastColon) !== -1) {
    const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    tail = [(o0 << 8) | o1, (o2 << 8) | o3];
    // Keep `::` before the IPv4 part (`::1.2.3.4`), drop a single `:` (`1:2:3:4:5:6:1.2.3.4`).
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const double = text.indexOf('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  if (double === -1) {
    groups.push(...parse(text), ...tail);
  } else {
    const head = parse(text.slice(0, double));
    const rest = [...parse(text.slice(double + 2)), ...tail];
    const zeros = 8 - head.length - rest.length;
    if (zeros < 0) return null;
    groups.push(...head, ...new Array<number>(zeros).fill(0), ...rest);
  }
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff)
    ? groups
    : null;
}

// ---------------------------------------------------------------------------------------------
// Names.

const NAMES_BY_LOCALE_LIMIT = 64;
const namesByLocale = new Map<string, Intl.DisplayNames | null>();

/**
 * The name of a country in a language (`countryName('DE', 'de', …)` → `Deutschland`), from the
 * runtime's own CLDR data. `unknown` becomes `unknownLabel` (the page's word for it); a code the
 * runtime has no name for, or a locale it cannot use, gives the code itself.
 */
export function countryName(code: string, locale: string, unknownLabel: string): string {
  if (code === 'unknown') return unknownLabel;
  if (!COUNTRY_CODE.test(code)) return code;
  let names = namesByLocale.get(locale);
  if (names === undefined) {
    try {
      names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' });
    } catch {
      names = null;
    }
    if (namesByLocale.size >= NAMES_BY_LOCALE_LIMIT) namesByLocale.clear();
    namesByLocale.set(locale, names);
  }
  return names?.of(code.toUpperCase()) ?? code;
}
