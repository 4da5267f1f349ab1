import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/*
 * Whatever JSON a client sends, the APIs answer 2xx or 4xx, never 5xx: random values where the
 * fields go, random fields, random nesting, to snip's API and to the doors of Shlink and Kutt.
 * Seeded like the policy properties (PROPERTY_SEED overrides it).
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_129);
const RUNS = 300;

let t: TestApp;
let key: string;
const statuses = new Map<number, number>();

beforeAll(async () => {
  t = buildTestApp({ BASE_URL: 'https://s.example' });
  key = (await createKeyService({ keys: createKeyRepository(t.db), now: Date.now }).createKey({
    name: 'prop',
    scope: 'full',
    expiresAt: null,
  }))!;
  t.db
    .prepare(
      "INSERT INTO urls (code, target, created, updated) VALUES ('fixed', 'https://a.example/', 1, 1)",
    )
    .run();
});
afterAll(() => {
  const tally = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(`API properties, seed ${SEED}: ${RUNS} bodies per door; statuses ${tally.join(' ')}`);
  t.db.close();
});

/** A value of any JSON type, the fields the APIs know among its keys now and then. */
const field = fc.oneof(
  fc.constantFrom(
    'url',
    'alias',
    'redirectType',
    'expiresAt',
    'maxVisits',
    'reuse',
    'longUrl',
    'customSlug',
    'target',
    'customurl',
    'expire_in',
    'validUntil',
    'findIfExists',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 12 }),
);
/** Nearly right bodies, so the answers reach the policy, the database and the stored link. */
const plausible = fc.record(
  {
    url: fc.webUrl({ withQueryParameters: true, withFragments: true }),
    longUrl: fc.webUrl(),
    target: fc.webUrl(),
    alias: fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[A-Za-z0-9_-]{3,10}$/)),
    redirectType: fc.constantFrom(301, 302, 307, 308, 303, '302'),
    maxVisits: fc.oneof(fc.integer(), fc.double()),
    expiresAt: fc.oneof(fc.constant('2030-01-01'), fc.string({ maxLength: 25 }), fc.constant(null)),
    reuse: fc.boolean(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  plausible,
  fc.dictionary(field, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      url: fc.jsonValue(),
      alias: fc.jsonValue(),
      maxVisits: fc.jsonValue(),
      expiresAt: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

const doors: [string, 'post' | 'patch', string][] = [
  ['snip create', 'post', '/api/v1/links'],
  ['snip change', 'patch', '/api/v1/links/fixed'],
  ['Shlink create', 'post', '/rest/v3/short-urls'],
  ['Kutt create', 'post', '/api/v2/links'],
];

describe('the APIs under random JSON', () => {
  it.each(doors)(
    'when %s gets random JSON bodies, then every answer is 2xx or 4xx',
    async (_, method, path) => {
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const agent = request(t.app);
          const res = await agent[method](path)
            .set({ 'X-Api-Key': key, 'Content-Type': 'application/json' })
            .send(JSON.stringify(value));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
          expect(res.text).not.toMatch(/\n\s+at /);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    },
  );

  it('when the list gets random query strings, then every answer is 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('page', 'perPage', 'search', 'state', 'orderBy', 'direction', 'x'),
          fc.string({ maxLength: 8 }),
          { maxKeys: 4 },
        ),
        async (query) => {
          const res = await request(t.app).get('/api/v1/links').query(query).set('X-Api-Key', key);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
