import { spawn } from 'node:child_process';
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import { loadMigrations } from '../../src/db/migrations.js';
import { DEFAULT_MIGRATIONS_DIR, postgresMigrationsDir } from '../../src/db/migrations-dir.js';
import { applyPostgresMigrations } from '../../src/db/migrations.postgres.js';
import { createPostgresVisitRepository } from '../../src/stats/visit-store.postgres.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type VisitBatch,
} from '../../src/stats/visit-store.js';
import {
  createTestPgDatabase,
  createTestPool,
  describeWithPostgres,
  withClient,
} from '../support/postgres.js';
import { createTestDatabase } from '../support/test-app.js';

// The PostgreSQL visit flush against the real, throw-away cluster: the same stored figures as
// SQLite, real processes flushing at once, a real deadlock, and an error that is not retried.

const PG_MIGRATIONS = loadMigrations(postgresMigrationsDir(DEFAULT_MIGRATIONS_DIR));
/** 2026-06-15 12:00 UTC. */
const START = Date.UTC(2026, 5, 15, 12);
const REPOSITORY_MODULE = new URL('../../dist/stats/visit-store.postgres.js', import.meta.url).href;

async function migratedDatabase(): Promise<string> {
  const { url } = await createTestPgDatabase();
  await applyPostgresMigrations(url, PG_MIGRATIONS);
  return url;
}

async function insertPgLinks(url: string, codes: string[]): Promise<number[]> {
  return withClient(url, async (client) => {
    const ids: number[] = [];
    for (const code of codes) {
      const { rows } = await client.query<{ id: string }>(
        'INSERT INTO urls (code, target, created, updated) VALUES ($1, $2, $3, $3) RETURNING id',
        [code, `https://example.com/${code}`, START],
      );
      ids.push(Number(rows[0]!.id));
    }
    return ids;
  });
}

function batch(
  urlId: number,
  lastVisit: number,
  byDay: [string, number][],
  byReferrer: [string, number][],
): VisitBatch {
  const count = byDay.reduce((sum, [, n]) => sum + n, 0);
  const referred = byReferrer.reduce((sum, [, n]) => sum + n, 0);
  if (referred !== count)
    throw new Error(`batch of ${urlId}: ${referred} referrers, ${count} days`);
  return { urlId, count, lastVisit, byDay: new Map(byDay), byReferrer: new Map(byReferrer) };
}

type Stored = {
  links: { code: string; visits: number; last_visit: number | null }[];
  daily: { code: string; day: string; count: number }[];
  referrers: { code: string; host: string; count: number }[];
};

const STORED_LINKS = 'SELECT code, visits, last_visit FROM urls ORDER BY code';
const STORED_DAILY =
  'SELECT u.code, d.day, d.count FROM visits_daily d JOIN urls u ON u.id = d.url_id ORDER BY u.code, d.day';
const STORED_REFERRERS =
  'SELECT u.code, r.host, r.count FROM visits_referrers r JOIN urls u ON u.id = r.url_id ORDER BY u.code, r.host';

async function storedOnPostgres(url: string): Promise<Stored> {
  return withClient(url, async (client) => {
    const numbers = <T extends Record<string, unknown>>(rows: T[]): T[] =>
      rows.map(
        (row) =>
          Object.fromEntries(
            Object.entries(row).map(([key, value]) => [
              key,
              ['visits', 'last_visit', 'count'].includes(key) && value !== null
                ? Number(value)
                : value,
            ]),
          ) as T,
      );
    return {
      links: numbers((await client.query(STORED_LINKS)).rows),
      daily: numbers((await client.query(STORED_DAILY)).rows),
      referrers: numbers((await client.query(STORED_REFERRERS)).rows),
    };
  });
}

