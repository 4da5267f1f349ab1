import { expect, it } from 'vitest';
import type { LinkQuery } from '../../src/links/link.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { NO_TAG_FILTER, tagKey, type TagFilter } from '../../src/links/tags.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';

// The TagStore contract, and the tag filters of LinkStore.listLinks: the same on every engine.

const NOW = Date.UTC(2026, 5, 15, 12);

async function addLink(s: ContractStores, code: string): Promise<number> {
  const result = await s.links.insertLink(
    {
      code,
      target: `https://${code}.example/`,
      manageTokenHash: Buffer.from(`${code}-token`),
      ...DEFAULT_OPTIONS,
    },
    NOW,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

async function tagsByLink(s: ContractStores, ids: number[]): Promise<Record<number, string[]>> {
  const out: Record<number, string[]> = {};
  for (const id of ids) out[id] = [];
  for (const row of await s.tags.tagsOf(ids)) out[row.linkId]!.push(row.name);
  return out;
}

async function codesWith(s: ContractStores, filter: Partial<TagFilter>): Promise<string[]> {
  const query: LinkQuery = {
    search: '',
    state: null,
    orderBy: 'created',
    direction: 'asc',
    limit: 50,
    offset: 0,
    tags: {
      any: (filter.any ?? []).map(tagKey),
      all: (filter.all ?? []).map(tagKey),
      none: (filter.none ?? []).map(tagKey),
      notAll: (filter.notAll ?? []).map(tagKey),
    },
  };
  const { links, total } = await s.links.listLinks(query, NOW);
  expect(total).toBe(links.length);
  return links.map((link) => link.code).sort();
}

describeStoreContract('TagStore', (open) => {
  it('keeps each link’s tags in order, and a tag’s first spelling for every link', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.tags.setTags(a, ['Launch', 'q3', 'Été'], NOW);
    await s.tags.setTags(b, ['LAUNCH', 'été'], NOW);
    expect(await tagsByLink(s, [a, b])).toEqual({
      [a]: ['Launch', 'q3', 'Été'],
      [b]: ['Launch', 'Été'],
    });
    // Replacing drops the old tags; the spelling of a known tag stays the first one.
    await s.tags.setTags(a, ['q4', 'launch'], NOW);
    expect(await tagsByLink(s, [a])).toEqual({ [a]: ['q4', 'Launch'] });
    await s.tags.setTags(a, [], NOW);
    expect(await tagsByLink(s, [a])).toEqual({ [a]: [] });
    expect(await s.tags.tagsOf([])).toEqual([]);
  });

  it('lists the tags links carry, with their links and written visits', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    const c = await addLink(s, 'c');
    await s.tags.setTags(a, ['launch', 'q3'], NOW);
    await s.tags.setTags(b, ['Launch'], NOW);
    await s.tags.setTags(c, ['q3', 'old'], NOW);
    await s.visits.addVisits([
      {
        urlId: a,
        count: 2,
        lastVisit: NOW,
        byDay: new Map([['2026-06-15', 2]]),
        byReferrer: new Map(),
      },
      {
        urlId: b,
        count: 3,
        lastVisit: NOW,
        byDay: new Map([['2026-06-15', 3]]),
        byReferrer: new Map(),
      },
      {
        urlId: c,
        count: 4,
        lastVisit: NOW,
        byDay: new Map([['2026-06-15', 4]]),
        byReferrer: new Map(),
      },
    ]);
    expect(await s.tags.listTags()).toEqual([
      { name: 'launch', links: 2, visits: 5 },
      { name: 'old', links: 1, visits: 4 },
      { name: 'q3', links: 2, visits: 6 },
    ]);
    // A deleted link keeps no tags: its tags count it no more, and a tag only it had is gone.
    await s.links.deleteLink(c, NOW);
    expect(await tagsByLink(s, [c])).toEqual({ [c]: [] });
    expect(await s.tags.listTags()).toEqual([
      { name: 'launch', links: 2, visits: 5 },
      { name: 'q3', links: 1, visits: 2 },
    ]);
    await s.links.deleteLinks([a, b], NOW);
    expect(await s.tags.listTags()).toEqual([]);
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: [], [b]: [] });
  });

  it('adds and removes one tag on many links, all at once', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.tags.setTags(a, ['Sale', 'x'], NOW);
    await s.tags.addTag([a, b], 'SALE', NOW);
    await s.tags.addTag([a, b], 'new', NOW);
    expect(await tagsByLink(s, [a, b])).toEqual({
      [a]: ['Sale', 'x', 'new'],
      [b]: ['Sale', 'new'],
    });
    await s.tags.removeTag([a, b], tagKey('SALE'));
    await s.tags.removeTag([b], tagKey('unknown'));
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: ['x', 'new'], [b]: ['new'] });
  });

  it('filters a listing by any, all and none of some tags, ignoring case', async () => {
    const s = await open();
    const ids = {
      one: await addLink(s, 'one'),
      two: await addLink(s, 'two'),
      three: await addLink(s, 'three'),
      four: await addLink(s, 'four'),
    };
    await s.tags.setTags(ids.one, ['red', 'blue'], NOW);
    await s.tags.setTags(ids.two, ['Red'], NOW);
    await s.tags.setTags(ids.three, ['blue', 'green'], NOW);
    expect(await codesWith(s, NO_TAG_FILTER)).toEqual(['four', 'one', 'three', 'two']);
    expect(await codesWith(s, { any: ['RED', 'green'] })).toEqual(['one', 'three', 'two']);
    expect(await codesWith(s, { all: ['red', 'BLUE'] })).toEqual(['one']);
    expect(await codesWith(s, { all: ['red', 'red'] })).toEqual(['one', 'two']);
    expect(await codesWith(s, { none: ['red'] })).toEqual(['four', 'three']);
    expect(await codesWith(s, { any: ['blue'], none: ['green'] })).toEqual(['one']);
    expect(await codesWith(s, { any: ['nothing'] })).toEqual([]);
    expect(await codesWith(s, { notAll: ['red', 'blue'] })).toEqual(['four', 'three', 'two']);
    await s.links.deleteLink(ids.one, NOW);
    expect(await codesWith(s, { any: ['blue'] })).toEqual(['three']);
  });

  it('renames a tag on every link (its key with it), refusing an unknown tag or a carried new name', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.tags.setTags(a, ['red', 'blue'], NOW);
    await s.tags.setTags(b, ['Red'], NOW);
    expect(await s.tags.renameTag(tagKey('RED'), 'Crimson')).toBe('renamed');
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: ['Crimson', 'blue'], [b]: ['Crimson'] });
    expect(await codesWith(s, { any: ['crimson'] })).toEqual(['a', 'b']);
    expect(await codesWith(s, { any: ['red'] })).toEqual([]);
    // Only the spelling changes: same key.
    expect(await s.tags.renameTag(tagKey('crimson'), 'CRIMSON')).toBe('renamed');
    expect(await s.tags.renameTag(tagKey('crimson'), 'Blue')).toBe('taken');
    expect(await s.tags.renameTag(tagKey('nothing'), 'x')).toBe('unknown');
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: ['CRIMSON', 'blue'], [b]: ['CRIMSON'] });
    // A tag no link carries any more does not stand in the way.
    await s.tags.removeTag([a], tagKey('blue'));
    expect(await s.tags.renameTag(tagKey('crimson'), 'blue')).toBe('renamed');
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: ['blue'], [b]: ['blue'] });
  });

  it('deletes tags from every link, and forgets them', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.tags.setTags(a, ['red', 'blue', 'green'], NOW);
    await s.tags.setTags(b, ['Red', 'green'], NOW);
    await s.tags.deleteTags([tagKey('RED'), tagKey('green'), tagKey('unknown')]);
    expect(await tagsByLink(s, [a, b])).toEqual({ [a]: ['blue'], [b]: [] });
    expect((await s.tags.listTags()).map((tag) => tag.name)).toEqual(['blue']);
    // A new tag of the same name starts afresh, with its new spelling.
    await s.tags.setTags(b, ['RED'], NOW);
    expect(await tagsByLink(s, [b])).toEqual({ [b]: ['RED'] });
  });
});
