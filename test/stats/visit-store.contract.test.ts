import { expect, it } from 'vitest';
import type { LinkSettings } from '../../src/links/link.js';
import {
  MAX_REFERRER_HOSTS,
  OTHER_REFERRERS,
  type VisitBatch,
} from '../../src/stats/visit-store.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

// The VisitStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

const LINK: LinkSettings = {
  target: 'https://s.example/',
  ...DEFAULT_OPTIONS,
};

async function addLink(s: ContractStores, code: string): Promise<number> {
  const result = await s.links.insertLink(
    { ...LINK, code, manageTokenHash: Buffer.from(`${code}-token`) },
    NOW - 10 * DAY,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

function batch(
  urlId: number,
  days: [string, number][],
  referrers: [string, number][],
  lastVisit = NOW,
): VisitBatch {
  return {
    urlId,
    count: days.reduce((sum, [, count]) => sum + count, 0),
    lastVisit,
    byDay: new Map(days),
    byReferrer: new Map(referrers),
  };
}

describeStoreContract('VisitStore', (open) => {
  it('adds batches to the links, per day and per referrer, summing with what is stored', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.visits.addVisits([
      batch(
        a,
        [
          ['2026-06-14', 2],
          ['2026-06-15', 1],
        ],
        [
          ['r.example', 2],
          ['', 1],
        ],
        NOW - 10,
      ),
      batch(b, [['2026-06-15', 4]], [['q.example', 4]], NOW - 5),
    ]);
    await s.visits.addVisits([batch(a, [['2026-06-15', 3]], [['r.example', 3]], NOW - 20)]);
    await s.visits.addVisits([]);
    // The count adds up; the last visit is the latest, whatever order the batches come in.
    expect(await s.links.findLink('a')).toMatchObject({ visits: 6, lastVisit: NOW - 10 });
    expect(await s.links.findLink('b')).toMatchObject({ visits: 4, lastVisit: NOW - 5 });
    expect(await s.links.findRedirect('a')).toMatchObject({ visits: 6 });
    expect(await s.visits.dailyCounts(a, '2000-01-01')).toEqual([
      { day: '2026-06-14', count: 2 },
      { day: '2026-06-15', count: 4 },
    ]);
    expect(await s.visits.topReferrers(a, 10)).toEqual([
      { host: 'r.example', count: 5 },
      { host: '', count: 1 },
    ]);
    expect(await s.visits.topReferrers(b, 10)).toEqual([{ host: 'q.example', count: 4 }]);
  });

  it('gives daily counts from a day on, in day order, without days that had no visits', async () => {
    const s = await open();
    const id = await addLink(s, 'seen');
    await s.visits.addVisits([
      batch(
        id,
        [
          ['2026-06-15', 1],
          ['2026-06-13', 5],
          ['2026-06-14', 4],
        ],
        [['', 10]],
      ),
    ]);
    expect(await s.visits.dailyCounts(id, '2026-06-14')).toEqual([
      { day: '2026-06-14', count: 4 },
      { day: '2026-06-15', count: 1 },
    ]);
    expect(await s.visits.dailyCounts(id, '2026-06-15')).toEqual([{ day: '2026-06-15', count: 1 }]);
    expect(await s.visits.dailyCounts(id, '2026-06-16')).toEqual([]);
    expect(await s.visits.dailyCounts(999, '2000-01-01')).toEqual([]);
  });

  it('ranks referrers by count, ties in the byte order of their hosts, up to the limit', async () => {
    const s = await open();
    const id = await addLink(s, 'seen');
    await s.visits.addVisits([
      batch(
        id,
        [['2026-06-15', 10]],
        [
          ['b-c.example', 2],
          ['bc.example', 2],
          ['', 1],
          ['B.example', 2],
          ['a.example', 2],
          ['z.example', 1],
        ],
      ),
    ]);
    expect(await s.visits.topReferrers(id, 100)).toEqual([
      { host: 'B.example', count: 2 },
      { host: 'a.example', count: 2 },
      { host: 'b-c.example', count: 2 },
      { host: 'bc.example', count: 2 },
      { host: '', count: 1 },
      { host: 'z.example', count: 1 },
    ]);
    expect(await s.visits.topReferrers(id, 1)).toEqual([{ host: 'B.example', count: 2 }]);
    expect(await s.visits.topReferrers(id, 0)).toEqual([]);
    expect(await s.visits.topReferrers(999, 10)).toEqual([]);
  });

  it(`keeps ${MAX_REFERRER_HOSTS} referrer rows per link, and counts new hosts beyond them under ${OTHER_REFERRERS}`, async () => {
    const s = await open();
    const id = await addLink(s, 'busy');
    const other = await addLink(s, 'other');
    // Direct visits first: their row counts among the rows kept.
    const hosts: [string, number][] = [['', 1]];
    for (let i = 0; i < MAX_REFERRER_HOSTS + 5; i += 1) hosts.push([`h${i}.example`, 1]);
    await s.visits.addVisits([batch(id, [['2026-06-15', hosts.length]], hosts)]);
    const ranked = async () => {
      const rows = await s.visits.topReferrers(id, 1000);
      return new Map(rows.map((row) => [row.host, row.count]));
    };
    let rows = await ranked();
    expect(rows.size).toBe(MAX_REFERRER_HOSTS + 1);
    expect(rows.get(OTHER_REFERRERS)).toBe(6);
    expect(rows.get('')).toBe(1);
    expect(rows.get(`h${MAX_REFERRER_HOSTS - 2}.example`)).toBe(1);
    expect(rows.has(`h${MAX_REFERRER_HOSTS - 1}.example`)).toBe(false);
    // Later: a host it has counts on, a new one (and direct visits) go on as before.
    await s.visits.addVisits([
      batch(
        id,
        [['2026-06-15', 4]],
        [
          ['h0.example', 2],
          ['new.example', 1],
          ['', 1],
        ],
      ),
    ]);
    rows = await ranked();
    expect(rows.size).toBe(MAX_REFERRER_HOSTS + 1);
    expect(rows.get('h0.example')).toBe(3);
    expect(rows.get(OTHER_REFERRERS)).toBe(7);
    expect(rows.get('')).toBe(2);
    // The cap is per link.
    await s.visits.addVisits([batch(other, [['2026-06-15', 1]], [['new.example', 1]])]);
    expect(await s.visits.topReferrers(other, 10)).toEqual([{ host: 'new.example', count: 1 }]);
  });

  it('keeps nothing for a deleted link, nor for an id that does not exist', async () => {
    const s = await open();
    const gone = await addLink(s, 'gone');
    const kept = await addLink(s, 'kept');
    await s.links.deleteLink(gone, NOW);
    await s.visits.addVisits([
      batch(gone, [['2026-06-15', 2]], [['r.example', 2]]),
      batch(999, [['2026-06-15', 2]], [['r.example', 2]]),
      batch(kept, [['2026-06-15', 1]], [['', 1]]),
    ]);
    expect(await s.links.findLink('gone')).toMatchObject({ visits: 0, lastVisit: null });
    expect(await s.visits.dailyCounts(gone, '2000-01-01')).toEqual([]);
    expect(await s.visits.topReferrers(gone, 10)).toEqual([]);
    expect(await s.visits.dailyCounts(999, '2000-01-01')).toEqual([]);
    expect(await s.links.findLink('kept')).toMatchObject({ visits: 1, lastVisit: NOW });
  });
});