/**
 * One machine: its own pool, three flush loops at once, random batches to the run's links for
 * at least `durationMs`. Prints what it sent (and only what was flushed without an error) as JSON.
 *
 * How much a process sends in a given time depends on the machine: on a loaded one, random
 * hosts drawn for a fixed time left some link short of the referrer cap. So each link gets the
 * named hosts in an order of its own (shuffled, without repeats until all 140 have been sent),
 * and the loops go on past `durationMs` until this process alone has flushed `minFlushes` times
 * and sent every link more named hosts than the cap: every link reaches it, on any machine.
 */
const FLUSHING_PROCESS = `
import pg from 'pg';
const [url, moduleUrl, linkIdsJson, durationMs, seed, minFlushes, cap] = process.argv.slice(1);
const { createPostgresVisitRepository } = await import(moduleUrl);
const linkIds = JSON.parse(linkIdsJson);
let state = Number(seed);
const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = (n) => Math.floor(random() * n);
const named = Array.from({ length: 140 }, (_, i) => 'host' + i + '.example');
const shuffled = () => {
  const hosts = [...named];
  for (let i = hosts.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [hosts[i], hosts[j]] = [hosts[j], hosts[i]];
  }
  return hosts;
};
const order = new Map(linkIds.map((id) => [id, shuffled()]));
const namedSent = new Map(linkIds.map((id) => [id, 0]));
// Direct visits ('') as often as any one host, as when all 141 keys were drawn at random.
const nextHost = (urlId) => {
  if (pick(named.length + 1) === 0) return '';
  const n = namedSent.get(urlId);
  namedSent.set(urlId, n + 1);
  return order.get(urlId)[n % named.length];
};
const days = ['2026-06-15', '2026-06-16', '2026-06-17'];
const pool = new pg.Pool({ connectionString: url, max: 3 });
let retries = 0;
const visits = createPostgresVisitRepository(pool, { onRetry: () => { retries += 1; } });
const sent = { flushes: 0, visits: 0, links: {}, days: {}, lastVisit: {}, hosts: {} };
const hostsSent = {};
const until = Date.now() + Number(durationMs);
const done = () =>
  Date.now() >= until &&
  sent.flushes >= Number(minFlushes) &&
  linkIds.every((id) => namedSent.get(id) > Number(cap));
async function loop() {
  while (!done()) {
    const batches = new Map();
    const links = 1 + pick(20);
    for (let i = 0; i < links; i++) {
      const urlId = linkIds[pick(linkIds.length)];
      let b = batches.get(urlId);
      if (!b) {
        b = { urlId, count: 0, lastVisit: 0, byDay: new Map(), byReferrer: new Map() };
        batches.set(urlId, b);
      }
      const n = 1 + pick(10);
      for (let v = 0; v < n; v++) {
        const day = days[pick(days.length)];
        const host = nextHost(urlId);
        b.byDay.set(day, (b.byDay.get(day) ?? 0) + 1);
        b.byReferrer.set(host, (b.byReferrer.get(host) ?? 0) + 1);
      }
      b.count += n;
      b.lastVisit = Math.max(b.lastVisit, ${START} + pick(1000000));
    }
    await visits.addVisits([...batches.values()]);
    sent.flushes += 1;
    for (const b of batches.values()) {
      sent.visits += b.count;
      sent.links[b.urlId] = (sent.links[b.urlId] ?? 0) + b.count;
      sent.lastVisit[b.urlId] = Math.max(sent.lastVisit[b.urlId] ?? 0, b.lastVisit);
      for (const [day, n] of b.byDay) sent.days[b.urlId + '|' + day] = (sent.days[b.urlId + '|' + day] ?? 0) + n;
      hostsSent[b.urlId] ??= new Set();
      for (const host of b.byReferrer.keys()) hostsSent[b.urlId].add(host);
    }
  }
}
await Promise.all([loop(), loop(), loop()]);
await pool.end();
for (const [id, hosts] of Object.entries(hostsSent)) sent.hosts[id] = [...hosts];
process.stdout.write(JSON.stringify({ ...sent, retries }));
`;

