import fs from 'node:fs';
import os from 'node:os';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countryName,
  lookupAddress,
  openCountryLookup,
  packagedCountryDatabase,
  type CountryLookup,
} from '../../src/stats/geo-country.js';

// Addresses from long-standing allocations, each checked against the shipped database:
// heise.de and Deutsche Telekom (2003::/19) in Germany, Google's resolvers in the US, the
// 133.0.0.0/8 block of Japanese universities and an APNIC block of NTT in Japan, NIC.br and
// LACNIC's Brazilian space.
const COUNTRIES: [string, string][] = [
  ['193.99.144.80', 'DE'],
  ['80.156.55.1', 'DE'],
  ['2003::1', 'DE'],
  ['8.8.8.8', 'US'],
  ['2001:4860:4860::8888', 'US'],
  ['133.0.0.1', 'JP'],
  ['210.130.0.1', 'JP'],
  ['2400:4000::1', 'JP'],
  ['200.160.2.3', 'BR'],
  ['2001:12ff::1', 'BR'],
  ['2804::1', 'BR'],
  // IPv4-mapped IPv6, as a dual-stack listener reports IPv4 clients, in both notations.
  ['::ffff:193.99.144.80', 'DE'],
  ['::FFFF:8.8.8.8', 'US'],
  ['0:0:0:0:0:ffff:c163:9050', 'DE'],
  ['::ffff:c163:9050', 'DE'],
  // Upper case and uncompressed IPv6.
  ['2001:4860:4860:0:0:0:0:8888', 'US'],
  ['2001:4860:4860::8888'.toUpperCase(), 'US'],
];

// Private, shared, loopback, link-local, documentation, benchmarking, multicast, reserved.
const WITHOUT_COUNTRY = [
  '0.1.2.3',
  '10.1.2.3',
  '100.64.0.1',
  '100.127.255.254',
  '127.0.0.1',
  '169.254.10.20',
  '172.16.0.1',
  '172.31.255.254',
  '192.0.0.8',
  '192.0.2.1',
  '192.168.1.1',
  '198.18.0.1',
  '198.19.255.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:10.0.0.1',
  '::ffff:127.0.0.1',
  '::ffff:c0a8:101', // 192.168.1.1
  '::8.8.8.8', // IPv4-compatible, deprecated
  'fc00::1',
  'fd12:3456:789a::1',
  'fe80::1',
  'fe80::1%eth0',
  'fec0::1',
  'ff02::1',
  '2001:db8::1',
  '2001:DB8:ffff::1',
  '2001:0db8:0:0:0:0:0:1',
  '2001:db8::1%eth0',
  '3fff::1',
  '3fff:fff::1',
  '2001:2::1',
  '64:ff9b::808:808',
  '100::1',
  '4000::1',
];

const UNPARSEABLE = [
  '',
  ' ',
  'localhost',
  'example.com',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '1.2.3.4:443',
  '[2001:4860:4860::8888]',
  '::ffff:999.1.1.1',
  '::ffff:',
  ':::',
  '2001:4860:4860::8888::1',
  '2001:4860:4860:0:0:0:0:0:8888',
  '2001:486g::1',
  '193.99.144.80, 8.8.8.8',
  'x'.repeat(8192),
  '\u0000',
];

let lookup: CountryLookup;
let tmp: string;

