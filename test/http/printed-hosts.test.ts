import { describe, expect, it } from 'vitest';
import { createPrintedHosts } from '../../src/http/printed-hosts.js';

describe('the hosts snip printed short links under', () => {
  it('when more hosts are printed than it keeps, then the least recently printed are forgotten and the list stays bounded', () => {
    const hosts = createPrintedHosts(3);
    for (const host of ['a.test', 'b.test', 'c.test']) hosts.remember(host);
    hosts.remember('A.test.'); // printed again: now the most recent
    hosts.remember('d.test');
    expect([...hosts.list()].sort()).toEqual(['a.test', 'c.test', 'd.test']);
    expect(hosts.has('b.test')).toBe(false);
    for (let i = 0; i < 1000; i++) hosts.remember(`junk${i}.test`);
    expect(hosts.list()).toHaveLength(3);
  });

  it('when nothing new is printed, then the list is the same array, so checking a link does not copy it', () => {
    const hosts = createPrintedHosts();
    hosts.remember('a.test');
    const list = hosts.list();
    hosts.remember('a.test');
    hosts.remember(undefined);
    hosts.remember('');
    expect(hosts.list()).toBe(list);
    expect(list).toEqual(['a.test']);
  });
});