type Sent = {
  flushes: number;
  visits: number;
  retries: number;
  links: Record<string, number>;
  days: Record<string, number>;
  lastVisit: Record<string, number>;
  /** Per link, every host it was sent ('' for direct visits). */
  hosts: Record<string, string[]>;
};

/** Each process flushes at least this often: enough rounds of flushes meeting each other. */
const MIN_FLUSHES = 50;

function runFlushingProcess(url: string, linkIds: number[], durationMs: number, seed: number) {
  return new Promise<Sent>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        FLUSHING_PROCESS,
        url,
        REPOSITORY_MODULE,
        JSON.stringify(linkIds),
        String(durationMs),
        String(seed),
        String(MIN_FLUSHES),
        String(MAX_REFERRER_HOSTS),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as Sent);
      else reject(new Error(`flushing process exited with ${code}: ${stderr}`));
    });
  });
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** Waits until `waiting` connections to the database wait for a lock another one holds. */
async function untilSomeoneWaitsForALock(url: string, waiting = 1): Promise<void> {
  await withClient(url, async (client) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (Number(rows[0]!.n) >= waiting) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`fewer than ${waiting} connections waited for a lock within 10 s`);
  });
}

async function storedCounts(url: string) {
  const stored = await storedOnPostgres(url);
  return {
    links: stored.links,
    daily: stored.daily.map((row) => `${row.code} ${row.day} ${row.count}`),
    referrers: stored.referrers.map((row) => `${row.code} ${row.host} ${row.count}`),
  };
}

