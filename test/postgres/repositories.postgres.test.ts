import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import { createAbuseRepository } from '../../src/abuse/abuse-store.sqlite.js';
import { createPostgresAbuseRepository } from '../../src/abuse/abuse-store.postgres.js';
import { createAdminSessionRepository } from '../../src/admin/admin-session-store.sqlite.js';
import { createPostgresAdminSessionRepository } from '../../src/admin/admin-session-store.postgres.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import type { AbuseStore } from '../../src/abuse/abuse-store.js';
import type { AdminSessionStore } from '../../src/admin/admin-session-store.js';
import type { Awaitable } from '../../src/db/awaitable.js';
import type { HealthStore } from '../../src/health/health-store.js';
import type { KeyStore } from '../../src/keys/key-store.js';
import type { LinkStore } from '../../src/links/link-store.js';
import type { ImportedLink, StagedRow, TransferStore } from '../../src/transfer/transfer-store.js';
import type { VisitStore } from '../../src/stats/visit-store.js';
import { createHealthRepository } from '../../src/health/health-store.sqlite.js';
import { createPostgresHealthRepository } from '../../src/health/health-store.postgres.js';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createPostgresKeyRepository } from '../../src/keys/key-store.postgres.js';
import {
  LINK_STATES,
  type LinkFilter,
  type LinkQuery,
  type LinkSettings,
} from '../../src/links/link.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { LINK_CHANGED_CHANNEL } from '../../src/links/cache-invalidation.postgres.js';
import { createPostgresLinkRepository } from '../../src/links/link-store.postgres.js';
import { createPostgresVisitRepository } from '../../src/stats/visit-store.postgres.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { createPostgresTransferRepository } from '../../src/transfer/transfer-store.postgres.js';
import { createTransferRepository } from '../../src/transfer/transfer-store.sqlite.js';
import {
  createTestPgDatabase,
  describeWithPostgres,
  requirePostgresUrl,
  withClient,
  withDatabase,
} from '../support/postgres.js';
import { createTestDatabase } from '../support/test-app.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

// Each PostgreSQL repository against its SQLite reference: the same calls on an in-memory SQLite
// database and on a fresh PostgreSQL database, and the same results from both.
// What each store must do on any engine, value by value, is its contract test beside the feature
// (test/*/*-store.contract.test.ts, run on both engines by this suite); what stays here compares
// the engines call by call over many combinations, other collations, and where they differ.

const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

type Engine = {
  name: 'sqlite' | 'postgres';
  links: LinkStore;
  visits: VisitStore;
  keys: KeyStore;
  abuse: AbuseStore;
  sessions: AdminSessionStore;
  transfer: TransferStore;
  health: HealthStore;
};

type Twins = { sqlite: Engine; postgres: Engine; db: Db; pool: pg.Pool; url: string };

/**
 * The test cluster's collation is C.UTF-8, which sorts text by its bytes, as SQLite does. A
 * database may as well have another: ICU's en-US puts 'a' before 'B' and 'b-c' before 'bc'.
 */
type Collation = 'cluster default' | 'ICU en-US';

