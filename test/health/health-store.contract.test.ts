import { expect, it } from 'vitest';
import { describeStoreContract } from '../support/store-contract.js';

// The HealthStore contract, through the interface only: the same expectations on every engine.

describeStoreContract('HealthStore', (open) => {
  it('pings true while the database answers', async () => {
    const s = await open();
    expect(await s.health.ping()).toBe(true);
    expect(await s.health.ping()).toBe(true);
  });

  it('pings false, not a rejection or a throw, once the connection is closed', async () => {
    const s = await open();
    await s.close();
    await expect((async () => s.health.ping())()).resolves.toBe(false);
  });
});
