import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { englishOf, type Text } from '../../src/i18n/catalog.js';
import {
  durationText,
  ruleText,
  privacyFacts,
  VISIT_STATISTICS,
  type GeoSource,
} from '../../src/privacy/privacy-facts.js';

const GEO: GeoSource = {
  name: 'test-country-db',
  licence: 'CC BY 4.0',
  attribution: 'Test attribution',
  url: 'https://db.example/licence',
};

/** A fact as an English page words it. */
const said = (fact: Text | null) => (fact === null ? null : englishOf(fact));
const formatDuration = (ms: number) => englishOf(durationText(ms));
const formatRule = (rule: Parameters<typeof ruleText>[0]) => englishOf(ruleText(rule));

const config = (env: Record<string, string> = {}) =>
  loadConfig({ DATABASE_URL: 'sqlite::memory:', ...env });

describe('privacy facts', () => {
  it('when the statistics keep everything they can, then every dimension, unique visitors and DNT/GPC are described', () => {
    const facts = privacyFacts(config(), GEO);
    expect(VISIT_STATISTICS.dimensions).toEqual([
      'country',
      'browser',
      'os',
      'device',
      'language',
      'referrer',
    ]);
    expect(facts.visits.perValue).toHaveLength(6);
    expect(said(facts.visits.perValue[0]!)).toContain('test-country-db');
    expect(said(facts.visits.uniqueVisitors)).toContain('replaced every UTC day');
    expect(said(facts.visits.doNotTrack)).toContain('Sec-GPC: 1');
    expect(facts.visits.country.source).toEqual(GEO);
  });

  it('when the statistics description is narrowed, then the page says only what is kept', () => {
    const facts = privacyFacts(config(), GEO, {
      dimensions: ['referrer'],
      uniqueVisitors: false,
      doNotTrack: false,
    });
    expect(facts.visits.perValue.map(said)).toEqual([
      expect.stringContaining('never its path or query'),
    ]);
    expect(facts.visits.uniqueVisitors).toBeNull();
    expect(facts.visits.doNotTrack).toBeNull();
    expect(facts.visits.country.source).toBeNull();
    expect(said(facts.visits.country.sentence)).toBe('No country is derived from a visit.');
    expect(facts.clientAddress.map(said).join(' ')).not.toContain('in memory only');
  });

  it('when the database is PostgreSQL, then the rate-limit counters are said to be in its table, with the address in plain text', () => {
    const facts = privacyFacts(
      config({ DATABASE_URL: 'postgres://snip:secret@db.internal:5432/snip', RATE_LIMITS: 'on' }),
      null,
    );
    expect(facts.engine).toBe('PostgreSQL');
    const sentences = facts.rateLimits.sentences.map(said).join(' ');
    expect(sentences).toContain('rate_limits table');
    expect(sentences).toContain('the address in plain text');
    expect(JSON.stringify(facts)).not.toContain('db.internal');
    expect(JSON.stringify(facts)).not.toContain('secret');
  });

  it('when durations and rules are put in words, then they read as a person would say them', () => {
    expect(formatDuration(30 * 60_000)).toBe('30 minutes');
    expect(formatDuration(12 * 3_600_000)).toBe('12 hours');
    expect(formatDuration(86_400_000)).toBe('24 hours');
    expect(formatDuration(365 * 86_400_000)).toBe('365 days');
    expect(formatDuration(60_000)).toBe('1 minute');
    expect(formatRule({ points: 60, seconds: 3600, text: '60/h' })).toBe('60 per hour');
    expect(formatRule({ points: 10, seconds: 900, text: '10/15min' })).toBe('10 per 15 minutes');
    expect(formatRule({ points: 1000, seconds: 1, text: '1000/s' })).toBe('1,000 per second');
  });
});
