import { expect, it } from 'vitest';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createCodeGenerator } from '../../src/links/code-generator.js';
import { createLinkService } from '../../src/links/link-service.js';
import { createPostgresLinkRepository } from '../../src/links/link-store.postgres.js';
import { createPostgresTagRepository } from '../../src/links/tag-store.postgres.js';
import { createRedirectCache, linkKey } from '../../src/links/redirect-cache.js';
import { createMachinesDatabase } from '../support/machines.js';
import { describeWithPostgres, withClient } from '../support/postgres.js';

describeWithPostgres('a redirect lookup on PostgreSQL', () => {
  it('when the link changes while its row is being read, then the row is served once but never cached', async () => {
    const url = await createMachinesDatabase();
    await withClient(url, (client) =>
      client.query(
        `INSERT INTO urls (code, target, created, updated) VALUES ('racy', 'https://a.example/', 1, 1)`,
      ),
    );
    const pool = createPostgresPool(url, { max: 1 });
    try {
      const cache = createRedirectCache(100);
      const links = createLinkService({
        links: createPostgresLinkRepository(pool),
        tags: createPostgresTagRepository(pool),
        generateCode: createCodeGenerator(7),
        now: Date.now,
        maxUrlLength: 2048,
        pendingVisits: () => 0,
        write: (write) => write(),
        blockedHosts: () => [],
        redirectCache: cache,
      });
      const lookup = links.findActiveRedirect('racy');
      expect(lookup).toBeInstanceOf(Promise);
      // Another machine's change, heard while the query runs: the row it reads may predate it.
      cache.invalidate(linkKey(0, 'racy'));
      expect((await lookup)?.target).toBe('https://a.example/');
      expect(cache.get(linkKey(0, 'racy'))).toBeUndefined();
      // Without a change meanwhile, the row is kept.
      await links.findActiveRedirect('racy');
      expect(cache.get(linkKey(0, 'racy'))?.target).toBe('https://a.example/');
    } finally {
      await pool.end();
    }
  });
});
