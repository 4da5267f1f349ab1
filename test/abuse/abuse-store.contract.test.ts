import { expect, it } from 'vitest';
import type { ReportReason } from '../../src/abuse/abuse-store.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

// The AbuseStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);

async function addLink(s: ContractStores, code: string): Promise<number> {
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
  return result.link.id;
}

describeStoreContract('AbuseStore', (open) => {
  it('groups the open reports per link, newest link and newest report first', async () => {
    const s = await open();
    const [a, b, c, d] = [
      await addLink(s, 'a'),
      await addLink(s, 'b'),
      await addLink(s, 'c'),
      await addLink(s, 'd'),
    ] as [number, number, number, number];
    const report = (urlId: number, at: number, reason: ReportReason = 'spam') =>
      s.abuse.addReport({ urlId, reason, details: `about ${urlId}`, contact: '' }, at);
    await report(a, NOW + 1);
    await report(b, NOW + 5, 'phishing');
    await report(a, NOW + 3);
    await report(c, NOW + 2);
    await report(b, NOW + 4);
    await report(d, NOW + 5);
    await report(c, NOW + 9);
    await s.abuse.resolveReports(c, NOW + 10);
    await report(c, NOW + 6);
    const groups = await s.abuse.openReportGroups();
    expect(groups.map((group) => [group.code, group.reports.map((r) => r.created)])).toEqual([
      ['c', [NOW + 6]],
      ['b', [NOW + 5, NOW + 4]],
      ['d', [NOW + 5]],
      ['a', [NOW + 3, NOW + 1]],
    ]);
    expect(groups[1]).toEqual({
      urlId: b,
      code: 'b',
      domainId: null,
      target: 'https://b.example/',
      reports: [
        {
          id: expect.any(Number) as number,
          reason: 'phishing',
          details: `about ${b}`,
          contact: '',
          created: NOW + 5,
        },
        {
          id: expect.any(Number) as number,
          reason: 'spam',
          details: `about ${b}`,
          contact: '',
          created: NOW + 4,
        },
      ],
    });
    expect(await s.abuse.countOpenReports()).toBe(6);
    await s.abuse.resolveReports(b, NOW + 11);
    expect((await s.abuse.openReportGroups()).map((group) => group.code)).toEqual(['c', 'd', 'a']);
    expect(await s.abuse.countOpenReports()).toBe(4);
  });

  it('resolves every open report of one link, and only those', async () => {
    const s = await open();
    const a = await addLink(s, 'a');
    const b = await addLink(s, 'b');
    await s.abuse.addReport(
      { urlId: a, reason: 'malware', details: 'x', contact: 'me@example.com' },
      NOW,
    );
    await s.abuse.addReport({ urlId: b, reason: 'other', details: '', contact: '' }, NOW + 1);
    await s.abuse.addReport({ urlId: b, reason: 'illegal', details: '', contact: '' }, NOW + 2);
    expect(await s.abuse.countOpenReports()).toBe(3);
    await s.abuse.resolveReports(b, NOW + 3);
    expect(await s.abuse.countOpenReports()).toBe(1);
    const groups = await s.abuse.openReportGroups();
    expect(groups.map((group) => group.code)).toEqual(['a']);
    expect(groups[0]?.reports[0]).toMatchObject({ reason: 'malware', contact: 'me@example.com' });
    await s.abuse.resolveReports(999, NOW);
    await s.abuse.resolveReports(a, NOW + 4);
    expect(await s.abuse.openReportGroups()).toEqual([]);
    expect(await s.abuse.countOpenReports()).toBe(0);
  });

  it('keeps a blocklist in the byte order of its hosts; blocking again changes the reason only', async () => {
    const s = await open();
    expect(await s.abuse.blockedHosts()).toEqual([]);
    await s.abuse.blockHost('z.example', 'spam', NOW);
    await s.abuse.blockHost('B.example', '', NOW + 1);
    await s.abuse.blockHost('a-b.example', 'phishing', NOW + 2);
    await s.abuse.blockHost('ab.example', 'phishing', NOW + 3);
    await s.abuse.blockHost('z.example', 'malware', NOW + 4);
    expect(await s.abuse.blockedHosts()).toEqual([
      { host: 'B.example', reason: '', created: NOW + 1 },
      { host: 'a-b.example', reason: 'phishing', created: NOW + 2 },
      { host: 'ab.example', reason: 'phishing', created: NOW + 3 },
      { host: 'z.example', reason: 'malware', created: NOW },
    ]);
  });

  it('unblocks a host once: true when it was blocked, false after', async () => {
    const s = await open();
    await s.abuse.blockHost('z.example', 'spam', NOW);
    await s.abuse.blockHost('y.example', 'spam', NOW);
    expect(await s.abuse.unblockHost('z.example')).toBe(true);
    expect(await s.abuse.unblockHost('z.example')).toBe(false);
    expect(await s.abuse.unblockHost('never.example')).toBe(false);
    expect(await s.abuse.blockedHosts()).toEqual([
      { host: 'y.example', reason: 'spam', created: NOW },
    ]);
  });
});
