import { expect, it } from 'vitest';
import type { LinkQuery, LinkSettings } from '../../src/links/link.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';
import { DEFAULT_OPTIONS, pickOptions } from '../../src/links/link-options.js';

/** Redirect rules as a link stores them: their canonical JSON text. */
const RULES = '[{"url":"https://apps.example/","conditions":[{"type":"device","value":"ios"}]}]';

// The LinkStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

function settings(target: string, extra: Partial<LinkSettings> = {}): LinkSettings {
  return { target, ...DEFAULT_OPTIONS, ...extra };
}

async function addLink(
  s: ContractStores,
  code: string,
  link: LinkSettings,
  created: number,
  apiKeyId: number | null = null,
): Promise<number> {
  const result = await s.links.insertLink(
    { ...link, code, manageTokenHash: Buffer.from(`${code}-token`), apiKeyId },
    created,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

async function visit(s: ContractStores, urlId: number, count: number, at: number): Promise<void> {
  await s.visits.addVisits([
    {
      urlId,
      count,
      lastVisit: at,
      byDay: new Map([[new Date(at).toISOString().slice(0, 10), count]]),
      byReferrer: new Map([['r.example', count]]),
    },
  ]);
}

async function idOf(s: ContractStores, code: string): Promise<number> {
  const link = await s.links.findLink(code);
  if (!link) throw new Error(`no link ${code}`);
  return link.id;
}

/**
 * One link per state, and a few more: codes and targets for the search (`%`, `_`, `\`, mixed
 * case), links never visited (NULL lastVisit) and one with an open report.
 */
async function seed(s: ContractStores): Promise<void> {
  const { links } = s;
  const alpha = await addLink(s, 'alpha', settings('https://a.example/one'), NOW - 10 * DAY);
  await visit(s, alpha, 3, NOW - 5000);
  await addLink(s, 'Bravo', settings('https://B.Example/Path_With_Underscore'), NOW - 9 * DAY);
  const charlie = await addLink(
    s,
    'charlie',
    settings('https://a.example/100%25', { maxVisits: 5 }),
    NOW - 8 * DAY,
  );
  await visit(s, charlie, 5, NOW - 2 * DAY);
  await addLink(s, 'delta', settings('https://d.example/', { expiresAt: NOW }), NOW - 7 * DAY);
  const fox = await addLink(
    s,
    'fox_trot',
    settings('https://f.example/back\\slash'),
    NOW - 6 * DAY,
  );
  await links.setDisabled(fox, true, NOW - DAY);
  const hotel = await addLink(s, 'hotel', settings('https://h.example/'), NOW - 5 * DAY);
  await visit(s, hotel, 7, NOW - 3 * DAY);
  await links.deleteLink(hotel, NOW - DAY);
  const juliet = await addLink(s, 'juliet', settings('https://j.example/'), NOW - 4 * DAY);
  await links.setBanned(juliet, { reason: 'phishing' }, NOW - DAY);
  const lima = await addLink(s, 'LIMA%', settings('https://l.example/?q=a_b'), NOW - 3 * DAY);
  await visit(s, lima, 1, NOW - 4000);
  await s.abuse.addReport({ urlId: alpha, reason: 'spam', details: '', contact: '' }, NOW);
}

const ALL: LinkQuery = {
  search: '',
  state: null,
  orderBy: 'created',
  direction: 'asc',
  limit: 100,
  offset: 0,
};

async function codes(s: ContractStores, query: Partial<LinkQuery>): Promise<string[]> {
  const { links } = await s.links.listLinks({ ...ALL, ...query }, NOW);
  return links.map((link) => link.code);
}

describeStoreContract('LinkStore', (open) => {
  it('inserts a link and finds it by code, by token hash and for the redirect', async () => {
    const s = await open();
    const inserted = await s.links.insertLink(
      {
        ...settings('https://example.com/a', {
          redirectStatus: 301,
          expiresAt: NOW + DAY,
          maxVisits: 7,
          forwardQuery: 0,
          title: 'A title',
          note: 'A note\nof two lines',
          rules: RULES,
          startsAt: NOW - DAY,
          crawlable: 1,
        }),
        code: 'abc',
        manageTokenHash: Buffer.from('abc-token'),
      },
      NOW,
    );
    expect(inserted.ok).toBe(true);
    if (!inserted.ok) return;
    const expected = {
      id: inserted.link.id,
      code: 'abc',
      domainId: null,
      target: 'https://example.com/a',
      created: NOW,
      updated: NOW,
      redirectStatus: 301,
      expiresAt: NOW + DAY,
      maxVisits: 7,
      forwardQuery: 0,
      title: 'A title',
      note: 'A note\nof two lines',
      rules: RULES,
      startsAt: NOW - DAY,
      crawlable: 1,
      visits: 0,
      lastVisit: null,
      disabledAt: null,
      deletedAt: null,
      bannedAt: null,
      banReason: null,
      passwordHash: null,
    };
    expect(inserted.link).toMatchObject(expected);
    const withToken = { ...expected, manageTokenHash: Buffer.from('abc-token') };
    expect(await s.links.findLink('abc')).toEqual(withToken);
    expect(await s.links.findLinkByTokenHash(Buffer.from('abc-token'))).toEqual(withToken);
    expect(await s.links.findRedirect('abc')).toEqual({
      id: expected.id,
      target: 'https://example.com/a',
      redirectStatus: 301,
      forwardQuery: 0,
      rules: RULES,
      crawlable: 1,
      expiresAt: NOW + DAY,
      startsAt: NOW - DAY,
      maxVisits: 7,
      visits: 0,
      disabledAt: null,
      deletedAt: null,
      bannedAt: null,
      passwordHash: null,
    });
    // Codes are case-sensitive; unknown codes and hashes find nothing.
    expect(await s.links.findLink('ABC')).toBeNull();
    expect(await s.links.findRedirect('ABC')).toBeNull();
    expect(await s.links.findLink('missing')).toBeNull();
    expect(await s.links.findLinkByTokenHash(Buffer.from('nobody'))).toBeNull();
    expect(await s.links.countLinks()).toBe(1);
  });

  it('refuses a taken code, or a taken token hash, with code_taken and changes nothing', async () => {
    const s = await open();
    const id = await addLink(s, 'taken', settings('https://t.example/'), NOW);
    const before = await s.links.findLink('taken');
    expect(
      await s.links.insertLink(
        { ...settings('https://other.example/'), code: 'taken', manageTokenHash: Buffer.from('x') },
        NOW + 1,
      ),
    ).toEqual({ ok: false, reason: 'code_taken' });
    expect(
      await s.links.insertLink(
        {
          ...settings('https://other.example/'),
          code: 'fresh',
          manageTokenHash: Buffer.from('taken-token'),
        },
        NOW + 1,
      ),
    ).toEqual({ ok: false, reason: 'code_taken' });
    expect(await s.links.findLink('taken')).toEqual(before);
    expect(await s.links.findLink('fresh')).toBeNull();
    expect(await s.links.countLinks()).toBe(1);
    // The next link gets a larger id (how much larger is the engine's business).
    expect(await addLink(s, 'next', settings('https://n.example/'), NOW)).toBeGreaterThan(id);
  });

  it('changes settings, disables, bans and deletes; a deleted link and unknown ids change no more', async () => {
    const s = await open();
    const a = await addLink(s, 'a', settings('https://a.example/'), NOW);
    const b = await addLink(s, 'b', settings('https://b.example/'), NOW);
    await visit(s, b, 3, NOW + 1);
    await s.links.updateSettings(
      a,
      settings('https://z.example/', { redirectStatus: 307, expiresAt: NOW + DAY, maxVisits: 9 }),
      NOW + 1,
    );
    expect(await s.links.findLink('a')).toMatchObject({
      target: 'https://z.example/',
      redirectStatus: 307,
      expiresAt: NOW + DAY,
      maxVisits: 9,
      updated: NOW + 1,
      created: NOW,
    });
    await s.links.setDisabled(a, true, NOW + 2);
    expect(await s.links.findLink('a')).toMatchObject({ disabledAt: NOW + 2, updated: NOW + 2 });
    expect(await s.links.findRedirect('a')).toMatchObject({ disabledAt: NOW + 2 });
    await s.links.setDisabled(a, false, NOW + 3);
    expect(await s.links.findLink('a')).toMatchObject({ disabledAt: null, updated: NOW + 3 });
    await s.links.setBanned(a, { reason: 'malware' }, NOW + 4);
    expect(await s.links.findLink('a')).toMatchObject({ bannedAt: NOW + 4, banReason: 'malware' });
    await s.links.setBanned(a, null, NOW + 5);
    expect(await s.links.findLink('a')).toMatchObject({ bannedAt: null, banReason: null });

    await s.links.deleteLink(b, NOW + 6);
    const tombstone = await s.links.findLink('b');
    expect(tombstone).toMatchObject({
      target: '',
      deletedAt: NOW + 6,
      manageTokenHash: null,
      visits: 3,
    });
    // Its statistics go with it, its token hash finds nothing, its code stays taken.
    expect(await s.visits.dailyCounts(b, '2000-01-01')).toEqual([]);
    expect(await s.visits.topReferrers(b, 10)).toEqual([]);
    expect(await s.links.findLinkByTokenHash(Buffer.from('b-token'))).toBeNull();
    expect(
      await s.links.insertLink(
        { ...settings('https://new.example/'), code: 'b', manageTokenHash: Buffer.from('n') },
        NOW,
      ),
    ).toEqual({ ok: false, reason: 'code_taken' });

    await s.links.updateSettings(b, settings('https://x.example/'), NOW + 7);
    await s.links.setDisabled(b, true, NOW + 7);
    await s.links.setBanned(b, { reason: 'spam' }, NOW + 7);
    expect(await s.links.findLink('b')).toEqual(tombstone);
    const a2 = await s.links.findLink('a');
    await s.links.updateSettings(999, settings('https://x.example/'), NOW);
    await s.links.setDisabled(999, true, NOW);
    await s.links.setBanned(999, null, NOW);
    await s.links.deleteLink(999, NOW);
    expect(await s.links.findLink('a')).toEqual(a2);
    // Tombstones are not counted as links.
    expect(await s.links.countLinks()).toBe(1);
  });

  it('counts links, and links per state at a given time', async () => {
    const s = await open();
    await seed(s);
    // Every link but the tombstone (hotel).
    expect(await s.links.countLinks()).toBe(7);
    expect(await s.links.countByState(NOW)).toEqual({
      active: 3,
      expired: 2,
      disabled: 1,
      banned: 1,
      deleted: 1,
      scheduled: 0,
    });
    // Before delta's expiry it was active; charlie has used up its visits either way.
    expect(await s.links.countByState(NOW - 1)).toEqual({
      active: 4,
      expired: 1,
      disabled: 1,
      banned: 1,
      deleted: 1,
      scheduled: 0,
    });
    expect(await (await open()).links.countByState(NOW)).toEqual({
      active: 0,
      expired: 0,
      disabled: 0,
      banned: 0,
      deleted: 0,
      scheduled: 0,
    });
  });

  it('sums the written visits of every link but the tombstones, as a number', async () => {
    expect(await (await open()).links.sumVisits()).toBe(0);
    const s = await open();
    await seed(s);
    // alpha 3, charlie 5, LIMA% 1; hotel's 7 went with it.
    expect(await s.links.sumVisits()).toBe(9);
  });

  it('lists by state, by open report, and without tombstones, with the total', async () => {
    const s = await open();
    await seed(s);
    expect(await codes(s, {})).toEqual([
      'alpha',
      'Bravo',
      'charlie',
      'delta',
      'fox_trot',
      'hotel',
      'juliet',
      'LIMA%',
    ]);
    expect(await codes(s, { state: 'active' })).toEqual(['alpha', 'Bravo', 'LIMA%']);
    expect(await codes(s, { state: 'expired' })).toEqual(['charlie', 'delta']);
    expect(await codes(s, { state: 'disabled' })).toEqual(['fox_trot']);
    expect(await codes(s, { state: 'banned' })).toEqual(['juliet']);
    expect(await codes(s, { state: 'deleted' })).toEqual(['hotel']);
    expect(await codes(s, { state: 'reported' })).toEqual(['alpha']);
    const kept = await s.links.listLinks({ ...ALL, excludeDeleted: true }, NOW);
    expect(kept.total).toBe(7);
    expect(kept.links.map((link) => link.code)).not.toContain('hotel');
    expect((await s.links.listLinks(ALL, NOW)).total).toBe(8);
    // The listed link carries everything, its token hash included.
    const [alpha] = (await s.links.listLinks({ ...ALL, limit: 1 }, NOW)).links;
    expect(alpha).toEqual(await s.links.findLink('alpha'));
  });

  it('searches code and target, with % _ \\ taken literally and ASCII case ignored', async () => {
    const s = await open();
    await seed(s);
    expect(await codes(s, { search: 'a.example' })).toEqual(['alpha', 'charlie']);
    expect(await codes(s, { search: 'A.EXAMPLE' })).toEqual(['alpha', 'charlie']);
    expect(await codes(s, { search: 'bravo' })).toEqual(['Bravo']);
    expect(await codes(s, { search: 'path_with' })).toEqual(['Bravo']);
    expect(await codes(s, { search: '%' })).toEqual(['charlie', 'LIMA%']);
    expect(await codes(s, { search: '_' })).toEqual(['Bravo', 'fox_trot', 'LIMA%']);
    expect(await codes(s, { search: '\\' })).toEqual(['fox_trot']);
    expect(await codes(s, { search: 'a_b' })).toEqual(['LIMA%']);
    expect(await codes(s, { search: 'o_e' })).toEqual([]);
    expect(await codes(s, { search: 'lima%', state: 'active' })).toEqual(['LIMA%']);
    const found = await s.links.listLinks({ ...ALL, search: '_', limit: 1 }, NOW);
    expect(found.total).toBe(3);
    expect(found.links).toHaveLength(1);
  });

  it('orders by creation, visits or last visit, never-visited links as the smallest, and pages', async () => {
    const s = await open();
    await seed(s);
    expect(await codes(s, { direction: 'desc' })).toEqual([
      'LIMA%',
      'juliet',
      'hotel',
      'fox_trot',
      'delta',
      'charlie',
      'Bravo',
      'alpha',
    ]);
    // Ties (no visits) go by id, in the same direction.
    expect(await codes(s, { orderBy: 'visits', direction: 'desc' })).toEqual([
      'hotel',
      'charlie',
      'alpha',
      'LIMA%',
      'juliet',
      'fox_trot',
      'delta',
      'Bravo',
    ]);
    expect(await codes(s, { orderBy: 'visits' })).toEqual([
      'Bravo',
      'delta',
      'fox_trot',
      'juliet',
      'LIMA%',
      'alpha',
      'charlie',
      'hotel',
    ]);
    const lastVisits = async (direction: LinkQuery['direction']) =>
      (await s.links.listLinks({ ...ALL, orderBy: 'lastVisit', direction }, NOW)).links.map(
        (link) => link.lastVisit,
      );
    expect(await lastVisits('asc')).toEqual([
      null,
      null,
      null,
      null,
      NOW - 3 * DAY,
      NOW - 2 * DAY,
      NOW - 5000,
      NOW - 4000,
    ]);
    expect(await lastVisits('desc')).toEqual([
      NOW - 4000,
      NOW - 5000,
      NOW - 2 * DAY,
      NOW - 3 * DAY,
      null,
      null,
      null,
      null,
    ]);
    expect(await codes(s, { limit: 3, offset: 2 })).toEqual(['charlie', 'delta', 'fox_trot']);
    expect(await codes(s, { limit: 3, offset: 7 })).toEqual(['LIMA%']);
    const beyond = await s.links.listLinks({ ...ALL, limit: 3, offset: 8 }, NOW);
    expect(beyond).toEqual({ links: [], total: 8 });
  });

  it('finds a link to reuse only among the active links the same key made, the newest first', async () => {
    const s = await open();
    for (const name of ['a', 'b']) {
      const hash = Buffer.from(`${name}-hash`);
      await s.keys.insertKey({ name, hash, scope: 'full', expiresAt: null, source: 'cli' }, NOW);
    }
    const keyA = (await s.keys.findKeyByHash(Buffer.from('a-hash')))!.id;
    const keyB = (await s.keys.findKeyByHash(Buffer.from('b-hash')))!.id;
    const target = 'https://r.example/';
    await addLink(s, 'byA', settings(target), NOW - 6 * DAY, keyA);
    await addLink(s, 'byAnewer', settings(target), NOW - 5 * DAY, keyA);
    const off = await addLink(s, 'byAoff', settings(target), NOW - 4 * DAY, keyA);
    await s.links.setDisabled(off, true, NOW - DAY);
    await addLink(s, 'byAold', settings(target, { expiresAt: NOW }), NOW - 3 * DAY, keyA);
    await addLink(s, 'nobody', settings(target), NOW - 2 * DAY);
    await addLink(s, 'byB', settings('https://other.example/'), NOW - DAY, keyB);

    expect((await s.links.findActiveByTarget(target, keyA, NOW))?.code).toBe('byAnewer');
    // Before its expiry, the newer link counts.
    expect((await s.links.findActiveByTarget(target, keyA, NOW - 1))?.code).toBe('byAold');
    expect(await s.links.findActiveByTarget(target, keyB, NOW)).toBeNull();
    expect((await s.links.findActiveByTarget('https://other.example/', keyB, NOW))?.code).toBe(
      'byB',
    );
    expect(await s.links.findActiveByTarget('https://other.example/', keyA, NOW)).toBeNull();
    // With a code, only that link.
    expect((await s.links.findActiveByTarget(target, keyA, NOW, 'byA'))?.code).toBe('byA');
    expect(await s.links.findActiveByTarget(target, keyA, NOW, 'byAoff')).toBeNull();
    expect(await s.links.findActiveByTarget(target, keyA, NOW, 'nobody')).toBeNull();
    expect(await s.links.findActiveByTarget('https://R.example/', keyA, NOW)).toBeNull();
  });

  it('pages through the active links whose target mentions a host, in id order', async () => {
    const s = await open();
    await seed(s);
    const mentioning = async (host: string, page?: { after: number; limit: number }) =>
      (await s.links.activeLinksMentioning(host, NOW, page)).map((link) => link.code);
    // Only active links (charlie has used up its visits); the match is on the text as stored,
    // which the caller checks on its parsed host (Bravo's is written B.Example).
    expect(await mentioning('a.example')).toEqual(['alpha']);
    expect(await mentioning('example')).toEqual(['alpha', 'LIMA%']);
    expect(await mentioning('Example')).toEqual(['Bravo']);
    expect(await mentioning('j.example')).toEqual([]);
    const alpha = await idOf(s, 'alpha');
    expect(await s.links.activeLinksMentioning('a.example', NOW)).toEqual([
      { id: alpha, code: 'alpha', domainId: null, target: 'https://a.example/one' },
    ]);
    expect(await mentioning('example', { after: 0, limit: 1 })).toEqual(['alpha']);
    expect(await mentioning('example', { after: alpha, limit: 2 })).toEqual(['LIMA%']);
    expect(await mentioning('example', { after: 1000, limit: 10 })).toEqual([]);
  });

  it('deletes one link or many, keeping of the options only the redirect type; the rest the owner set is erased', async () => {
    const s = await open();
    const set = { redirectStatus: 308, expiresAt: NOW + DAY, maxVisits: 7 } as const;
    const one = await addLink(s, 'one', settings('https://one.example/', set), NOW);
    const many = await addLink(s, 'many', settings('https://many.example/', set), NOW);
    await s.links.deleteLink(one, NOW + 1);
    await s.links.deleteLinks([many], NOW + 1);
    for (const code of ['one', 'many']) {
      const tombstone = await s.links.findLink(code);
      expect(pickOptions(tombstone!)).toEqual({ ...DEFAULT_OPTIONS, redirectStatus: 308 });
      expect(tombstone).toMatchObject({ target: '', deletedAt: NOW + 1 });
    }
  });

  it('disables, enables and deletes many links at once, passing over tombstones and unknown ids', async () => {
    const s = await open();
    await seed(s);
    const ids = async (...list: string[]) => Promise.all(list.map((code) => idOf(s, code)));
    await s.links.setDisabledMany(await ids('alpha', 'Bravo', 'hotel'), true, NOW + 1);
    expect(await s.links.findLink('alpha')).toMatchObject({ disabledAt: NOW + 1 });
    expect(await s.links.findLink('Bravo')).toMatchObject({ disabledAt: NOW + 1 });
    expect(await s.links.findLink('hotel')).toMatchObject({ disabledAt: null, target: '' });
    await s.links.setDisabledMany([...(await ids('Bravo', 'fox_trot')), 999], false, NOW + 2);
    expect(await s.links.findLink('Bravo')).toMatchObject({ disabledAt: null, updated: NOW + 2 });
    expect(await s.links.findLink('fox_trot')).toMatchObject({ disabledAt: null });
    await s.links.deleteLinks([...(await ids('charlie', 'LIMA%')), 999], NOW + 3);
    expect(await s.links.findLink('charlie')).toMatchObject({ target: '', deletedAt: NOW + 3 });
    expect(await s.links.findLink('LIMA%')).toMatchObject({ target: '', deletedAt: NOW + 3 });
    expect(await s.visits.dailyCounts(await idOf(s, 'charlie'), '2000-01-01')).toEqual([]);
    const before = await s.links.listLinks(ALL, NOW);
    await s.links.setDisabledMany([], true, NOW + 4);
    await s.links.deleteLinks([], NOW + 4);
    expect(await s.links.listLinks(ALL, NOW)).toEqual(before);
    expect(await s.links.countByState(NOW + 5)).toEqual({
      active: 2,
      expired: 1,
      disabled: 1,
      banned: 1,
      deleted: 3,
      scheduled: 0,
    });
  });

  it('gives each link one state: deleted over banned over disabled over expired over scheduled', async () => {
    const s = await open();
    const link = settings('https://x.example/', { expiresAt: NOW });
    await addLink(s, 'expired', link, NOW - DAY);
    const disabled = await addLink(s, 'disabled', link, NOW - DAY);
    await s.links.setDisabled(disabled, true, NOW - 1);
    const banned = await addLink(s, 'banned', link, NOW - DAY);
    await s.links.setDisabled(banned, true, NOW - 1);
    await s.links.setBanned(banned, { reason: 'spam' }, NOW - 1);
    const deleted = await addLink(s, 'deleted', link, NOW - DAY);
    await s.links.setDisabled(deleted, true, NOW - 1);
    await s.links.deleteLink(deleted, NOW - 1);
    const later = settings('https://x.example/', { startsAt: NOW + 1, expiresAt: NOW + DAY });
    await addLink(s, 'scheduled', later, NOW - DAY);
    const off = await addLink(s, 'scheduled-off', later, NOW - DAY);
    await s.links.setDisabled(off, true, NOW - 1);
    expect(await s.links.countByState(NOW)).toEqual({
      active: 0,
      expired: 1,
      disabled: 2,
      banned: 1,
      deleted: 1,
      scheduled: 1,
    });
    // At its start it is active.
    expect(await s.links.countByState(NOW + 1)).toMatchObject({ active: 1, scheduled: 0 });
    expect(await codes(s, { state: 'scheduled' })).toEqual(['scheduled']);
    expect((await codes(s, { state: 'disabled' })).sort()).toEqual(['disabled', 'scheduled-off']);
    for (const state of ['expired', 'banned', 'deleted'] as const) {
      expect(await codes(s, { state })).toEqual([state]);
    }
    expect(await codes(s, { state: 'active' })).toEqual([]);
    expect(await s.links.findActiveByTarget('https://x.example/', 1, NOW)).toBeNull();
  });

  it('changes many links all or nothing: when one fails, none of them changes', async () => {
    const s = await open();
    await seed(s);
    await s.execute({
      sqlite: `CREATE TRIGGER refuse BEFORE UPDATE ON urls
        WHEN NEW.code = 'Bravo' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      postgres: `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF NEW.code = 'Bravo' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse BEFORE UPDATE ON urls FOR EACH ROW EXECUTE FUNCTION refuse()`,
    });
    const before = await s.links.listLinks(ALL, NOW);
    const ids = [await idOf(s, 'alpha'), await idOf(s, 'Bravo'), await idOf(s, 'LIMA%')];
    // SQLite throws at once, PostgreSQL rejects: either way the caller's await sees it.
    await expect((async () => s.links.setDisabledMany(ids, true, NOW + 5))()).rejects.toThrow(
      'refused',
    );
    await expect((async () => s.links.deleteLinks(ids, NOW + 5))()).rejects.toThrow('refused');
    expect(await s.links.listLinks(ALL, NOW)).toEqual(before);
    expect(await s.visits.dailyCounts(ids[0]!, '2000-01-01')).toHaveLength(1);
  });

  it('deletes a link in one transaction: when erasing its statistics fails, it is kept whole', async () => {
    const s = await open();
    const id = await addLink(s, 'kept', settings('https://k.example/'), NOW);
    await visit(s, id, 3, NOW + 1);
    await s.execute({
      sqlite: `CREATE TRIGGER refuse BEFORE DELETE ON visits_referrers
        BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      postgres: `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
        CREATE TRIGGER refuse BEFORE DELETE ON visits_referrers
        FOR EACH ROW EXECUTE FUNCTION refuse()`,
    });
    const before = await s.links.findLink('kept');
    await expect((async () => s.links.deleteLink(id, NOW + 2))()).rejects.toThrow('refused');
    expect(await s.links.findLink('kept')).toEqual(before);
    expect(before).toMatchObject({ deletedAt: null, visits: 3 });
    expect(await s.visits.dailyCounts(id, '2000-01-01')).toHaveLength(1);
    expect(await s.visits.topReferrers(id, 10)).toEqual([{ host: 'r.example', count: 3 }]);
  });
});

describeStoreContract('LinkStore: passwords', (open) => {
  it('stores, changes and removes a password hash, reads it on the redirect lookup, and a tombstone erases it', async () => {
    const s = await open();
    const result = await s.links.insertLink(
      {
        ...settings('https://a.example/'),
        code: 'locked',
        manageTokenHash: Buffer.from('locked-token'),
        passwordHash: 'scrypt$15$8$1$salt$hash',
      },
      NOW,
    );
    expect(result.ok && result.link.passwordHash).toBe('scrypt$15$8$1$salt$hash');
    expect(await s.links.findRedirect('locked')).toMatchObject({
      passwordHash: 'scrypt$15$8$1$salt$hash',
    });
    const id = await idOf(s, 'locked');
    await s.links.setPasswordHash(id, 'scrypt$15$8$1$other$hash', NOW + 1);
    expect(await s.links.findLink('locked')).toMatchObject({
      passwordHash: 'scrypt$15$8$1$other$hash',
      updated: NOW + 1,
    });
    await s.links.setPasswordHash(id, null, NOW + 2);
    expect((await s.links.findRedirect('locked'))?.passwordHash).toBeNull();
    await s.links.setPasswordHash(id, 'scrypt$15$8$1$again$hash', NOW + 3);
    await s.links.deleteLink(id, NOW + 4);
    expect((await s.links.findLink('locked'))?.passwordHash).toBeNull();
    // A deleted link takes no password any more.
    await s.links.setPasswordHash(id, 'scrypt$15$8$1$late$hash', NOW + 5);
    expect((await s.links.findLink('locked'))?.passwordHash).toBeNull();
    // Links made without one have none; many deleted at once lose theirs too.
    const plain = await addLink(s, 'plain', settings('https://b.example/'), NOW);
    expect((await s.links.findLink('plain'))?.passwordHash).toBeNull();
    await s.links.setPasswordHash(plain, 'scrypt$15$8$1$x$y', NOW);
    await s.links.deleteLinks([plain], NOW + 6);
    expect((await s.links.findLink('plain'))?.passwordHash).toBeNull();
  });

  it('keeps the first secret stored under a name, whoever asks later', async () => {
    const s = await open();
    expect(await s.links.keepSecret('unlock-cookie', 'first')).toBe('first');
    expect(await s.links.keepSecret('unlock-cookie', 'second')).toBe('first');
    expect(await s.links.keepSecret('another', 'third')).toBe('third');
  });
});

describeStoreContract('LinkStore: domains', (open) => {
  async function addDomain(s: ContractStores, host: string): Promise<number> {
    const added = await s.domains.insertDomain(
      { host, rootRedirect: null, notFoundRedirect: null, expiredRedirect: null, aliasOf: null },
      NOW,
    );
    if (!added.ok) throw new Error(`${host} was taken`);
    return added.domain.id;
  }

  async function addOn(s: ContractStores, domainId: number | null, code: string, target: string) {
    return s.links.insertLink(
      {
        ...settings(target),
        code,
        domainId,
        manageTokenHash: Buffer.from(`${code}-${domainId}-token`),
      },
      NOW,
    );
  }

  it('keeps a code unique per domain: the same code on two domains is two links, each found only on its own', async () => {
    const s = await open();
    const go = await addDomain(s, 'go.example');
    const other = await addDomain(s, 'other.example');
    expect(go).toBeGreaterThan(0);

    const onDefault = await addOn(s, null, 'docs', 'https://default.example/');
    const onGo = await addOn(s, go, 'docs', 'https://go-target.example/');
    expect(onDefault).toMatchObject({ ok: true, link: { code: 'docs', domainId: null } });
    expect(onGo).toMatchObject({ ok: true, link: { code: 'docs', domainId: go } });
    // Taken on its own domain, whichever domain it is.
    expect(await addOn(s, go, 'docs', 'https://x.example/')).toEqual({
      ok: false,
      reason: 'code_taken',
    });
    expect(await addOn(s, null, 'docs', 'https://x.example/')).toEqual({
      ok: false,
      reason: 'code_taken',
    });

    expect((await s.links.findLink('docs', 0))?.target).toBe('https://default.example/');
    expect((await s.links.findLink('docs'))?.target).toBe('https://default.example/');
    expect((await s.links.findLink('docs', go))?.target).toBe('https://go-target.example/');
    expect(await s.links.findLink('docs', other)).toBeNull();
    expect((await s.links.findRedirect('docs', go))?.target).toBe('https://go-target.example/');
    expect((await s.links.findRedirect('docs', 0))?.target).toBe('https://default.example/');
    expect(await s.links.findRedirect('docs', other)).toBeNull();

    // A code only on go.example is not on the default domain.
    await addOn(s, go, 'only-go', 'https://go-target.example/only');
    expect(await s.links.findRedirect('only-go', 0)).toBeNull();
    expect(await s.links.findLink('only-go')).toBeNull();
    expect((await s.links.findLink('only-go', go))?.domainId).toBe(go);

    // A deleted link keeps its code on its domain only.
    await s.links.deleteLink((await s.links.findLink('docs', go))!.id, NOW + 1);
    expect(await addOn(s, go, 'docs', 'https://x.example/')).toMatchObject({ ok: false });
    expect((await s.links.findRedirect('docs', 0))?.deletedAt).toBeNull();
  });

  it('lists each link with its domain, and finds a link to reuse only on the domain asked for', async () => {
    const s = await open();
    const go = await addDomain(s, 'go.example');
    await s.keys.insertKey(
      { name: 'k', hash: Buffer.from('k-hash'), scope: 'full', expiresAt: null, source: 'cli' },
      NOW,
    );
    const key = (await s.keys.findKeyByHash(Buffer.from('k-hash')))!.id;
    const target = 'https://r.example/';
    for (const [domainId, code] of [
      [go, 'on-go'],
      [null, 'on-default'],
    ] as const) {
      await s.links.insertLink(
        { ...settings(target), code, domainId, apiKeyId: key, manageTokenHash: Buffer.from(code) },
        NOW,
      );
    }

    const { links } = await s.links.listLinks(
      { search: '', state: null, orderBy: 'created', direction: 'asc', limit: 10, offset: 0 },
      NOW,
    );
    expect(links.map((link) => [link.code, link.domainId])).toEqual([
      ['on-go', go],
      ['on-default', null],
    ]);
    const onDomain = async (domainKey: number) => {
      const query = { search: '', state: null, orderBy: 'created', direction: 'asc' } as const;
      const found = await s.links.listLinks({ ...query, domainKey, limit: 10, offset: 0 }, NOW);
      return [found.links.map((link) => link.code), found.total];
    };
    expect(await onDomain(go)).toEqual([['on-go'], 1]);
    expect(await onDomain(0)).toEqual([['on-default'], 1]);
    expect(await onDomain(go + 1)).toEqual([[], 0]);
    expect((await s.links.findActiveByTarget(target, key, NOW))?.code).toBe('on-default');
    expect((await s.links.findActiveByTarget(target, key, NOW, '', go))?.code).toBe('on-go');
    expect(await s.links.findActiveByTarget(target, key, NOW, 'on-default', go)).toBeNull();
  });

  it('refuses a link on a domain that does not exist, and changes nothing', async () => {
    const s = await open();
    await expect(addOn(s, 999, 'nowhere', 'https://x.example/')).rejects.toThrow();
    expect(await s.links.countLinks()).toBe(0);
  });
});
