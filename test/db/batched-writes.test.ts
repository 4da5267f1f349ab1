import { describe, expect, it } from 'vitest';
import { writeInBatches, WRITE_BATCH_SIZE } from '../../src/db/batched-writes.js';
import { createTestDatabase } from '../support/test-app.js';

describe('writing in batches', () => {
  it('when many rows are written, then each batch is one transaction, and other work runs between batches', async () => {
    const db = createTestDatabase();
    const insert = db.prepare(
      "INSERT INTO urls (code, target, created, updated) VALUES (?, 'https://a.example/', 1, 1)",
    );
    const writeBatch = db.transaction((codes: readonly string[]) => {
      for (const code of codes) insert.run(code);
    });
    const count = db.prepare('SELECT COUNT(*) FROM urls').pluck();
    const codes = Array.from({ length: 2 * WRITE_BATCH_SIZE + 1 }, (_, i) => `c-${i}`);
    const seen: number[] = [];
    // Work that arrives meanwhile, as a request would: it must run before the last batch.
    const between = new Promise<number>((resolve) =>
      setImmediate(() => resolve(count.get() as number)),
    );
    await writeInBatches(codes, (batch) => {
      seen.push(batch.length);
      writeBatch(batch);
    });
    expect(seen).toEqual([WRITE_BATCH_SIZE, WRITE_BATCH_SIZE, 1]);
    expect(await between).toBe(WRITE_BATCH_SIZE);
    expect(count.get()).toBe(codes.length);
    db.close();
  });

  it('when the rows fill whole batches, then no empty batch is written and the loop yields only between batches', async () => {
    const events: string[] = [];
    // Other work that keeps arriving, as requests do: it runs whenever the loop yields.
    let stopped = false;
    const tick = () => {
      if (stopped) return;
      events.push('other work');
      setImmediate(tick);
    };
    setImmediate(tick);
    await writeInBatches(
      [1, 2, 3, 4],
      (batch) => {
        events.push(`batch ${batch.join(' ')}`);
      },
      2,
    );
    stopped = true;
    expect(events).toEqual(['batch 1 2', 'other work', 'batch 3 4']);
  });

  it('when a batch fails, then the batches before it stay written, its own rows are not, and nothing after it runs', async () => {
    const db = createTestDatabase();
    const insert = db.prepare(
      "INSERT INTO urls (code, target, created, updated) VALUES (?, 'https://a.example/', 1, 1)",
    );
    const writeBatch = db.transaction((codes: readonly string[]) => {
      for (const code of codes) insert.run(code);
    });
    // The second batch repeats a code the first one wrote: the unique index refuses it.
    const codes = ['a', 'b', 'c', 'd', 'c', 'e', 'f'];
    const batches: string[][] = [];
    await expect(
      writeInBatches(
        codes,
        (batch) => {
          batches.push([...batch]);
          writeBatch(batch);
        },
        3,
      ),
    ).rejects.toThrow(/UNIQUE/);
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'c', 'e'],
    ]);
    expect(db.prepare('SELECT code FROM urls ORDER BY id').pluck().all()).toEqual(['a', 'b', 'c']);
    db.close();
  });
});