/** A new database with ICU's en-US collation, dropped when the current test finishes. */
async function createIcuPgDatabase(): Promise<string> {
  const adminUrl = requirePostgresUrl();
  const name = `snip_test_icu_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) =>
    client.query(
      `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
    ),
  );
  onTestFinished(async () => {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE ${name} WITH (FORCE)`));
  });
  return withDatabase(adminUrl, name);
}

async function twins(collation: Collation = 'cluster default'): Promise<Twins> {
  const db = createTestDatabase();
  onTestFinished(() => {
    if (db.open) db.close();
  });
  const url =
    collation === 'ICU en-US' ? await createIcuPgDatabase() : (await createTestPgDatabase()).url;
  await applyPostgresMigrations(url, PG_MIGRATIONS);
  const pool = createPostgresPool(url, { max: 4 });
  onTestFinished(async () => {
    if (!pool.ended) await pool.end();
  });
  return {
    db,
    pool,
    url,
    sqlite: {
      name: 'sqlite',
      links: createLinkRepository(db),
      visits: createVisitRepository(db),
      keys: createKeyRepository(db),
      abuse: createAbuseRepository(db),
      sessions: createAdminSessionRepository(db),
      transfer: createTransferRepository(db),
      health: createHealthRepository(db),
    },
    postgres: {
      name: 'postgres',
      links: createPostgresLinkRepository(pool),
      visits: createPostgresVisitRepository(pool),
      keys: createPostgresKeyRepository(pool),
      abuse: createPostgresAbuseRepository(pool),
      sessions: createPostgresAdminSessionRepository(pool),
      transfer: createPostgresTransferRepository(pool),
      health: createPostgresHealthRepository(pool),
    },
  };
}

/** Runs `run` on SQLite, then on PostgreSQL, expects the same result and returns it. */
async function same<T>(
  t: Twins,
  run: (engine: Engine) => Awaitable<T>,
  label?: string,
): Promise<T> {
  const expected = await run(t.sqlite);
  const actual = await run(t.postgres);
  expect(actual, label).toEqual(expected);
  return actual;
}

/** What each engine answers, when the two are expected to differ. */
async function each<T>(t: Twins, run: (engine: Engine) => Awaitable<T>) {
  return { sqlite: await run(t.sqlite), postgres: await run(t.postgres) };
}

async function idOf(engine: Engine, code: string): Promise<number> {
  const link = await engine.links.findLink(code);
  if (!link) throw new Error(`${engine.name}: no link ${code}`);
  return link.id;
}

function settings(target: string, extra: Partial<LinkSettings> = {}): LinkSettings {
  return { target, ...DEFAULT_OPTIONS, ...extra };
}

async function addLink(
  engine: Engine,
  code: string,
  link: LinkSettings,
  created: number,
  apiKeyId: number | null = null,
): Promise<number> {
  const result = await engine.links.insertLink(
    { ...link, code, manageTokenHash: Buffer.from(`${code}-token`), apiKeyId },
    created,
  );
  if (!result.ok) throw new Error(`${engine.name}: ${code} was taken`);
  return result.link.id;
}

async function visit(
  engine: Engine,
  urlId: number,
  count: number,
  lastVisit: number,
  referrers: [string, number][] = [['', count]],
): Promise<void> {
  await engine.visits.addVisits([
    {
      urlId,
      count,
      lastVisit,
      byDay: new Map([[new Date(lastVisit).toISOString().slice(0, 10), count]]),
      byReferrer: new Map(referrers),
    },
  ]);
}

/**
 * Links in every state, with codes and targets for the search (`%`, `_`, `\`, mixed case),
 * equal creation times for the tie-break, links never visited (NULL lastVisit), and reports.
 */
async function seedLinks(engine: Engine): Promise<number[]> {
  const ids: number[] = [];
  const add = async (code: string, link: LinkSettings, created: number) => {
    const id = await addLink(engine, code, link, created);
    ids.push(id);
    return id;
  };
  const { links } = engine;
  const alpha = await add('alpha', settings('https://a.example/one'), NOW - 10 * DAY);
  await visit(engine, alpha, 3, NOW - 5000);
  await add(
    'Bravo',
    settings('https://B.Example/Path_With_Underscore', { expiresAt: NOW + DAY }),
    NOW - 9 * DAY,
  );
  const charlie = await add(
    'charlie',
    settings('https://a.example/100%25', { maxVisits: 5 }),
    NOW - 8 * DAY,
  );
  await visit(engine, charlie, 4, NOW - 2 * DAY);
  await add('delta', settings('https://d.example/', { expiresAt: NOW }), NOW - 8 * DAY);
  const echo = await add(
    'echo',
    settings('https://a.example/one', { maxVisits: 2, redirectStatus: 301 }),
    NOW - 7 * DAY,
  );
  await visit(engine, echo, 2, NOW - DAY);
  await links.setDisabled(
    await add('fox_trot', settings('https://f.example/back\\slash'), NOW - 6 * DAY),
    true,
    NOW - DAY,
  );
  await links.setDisabled(
    await add('golf', settings('https://g.example/', { expiresAt: NOW - 1 }), NOW - 6 * DAY),
    true,
    NOW - DAY,
  );
  const hotel = await add('hotel', settings('https://h.example/'), NOW - 5 * DAY);
  await visit(engine, hotel, 7, NOW - 3 * DAY);
  await links.deleteLink(hotel, NOW - DAY);
  const india = await add('india', settings('https://i.example/'), NOW - 5 * DAY);
  await links.setDisabled(india, true, NOW - 2 * DAY);
  await links.deleteLink(india, NOW - DAY);
  await links.setBanned(
    await add('juliet', settings('https://j.example/', { expiresAt: NOW - 1 }), NOW - 4 * DAY),
    { reason: 'phishing' },
    NOW - DAY,
  );
  const kilo = await add('kilo', settings('https://k.example/'), NOW - 3 * DAY);
  await links.setDisabled(kilo, true, NOW - 2 * DAY);
  await links.setBanned(kilo, { reason: 'malware' }, NOW - DAY);
  const lima = await add('LIMA%', settings('https://l.example/?q=a_b'), NOW - 3 * DAY);
  await visit(engine, lima, 3, NOW - 4000);
  await links.setDisabled(
    await add('mike', settings('https://a.example/one'), NOW - 2 * DAY),
    true,
    NOW - DAY,
  );
  await add('november', settings('https://n.example/'), NOW - 2 * DAY);
  await add('oscar', settings('https://n.example/', { redirectStatus: 308 }), NOW - DAY);
  await engine.abuse.addReport(
    { urlId: alpha, reason: 'spam', details: 'ads', contact: '' },
    NOW - DAY,
  );
  await engine.abuse.addReport(
    { urlId: charlie, reason: 'other', details: '', contact: 'a@b.example' },
    NOW - DAY,
  );
  await engine.abuse.resolveReports(charlie, NOW);
  return ids;
}

const SEARCHES = [
  '',
  'a.example',
  'A.EXAMPLE',
  'bravo',
  'path_with',
  '%',
  '_',
  '\\',
  '100%',
  'lima%',
  'a_b',
  'o_e',
  'nothing',
];
const FILTERS: (LinkFilter | null)[] = [null, ...LINK_STATES, 'reported'];
const ORDERS: LinkQuery['orderBy'][] = ['created', 'visits', 'lastVisit'];
const DIRECTIONS: LinkQuery['direction'][] = ['asc', 'desc'];

describeWithPostgres('the PostgreSQL repositories, against SQLite', () => {
  it('links: inserting, finding and the redirect lookup give the same links', async () => {
    const t = await twins();
    const ids = await same(t, seedLinks);
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    for (const code of ['alpha', 'Bravo', 'echo', 'hotel', 'juliet', 'LIMA%', 'missing']) {
      await same(t, (e) => e.links.findLink(code), code);
      await same(t, (e) => e.links.findRedirect(code), code);
    }
    // Codes are case-sensitive on both.
    expect(await same(t, (e) => e.links.findLink('bravo'))).toBeNull();
    await same(t, (e) => e.links.findLinkByTokenHash(Buffer.from('alpha-token')));
    await same(t, (e) => e.links.findLinkByTokenHash(Buffer.from('nobody')));
    // A deleted link's token is erased with everything else.
    expect(await same(t, (e) => e.links.findLinkByTokenHash(Buffer.from('hotel-token')))).toBe(
      null,
    );
    const link = await same(t, (e) => e.links.findLink('alpha'));
    expect(link).toMatchObject({
      code: 'alpha',
      visits: 3,
      lastVisit: NOW - 5000,
      manageTokenHash: Buffer.from('alpha-token'),
    });
    expect(typeof link?.created).toBe('number');
  });

  it('links: a code that is taken gives code_taken, and the next link its id on each engine', async () => {
    const t = await twins();
    await same(t, (e) => addLink(e, 'taken', settings('https://t.example/'), NOW));
    await same(t, (e) =>
      e.links.insertLink(
        { ...settings('https://other.example/'), code: 'taken', manageTokenHash: Buffer.from('x') },
        NOW,
      ),
    );
    // Any unique index counts, as on SQLite: here the management token's hash.
    expect(
      await same(t, (e) =>
        e.links.insertLink(
          {
            ...settings('https://other.example/'),
            code: 'fresh',
            manageTokenHash: Buffer.from('taken-token'),
          },
          NOW,
        ),
      ),
    ).toEqual({ ok: false, reason: 'code_taken' });
    await same(t, (e) => e.links.findLink('taken'));
    await same(t, (e) => e.links.countLinks());
    // A difference: a refused INSERT has used up a value of PostgreSQL's identity sequence.
    const next = await each(t, (e) => addLink(e, 'next', settings('https://n.example/'), NOW));
    expect(next).toEqual({ sqlite: 2, postgres: 4 });
  });

  it('links: a link is reusable only by the key that made it, and only while it is active', async () => {
    const t = await twins();
    const [keyA, keyB] = await same(t, async (e) => {
      for (const name of ['a', 'b']) {
        const hash = Buffer.from(`${name}-hash`);
        await e.keys.insertKey({ name, hash, scope: 'full', expiresAt: null, source: 'cli' }, NOW);
      }
      return (await e.keys.listKeys()).map((key) => key.id).sort((x, y) => x - y);
    });
    const target = 'https://r.example/';
    await same(t, async (e) => {
      await addLink(e, 'byA', settings(target), NOW - 6 * DAY, keyA);
      await addLink(e, 'byAnewer', settings(target), NOW - 5 * DAY, keyA);
      const off = await addLink(e, 'byAoff', settings(target), NOW - 4 * DAY, keyA);
      await e.links.setDisabled(off, true, NOW - DAY);
      await addLink(e, 'byAold', settings(target, { expiresAt: NOW }), NOW - 3 * DAY, keyA);
      await addLink(e, 'nobody', settings(target), NOW - 2 * DAY);
      await addLink(e, 'byB', settings('https://other.example/'), NOW - DAY, keyB);
    });
    // The newest of A's active links, though a newer one by nobody goes to the same place.
    const own = await same(t, (e) => e.links.findActiveByTarget(target, keyA!, NOW));
    expect(own?.code).toBe('byAnewer');
    expect(await same(t, (e) => e.links.findActiveByTarget(target, keyB!, NOW))).toBe(null);
    const other = 'https://other.example/';
    expect((await same(t, (e) => e.links.findActiveByTarget(other, keyB!, NOW)))?.code).toBe('byB');
    expect(await same(t, (e) => e.links.findActiveByTarget(other, keyA!, NOW))).toBe(null);
  });

  it('links: changes, counts and lookups by target give the same results', async () => {
    const t = await twins();
    await same(t, seedLinks);
    await same(t, (e) => e.links.countLinks());
    expect(await same(t, (e) => e.links.countByState(NOW))).toEqual({
      active: 6,
      expired: 2,
      disabled: 3,
      banned: 2,
      deleted: 2,
      scheduled: 0,
    });
    for (const at of [NOW - 2 * DAY, NOW + 2 * DAY]) await same(t, (e) => e.links.countByState(at));
    // A link before its start: scheduled until then on both engines, active from the instant.
    await same(t, (e) =>
      addLink(e, 'later', settings('https://l.example/', { startsAt: NOW + DAY }), NOW),
    );
    expect(await same(t, (e) => e.links.countByState(NOW))).toMatchObject({ scheduled: 1 });
    expect(await same(t, (e) => e.links.countByState(NOW + DAY))).toMatchObject({ scheduled: 0 });
    await same(t, (e) => e.links.findRedirect('later'));

    // Links made without a key are never reusable, whatever key asks.
    await same(t, (e) =>
      e.keys.insertKey(
        { name: 'ci', hash: Buffer.from('ci-hash'), scope: 'full', expiresAt: null, source: 'cli' },
        NOW,
      ),
    );
    for (const target of ['https://a.example/one', 'https://n.example/', 'https://h.example/']) {
      expect(await same(t, (e) => e.links.findActiveByTarget(target, 1, NOW), target)).toBe(null);
    }
    for (const host of ['a.example', 'n.example', 'example', 'A.EXAMPLE', 'j.example', '']) {
      await same(t, (e) => e.links.activeLinksMentioning(host, NOW), host);
    }

    // Every change, then each link as it is stored.
    await same(t, async (e) => {
      await e.links.updateSettings(
        await idOf(e, 'alpha'),
        settings('https://z.example/', { redirectStatus: 307, expiresAt: NOW + DAY, maxVisits: 9 }),
        NOW + 1,
      );
      // Deleted links are not changed any more, except by another deletion.
      await e.links.updateSettings(await idOf(e, 'hotel'), settings('https://x.example/'), NOW + 1);
      await e.links.setDisabled(await idOf(e, 'hotel'), true, NOW + 1);
      await e.links.setBanned(await idOf(e, 'hotel'), { reason: 'spam' }, NOW + 1);
      await e.links.deleteLink(await idOf(e, 'india'), NOW + 2);
      await e.links.setDisabled(await idOf(e, 'fox_trot'), false, NOW + 3);
      await e.links.setDisabled(await idOf(e, 'november'), true, NOW + 3);
      await e.links.setBanned(await idOf(e, 'kilo'), null, NOW + 4);
      await e.links.setBanned(await idOf(e, 'oscar'), { reason: 'illegal' }, NOW + 4);
      await e.links.deleteLink(await idOf(e, 'oscar'), NOW + 5);
      // Ids that do not exist change nothing.
      await e.links.updateSettings(999, settings('https://x.example/'), NOW);
      await e.links.setDisabled(999, true, NOW);
      await e.links.setBanned(999, null, NOW);
      await e.links.deleteLink(999, NOW);
    });
    const all = await same(t, (e) =>
      e.links.listLinks(
        { search: '', state: null, orderBy: 'created', direction: 'asc', limit: 100, offset: 0 },
        NOW,
      ),
    );
    expect(all.links.find((link) => link.code === 'alpha')).toMatchObject({
      target: 'https://z.example/',
      redirectStatus: 307,
      maxVisits: 9,
      updated: NOW + 1,
    });
    expect(all.links.find((link) => link.code === 'oscar')).toMatchObject({
      target: '',
      deletedAt: NOW + 5,
      bannedAt: NOW + 4,
      manageTokenHash: null,
    });
    await same(t, (e) => e.links.countByState(NOW));
    await same(t, (e) => e.links.countLinks());
  });

  it('links: every listing (filter, search with % _ \\ and case, order, page) is the same', async () => {
    const t = await twins();
    await same(t, seedLinks);
    const pages = [
      { limit: 100, offset: 0 },
      { limit: 3, offset: 2 },
    ];
    let nonEmpty = 0;
    for (const state of FILTERS) {
      for (const excludeDeleted of state === null ? [false, true] : [false]) {
        for (const search of SEARCHES) {
          for (const orderBy of ORDERS) {
            for (const direction of DIRECTIONS) {
              for (const page of pages) {
                const query: LinkQuery = {
                  search,
                  state,
                  excludeDeleted,
                  orderBy,
                  direction,
                  ...page,
                };
                const result = await same(
                  t,
                  (e) => e.links.listLinks(query, NOW),
                  JSON.stringify(query),
                );
                if (result.links.length > 0) nonEmpty += 1;
              }
            }
          }
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(100);

    const codes = async (search: string, state: LinkFilter | null = null) =>
      (
        await same(t, (e) =>
          e.links.listLinks(
            { search, state, orderBy: 'created', direction: 'asc', limit: 100, offset: 0 },
            NOW,
          ),
        )
      ).links.map((link) => link.code);
    // `%` and `_` are literal, the case of ASCII letters is ignored.
    expect(await codes('%')).toEqual(['charlie', 'LIMA%']);
    expect(await codes('_')).toEqual(['Bravo', 'fox_trot', 'LIMA%']);
    expect(await codes('\\')).toEqual(['fox_trot']);
    expect(await codes('BRAVO')).toEqual(['Bravo']);
    expect(await codes('', 'reported')).toEqual(['alpha']);
    // Links never visited sort as the smallest: first ascending, last descending.
    const byLastVisit = async (direction: LinkQuery['direction']) =>
      (
        await same(t, (e) =>
          e.links.listLinks(
            { search: '', state: null, orderBy: 'lastVisit', direction, limit: 100, offset: 0 },
            NOW,
          ),
        )
      ).links.map((link) => link.lastVisit);
    expect((await byLastVisit('asc'))[0]).toBeNull();
    expect((await byLastVisit('desc')).at(-1)).toBeNull();
    expect((await byLastVisit('desc'))[0]).toBe(NOW - 4000);
  });

  it('links: deleteLink keeps the code, erases the link and its statistics in one transaction', async () => {
    const t = await twins();
    const kept = await same(t, (e) => addLink(e, 'kept', settings('https://k.example/'), NOW));
    const gone = await same(t, (e) => addLink(e, 'gone', settings('https://g.example/'), NOW));
    await same(t, async (e) => {
      await visit(e, kept, 2, NOW + 1, [['r.example', 2]]);
      await visit(e, gone, 3, NOW + DAY, [
        ['', 1],
        ['r.example', 2],
      ]);
    });
    expect(await same(t, (e) => e.visits.dailyCounts(gone, '2026-01-01'))).toHaveLength(1);
    expect(await same(t, (e) => e.visits.topReferrers(gone, 10))).toHaveLength(2);

    // A failure after the tombstone (here a trigger) leaves everything as it was.
    await withClient(t.url, (client) =>
      client.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
        CREATE TRIGGER refuse BEFORE DELETE ON visits_referrers
        FOR EACH ROW EXECUTE FUNCTION refuse()`),
    );
    await expect(t.postgres.links.deleteLink(gone, NOW)).rejects.toThrow('refused');
    expect(await t.postgres.links.findLink('gone')).toMatchObject({ deletedAt: null, visits: 3 });
    expect(await t.postgres.visits.dailyCounts(gone, '2026-01-01')).toHaveLength(1);
    await withClient(t.url, (client) => client.query('DROP TRIGGER refuse ON visits_referrers'));

    await same(t, (e) => e.links.deleteLink(gone, NOW + 2 * DAY));
    expect(await same(t, (e) => e.links.findLink('gone'))).toMatchObject({
      target: '',
      deletedAt: NOW + 2 * DAY,
      manageTokenHash: null,
      visits: 3,
    });
    expect(await same(t, (e) => e.visits.dailyCounts(gone, '2026-01-01'))).toEqual([]);
    expect(await same(t, (e) => e.visits.topReferrers(gone, 10))).toEqual([]);
    expect(await same(t, (e) => e.visits.topReferrers(kept, 10))).toEqual([
      { host: 'r.example', count: 2 },
    ]);
    // Its code stays taken.
    expect(
      await same(t, (e) =>
        e.links.insertLink(
          { ...settings('https://new.example/'), code: 'gone', manageTokenHash: Buffer.from('n') },
          NOW,
        ),
      ),
    ).toEqual({ ok: false, reason: 'code_taken' });
  });

  it('links: bulk changes and pages of the links to a host give the same results, all or nothing, each changed link notified', async () => {
    const t = await twins();
    await same(t, seedLinks);
    for (const host of ['a.example', 'n.example', 'example', '']) {
      for (const page of [
        { after: 0, limit: 1 },
        { after: 0, limit: 2 },
        { after: 1, limit: 2 },
        { after: 13, limit: 10 },
        { after: 100, limit: 10 },
      ]) {
        await same(
          t,
          (e) => e.links.activeLinksMentioning(host, NOW, page),
          `${host} ${page.after}`,
        );
      }
    }

    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    onTestFinished(() => listener.end());
    const heard: string[] = [];
    listener.on('notification', (message) => {
      if (message.channel === LINK_CHANGED_CHANNEL) heard.push(message.payload ?? '');
    });
    await listener.query(`LISTEN ${LINK_CHANGED_CHANNEL}`);

    await same(t, async (e) => {
      const ids = async (...codes: string[]) => Promise.all(codes.map((code) => idOf(e, code)));
      // A deleted link (hotel) and an id that does not exist change nothing.
      await e.links.setDisabledMany(await ids('alpha', 'november', 'hotel'), true, NOW + 1);
      await e.links.setDisabledMany([...(await ids('november', 'fox_trot')), 999], false, NOW + 2);
      await e.links.deleteLinks(await ids('charlie', 'oscar'), NOW + 3);
      await e.links.setDisabledMany([], true, NOW + 4);
      await e.links.deleteLinks([], NOW + 4);
    });
    await same(t, (e) =>
      e.links.listLinks(
        { search: '', state: null, orderBy: 'created', direction: 'asc', limit: 100, offset: 0 },
        NOW,
      ),
    );
    await same(t, (e) => e.visits.dailyCounts(1, '2000-01-01'));

    // A batch that fails changes none of its links, on either engine.
    t.db.exec(`CREATE TRIGGER refuse BEFORE UPDATE ON urls
      WHEN NEW.code = 'Bravo' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await withClient(t.url, (client) =>
      client.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF NEW.code = 'Bravo' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse BEFORE UPDATE ON urls FOR EACH ROW EXECUTE FUNCTION refuse()`),
    );
    for (const e of [t.sqlite, t.postgres]) {
      const ids = [await idOf(e, 'delta'), await idOf(e, 'Bravo'), await idOf(e, 'LIMA%')];
      await expect((async () => e.links.setDisabledMany(ids, true, NOW + 5))()).rejects.toThrow(
        'refused',
      );
      await expect((async () => e.links.deleteLinks(ids, NOW + 5))()).rejects.toThrow('refused');
    }
    await same(t, (e) => e.links.countByState(NOW));
    await same(t, (e) => e.links.findLink('delta'));

    // Each notified by its key: the default domain's `0/<code>` (ADR 031).
    const expected = ['alpha', 'november', 'november', 'fox_trot', 'charlie', 'oscar'].map(
      (code) => `0/${code}`,
    );
    const deadline = Date.now() + 5000;
    while (heard.length < expected.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...heard].sort()).toEqual([...expected].sort());
  });

  it('links: every change to an existing link notifies its key, at the commit, and nothing else does', async () => {
    const t = await twins();
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    onTestFinished(() => listener.end());
    const heard: string[] = [];
    listener.on('notification', (message) => {
      if (message.channel === LINK_CHANGED_CHANNEL) heard.push(message.payload ?? '');
    });
    await listener.query(`LISTEN ${LINK_CHANGED_CHANNEL}`);

    const { links } = t.postgres;
    const a = await addLink(t.postgres, 'a-link', settings('https://a.example/'), NOW);
    const b = await addLink(t.postgres, 'b-link', settings('https://b.example/'), NOW);
    await links.updateSettings(a, settings('https://a2.example/'), NOW);
    await links.setDisabled(a, true, NOW);
    await links.setDisabled(a, false, NOW);
    await links.setBanned(b, { reason: 'spam' }, NOW);
    await links.setBanned(b, null, NOW);
    await links.deleteLink(b, NOW);
    // Changes that change nothing send nothing: a deleted link, an id that does not exist.
    await links.updateSettings(b, settings('https://x.example/'), NOW);
    await links.setDisabled(b, true, NOW);
    await links.setBanned(b, { reason: 'spam' }, NOW);
    await links.setDisabled(999, true, NOW);
    await links.deleteLink(999, NOW);
    // A deletion that fails is rolled back with its notification.
    await withClient(t.url, (client) =>
      client.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
        CREATE TRIGGER refuse AFTER DELETE ON visits_referrers
        FOR EACH STATEMENT EXECUTE FUNCTION refuse()`),
    );
    await expect(links.deleteLink(a, NOW)).rejects.toThrow('refused');
    // Reads and new links send nothing either; the last change marks the end.
    await links.findLink('a-link');
    await addLink(t.postgres, 'c-link', settings('https://c.example/'), NOW);
    await links.setDisabled(a, true, NOW + 1);

    const expected = ['a-link', 'a-link', 'a-link', 'b-link', 'b-link', 'b-link', 'a-link'].map(
      (code) => `0/${code}`,
    );
    const deadline = Date.now() + 5000;
    while (heard.length < expected.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(heard).toEqual(expected);
  });

  it.each<Collation>(['cluster default', 'ICU en-US'])(
    'visits: daily counts and top referrers are the same, ties in the order of the hosts (%s)',
    async (collation) => {
      const t = await twins(collation);
      const id = await same(t, (e) => addLink(e, 'seen', settings('https://s.example/'), NOW));
      await same(t, async (e) => {
        await visit(e, id, 5, NOW - 2 * DAY, [
          ['b-c.example', 2],
          ['bc.example', 2],
          ['', 1],
        ]);
        await visit(e, id, 4, NOW - DAY, [
          ['B.example', 2],
          ['a.example', 2],
        ]);
        await visit(e, id, 1, NOW, [['z.example', 1]]);
      });
      for (const fromDay of ['2000-01-01', '2026-06-14', '2026-06-15', '2026-06-16']) {
        await same(t, (e) => e.visits.dailyCounts(id, fromDay), fromDay);
      }
      for (const limit of [0, 1, 3, 100]) {
        await same(t, (e) => e.visits.topReferrers(id, limit), String(limit));
      }
      expect(await same(t, (e) => e.visits.topReferrers(id, 100))).toEqual([
        { host: 'B.example', count: 2 },
        { host: 'a.example', count: 2 },
        { host: 'b-c.example', count: 2 },
        { host: 'bc.example', count: 2 },
        { host: '', count: 1 },
        { host: 'z.example', count: 1 },
      ]);
      expect(await same(t, (e) => e.visits.dailyCounts(id, '2026-06-14'))).toEqual([
        { day: '2026-06-14', count: 4 },
        { day: '2026-06-15', count: 1 },
      ]);
      await same(t, (e) => e.visits.dailyCounts(999, '2000-01-01'));
    },
  );

  it('transfer: insertLinks reports taken codes, duplicates in the list included, and pages read the same', async () => {
    const t = await twins();
    await same(t, (e) => addLink(e, 'existing', settings('https://e.example/'), NOW));
    const links = [
      imported('one'),
      imported('existing'),
      imported('two', { deletedAt: NOW, target: '' }),
      imported('one', { target: 'https://second.example/' }),
      imported('three', {
        bannedAt: NOW,
        banReason: 'spam',
        disabledAt: NOW - 1,
        expiresAt: NOW + DAY,
        maxVisits: 10,
        visits: 4,
        lastVisit: NOW - 1,
        redirectStatus: 308,
      }),
      imported('two'),
    ];
    const inserted = await same(t, (e) => insertLinks(e, links));
    expect([...inserted]).toEqual([1, 0, 1, 0, 1, 0]);
    expect(await same(t, (e) => insertLinks(e, []))).toEqual(new Uint8Array(0));

    // The ids differ (a taken code used up a value of PostgreSQL's sequence): compare the rest,
    // page by page.
    const read = async (e: Engine, limit: number) => {
      const pages: ImportedLink[][] = [];
      let after = 0;
      for (;;) {
        const page: ImportedLink[] = [];
        let last = after;
        const n = await e.transfer.forEachLinkAfter(after, limit, (link) => {
          // An import sets no password.
          const { id, passwordHash, domainId, ...rest } = link;
          expect(passwordHash).toBeNull();
          expect(domainId).toBeNull();
          expect(id).toBeGreaterThan(last);
          last = id;
          page.push(rest);
        });
        expect(n).toBe(page.length);
        if (n === 0) return pages;
        pages.push(page);
        after = last;
      }
    };
    for (const limit of [1, 2, 100]) await same(t, (e) => read(e, limit), String(limit));
    const [all] = await same(t, (e) => read(e, 100));
    expect(all?.map((link) => link.code)).toEqual(['existing', 'one', 'two', 'three']);
    expect(all?.[1]?.target).toBe('https://one.example/');
    expect(all?.[3]).toEqual(links[4]);
    expect(await same(t, (e) => e.transfer.forEachLinkAfter(1_000_000, 10, () => {}))).toBe(0);
  });

  it('transfer: insertLinks writes all or nothing, across chunks of 12,000 links', async () => {
    const t = await twins();
    await same(t, (e) => addLink(e, 'existing', settings('https://e.example/'), NOW));
    const many = Array.from({ length: 12_000 }, (_, i) => imported(`code${i}`));
    // A duplicate of the first chunk in the third, and the existing code in the second.
    many[11_000] = imported('code10');
    many[7_000] = imported('existing');

    // A row that breaks a CHECK in the last chunk: nothing at all is stored.
    const failing = [...many];
    failing[11_500] = imported('bad', { maxVisits: 0 });
    await same(t, async (e) => {
      // SQLite throws at once, PostgreSQL rejects.
      await expect((async () => insertLinks(e, failing))()).rejects.toThrow(/check/i);
      return e.links.countLinks();
    });
    expect(await t.postgres.links.countLinks()).toBe(1);

    const inserted = await same(t, (e) => insertLinks(e, many));
    expect(inserted.reduce((sum, one) => sum + one, 0)).toBe(11_998);
    expect([inserted[10], inserted[7_000], inserted[11_000]]).toEqual([1, 0, 0]);
    expect(await same(t, (e) => e.links.countLinks())).toBe(11_999);
    // Once more: every code is taken now.
    const again = await same(t, (e) => insertLinks(e, many));
    expect(again.every((one) => one === 0)).toBe(true);
  });

  it('transfer: an import is staged, written and reported the same, and old reports are dropped in batches', async () => {
    const t = await twins();
    await same(t, (e) => addLink(e, 'existing', settings('https://e.example/'), NOW));
    const row = (line: number, code: string, result: StagedRow['result'], link = true) => ({
      line,
      code,
      target: `https://${code}.example/`,
      result,
      reason: result === 'created' ? '' : `why ${code}`,
      link: link && result === 'created' ? imported(code) : null,
    });
    const stageAndApply = async (e: Engine, id: string, created: number) => {
      await e.transfer.startImport(id, created);
      await e.transfer.stageRows(id, 1, [
        row(2, 'one', 'created'),
        row(3, 'existing', 'created'),
        row(4, 'bad', 'invalid'),
      ]);
      await e.transfer.stageRows(id, 4, [row(5, 'one', 'created'), row(6, 'two', 'refused')]);
      expect((await e.transfer.findImport(id))?.state).toBe('reading');
      await e.transfer.applyImport(id, { write: (step) => step(), pause: async () => {} });
    };
    await same(t, (e) => stageAndApply(e, 'first', NOW - 3));
    expect(await same(t, (e) => e.transfer.findImport('first'))).toEqual({
      created: NOW - 3,
      state: 'done',
    });
    const totals = await same(t, async (e) =>
      (await e.transfer.importTotals('first')).sort((a, b) => a.result.localeCompare(b.result)),
    );
    expect(totals).toEqual([
      { result: 'created', count: 1 },
      { result: 'invalid', count: 1 },
      { result: 'refused', count: 1 },
      { result: 'skipped', count: 2 },
    ]);
    const shown = await same(t, (e) => e.transfer.shownRows('first', 4));
    expect(shown.map((r) => [r.line, r.result])).toEqual([
      [3, 'skipped'],
      [4, 'invalid'],
      [5, 'skipped'],
      [6, 'refused'],
    ]);
    expect(shown[0]?.reason).toBe(
      'The code “existing” is already taken; the existing link was kept.',
    );
    const page = (e: Engine, after: number) => {
      const rows: unknown[] = [];
      return Promise.resolve(
        e.transfer.forEachReportRow('first', after, 2, (r) => rows.push(r)),
      ).then((last) => ({ last, rows }));
    };
    expect((await same(t, (e) => page(e, 0))).last).toBe(2);
    expect((await same(t, (e) => page(e, 4))).rows).toHaveLength(1);
    expect(await same(t, (e) => page(e, 5))).toEqual({ last: 5, rows: [] });

    // Four more: the oldest beyond the newest three goes, and so does any older than the hour.
    for (const [id, created] of [
      ['second', NOW - 2],
      ['third', NOW - 1],
      ['fourth', NOW],
    ] as const) {
      await same(t, async (e) => {
        await e.transfer.startImport(id, created);
        await e.transfer.stageRows(id, 1, [row(2, `${id}-x`, 'invalid')]);
        await e.transfer.applyImport(id, { write: (step) => step(), pause: async () => {} });
      });
    }
    await same(t, (e) => e.transfer.startImport('unfinished', NOW - 10));
    expect(await same(t, (e) => e.transfer.oldImports(NOW - 100, 3))).toEqual(['first']);
    expect((await same(t, (e) => e.transfer.oldImports(NOW - 1, 3))).sort()).toEqual([
      'first',
      'second',
      'unfinished',
    ]);
    expect(await same(t, (e) => e.transfer.dropImportBatch('first', 2))).toBe(2);
    expect((await same(t, (e) => e.transfer.findImport('first')))?.state).toBe('done');
    expect(await same(t, (e) => e.transfer.dropImportBatch('first', 2))).toBe(2);
    expect(await same(t, (e) => e.transfer.dropImportBatch('first', 2))).toBe(1);
    expect(await same(t, (e) => e.transfer.findImport('first'))).toBeNull();
    expect(await same(t, (e) => e.transfer.findImport('nothing'))).toBeNull();
    // The links the import wrote stay.
    expect(await same(t, (e) => e.links.countLinks())).toBe(2);
  });

  it('transfer: 100,000 links in one import on PostgreSQL', async () => {
    const t = await twins();
    const many = Array.from({ length: 100_000 }, (_, i) => imported(`bulk${i}`));
    const started = performance.now();
    const inserted = await insertLinks(t.postgres, many);
    const ms = performance.now() - started;
    console.log(`postgres: import (staged, then written) of 100,000 links in ${Math.round(ms)} ms`);
    expect(inserted.every((one) => one === 1)).toBe(true);
    expect(await t.postgres.links.countLinks()).toBe(100_000);
  });

  it('transfer: a difference, PostgreSQL refuses a NUL character in text, SQLite stores it', async () => {
    const t = await twins();
    const links = [imported('fine'), imported('nul', { target: 'https://x.example/\u0000' })];
    const { sqlite, postgres } = await each(t, (e) =>
      Promise.resolve(insertLinks(e, links)).then(
        (inserted) => [...inserted],
        (error: { code?: string }) => error.code,
      ),
    );
    expect(sqlite).toEqual([1, 1]);
    expect(postgres).toBe('22021');
    expect(await t.postgres.links.countLinks()).toBe(0);
  });

  it('keys: inserting, finding, listing, revoking, touching and counting are the same', async () => {
    const t = await twins();
    const key = (name: string, hash: string, expiresAt: number | null = null) => ({
      name,
      hash: Buffer.from(hash),
      scope: 'full' as const,
      expiresAt,
      source: 'cli' as const,
    });
    expect(await same(t, (e) => e.keys.insertKey(key('ci', 'h1'), NOW))).toBe(true);
    expect(
      await same(t, (e) =>
        e.keys.insertKey({ ...key('bot', 'h2', NOW + DAY), scope: 'create-only' }, NOW - 1),
      ),
    ).toBe(true);
    expect(await same(t, (e) => e.keys.insertKey(key('old', 'h3', NOW), NOW))).toBe(true);
    // An active key has the name; another key has the hash.
    expect(await same(t, (e) => e.keys.insertKey(key('ci', 'h4'), NOW))).toBe(false);
    expect(await same(t, (e) => e.keys.insertKey(key('new', 'h1'), NOW))).toBe(false);
    await same(t, (e) => e.keys.listKeys());
    await same(t, (e) => e.keys.countUsableKeys(NOW));
    expect(await same(t, (e) => e.keys.revokeKey('ci', NOW + 1))).toBe(true);
    expect(await same(t, (e) => e.keys.revokeKey('ci', NOW + 2))).toBe(false);
    expect(await same(t, (e) => e.keys.revokeKey('nobody', NOW))).toBe(false);
    // A revoked key's name may be given again.
    expect(await same(t, (e) => e.keys.insertKey(key('ci', 'h5'), NOW + 3))).toBe(true);
    const found = await same(t, (e) => e.keys.findKeyByHash(Buffer.from('h2')));
    expect(found).toMatchObject({ name: 'bot', scope: 'create-only', keyHash: Buffer.from('h2') });
    await same(t, (e) => e.keys.touchKey(found!.id, NOW + 4));
    await same(t, (e) => e.keys.findKeyByHash(Buffer.from('h2')));
    await same(t, (e) => e.keys.findKeyByHash(Buffer.from('h1')));
    expect(await same(t, (e) => e.keys.findKeyByHash(Buffer.from('none')))).toBeNull();
    // The ids differ from here on: the refused inserts used up values of PostgreSQL's sequence.
    const listed = await same(t, async (e) => (await e.keys.listKeys()).map(withoutId));
    expect(listed.map((k) => k.name)).toEqual(['bot', 'ci', 'old', 'ci']);
    expect((await each(t, (e) => e.keys.listKeys())).postgres.map((k) => k.id)).toEqual([
      2, 1, 3, 6,
    ]);
    expect(await same(t, (e) => e.keys.countUsableKeys(NOW))).toBe(2);
    await same(t, (e) => e.keys.countUsableKeys(NOW + DAY));
  });

  it('keys: a key stored by INITIAL_API_KEY before keys had a source is recognised by the migration', async () => {
    // Rows as the earlier schema held them; then the migration that adds the source.
    const { url } = await createTestPgDatabase();
    const source = PG_MIGRATIONS.findIndex((m) => m.name === 'add_api_key_sources');
    expect(source).toBeGreaterThan(0);
    await applyPostgresMigrations(url, PG_MIGRATIONS.slice(0, source));
    const legacy: [string, string, number | null][] = [
      ['initial', 'full', null],
      ['initial-3', 'full', null],
      ['initial-x', 'full', null],
      ['initial', 'create-only', null],
      ['laptop', 'full', null],
      ['initial-4', 'full', NOW],
    ];
    await withClient(url, async (client) => {
      for (const [i, [name, scope, expiresAt]] of legacy.entries()) {
        await client.query(
          `INSERT INTO api_keys (name, key_hash, scope, created, expires_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [name, Buffer.from(`h${i}`), scope, NOW, expiresAt, scope === 'create-only' ? NOW : null],
        );
      }
    });
    await applyPostgresMigrations(url, PG_MIGRATIONS);
    const pool = createPostgresPool(url, { max: 1 });
    onTestFinished(() => pool.end());
    expect(
      (await createPostgresKeyRepository(pool).listKeys()).map((k) => [k.name, k.source]),
    ).toEqual([
      ['initial', 'initial'],
      ['initial-3', 'initial'],
      ['initial-x', 'unknown'],
      ['initial', 'unknown'],
      ['laptop', 'unknown'],
      ['initial-4', 'unknown'],
    ]);
  });

  it.each<Collation>(['cluster default', 'ICU en-US'])(
    'abuse: the blocklist is the same, in the order of the hosts (%s)',
    async (collation) => {
      const t = await twins(collation);
      await same(t, async (e) => {
        await e.abuse.blockHost('z.example', 'spam', NOW);
        await e.abuse.blockHost('B.example', '', NOW + 1);
        await e.abuse.blockHost('a-b.example', 'phishing', NOW + 2);
        await e.abuse.blockHost('ab.example', 'phishing', NOW + 3);
        // Blocking again changes the reason only.
        await e.abuse.blockHost('z.example', 'malware', NOW + 4);
      });
      expect(await same(t, (e) => e.abuse.blockedHosts())).toEqual([
        { host: 'B.example', reason: '', created: NOW + 1 },
        { host: 'a-b.example', reason: 'phishing', created: NOW + 2 },
        { host: 'ab.example', reason: 'phishing', created: NOW + 3 },
        { host: 'z.example', reason: 'malware', created: NOW },
      ]);
      expect(await same(t, (e) => e.abuse.unblockHost('z.example'))).toBe(true);
      expect(await same(t, (e) => e.abuse.unblockHost('z.example'))).toBe(false);
      await same(t, (e) => e.abuse.blockedHosts());
    },
  );

  it('health: ping is false when no server answers at the address', async () => {
    const pool = createPostgresPool('postgres://nobody@127.0.0.1:1/none');
    onTestFinished(() => pool.end());
    expect(await createPostgresHealthRepository(pool).ping()).toBe(false);
  });
});

function withoutId<T extends { id: number }>({ id: _id, ...rest }: T): Omit<T, 'id'> {
  return rest;
}

/** A link as an import stores it. */
/**
 * Imports `links` as the import does — staged as rows to create, then written — and answers,
 * per link, 1 when it was inserted and 0 when its code was taken (by an existing link or an
 * earlier one in the list).
 */
async function insertLinks(e: Engine, links: readonly ImportedLink[]): Promise<Uint8Array> {
  const id = randomBytes(16).toString('base64url');
  await e.transfer.startImport(id, NOW);
  const rows: StagedRow[] = links.map((link, index) => ({
    line: index + 2,
    code: link.code,
    target: link.target,
    result: 'created',
    reason: '',
    link,
  }));
  for (let at = 0; at < rows.length; at += 1000) {
    await e.transfer.stageRows(id, at + 1, rows.slice(at, at + 1000));
  }
  await e.transfer.applyImport(id, {
    write: (step) => step(),
    pause: () => new Promise((resolve) => setImmediate(resolve)),
  });
  const inserted = new Uint8Array(links.length);
  let after = 0;
  let index = 0;
  for (;;) {
    const before = index;
    after = await e.transfer.forEachReportRow(id, after, 5000, (row) => {
      inserted[index++] = row.result === 'created' ? 1 : 0;
    });
    if (index === before) return inserted;
  }
}

function imported(code: string, extra: Partial<ImportedLink> = {}): ImportedLink {
  return {
    code,
    target: `https://${code}.example/`,
    created: NOW - DAY,
    updated: NOW - DAY,
    ...DEFAULT_OPTIONS,
    visits: 0,
    lastVisit: null,
    disabledAt: null,
    deletedAt: null,
    bannedAt: null,
    banReason: null,
    ...extra,
  };
}
