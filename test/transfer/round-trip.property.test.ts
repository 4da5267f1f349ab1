import fc from 'fast-check';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { CreatedLinkSchema } from '../../src/api/api-schemas.js';
import { LATEST_INSTANT, MAX_VISIT_LIMIT } from '../../src/links/link-limits.js';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { storedLinks } from '../support/link-transfer.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/*
 * Whatever expiry and visit limit a door accepts survives snip's export and import unchanged:
 * links made through the form, /api/v1, Shlink, Kutt and YOURLS — with values drawn up to and
 * past the limits of src/links/link-limits.ts, aliases that start a spreadsheet formula, and ban
 * reasons full of them — are exported from the admin, imported into a fresh database through the
 * admin, and must come back column for column (without their management tokens). A value a door
 * refuses gets a 4xx and stores nothing. Seeded like the other properties.
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_129);
const RUNS = 40;
const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12, 34, 56, 789);
const LAST_DAY = Math.floor(LATEST_INSTANT / DAY);
const TODAY = Math.floor(NOW / DAY);

const tally = { requests: 0, accepted: 0, refused: 0, links: 0, atLatest: 0, atMaxVisits: 0 };
afterAll(() => {
  console.log(
    `round trip, seed ${SEED}: ${RUNS} runs, ${tally.requests} creations (${tally.accepted} accepted, ${tally.refused} refused), ${tally.links} links exported and imported; ${tally.atLatest} expiring at ${new Date(LATEST_INSTANT).toISOString()}, ${tally.atMaxVisits} at ${MAX_VISIT_LIMIT} visits`,
  );
});

const day = (index: number) => new Date(index * DAY).toISOString().slice(0, 10);

/** A UTC day from tomorrow to 9999-12-31, the last day often, and now and then one too late. */
const expiryDay = fc.oneof(
  fc.integer({ min: TODAY + 1, max: LAST_DAY }).map(day),
  fc.constantFrom(day(LAST_DAY), day(TODAY + 1), '10000-01-01'),
);

/** An offset as ISO 8601 writes it: Z or ±HH:MM. */
const offset = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
  fc.constantFrom(-23 * 60 - 59, 23 * 60 + 59),
);

function withOffset(instant: number, minutes: number, fraction: boolean): string {
  const local = new Date(instant + minutes * 60_000).toISOString().replace('Z', '');
  const text = fraction ? local : local.replace(/\.\d{3}$/, '');
  if (minutes === 0) return `${text}Z`;
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${text}${minutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** A date-time with a zone, up to and a little past the latest instant. */
const expiryTime = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: NOW + 1, max: LATEST_INSTANT + 2 * DAY }),
      fc.constantFrom(LATEST_INSTANT, LATEST_INSTANT + 1, LATEST_INSTANT - 999),
    ),
    offset,
    fc.boolean(),
  )
  .map(([instant, minutes, fraction]) => withOffset(instant, minutes, fraction));

const visits = fc.oneof(
  fc.integer({ min: 1, max: MAX_VISIT_LIMIT }),
  fc.constantFrom(1, MAX_VISIT_LIMIT, MAX_VISIT_LIMIT + 1),
);

/** Kutt's durations, in the `ms` package's words, up to far past 9999. */
const duration = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: 1, max: 10_000 }),
      fc.constantFrom(7973, 7974, 100_000_000, 2 ** 53),
    ),
    fc.constantFrom('minutes', 'hours', 'days', 'weeks', 'years', 'y', 'd'),
  )
  .map(([n, unit]) => `${n} ${unit}`);

/** Aliases, some starting with the `-` a spreadsheet takes for a formula. */
const alias = fc.stringMatching(/^-?[A-Za-z0-9_-]{3,12}$/);

/** Ban reasons as the admin's form keeps them: trimmed, up to 200 characters, formulas and all. */
const banReason = fc
  .string({
    unit: fc.constantFrom('=', '+', '-', '@', "'", '\t', ' ', 'a', ',', '"', 'é'),
    minLength: 1,
    maxLength: 30,
  })
  .map((text) => text.trim())
  .filter((text) => text.length > 0);

