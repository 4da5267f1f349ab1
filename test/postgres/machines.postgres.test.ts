import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../faults/snip-process.js';
import { describeWithPostgres, withClient } from '../support/postgres.js';
import {
  adminSignIn,
  createMachinesDatabase,
  form,
  json,
  startMachine,
  stopMachine,
  visit,
  withKey,
  type Machine,
} from '../support/machines.js';

/**
 * Several snip machines, one truth: two or three real snip processes on one PostgreSQL
 * database. Each figure is printed at the end, for the record.
 */
const figures: string[] = [];
/** How often a change is looked for on the other machine, in ms: the figures are this precise. */
const POLL_MS = 5;
afterAll(() => {
  if (figures.length > 0) console.log(`machines:\n  ${figures.join('\n  ')}`);
});

type Load = { acknowledged: Map<string, number>; errors: number; other: number };

/**
 * Visits `codes` in turn from `workers` concurrent clients until `running()` is false. A 302 is
 * a visit snip acknowledged and must count; a machine that stopped ends its clients' loops.
 */
async function redirectLoad(
  machine: Machine,
  codes: string[],
  workers: number,
  running: () => boolean,
): Promise<Load> {
  const load: Load = { acknowledged: new Map(), errors: 0, other: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (running()) {
        const code = codes[next++ % codes.length]!;
        try {
          const { status } = await visit(machine, code);
          if (status === 302) load.acknowledged.set(code, (load.acknowledged.get(code) ?? 0) + 1);
          else load.other += 1;
        } catch {
          load.errors += 1;
          return;
        }
      }
    }),
  );
  return load;
}

function total(counts: Map<string, number>): number {
  return [...counts.values()].reduce((sum, n) => sum + n, 0);
}

function add(...loads: Load[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const load of loads) {
    for (const [code, n] of load.acknowledged) sum.set(code, (sum.get(code) ?? 0) + n);
  }
  return sum;
}

/** Per link: the stored total, and the sums of its daily and referrer rows. */
async function storedVisits(
  url: string,
): Promise<Map<string, { visits: number; daily: number; referrers: number }>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{
      code: string;
      visits: string;
      daily: string;
      referrers: string;
    }>(
      `SELECT u.code, u.visits,
         (SELECT COALESCE(SUM(count), 0) FROM visits_daily d WHERE d.url_id = u.id) AS daily,
         (SELECT COALESCE(SUM(count), 0) FROM visits_referrers r WHERE r.url_id = u.id) AS referrers
       FROM urls u`,
    );
    return new Map(
      rows.map((row) => [
        row.code,
        { visits: Number(row.visits), daily: Number(row.daily), referrers: Number(row.referrers) },
      ]),
    );
  });
}

async function createLinks(machine: Machine, prefix: string, n: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < n; i++) {
    const code = `${prefix}${i}`;
    const res = await machine.fetch(
      '/api/v1/links',
      json({ url: `https://target.example/${code}`, alias: code }),
    );
    expect(res.status).toBe(201);
    codes.push(code);
  }
  return codes;
}

function expectExact(stored: Awaited<ReturnType<typeof storedVisits>>, sent: Map<string, number>) {
  for (const [code, n] of sent) {
    expect({ code, ...stored.get(code) }).toEqual({ code, visits: n, daily: n, referrers: n });
  }
}

