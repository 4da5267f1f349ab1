import { expect, it } from 'vitest';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { runKeys } from '../../src/keys.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { createPostgresKeyRepository } from '../../src/keys/key-store.postgres.js';
import { createMachinesDatabase } from '../support/machines.js';
import { createTestPgDatabase, describeWithPostgres } from '../support/postgres.js';

async function keys(url: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeys(
    args,
    { DATABASE_URL: url },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

describeWithPostgres('npm run keys on PostgreSQL', () => {
  it('when a key is created, listed and revoked, then the database every machine shares holds it', async () => {
    const url = await createMachinesDatabase();
    const created = await keys(url, 'create', 'deploy-bot', '--scope', 'create-only');
    expect(created.code).toBe(0);
    const key = created.out[0]!;
    expect(key).toMatch(/^snip_[A-Za-z0-9_-]{43}$/);

    const pool = createPostgresPool(url, { max: 1 });
    try {
      const service = createKeyService({ keys: createPostgresKeyRepository(pool), now: Date.now });
      expect(await service.checkKey(key)).toMatchObject({
        ok: true,
        key: { name: 'deploy-bot', scope: 'create-only' },
      });
      const listed = await keys(url, 'list');
      expect(listed.out.join('\n')).toMatch(/^deploy-bot\s+create-only/m);
      expect((await keys(url, 'revoke', 'deploy-bot')).code).toBe(0);
      expect(await service.checkKey(key)).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await pool.end();
    }
  });

  it('when the database has pending migrations, then it refuses in one line and stores nothing', async () => {
    const { url } = await createTestPgDatabase();
    const result = await keys(url, 'create', 'early');
    expect(result).toMatchObject({ code: 1, out: [] });
    expect(result.err).toEqual([
      'keys: the database has pending migrations; run `npm run migrate -- up` first',
    ]);
  });
});
