import { expect, it } from 'vitest';
import type { Link } from '../../src/links/link.js';
import {
  codeTakenReason,
  type ImportedLink,
  type ImportRowReport,
  type StagedRow,
} from '../../src/transfer/transfer-store.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

// The TransferStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);
const DAY = 86_400_000;

/** Writes without a gate and goes on without a pause: the store's own behaviour, nothing else. */
const STEPS = { write: <T>(step: () => T): T => step(), pause: async () => {} };

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

function row(line: number, code: string, result: StagedRow['result']): StagedRow {
  return {
    line,
    code,
    target: `https://${code}.example/`,
    result,
    reason: result === 'created' ? '' : `why ${code}`,
    link: result === 'created' ? imported(code) : null,
  };
}

async function addLink(s: ContractStores, code: string): Promise<void> {
  const result = await s.links.insertLink(
    {
      target: `https://${code}.example/`,
      ...DEFAULT_OPTIONS,
      code,
      manageTokenHash: Buffer.from(`${code}-token`),
    },
    NOW,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
}

/** Stages `links` as rows to create, 1,000 to a call, and writes them. */
async function importLinks(s: ContractStores, id: string, links: ImportedLink[]): Promise<void> {
  await s.transfer.startImport(id, NOW);
  const rows: StagedRow[] = links.map((link, index) => ({
    line: index + 2,
    code: link.code,
    target: link.target,
    result: 'created',
    reason: '',
    link,
  }));
  for (let at = 0; at < rows.length; at += 1000) {
    await s.transfer.stageRows(id, at + 1, rows.slice(at, at + 1000));
  }
  await s.transfer.applyImport(id, STEPS);
}

async function readLinks(s: ContractStores, limit: number): Promise<Link[][]> {
  const pages: Link[][] = [];
  let after = 0;
  for (;;) {
    const page: Link[] = [];
    const n = await s.transfer.forEachLinkAfter(after, limit, (link) => page.push(link));
    expect(n).toBe(page.length);
    if (n === 0) return pages;
    pages.push(page);
    after = page.at(-1)!.id;
  }
}

async function reportRows(s: ContractStores, id: string): Promise<ImportRowReport[]> {
  const rows: ImportRowReport[] = [];
  await s.transfer.forEachReportRow(id, 0, 1000, (r) => rows.push(r));
  return rows;
}

describeStoreContract('TransferStore', (open) => {
  it('reads every link in id order, page by page, as it is stored', async () => {
    const s = await open();
    await addLink(s, 'made');
    const tombstone = imported('gone', { target: '', deletedAt: NOW - 1 });
    const banned = imported('banned', {
      bannedAt: NOW,
      banReason: 'spam',
      disabledAt: NOW - 1,
      expiresAt: NOW + DAY,
      maxVisits: 10,
      visits: 4,
      lastVisit: NOW - 1,
      redirectStatus: 308,
    });
    await importLinks(s, 'i1', [imported('one'), tombstone, banned]);
    const [all] = await readLinks(s, 100);
    expect(all?.map((link) => link.code)).toEqual(['made', 'one', 'gone', 'banned']);
    const ids = all!.map((link) => link.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // An imported link is stored as it came, without its id, a management token or a password.
    const withoutId = ({ id: _id, passwordHash, domainId, ...rest }: Link): ImportedLink => {
      expect(passwordHash).toBeNull();
      // An import makes links on the default domain (ADR 031).
      expect(domainId).toBeNull();
      return rest;
    };
    expect(all!.slice(1).map(withoutId)).toEqual([imported('one'), tombstone, banned]);
    expect(await s.links.findLink('one')).toMatchObject({ manageTokenHash: null });
    for (const limit of [1, 3]) {
      expect((await readLinks(s, limit)).flat()).toEqual(all);
    }
    expect((await readLinks(s, 3)).map((page) => page.length)).toEqual([3, 1]);
    expect(await s.transfer.forEachLinkAfter(ids.at(-1)!, 10, () => {})).toBe(0);
  });

  it('stages rows, writes the links to create, skips taken codes, and reports every row', async () => {
    const s = await open();
    await addLink(s, 'existing');
    expect(await s.transfer.findImport('first')).toBeNull();
    await s.transfer.startImport('first', NOW - 3);
    await s.transfer.stageRows('first', 1, [
      row(2, 'one', 'created'),
      row(3, 'existing', 'created'),
      row(4, 'bad', 'invalid'),
    ]);
    await s.transfer.stageRows('first', 4, [row(5, 'one', 'created'), row(6, 'two', 'refused')]);
    expect(await s.transfer.findImport('first')).toEqual({ created: NOW - 3, state: 'reading' });
    await s.transfer.applyImport('first', STEPS);
    expect(await s.transfer.findImport('first')).toEqual({ created: NOW - 3, state: 'done' });

    expect(await s.links.findLink('one')).toMatchObject({ target: 'https://one.example/' });
    expect(await s.links.findLink('existing')).toMatchObject({
      manageTokenHash: Buffer.from('existing-token'),
    });
    expect(await s.links.findLink('two')).toBeNull();
    expect(await s.links.countLinks()).toBe(2);

    const totals = [...(await s.transfer.importTotals('first'))].sort((a, b) =>
      a.result.localeCompare(b.result),
    );
    expect(totals).toEqual([
      { result: 'created', count: 1 },
      { result: 'invalid', count: 1 },
      { result: 'refused', count: 1 },
      { result: 'skipped', count: 2 },
    ]);
    // Rows not created first, each group in file order.
    const shown = await s.transfer.shownRows('first', 4);
    expect(shown.map((r) => [r.line, r.code, r.result])).toEqual([
      [3, 'existing', 'skipped'],
      [4, 'bad', 'invalid'],
      [5, 'one', 'skipped'],
      [6, 'two', 'refused'],
    ]);
    expect(shown[0]?.reason).toBe(codeTakenReason('existing'));
    expect(shown[2]?.reason).toBe(codeTakenReason('one'));
    expect(shown[1]).toEqual({
      line: 4,
      code: 'bad',
      target: 'https://bad.example/',
      result: 'invalid',
      reason: 'why bad',
    });
    expect((await s.transfer.shownRows('first', 10)).map((r) => r.line)).toEqual([3, 4, 5, 6, 2]);
    expect((await reportRows(s, 'first')).map((r) => [r.line, r.result])).toEqual([
      [2, 'created'],
      [3, 'skipped'],
      [4, 'invalid'],
      [5, 'skipped'],
      [6, 'refused'],
    ]);
  });

  it('writes each link on its row’s domain: a code is taken per domain, tags join the link of the row’s domain, and an undo takes back only its own links', async () => {
    const s = await open();
    const added = await s.domains.insertDomain(
      {
        host: 'go.example',
        aliasOf: null,
        rootRedirect: null,
        notFoundRedirect: null,
        expiredRedirect: null,
      },
      NOW,
    );
    if (!added.ok) throw new Error('go.example was not added');
    const go = added.domain.id;
    await addLink(s, 'existing');
    // A row's target is its link's: the staged row holds it once.
    const onGo = (line: number, code: string, tags: string[] = []): StagedRow => ({
      ...row(line, code, 'created'),
      target: `https://go.example.org/${code}`,
      link: imported(code, { domainId: go, target: `https://go.example.org/${code}`, tags }),
    });
    await s.transfer.startImport('domains', NOW);
    await s.transfer.stageRows('domains', 1, [
      onGo(2, 'existing', ['theirs']),
      { ...row(3, 'existing', 'created'), link: imported('existing', { tags: ['lost'] }) },
      onGo(4, 'both'),
      { ...row(5, 'both', 'created'), link: imported('both', { domainId: null }) },
      onGo(6, 'both'),
    ]);
    await s.transfer.applyImport('domains', STEPS);
    expect((await reportRows(s, 'domains')).map((r) => [r.line, r.result])).toEqual([
      [2, 'created'],
      [3, 'skipped'],
      [4, 'created'],
      [5, 'created'],
      [6, 'skipped'],
    ]);
    const existing = await s.links.findLink('existing', 0);
    const existingOnGo = await s.links.findLink('existing', go);
    expect(existing).toMatchObject({ domainId: null, target: 'https://existing.example/' });
    expect(existingOnGo).toMatchObject({ domainId: go, target: 'https://go.example.org/existing' });
    expect(await s.links.findLink('both', 0)).toMatchObject({ target: 'https://both.example/' });
    expect(await s.links.findLink('both', go)).toMatchObject({
      target: 'https://go.example.org/both',
    });
    expect(await s.tags.tagsOf([existing!.id, existingOnGo!.id])).toEqual([
      { linkId: existingOnGo!.id, name: 'theirs' },
    ]);

    // A batch that fails takes back the links of the batches before: those on go.example only.
    const links = Array.from({ length: 1_500 }, (_, i) =>
      imported(i === 0 ? 'existing-2' : `go${i}`, { domainId: go }),
    );
    await addLink(s, 'existing-2');
    links[1_200] = imported('bad', { domainId: go, maxVisits: 0 });
    await expect(importLinks(s, 'broken', links)).rejects.toThrow(/check/i);
    expect(await s.links.findLink('existing-2', 0)).toMatchObject({ domainId: null });
    expect(await s.links.findLink('existing-2', go)).toBeNull();
    expect(await s.links.countLinks()).toBe(5);
  });

  it('pages through the report rows by their sequence number', async () => {
    const s = await open();
    await s.transfer.startImport('first', NOW);
    await s.transfer.stageRows('first', 1, [
      row(2, 'a', 'invalid'),
      row(3, 'b', 'invalid'),
      row(4, 'c', 'created'),
      row(5, 'd', 'refused'),
      row(6, 'e', 'created'),
    ]);
    await s.transfer.applyImport('first', STEPS);
    const page = async (after: number) => {
      const lines: number[] = [];
      const last = await s.transfer.forEachReportRow('first', after, 2, (r) => lines.push(r.line));
      return { last, lines };
    };
    expect(await page(0)).toEqual({ last: 2, lines: [2, 3] });
    expect(await page(2)).toEqual({ last: 4, lines: [4, 5] });
    expect(await page(4)).toEqual({ last: 5, lines: [6] });
    expect(await page(5)).toEqual({ last: 5, lines: [] });
    expect(await s.transfer.forEachReportRow('nothing', 0, 10, () => {})).toBe(0);
    expect(await s.transfer.importTotals('nothing')).toEqual([]);
    expect(await s.transfer.shownRows('nothing', 10)).toEqual([]);
  });

  it('writes all or nothing: a link that breaks a rule, after a thousand good ones, undoes them all', async () => {
    const s = await open();
    await addLink(s, 'existing');
    const links = Array.from({ length: 1_500 }, (_, i) => imported(`code${i}`));
    links[1_200] = imported('bad', { maxVisits: 0 });
    await expect(importLinks(s, 'broken', links)).rejects.toThrow(/check/i);
    expect(await s.links.countLinks()).toBe(1);
    expect(await s.links.findLink('code0')).toBeNull();
    // The import is back to staged, not done.
    expect((await s.transfer.findImport('broken'))?.state).toBe('reading');
    // The same links without the bad one go in.
    links[1_200] = imported('good');
    await importLinks(s, 'fixed', links);
    expect(await s.links.countLinks()).toBe(1_501);
  });

  it('names the imports whose report is no longer kept, and drops them in batches', async () => {
    const s = await open();
    for (const [id, created, rows] of [
      ['first', NOW - 3, 5],
      ['second', NOW - 2, 1],
      ['third', NOW - 1, 1],
      ['fourth', NOW, 1],
    ] as const) {
      await s.transfer.startImport(id, created);
      await s.transfer.stageRows(
        id,
        1,
        Array.from({ length: rows }, (_, i) => row(i + 2, `${id}-${i}`, 'invalid')),
      );
      await s.transfer.applyImport(id, STEPS);
    }
    // Still being read: never among them for being beyond the newest, only for its age.
    await s.transfer.startImport('unfinished', NOW - 10);
    expect(await s.transfer.oldImports(NOW - 100, 3)).toEqual(['first']);
    expect([...(await s.transfer.oldImports(NOW - 1, 3))].sort()).toEqual([
      'first',
      'second',
      'unfinished',
    ]);
    expect(await s.transfer.oldImports(NOW - 100, 10)).toEqual([]);
    expect(await s.transfer.dropImportBatch('first', 2)).toBe(2);
    expect(await s.transfer.findImport('first')).toMatchObject({ state: 'done' });
    expect(await s.transfer.dropImportBatch('first', 2)).toBe(2);
    expect(await s.transfer.dropImportBatch('first', 2)).toBe(1);
    expect(await s.transfer.findImport('first')).toBeNull();
    expect(await reportRows(s, 'first')).toEqual([]);
    expect(await s.transfer.findImport('second')).toMatchObject({ state: 'done' });
    expect(await s.transfer.dropImportBatch('nothing', 2)).toBe(0);
  });
});