describeWithPostgres('the PostgreSQL visit flush', () => {
  it('when the same batches are flushed on SQLite and on PostgreSQL, then both store the same totals, days and referrers', async () => {
    const url = await migratedDatabase();
    const sqlite = createTestDatabase();
    const codes = ['alpha', 'beta', 'capped', 'deleted'];
    const insert = sqlite.prepare<[string, string, number, number]>(
      'INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?)',
    );
    for (const code of codes) insert.run(code, `https://example.com/${code}`, START, START);
    const [a, b, capped, deleted] = await insertPgLinks(url, codes);
    const gone = 9_999;

    const sqliteVisits = createVisitRepository(sqlite);
    const pgVisits = createPostgresVisitRepository(createTestPool(url, 4));
    const flushBoth = async (batches: VisitBatch[]) => {
      sqliteVisits.addVisits(batches);
      await pgVisits.addVisits(batches);
    };

    // Two hosts short of the cap, in an order that is not the hosts' sort order.
    const firstHosts = Array.from({ length: MAX_REFERRER_HOSTS - 2 }, (_, i) => [
      `h${String((i * 37) % (MAX_REFERRER_HOSTS - 2)).padStart(3, '0')}.example`,
      1,
    ]) as [string, number][];
    await flushBoth([
      batch(capped!, START + 5, [['2026-06-15', firstHosts.length]], firstHosts),
      batch(
        a!,
        START + 10,
        [
          ['2026-06-15', 2],
          ['2026-06-16', 1],
        ],
        [
          ['news.example.com', 2],
          ['', 1],
        ],
      ),
      batch(deleted!, START + 1, [['2026-06-15', 4]], [['x.example', 4]]),
    ]);

    // The link is deleted: what it had stays, what comes now is dropped.
    sqlite.prepare('UPDATE urls SET deleted_at = ? WHERE code = ?').run(START + 20, 'deleted');
    await withClient(url, (client) =>
      client.query('UPDATE urls SET deleted_at = $1 WHERE code = $2', [START + 20, 'deleted']),
    );

    // 98 rows: "zzz" is the 99th, the direct visits the 100th, so "aaa" (which sorts first) and
    // "mmm" go to the other-referrers bucket, while a known host keeps its row.
    await flushBoth([
      batch(deleted!, START + 30, [['2026-06-16', 3]], [['x.example', 3]]),
      batch(
        capped!,
        START + 31,
        [['2026-06-16', 9]],
        [
          ['zzz.example', 1],
          ['', 2],
          ['aaa.example', 3],
          ['h005.example', 1],
          ['mmm.example', 2],
        ],
      ),
      batch(a!, START + 8, [['2026-06-16', 1]], [['news.example.com', 1]]),
      batch(gone, START + 30, [['2026-06-16', 1]], [['', 1]]),
    ]);

    // Full now: new hosts go to the bucket, known ones (and the bucket itself) stay.
    await flushBoth([
      batch(b!, START + 40, [['2026-06-17', 2]], [['forum.example.net', 2]]),
      batch(
        capped!,
        START + 41,
        [['2026-06-17', 6]],
        [
          ['aaa.example', 1],
          ['zzz.example', 2],
          ['new.example', 1],
          [OTHER_REFERRERS, 2],
        ],
      ),
      batch(a!, START + 42, [['2026-06-17', 1]], [['late.example', 1]]),
    ]);

    const onSqlite: Stored = {
      links: sqlite.prepare(STORED_LINKS).all() as Stored['links'],
      daily: sqlite.prepare(STORED_DAILY).all() as Stored['daily'],
      referrers: sqlite.prepare(STORED_REFERRERS).all() as Stored['referrers'],
    };
    const onPostgres = await storedOnPostgres(url);
    expect(onPostgres).toEqual(onSqlite);

    // What the rules mean here, so that both engines agreeing is not all this test checks.
    const cappedRows = onPostgres.referrers.filter((row) => row.code === 'capped');
    expect(cappedRows.filter((row) => row.host !== OTHER_REFERRERS)).toHaveLength(
      MAX_REFERRER_HOSTS,
    );
    expect(cappedRows.find((row) => row.host === OTHER_REFERRERS)?.count).toBe(3 + 2 + 1 + 1 + 2);
    expect(cappedRows.find((row) => row.host === 'zzz.example')?.count).toBe(3);
    expect(onPostgres.links).toEqual([
      { code: 'alpha', visits: 5, last_visit: START + 42 },
      { code: 'beta', visits: 2, last_visit: START + 40 },
      { code: 'capped', visits: 98 + 9 + 6, last_visit: START + 41 },
      { code: 'deleted', visits: 4, last_visit: START + 1 },
    ]);
    expect(onPostgres.daily.filter((row) => row.code === 'deleted')).toEqual([
      { code: 'deleted', day: '2026-06-15', count: 4 },
    ]);
  });

  it('when two processes flush random batches to the same 50 links at once, then every count adds up exactly and the referrer cap holds', async () => {
    const url = await migratedDatabase();
    const linkIds = await insertPgLinks(
      url,
      Array.from({ length: 50 }, (_, i) => `link${i}`),
    );
    const durationMs = 4_000;
    const started = Date.now();
    const results = await Promise.all([
      runFlushingProcess(url, linkIds, durationMs, 1),
      runFlushingProcess(url, linkIds, durationMs, 2),
    ]);
    const duration = Date.now() - started;

    const links: Record<string, number> = {};
    const days: Record<string, number> = {};
    const lastVisit: Record<string, number> = {};
    const hosts: Record<string, Set<string>> = {};
    for (const sent of results) {
      addInto(links, sent.links);
      addInto(days, sent.days);
      for (const [id, time] of Object.entries(sent.lastVisit)) {
        lastVisit[id] = Math.max(lastVisit[id] ?? 0, time);
      }
      for (const [id, sentHosts] of Object.entries(sent.hosts)) {
        hosts[id] ??= new Set();
        for (const host of sentHosts) hosts[id].add(host);
      }
    }
    const total = results.reduce((sum, sent) => sum + sent.visits, 0);
    console.log(
      `visit flush, 2 processes × 3 loops, 50 links: ${results.map((r) => r.flushes).join(' + ')} flushes, ` +
        `${results.map((r) => r.visits).join(' + ')} = ${total} visits, ` +
        `${results.map((r) => r.retries).join(' + ')} retries, ${duration} ms`,
    );
    for (const sent of results) expect(sent.flushes).toBeGreaterThanOrEqual(MIN_FLUSHES);
    // What the cap assertions below rest on: every link was sent more named hosts than fit.
    for (const id of linkIds) {
      const namedSent = [...(hosts[id] ?? [])].filter((host) => host !== '');
      expect(namedSent.length, `named hosts sent to link ${id}`).toBeGreaterThan(
        MAX_REFERRER_HOSTS,
      );
    }

    await withClient(url, async (client) => {
      const stored = await client.query<{ id: string; visits: string; last_visit: string | null }>(
        'SELECT id, visits, last_visit FROM urls ORDER BY id',
      );
      expect(Object.fromEntries(stored.rows.map((row) => [row.id, Number(row.visits)]))).toEqual(
        Object.fromEntries(linkIds.map((id) => [String(id), links[id] ?? 0])),
      );
      expect(
        Object.fromEntries(stored.rows.map((row) => [row.id, Number(row.last_visit ?? 0)])),
      ).toEqual(Object.fromEntries(linkIds.map((id) => [String(id), lastVisit[id] ?? 0])));

      const daily = await client.query<{ url_id: string; day: string; count: string }>(
        'SELECT url_id, day, count FROM visits_daily',
      );
      expect(
        Object.fromEntries(
          daily.rows.map((row) => [`${row.url_id}|${row.day}`, Number(row.count)]),
        ),
      ).toEqual(days);

      const referrers = await client.query<{ url_id: string; host: string; count: string }>(
        'SELECT url_id, host, count FROM visits_referrers',
      );
      const referred: Record<string, number> = {};
      const named: Record<string, number> = {};
      const strangers: string[] = [];
      for (const row of referrers.rows) {
        addInto(referred, { [row.url_id]: Number(row.count) });
        if (row.host === OTHER_REFERRERS) continue;
        if (row.host !== '') addInto(named, { [row.url_id]: 1 });
        if (!hosts[row.url_id]?.has(row.host)) strangers.push(`${row.url_id} ${row.host}`);
      }
      expect(referred).toEqual(links);
      // A host is stored only for a link it was sent to.
      expect(strangers).toEqual([]);
      // More hosts than fit were sent to every link: each reached the cap, and none went past it.
      expect(Object.values(named).every((n) => n <= MAX_REFERRER_HOSTS)).toBe(true);
      expect(Object.values(named).filter((n) => n >= MAX_REFERRER_HOSTS - 1)).toHaveLength(50);
      expect(referrers.rows.filter((row) => row.host === OTHER_REFERRERS)).toHaveLength(50);
    });
  });

  it('when two machines add a new host each to a link one row short of the referrer cap at the same moment, then one host takes the last row and the other goes to the other-referrers bucket', async () => {
    const url = await migratedDatabase();
    const [link] = await insertPgLinks(url, ['nearly-full']);
    const almost = Array.from({ length: MAX_REFERRER_HOSTS - 1 }, (_, i) => [
      `h${i}.example`,
      1,
    ]) as [string, number][];
    await createPostgresVisitRepository(createTestPool(url, 4)).addVisits([
      batch(link!, START + 1, [['2026-06-15', almost.length]], almost),
    ]);

    // Another connection holds the link's row, so both flushes are under way, each in its own
    // transaction on its own machine's pool, before either may write; then it lets go. Their
    // visits fall on different days, so no other row they share makes them take turns: only the
    // link's row can keep the second from counting the referrer rows before the first commits.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    onTestFinished(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM urls WHERE id = $1 FOR UPDATE', [link]);
    const flushes = ['first.example', 'second.example'].map((host, i) =>
      createPostgresVisitRepository(createTestPool(url, 4)).addVisits([
        batch(link!, START + 2 + i, [[`2026-06-1${6 + i}`, 1]], [[host, 1]]),
      ]),
    );
    await untilSomeoneWaitsForALock(url, 2);
    await holder.query('COMMIT');
    await Promise.all(flushes);

    const { referrers } = await storedCounts(url);
    const rows = referrers.map((row) => row.split(' '));
    expect(rows).toHaveLength(MAX_REFERRER_HOSTS + 1);
    expect(rows.filter(([, host]) => host === OTHER_REFERRERS)).toEqual([
      ['nearly-full', OTHER_REFERRERS, '1'],
    ]);
    const late = rows.filter(([, host]) => host === 'first.example' || host === 'second.example');
    expect(late).toHaveLength(1);
    expect(late[0]![2]).toBe('1');
  });

  it('when a flush is the victim of a real deadlock, then it runs again once, after its rollback, and every count is exact', async () => {
    // A real deadlock, provoked: another connection holds the second link's row, the flush
    // locks the first and waits for the second, and then the other connection asks for the
    // first. The flush waited first, so its deadlock check runs first and picks it as the victim
    // (the other connection's check would run only after 30 s).
    const url = await migratedDatabase();
    const [first, second] = await insertPgLinks(url, ['first', 'second']);
    const retried: unknown[] = [];
    const visits = createPostgresVisitRepository(createTestPool(url, 4), {
      onRetry: (error) => retried.push(error),
    });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    onTestFinished(() => other.end());
    await other.query('BEGIN');
    await other.query("SET LOCAL deadlock_timeout = '30s'");
    await other.query('SELECT id FROM urls WHERE id = $1 FOR UPDATE', [second]);

    const outcome = visits
      .addVisits([
        batch(second!, START + 2, [['2026-06-15', 2]], [['b.example', 2]]),
        batch(
          first!,
          START + 1,
          [['2026-06-15', 3]],
          [
            ['', 1],
            ['a.example', 2],
          ],
        ),
      ])
      .then(
        () => null,
        (error: unknown) => error,
      );
    await untilSomeoneWaitsForALock(url);
    // Returns once the flush's first attempt has rolled back and let go of the first link.
    await other.query('UPDATE urls SET visits = visits + 7 WHERE id = $1', [first]);
    await other.query('COMMIT');

    expect(await outcome).toBeNull();
    expect(retried).toHaveLength(1);
    expect(retried[0]).toBeInstanceOf(pg.DatabaseError);
    expect(retried[0]).toMatchObject({ code: '40P01' });
    expect(await storedCounts(url)).toEqual({
      links: [
        { code: 'first', visits: 3 + 7, last_visit: START + 1 },
        { code: 'second', visits: 2, last_visit: START + 2 },
      ],
      daily: ['first 2026-06-15 3', 'second 2026-06-15 2'],
      referrers: ['first  1', 'first a.example 2', 'second b.example 2'],
    });
  });

  it('when a statement fails for another reason, then the error is thrown as it is, at once, and nothing is written', async () => {
    const url = await migratedDatabase();
    const [only] = await insertPgLinks(url, ['only']);
    await withClient(url, (client) =>
      client.query('ALTER TABLE visits_referrers RENAME TO visits_referrers_away'),
    );
    const retried: unknown[] = [];
    const visits = createPostgresVisitRepository(createTestPool(url, 4), {
      onRetry: (error) => retried.push(error),
    });
    const flush = [batch(only!, START + 1, [['2026-06-15', 2]], [['a.example', 2]])];

    const error = await visits.addVisits(flush).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '42P01' });
    expect(retried).toEqual([]);
    await withClient(url, (client) =>
      client.query('ALTER TABLE visits_referrers_away RENAME TO visits_referrers'),
    );
    // The link and its days were written before the failing statement: all of it was undone.
    expect(await storedCounts(url)).toEqual({
      links: [{ code: 'only', visits: 0, last_visit: null }],
      daily: [],
      referrers: [],
    });

    // The caller flushes the same counts again later, and they are stored once.
    await visits.addVisits(flush);
    expect(await storedCounts(url)).toEqual({
      links: [{ code: 'only', visits: 2, last_visit: START + 1 }],
      daily: ['only 2026-06-15 2'],
      referrers: ['only a.example 2'],
    });
  });
});
