import type pg from 'pg';

/**
 * Runs `work` in one transaction on one connection of `pool`: COMMIT when it resolves, ROLLBACK
 * when it throws, and the error thrown on. A connection whose ROLLBACK failed is in an unknown
 * state, so the pool closes it instead of handing it out again.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // After a failed COMMIT PostgreSQL has already rolled back; ROLLBACK then only warns.
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
