import { expect, it } from 'vitest';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createPostgresVisitRepository } from '../../src/stats/visit-store.postgres.js';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { createMachinesDatabase } from '../support/machines.js';
import { describeWithPostgres, withClient } from '../support/postgres.js';

const NOW = Date.UTC(2026, 10, 29, 12);

describeWithPostgres('the visit counter on PostgreSQL', () => {
  it('while a flush is in flight, its visits still count for the link, a second flush waits its turn, and nothing is written twice', async () => {
    const url = await createMachinesDatabase();
    const id = await withClient(url, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO urls (code, target, created, updated) VALUES ('c', 'https://a.example/', 1, 1) RETURNING id`,
      );
      return Number(rows[0]!.id);
    });
    const pool = createPostgresPool(url, { max: 2 });
    try {
      const counter = createVisitCounter({
        visits: createPostgresVisitRepository(pool),
        now: () => NOW,
      });
      for (let i = 0; i < 3; i++) counter.record(id, '');
      const first = counter.flush();
      expect(first).toBeInstanceOf(Promise);
      counter.record(id, 'news.example');
      // In flight: the three are not in the database yet, and still count toward a visit limit.
      expect(counter.pendingFor(id)).toBe(4);
      expect(counter.flush()).toBe(0);
      expect(await first).toBe(3);
      expect(counter.pendingFor(id)).toBe(1);
      await counter.idle();
      expect(await counter.flush()).toBe(1);
      expect(counter.pendingTotal()).toBe(0);
      const stored = await withClient(url, (client) =>
        client.query<{ visits: string }>('SELECT visits FROM urls WHERE id = $1', [id]),
      );
      expect(Number(stored.rows[0]!.visits)).toBe(4);
    } finally {
      await pool.end();
    }
  });

  it('when the database cannot be reached, then the flush fails and its visits go back into memory', async () => {
    const pool = createPostgresPool('postgres://snip@127.0.0.1:1/snip', { max: 1 });
    try {
      const counter = createVisitCounter({
        visits: createPostgresVisitRepository(pool),
        now: () => NOW,
      });
      counter.record(7, '');
      counter.record(7, 'a.example');
      await expect(counter.flush()).rejects.toThrow();
      expect(counter.pendingFor(7)).toBe(2);
      expect(counter.pendingTotal()).toBe(2);
      await counter.idle();
    } finally {
      await pool.end();
    }
  });
});