describeWithPostgres('several snip machines on one PostgreSQL', () => {
  it('a link created on one machine redirects on every other at once', async () => {
    const url = await createMachinesDatabase();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => startMachine(name, url)));
    const created = await a!.fetch(
      '/shorten',
      form({ url: 'https://a.example/x', alias: 'fromA' }),
    );
    expect(created.status).toBe(303);
    expect(await visit(b!, 'fromA')).toEqual({ status: 302, location: 'https://a.example/x' });
    expect(await visit(c!, 'fromA')).toEqual({ status: 302, location: 'https://a.example/x' });
    const api = await c!.fetch(
      '/api/v1/links',
      json({ url: 'https://a.example/y', alias: 'fromC' }),
    );
    expect(api.status).toBe(201);
    expect(await visit(a!, 'fromC')).toEqual({ status: 302, location: 'https://a.example/y' });
    // The alias is taken everywhere.
    expect(
      (await b!.fetch('/shorten', form({ url: 'https://b.example/', alias: 'fromA' }))).status,
    ).toBe(409);
    figures.push('created on A → redirected by B and C on their first request');
  });

  it('an edit, new redirect rules, disable, delete or ban on one machine take effect on the others within a second', async () => {
    const url = await createMachinesDatabase();
    // With a minute of TTL, only the notification can make B drop its cached row in time.
    const [a, b] = await Promise.all([
      startMachine('A', url, { REDIRECT_CACHE_TTL: '60s' }),
      startMachine('B', url, { REDIRECT_CACHE_TTL: '60s' }),
    ]);
    const cookie = await adminSignIn(a);
    await a.fetch('/api/v1/links', json({ url: 'https://a.example/1', alias: 'changing' }));
    await a.fetch('/api/v1/links', json({ url: 'https://phish.example/1', alias: 'banned' }));
    const seen = async (
      code: string,
      expected: (v: Awaited<ReturnType<typeof visit>>) => boolean,
    ) => waitFor(async () => expected(await visit(b, code)), 1000, POLL_MS);
    // Cached on B.
    expect((await visit(b, 'changing')).location).toBe('https://a.example/1');
    expect((await visit(b, 'banned')).status).toBe(302);

    const changes: [
      string,
      () => Promise<unknown>,
      string,
      (v: { status: number; location: string | null }) => boolean,
    ][] = [
      [
        'edit',
        () => a.fetch('/api/v1/links/changing', json({ url: 'https://a.example/2' }, 'PATCH')),
        'changing',
        (v) => v.location === 'https://a.example/2',
      ],
      [
        'rules',
        () =>
          a.fetch(
            '/api/v1/links/changing',
            json(
              {
                rules: [
                  {
                    url: 'https://a.example/by-rule',
                    conditions: [{ type: 'after', value: '2000-01-01' }],
                  },
                ],
              },
              'PATCH',
            ),
          ),
        'changing',
        (v) => v.location === 'https://a.example/by-rule',
      ],
      [
        'disable',
        () => a.fetch('/api/v1/links/changing/disable', { method: 'POST', ...withKey }),
        'changing',
        (v) => v.status === 410,
      ],
      [
        'enable',
        () => a.fetch('/api/v1/links/changing/enable', { method: 'POST', ...withKey }),
        'changing',
        (v) => v.status === 302,
      ],
      [
        'ban',
        () => a.fetch('/admin/links/banned/ban', form({ reason: 'Phishing' }, cookie)),
        'banned',
        (v) => v.status === 410,
      ],
      [
        'delete',
        () => a.fetch('/api/v1/links/changing', { method: 'DELETE', ...withKey }),
        'changing',
        (v) => v.status === 410,
      ],
    ];
    const timings: string[] = [];
    for (const [name, change, code, expected] of changes) {
      // B serves the row from its cache until told otherwise.
      const before = await visit(b, code);
      expect(expected(before)).toBe(false);
      const res = (await change()) as Response;
      expect(res.status).toBeLessThan(400);
      const ms = await seen(code, expected);
      expect(ms, `${name} reached B`).not.toBeNull();
      timings.push(`${name} ${ms} ms`);
    }
    figures.push(`change on A seen by B (TTL 60 s, so by NOTIFY): ${timings.join(', ')}`);
  });

  it('a domain added on A answers on B, with its own link of a code the default domain has too, and a rule edited on A reaches B', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([
      startMachine('A', url, { REDIRECT_CACHE_TTL: '60s' }),
      startMachine('B', url, { REDIRECT_CACHE_TTL: '60s' }),
    ]);
    // B has read its domains before go.example exists: a host it does not serve.
    expect((await visit(b, 'guide', 'go.example')).status).toBe(404);
    const added = await a.fetch('/api/v1/domains', json({ host: 'go.example' }));
    expect(added.status).toBe(201);
    for (const [domain, target] of [
      ['go.example', 'https://a.example/go'],
      [undefined, 'https://a.example/default'],
    ] as const) {
      const made = await a.fetch('/api/v1/links', json({ url: target, alias: 'guide', domain }));
      expect(made.status).toBe(201);
    }
    const domainMs = await waitFor(
      async () => (await visit(b, 'guide', 'go.example')).location === 'https://a.example/go',
      5000,
      POLL_MS,
    );
    expect(domainMs, 'go.example reached B').not.toBeNull();
    expect(await visit(b, 'guide')).toEqual({
      status: 302,
      location: 'https://a.example/default',
    });

    // A rule on go.example's link: B serves it, and the default domain's link is untouched.
    const ruled = await a.fetch(
      '/api/v1/links/guide?domain=go.example',
      json(
        {
          rules: [
            {
              url: 'https://a.example/go-rule',
              conditions: [{ type: 'after', value: '2000-01-01' }],
            },
          ],
        },
        'PATCH',
      ),
    );
    expect(ruled.status).toBe(200);
    const ruleMs = await waitFor(
      async () => (await visit(b, 'guide', 'go.example')).location === 'https://a.example/go-rule',
      1000,
      POLL_MS,
    );
    expect(ruleMs, 'the rule reached B').not.toBeNull();
    expect((await visit(b, 'guide')).location).toBe('https://a.example/default');

    // Deleted on go.example by A: gone on B there, still answering on the default domain.
    await a.fetch('/api/v1/links/guide?domain=go.example', { method: 'DELETE', ...withKey });
    const deleteMs = await waitFor(
      async () => (await visit(b, 'guide', 'go.example')).status === 410,
      1000,
      POLL_MS,
    );
    expect(deleteMs, 'the delete reached B').not.toBeNull();
    expect((await visit(b, 'guide')).status).toBe(302);
    figures.push(
      `a domain on A served by B after ${domainMs} ms (domain list read each second); its rule ${ruleMs} ms, its delete ${deleteMs} ms`,
    );
  });

  it('when the listener’s backend is killed and a link is edited in the gap, the other machine serves the new target within the TTL', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([
      startMachine('A', url),
      startMachine('B', url, { REDIRECT_CACHE_TTL: '2s' }),
    ]);
    await a.fetch('/api/v1/links', json({ url: 'https://a.example/before', alias: 'gap' }));
    expect((await visit(b, 'gap')).location).toBe('https://a.example/before');
    const killed = await withClient(url, async (client) => {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'snip cache invalidation'`,
      );
      return Number(rows[0]!.n);
    });
    expect(killed).toBe(2);
    await a.fetch('/api/v1/links/gap', json({ url: 'https://a.example/after' }, 'PATCH'));
    const ms = await waitFor(
      async () => (await visit(b, 'gap')).location === 'https://a.example/after',
      2500,
      POLL_MS,
    );
    expect(ms).not.toBeNull();
    expect(ms!).toBeLessThanOrEqual(2000);
    figures.push(
      `listeners killed, edit in the gap: B served the new target after ${ms} ms (TTL 2 s)`,
    );
  });

  it('without LISTEN (CACHE_INVALIDATION=ttl), a change reaches the other machine within the TTL', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([
      startMachine('A', url),
      startMachine('B', url, { CACHE_INVALIDATION: 'ttl', REDIRECT_CACHE_TTL: '500ms' }),
    ]);
    await a.fetch('/api/v1/links', json({ url: 'https://a.example/before', alias: 'ttl' }));
    expect((await visit(b, 'ttl')).location).toBe('https://a.example/before');
    await a.fetch('/api/v1/links/ttl', json({ url: 'https://a.example/after' }, 'PATCH'));
    const ms = await waitFor(
      async () => (await visit(b, 'ttl')).location === 'https://a.example/after',
      1500,
      POLL_MS,
    );
    expect(ms).not.toBeNull();
    expect(ms!).toBeLessThanOrEqual(600);
    // No listening connection from B.
    const listeners = await withClient(url, async (client) => {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'snip cache invalidation'`,
      );
      return Number(rows[0]!.n);
    });
    expect(listeners).toBe(1);
    figures.push(`TTL only (500 ms): B served the edit after ${ms} ms`);
  });

  it('visit counts from all machines add up exactly, per link, per day and per referrer', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([startMachine('A', url), startMachine('B', url)]);
    const codes = await createLinks(a, 'hot', 10);
    const started = Date.now();
    const until = () => Date.now() - started < 3000;
    const [onA, onB] = await Promise.all([
      redirectLoad(a, codes, 16, until),
      redirectLoad(b, codes, 16, until),
    ]);
    expect(onA.errors + onB.errors + onA.other + onB.other).toBe(0);
    // Both machines flushed every second while the load ran; their last counts go at SIGTERM.
    expect(await stopMachine(a)).toBe(0);
    expect(await stopMachine(b)).toBe(0);
    const sent = add(onA, onB);
    expectExact(await storedVisits(url), sent);
    figures.push(
      `exact totals: ${total(onA.acknowledged)} visits on A + ${total(onB.acknowledged)} on B to the same 10 links in 3 s = ${total(sent)} stored, per day and per referrer too`,
    );
  });

  it('SIGTERM on one machine under load loses no counts', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([startMachine('A', url), startMachine('B', url)]);
    const codes = await createLinks(a, 'term', 20);
    let bRunning = true;
    const onB = redirectLoad(b, codes, 8, () => bRunning);
    const onA = redirectLoad(a, codes, 8, () => true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const exit = await stopMachine(a);
    const loadA = await onA;
    await new Promise((resolve) => setTimeout(resolve, 500));
    bRunning = false;
    const loadB = await onB;
    expect(exit).toBe(0);
    expect(loadB.errors + loadB.other).toBe(0);
    expect(await stopMachine(b)).toBe(0);
    const sent = add(loadA, loadB);
    expectExact(await storedVisits(url), sent);
    figures.push(
      `SIGTERM on A under load: ${total(loadA.acknowledged)} acknowledged on A, ${total(loadB.acknowledged)} on B, all ${total(sent)} stored; B 0 errors`,
    );
  });

  it('kill -9 of one machine leaves the others serving', async () => {
    const url = await createMachinesDatabase();
    const [a, b] = await Promise.all([startMachine('A', url), startMachine('B', url)]);
    const codes = await createLinks(a, 'kill', 10);
    let running = true;
    const onB = redirectLoad(b, codes, 8, () => running);
    const onA = redirectLoad(a, codes, 8, () => running);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    a.proc.child.kill('SIGKILL');
    const loadA = await onA;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // B still creates, redirects and answers its health check.
    const created = await b.fetch(
      '/api/v1/links',
      json({ url: 'https://a.example/after', alias: 'afterkill' }),
    );
    expect(created.status).toBe(201);
    expect((await visit(b, 'afterkill')).status).toBe(302);
    expect((await b.fetch('/healthz')).status).toBe(200);
    running = false;
    const loadB = await onB;
    expect(loadB.errors + loadB.other).toBe(0);
    expect(await stopMachine(b)).toBe(0);
    const stored = await storedVisits(url);
    let storedTotal = 0;
    for (const code of codes) storedTotal += stored.get(code)!.visits;
    const acknowledged = total(loadA.acknowledged) + total(loadB.acknowledged);
    // B's counts are all there; A's last second died with it.
    expect(storedTotal).toBeGreaterThanOrEqual(total(loadB.acknowledged));
    expect(storedTotal).toBeLessThanOrEqual(acknowledged);
    figures.push(
      `kill -9 of A: B answered ${total(loadB.acknowledged)} redirects with 0 errors; ${acknowledged - storedTotal} of A's ${total(loadA.acknowledged)} visits (its last second) lost`,
    );
  });

  it('rate limits hold across machines, and admin sessions and the blocklist work on every machine', async () => {
    const url = await createMachinesDatabase();
    const limits = { RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '4/h' };
    const [a, b] = await Promise.all([
      startMachine('A', url, limits),
      startMachine('B', url, limits),
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const machine = i % 2 === 0 ? a : b;
      const res = await machine.fetch(
        '/shorten',
        form({ url: `https://a.example/${i}`, alias: `rl${i}` }),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([303, 303, 303, 303, 429, 429]);
    figures.push(`RATE_LIMIT_CREATE=4/h, creations alternating A/B: ${statuses.join(' ')}`);

    const cookie = await adminSignIn(a);
    expect((await b.fetch('/admin', { headers: { Cookie: cookie } })).status).toBe(200);
    await b.fetch('/admin/blocklist', form({ host: 'bad.example', reason: 'Spam' }, cookie));
    const refusedOnA = await waitFor(
      async () => {
        const res = await a.fetch('/api/v1/links', json({ url: 'https://bad.example/x' }));
        return res.status === 422;
      },
      2000,
      POLL_MS,
    );
    expect(refusedOnA).not.toBeNull();
    await b.fetch('/admin/sign-out', form({}, cookie));
    expect((await a.fetch('/admin', { headers: { Cookie: cookie } })).status).toBe(303);
    figures.push(
      `admin session from A valid on B, signed out on B → refused on A; blocked on B, refused on A after ${refusedOnA} ms`,
    );
  });
});