beforeAll(() => {
  lookup = openCountryLookup({});
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-geo-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('countryOf with the shipped database', () => {
  for (const [address, country] of COUNTRIES) {
    it(`when the address is ${address}, then the country is ${country}`, () => {
      expect(lookup.countryOf(address)).toBe(country);
    });
  }

  for (const address of WITHOUT_COUNTRY) {
    it(`when the address is ${address}, then it is not looked up and the country is unknown`, () => {
      expect(lookupAddress(address)).toBeNull();
      expect(lookup.countryOf(address)).toBe('unknown');
    });
  }

  it('when a text is nearly an IPv4 address, then it is read as one exactly when net.isIPv4 accepts it', () => {
    const texts = [
      '8.8.8.8',
      '08.8.8.8',
      '8.8.8.08',
      '8.8.8.0',
      '8.8.8.256',
      '8.8.8',
      '8.8.8.8.8',
      '8..8.8',
      '.8.8.8',
      '8.8.8.',
      ' 8.8.8.8',
      '8.8.8.8 ',
      '+8.8.8.8',
      '8.8.8.-8',
      '8.8.8.1000',
      '\u0668.8.8.8',
      '255.255.255.255',
      '8.255.255.255',
    ];
    // And a few thousand drawn from digits and dots, the same each run.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 5000; n++) {
      let text = '8';
      for (let length = 1 + (next() % 15); text.length < length;)
        text += '0123456789.'[next() % 11];
      texts.push(text);
    }
    for (const text of texts) {
      // Every text starts with 8: the valid ones are all public.
      expect(lookupAddress(text), text).toBe(isIPv4(text) && text.startsWith('8') ? text : null);
      const mapped = lookupAddress(`::ffff:${text}`);
      if (isIPv4(text) && text.startsWith('8')) expect(mapped, text).toBe(text);
      else expect(mapped, text).not.toBe(text);
    }
  });

  it('when an address is looked up, then it is handed to the database in the form it reads', () => {
    expect(lookupAddress('193.99.144.80')).toBe('193.99.144.80');
    expect(lookupAddress('::ffff:193.99.144.80')).toBe('193.99.144.80');
    expect(lookupAddress('::ffff:c163:9050')).toBe('193.99.144.80');
    expect(lookupAddress('0:0:0:0:0:ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(lookupAddress('2003::1')).toBe('2003::1');
    expect(lookupAddress('2003::1%eth0')).toBe('2003::1');
    // Just outside the reserved ranges.
    expect(lookupAddress('2001:db9::1')).toBe('2001:db9::1');
    expect(lookupAddress('3fff:1000::1')).toBe('3fff:1000::1');
    expect(lookupAddress('2001:2:1::1')).toBe('2001:2:1::1');
    expect(lookupAddress('2001:3::1')).toBe('2001:3::1');
    expect(lookupAddress('100.63.255.255')).toBe('100.63.255.255');
    expect(lookupAddress('100.128.0.1')).toBe('100.128.0.1');
    expect(lookupAddress('172.15.255.255')).toBe('172.15.255.255');
    expect(lookupAddress('172.32.0.1')).toBe('172.32.0.1');
    expect(lookupAddress('192.0.1.1')).toBe('192.0.1.1');
    expect(lookupAddress('198.17.0.1')).toBe('198.17.0.1');
    expect(lookupAddress('198.20.0.1')).toBe('198.20.0.1');
    expect(lookupAddress('223.255.255.255')).toBe('223.255.255.255');
    expect(lookupAddress('1.0.0.0')).toBe('1.0.0.0');
  });

  it('when the database itself places private and documentation ranges in a country, then they are still unknown', () => {
    // The shipped data holds registrations for some of these ranges; without the range checks
    // they would be counted as a country.
    const reader = openCountryLookup({ file: packagedCountryDatabase() });
    for (const address of ['172.16.0.1', '192.168.1.1', '198.51.100.7', '2001:db8::1']) {
      expect(reader.countryOf(address)).toBe('unknown');
    }
  });

  for (const address of UNPARSEABLE) {
    it(`when the address is ${JSON.stringify(address.slice(0, 40))}, then the country is unknown`, () => {
      expect(lookupAddress(address)).toBeNull();
      expect(lookup.countryOf(address)).toBe('unknown');
    });
  }

  it('when the database is the shipped one, then its source names ip-location-db, the NRO and CC BY 4.0', () => {
    expect(lookup.source.name).toContain('ip-location-db');
    expect(lookup.source.licence).toBe('CC BY 4.0');
    expect(lookup.source.attribution).toContain('nro.net');
    expect(lookup.source.url).toBe('https://github.com/sapics/ip-location-db');
    expect(lookup.builtAt.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });
});

describe('openCountryLookup with a file', () => {
  it('when the file is the shipped database, then it answers the same, under the same source', () => {
    const fromFile = openCountryLookup({ file: packagedCountryDatabase() });
    for (const [address, country] of COUNTRIES) expect(fromFile.countryOf(address)).toBe(country);
    expect(fromFile.source).toEqual(lookup.source);
  });

  it('when the file holds IPv4 only, then IPv4 addresses are placed and IPv6 ones are unknown', () => {
    const v4Only = openCountryLookup({
      file: path.join(path.dirname(packagedCountryDatabase()), 'geo-whois-asn-country-ipv4.mmdb'),
    });
    expect(v4Only.countryOf('193.99.144.80')).toBe('DE');
    expect(v4Only.countryOf('::ffff:8.8.8.8')).toBe('US');
    expect(v4Only.countryOf('2003::1')).toBe('unknown');
  });

  it('when the file is in the GeoIP2 shape of MaxMind and DB-IP, then country.iso_code is read', () => {
    const file = path.join(tmp, 'GeoLite2-Country.mmdb');
    fs.writeFileSync(
      file,
      tinyMmdb('GeoLite2-Country', {
        continent: { code: 'EU' },
        country: { iso_code: 'FR', names: { en: 'France' } },
        registered_country: { iso_code: 'DE' },
      }),
    );
    const geoLite = openCountryLookup({ file });
    expect(geoLite.countryOf('8.8.8.8')).toBe('FR');
    expect(geoLite.countryOf('192.168.0.1')).toBe('unknown');
    expect(geoLite.source.licence).toBe('GeoLite2 End User License Agreement');
    expect(geoLite.source.attribution).toContain('GeoLite2 data created by MaxMind');
  });

  it('when a GeoIP2 record has only the registered country, then that country is given', () => {
    const file = path.join(tmp, 'dbip-country-lite.mmdb');
    fs.writeFileSync(
      file,
      tinyMmdb('DBIP-Country-Lite', { registered_country: { iso_code: 'nl' } }),
    );
    const dbip = openCountryLookup({ file });
    expect(dbip.countryOf('8.8.8.8')).toBe('NL');
    expect(dbip.source.name).toContain('DB-IP');
    expect(dbip.source.licence).toBe('CC BY 4.0');
  });

  it('when the file is in ip-location-db’s shape, then country_code is read', () => {
    const file = path.join(tmp, 'other-country.mmdb');
    fs.writeFileSync(file, tinyMmdb('country ipv4', { country_code: 'SE' }));
    const other = openCountryLookup({ file });
    expect(other.countryOf('2001:4860:4860::8888')).toBe('unknown'); // an IPv4-only file
    expect(other.countryOf('8.8.8.8')).toBe('SE');
    expect(other.source.name).toContain('other-country.mmdb');
  });

  it('when the file is an .mmdb without countries (an ASN database), then opening fails and says why', () => {
    const file = path.join(tmp, 'GeoLite2-ASN.mmdb');
    fs.writeFileSync(file, tinyMmdb('GeoLite2-ASN', { autonomous_system_organization: 'Example' }));
    expect(() => openCountryLookup({ file })).toThrow(
      /GeoLite2-ASN\.mmdb \(type "GeoLite2-ASN"\) gives no country code .* not a country database\. Point GEOIP_DATABASE at/,
    );
  });

  it('when a region of the file is damaged, then its addresses are unknown and nothing throws', () => {
    const file = path.join(tmp, 'damaged.mmdb');
    fs.writeFileSync(
      file,
      tinyMmdb('country ipv4', { country_code: 'FI' }, { damagedUpperHalf: true }),
    );
    const damaged = openCountryLookup({ file });
    expect(damaged.countryOf('8.8.8.8')).toBe('FI');
    expect(damaged.countryOf('193.99.144.80')).toBe('unknown');
  });

  it('when a record holds something that is not a two-letter code, then opening fails', () => {
    const file = path.join(tmp, 'odd.mmdb');
    fs.writeFileSync(file, tinyMmdb('country ipv4', { country_code: 'Germany' }));
    expect(() => openCountryLookup({ file })).toThrow(/not a country database/);
  });

  it('when the file is not an .mmdb file, then opening fails and says so', () => {
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'country,code\nGermany,DE\n'.repeat(100));
    expect(() => openCountryLookup({ file: text })).toThrow(
      /notes\.txt is not a MaxMind DB \(\.mmdb\) file .*GEOIP_DATABASE/,
    );
    const empty = path.join(tmp, 'empty.mmdb');
    fs.writeFileSync(empty, '');
    expect(() => openCountryLookup({ file: empty })).toThrow(/empty\.mmdb is not a MaxMind DB/);
  });

  it('when the file does not exist or is a directory, then opening fails and says it cannot be read', () => {
    expect(() => openCountryLookup({ file: path.join(tmp, 'missing.mmdb') })).toThrow(
      /missing\.mmdb cannot be read \(ENOENT.*\)\. Point GEOIP_DATABASE at .* or unset it/,
    );
    expect(() => openCountryLookup({ file: tmp })).toThrow(/cannot be read \(EISDIR/);
  });
});

describe('countryName', () => {
  it('when a code is named in a language, then the name is that language’s', () => {
    expect(countryName('DE', 'de', 'unbekannt')).toBe('Deutschland');
    expect(countryName('DE', 'en', 'unknown')).toBe('Germany');
    expect(countryName('JP', 'fr', 'inconnu')).toBe('Japon');
    expect(countryName('br', 'pt', 'desconhecido')).toBe('Brasil');
  });

  it('when the code is unknown, then the caller’s word is given', () => {
    expect(countryName('unknown', 'de', 'unbekannt')).toBe('unbekannt');
  });

  it('when the code or the locale cannot be named, then the code itself is given', () => {
    expect(countryName('XX', 'en', 'unknown')).toBe('XX');
    expect(countryName('DEU', 'en', 'unknown')).toBe('DEU');
    expect(countryName('1', 'en', 'unknown')).toBe('1');
    expect(countryName('DE', 'not a locale!', 'unknown')).toBe('DE');
  });
});

// ---------------------------------------------------------------------------------------------
// A hand-made MaxMind DB (format 2.0, https://maxmind.github.io/MaxMind-DB/): an IPv4 tree of
// one node whose two records both point at one data record, so every address gets `record`.

type Value = string | number | { [key: string]: Value };

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from([(2 << 5) | bytes.length]), bytes]);
  }
  if (typeof value === 'number') {
    // uint32 (type 6), four bytes.
    const bytes = Buffer.alloc(5);
    bytes[0] = (6 << 5) | 4;
    bytes.writeUInt32BE(value, 1);
    return bytes;
  }
  const entries = Object.entries(value);
  return Buffer.concat([
    Buffer.from([(7 << 5) | entries.length]),
    ...entries.flatMap(([key, item]) => [encode(key), encode(item)]),
  ]);
}

function tinyMmdb(
  databaseType: string,
  record: { [key: string]: Value },
  options: { damagedUpperHalf?: boolean } = {},
): Buffer {
  const nodeCount = 1;
  // A record value of node_count + 16 + offset points at the data section's offset (0).
  const pointer = nodeCount + 16;
  // 24-bit records: the left one for 0.0.0.0/1, the right one for 128.0.0.0/1; a damaged file
  // points the right one far beyond its end.
  const right = options.damagedUpperHalf ? [0xff, 0xff, 0xf0] : [0, 0, pointer];
  const tree = Buffer.from([0, 0, pointer, ...right]);
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: databaseType,
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_780_000_000,
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    encode(record),
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    metadata,
  ]);
}