const creation = fc.oneof(
  fc.record({
    door: fc.constant('form' as const),
    expires: fc.option(expiryDay),
    maxVisits: fc.option(visits),
  }),
  fc.record({
    door: fc.constant('api' as const),
    expires: fc.option(fc.oneof(expiryDay, expiryTime)),
    maxVisits: fc.option(visits),
  }),
  fc.record({
    door: fc.constant('shlink' as const),
    expires: fc.option(fc.oneof(expiryTime, expiryDay)),
    maxVisits: fc.option(visits),
  }),
  fc.record({ door: fc.constant('kutt' as const), expires: fc.option(duration) }),
  fc.record({ door: fc.constant('yourls' as const) }),
);

const link = fc.record({ creation, alias, ban: fc.option(banReason, { freq: 3 }) });

type Link = typeof link extends fc.Arbitrary<infer T> ? T : never;

/** Sends one creation through its door; whether it was accepted. */
async function create(t: TestApp, key: string, { creation: c, alias: code }: Link) {
  const url = `https://a.example/${code}`;
  const agent = request(t.app);
  switch (c.door) {
    case 'form':
      return agent
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send({
          url,
          alias: code,
          expires_on: c.expires ?? '',
          max_visits: c.maxVisits === null ? '' : String(c.maxVisits),
        });
    case 'api':
      return agent
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({
          url,
          alias: code,
          ...(c.expires === null ? {} : { expiresAt: c.expires }),
          ...(c.maxVisits === null ? {} : { maxVisits: c.maxVisits }),
        });
    case 'shlink':
      return agent
        .post('/rest/v3/short-urls')
        .set('X-Api-Key', key)
        .send({ longUrl: url, customSlug: code, validUntil: c.expires, maxVisits: c.maxVisits });
    case 'kutt':
      return agent
        .post('/api/v2/links')
        .set('X-API-KEY', key)
        .send({ target: url, customurl: code, expire_in: c.expires });
    case 'yourls':
      return agent
        .get('/yourls-api.php')
        .query({ signature: key, action: 'shorturl', url, keyword: code, format: 'json' });
  }
}

describe('export and import keep what the doors accepted', () => {
  it('when links are made through every door with any accepted expiry and visit limit, then export → import gives them back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(link, {
          minLength: 1,
          maxLength: 6,
          selector: (l) => l.alias.toLowerCase(),
        }),
        async (links) => {
          const source = buildTestApp(
            { BASE_URL: ORIGIN, ADMIN_PASSWORD: PASSWORD },
            { now: () => NOW },
          );
          const target = buildTestApp(
            { BASE_URL: ORIGIN, ADMIN_PASSWORD: PASSWORD },
            { now: () => NOW },
          );
          try {
            const key = await createApiKey(source);
            const cookie = await signInAdmin(source.app, PASSWORD);
            for (const l of links) {
              const before = source.countLinks();
              const res = await create(source, key, l);
              tally.requests += 1;
              expect(res.status, JSON.stringify(l)).toBeLessThan(500);
              const accepted =
                res.status < 400 &&
                !(l.creation.door === 'yourls' && res.body.status !== 'success');
              if (!accepted) {
                tally.refused += 1;
                expect(source.countLinks(), JSON.stringify(l)).toBe(before);
                continue;
              }
              tally.accepted += 1;
              if (l.creation.door === 'api') CreatedLinkSchema.parse(res.body);
              if (l.ban !== null) {
                await request(source.app)
                  .post(`/admin/links/${l.alias}/ban`)
                  .set({ ...SAME_ORIGIN, Cookie: cookie })
                  .type('form')
                  .send({ reason: l.ban })
                  .expect(303);
              }
            }
            const stored = storedLinks(source.db);
            tally.links += stored.length;
            tally.atLatest += stored.filter((row) => row.expires_at === LATEST_INSTANT).length;
            tally.atMaxVisits += stored.filter((row) => row.max_visits === MAX_VISIT_LIMIT).length;
            for (const row of stored) {
              expect(row.expires_at === null || row.expires_at <= LATEST_INSTANT).toBe(true);
            }

            const exported = await request(source.app)
              .get('/admin/export.csv')
              .set('Cookie', cookie)
              .expect(200);
            const imported = await request(target.app)
              .post('/admin/import?format=snip')
              .set({ ...SAME_ORIGIN, Cookie: await signInAdmin(target.app, PASSWORD) })
              .type('text/csv')
              .send(exported.text);
            expect(imported.status, imported.text.slice(0, 2000)).toBe(200);
            expect(storedLinks(target.db)).toEqual(
              stored.map((row) => ({ ...row, manage_token_hash: null })),
            );
          } finally {
            source.db.close();
            target.db.close();
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
