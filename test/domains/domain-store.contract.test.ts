import { expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import type { NewDomain } from '../../src/domains/domain.js';
import { describeStoreContract, type ContractStores } from '../support/store-contract.js';

// The DomainStore contract: the same on every engine.

const NOW = Date.UTC(2026, 11, 6, 17);

function domain(host: string, extra: Partial<NewDomain> = {}): NewDomain {
  return {
    host,
    rootRedirect: null,
    notFoundRedirect: null,
    expiredRedirect: null,
    aliasOf: null,
    ...extra,
  };
}

async function addLink(s: ContractStores, code: string, target: string): Promise<number> {
  const result = await s.links.insertLink(
    { code, target, manageTokenHash: Buffer.from(`${code}-token`), ...DEFAULT_OPTIONS },
    NOW,
  );
  if (!result.ok) throw new Error(`${code} was taken`);
  return result.link.id;
}

describeStoreContract('DomainStore', (open) => {
  it('adds domains with their redirects and lists them by host', async () => {
    const s = await open();
    expect(await s.domains.listDomains()).toEqual([]);
    const added = await s.domains.insertDomain(
      domain('go.example', {
        rootRedirect: 'https://home.example/',
        notFoundRedirect: 'https://home.example/404',
        expiredRedirect: 'https://home.example/gone',
      }),
      NOW,
    );
    expect(added).toEqual({
      ok: true,
      domain: {
        id: expect.any(Number),
        host: 'go.example',
        rootRedirect: 'https://home.example/',
        notFoundRedirect: 'https://home.example/404',
        expiredRedirect: 'https://home.example/gone',
        aliasOf: null,
        created: NOW,
        updated: NOW,
      },
    });
    await s.domains.insertDomain(domain('a.example', { aliasOf: 'go.example' }), NOW + 1);
    const listed = await s.domains.listDomains();
    expect(listed.map((d) => [d.host, d.aliasOf, d.created])).toEqual([
      ['a.example', 'go.example', NOW + 1],
      ['go.example', null, NOW],
    ]);
  });

  it('refuses a host that is a domain already, and changes nothing', async () => {
    const s = await open();
    await s.domains.insertDomain(domain('go.example'), NOW);
    const again = await s.domains.insertDomain(
      domain('go.example', { rootRedirect: 'https://other.example/' }),
      NOW + 5,
    );
    expect(again).toEqual({ ok: false, reason: 'host_taken' });
    const listed = await s.domains.listDomains();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ rootRedirect: null, created: NOW });
  });

  it("replaces a domain's redirects and its updated time, and no other domain's", async () => {
    const s = await open();
    await s.domains.insertDomain(
      domain('go.example', { rootRedirect: 'https://home.example/', aliasOf: null }),
      NOW,
    );
    await s.domains.insertDomain(
      domain('other.example', { notFoundRedirect: 'https://other.example.org/404' }),
      NOW,
    );
    const updated = await s.domains.updateRedirects(
      'go.example',
      {
        rootRedirect: null,
        notFoundRedirect: 'https://home.example/404',
        expiredRedirect: 'https://home.example/gone',
      },
      NOW + 7,
    );
    expect(updated).toEqual({
      id: expect.any(Number),
      host: 'go.example',
      rootRedirect: null,
      notFoundRedirect: 'https://home.example/404',
      expiredRedirect: 'https://home.example/gone',
      aliasOf: null,
      created: NOW,
      updated: NOW + 7,
    });
    const listed = await s.domains.listDomains();
    expect(listed).toEqual([
      updated,
      expect.objectContaining({
        host: 'other.example',
        notFoundRedirect: 'https://other.example.org/404',
        updated: NOW,
      }),
    ]);
    const none = { rootRedirect: null, notFoundRedirect: null, expiredRedirect: null };
    expect(await s.domains.updateRedirects('nowhere.example', none, NOW + 8)).toBeNull();
    expect(await s.domains.listDomains()).toEqual(listed);
  });

  it('deletes a domain, but not one another domain is an alias of', async () => {
    const s = await open();
    await s.domains.insertDomain(domain('go.example'), NOW);
    await s.domains.insertDomain(domain('alias.example', { aliasOf: 'go.example' }), NOW);
    expect(await s.domains.deleteDomain('go.example')).toBe(false);
    expect(await s.domains.deleteDomain('nowhere.example')).toBe(false);
    expect((await s.domains.listDomains()).map((d) => d.host)).toEqual([
      'alias.example',
      'go.example',
    ]);
    expect(await s.domains.deleteDomain('alias.example')).toBe(true);
    expect(await s.domains.deleteDomain('go.example')).toBe(true);
    expect(await s.domains.listDomains()).toEqual([]);
  });

  it('deletes no domain while a link is on it, a deleted one too, and counts those links', async () => {
    const s = await open();
    const added = await s.domains.insertDomain(domain('go.example'), NOW);
    if (!added.ok) throw new Error('not added');
    const result = await s.links.insertLink(
      {
        code: 'abc',
        domainId: added.domain.id,
        target: 'https://example.com/',
        manageTokenHash: Buffer.from('abc-token'),
        ...DEFAULT_OPTIONS,
      },
      NOW,
    );
    if (!result.ok) throw new Error('taken');
    await addLink(s, 'on-default', 'https://example.com/');
    expect(await s.domains.countLinksOn('go.example')).toBe(1);
    expect(await s.domains.countLinksOn('nowhere.example')).toBe(0);

    await s.links.deleteLink(result.link.id, NOW + 1);
    expect(await s.domains.deleteDomain('go.example')).toBe(false);
    expect(await s.domains.countLinksOn('go.example')).toBe(1);
    expect((await s.domains.listDomains()).map((d) => d.host)).toEqual(['go.example']);
  });

  it('counts the links that are not deleted whose target is on a host, in every notation', async () => {
    const s = await open();
    await addLink(s, 'a', 'https://go.example/');
    await addLink(s, 'b', 'http://go.example/path?q=1');
    await addLink(s, 'c', 'https://go.example:8443/x');
    await addLink(s, 'd', 'https://go.example./x');
    const disabled = await addLink(s, 'e', 'https://go.example/disabled');
    await s.links.setDisabled(disabled, true, NOW);
    const deleted = await addLink(s, 'f', 'https://go.example/deleted');
    await s.links.deleteLink(deleted, NOW);
    // Not the host itself: a subdomain, a longer name, a path or a query naming it.
    await addLink(s, 'g', 'https://sub.go.example/');
    await addLink(s, 'h', 'https://go.example.org/');
    await addLink(s, 'i', 'https://other.example/go.example/');
    await addLink(s, 'j', 'https://other.example/?u=https://go.example/');
    await addLink(s, 'k', 'https://xgo.example/');
    expect(await s.domains.countLinksTargeting('go.example')).toBe(5);
    expect(await s.domains.countLinksTargeting('other.example')).toBe(2);
    expect(await s.domains.countLinksTargeting('none.example')).toBe(0);
  });
});
