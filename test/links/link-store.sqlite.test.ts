import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { LINK_STATES, type LinkSettings } from '../../src/links/link.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';
import { COUNT_BY_STATE_SQL } from '../../src/links/link-sql.js';
import { linkState } from '../../src/links/link-service.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import { createTestDatabase } from '../support/test-app.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

const NOW = Date.UTC(2026, 10, 29, 12);
const DAY = 86_400_000;
let db: Db;
afterEach(() => db?.close());

const plain: LinkSettings = {
  target: 'https://a.example/',
  ...DEFAULT_OPTIONS,
};

/** One link of every kind whose state the count has to tell apart. */
function seedLinks() {
  db = createTestDatabase();
  const links = createLinkRepository(db);
  const visits = createVisitRepository(db);
  let n = 0;
  const add = (settings: Partial<LinkSettings> = {}) => {
    n += 1;
    const result = links.insertLink(
      { ...plain, ...settings, code: `link${n}`, manageTokenHash: Buffer.alloc(32, n) },
      NOW - DAY,
    );
    if (!result.ok) throw new Error('seeding failed');
    return result.link.id;
  };
  const visit = (urlId: number, count: number) =>
    visits.addVisits([{ urlId, count, lastVisit: NOW, byDay: new Map(), byReferrer: new Map() }]);

  add(); // active
  add({ expiresAt: NOW + DAY }); // active: its expiry is ahead
  visit(add({ maxVisits: 5 }), 4); // active: one visit left
  add({ expiresAt: NOW }); // expired by date, at the very instant
  visit(add({ maxVisits: 2 }), 2); // expired by visits
  links.setDisabled(add(), true, NOW); // disabled
  links.setDisabled(add({ expiresAt: NOW - 1 }), true, NOW); // disabled beats expired
  links.deleteLink(add(), NOW); // deleted
  const disabledThenDeleted = add();
  links.setDisabled(disabledThenDeleted, true, NOW);
  links.deleteLink(disabledThenDeleted, NOW); // deleted beats disabled
  links.setBanned(add({ expiresAt: NOW - 1 }), { reason: 'phishing' }, NOW); // banned beats expired
  const disabledThenBanned = add();
  links.setDisabled(disabledThenBanned, true, NOW);
  links.setBanned(disabledThenBanned, { reason: 'phishing' }, NOW); // banned beats disabled
  add({ startsAt: NOW + 1 }); // scheduled: it starts a millisecond later
  add({ startsAt: NOW, expiresAt: NOW + DAY }); // active: from its start, at the very instant
  visit(add({ startsAt: NOW + 1, maxVisits: 1 }), 1); // expired by visits beats scheduled
  links.setDisabled(add({ startsAt: NOW + 1 }), true, NOW); // disabled beats scheduled
  return links;
}

describe('counting links by state', () => {
  it('when links are in every state, then each is counted once, in the state its pages show', () => {
    const links = seedLinks();
    const counts = links.countByState(NOW);
    expect(counts).toEqual({
      active: 4,
      expired: 3,
      disabled: 3,
      banned: 2,
      deleted: 2,
      scheduled: 1,
    });

    // The same answer as the state of each link one by one, and as the listing's filters.
    const all = links.listLinks(
      { search: '', state: null, orderBy: 'created', direction: 'asc', limit: 100, offset: 0 },
      NOW,
    ).links;
    const oneByOne = Object.fromEntries(LINK_STATES.map((state) => [state, 0]));
    for (const link of all) oneByOne[linkState(link, NOW).kind]! += 1;
    expect(counts).toEqual(oneByOne);
    for (const state of LINK_STATES) {
      const listed = links.listLinks(
        { search: '', state, orderBy: 'created', direction: 'asc', limit: 1, offset: 0 },
        NOW,
      ).total;
      expect(listed, state).toBe(counts[state]);
    }
  });

  it('when time passes an expiry, then the link moves from active to expired', () => {
    const links = seedLinks();
    expect(links.countByState(NOW + DAY)).toEqual({
      active: 3,
      expired: 5,
      disabled: 3,
      banned: 2,
      deleted: 2,
      scheduled: 0,
    });
  });

  it('when there are no links, then every state counts 0', () => {
    db = createTestDatabase();
    expect(createLinkRepository(db).countByState(NOW)).toEqual({
      active: 0,
      expired: 0,
      disabled: 0,
      banned: 0,
      deleted: 0,
      scheduled: 0,
    });
  });

  it('when SQLite plans the count, then it reads the small state index and never the table', () => {
    db = createTestDatabase();
    const plan = db
      .prepare<{ now: number }, { detail: string }>(`EXPLAIN QUERY PLAN ${COUNT_BY_STATE_SQL}`)
      .all({ now: NOW })
      .map((step) => step.detail);
    expect(plan).toContain('SCAN urls USING COVERING INDEX idx_urls_state');
    // Counting every link scans an index too; no step reads the rows themselves.
    expect(plan.filter((step) => /^(SCAN|SEARCH) urls\b/.test(step))).toEqual([
      'SCAN urls USING COVERING INDEX idx_urls_state',
      expect.stringMatching(/^SCAN urls USING COVERING INDEX /),
    ]);
  });
});
