import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { expect, it, onTestFinished } from 'vitest';
import { MIGRATION_FILES } from '../support/migration-files.js';
import {
  describeWithPostgres,
  requirePostgresUrl,
  withClient,
  withDatabase,
} from '../support/postgres.js';
import { childEnv } from '../support/server-process.js';

// An operator's own PostgreSQL 15 or newer, where schema `public` is no longer writable by every
// role: snip's role without the right gets a migration error with what to run, and the recipes
// of docs/postgres.md work. Roles are the cluster's, so each test makes its own and drops it.

/** A new role that may log in, and a database the superuser owns; both dropped after the test. */
async function roleAndDatabase(options: { ownsDatabase: boolean }) {
  const adminUrl = requirePostgresUrl();
  const suffix = randomBytes(4).toString('hex');
  const role = `snip_role_${suffix}`;
  const database = `snip_perm_${suffix}`;
  await withClient(adminUrl, async (client) => {
    await client.query(`CREATE ROLE ${role} LOGIN`);
    await client.query(
      `CREATE DATABASE ${database}${options.ownsDatabase ? ` OWNER ${role}` : ''}`,
    );
  });
  onTestFinished(async () => {
    await withClient(adminUrl, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });
  const asRole = new URL(withDatabase(adminUrl, database));
  asRole.username = role;
  return { role, database, url: asRole.href, superuserUrl: withDatabase(adminUrl, database) };
}

function migrate(url: string) {
  return spawnSync(process.execPath, ['dist/migrate.js', 'up'], {
    env: childEnv({ DATABASE_URL: url }),
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describeWithPostgres('migrations as a role that may not create tables in schema public', () => {
  it('when the role lacks CREATE on public, then the migration fails with a hint naming the role and the grant, and the grant makes it work', async () => {
    const { role, database, url, superuserUrl } = await roleAndDatabase({ ownsDatabase: false });
    const failed = migrate(url);
    expect(failed.status).toBe(1);
    const message = failed.stderr.trim();
    console.log(message);
    expect(message).toContain('permission denied for schema public');
    expect(message).toContain(`Hint: the role ${role} may not create tables in schema public`);
    expect(message).toContain(`\`GRANT CREATE ON SCHEMA public TO ${role};\``);
    expect(message).toContain(`Connected to ${database} as its owner or a superuser`);
    expect(message).toContain('docs/postgres.md');

    // What the hint says, run as the superuser.
    await withClient(superuserUrl, (client) =>
      client.query(`GRANT CREATE ON SCHEMA public TO ${role}`),
    );
    const migrated = migrate(url);
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toContain(`applied ${MIGRATION_FILES.at(-1)}`);
  });

  it('when the ledger exists already, then the role still gets the hint: PostgreSQL checks the right first', async () => {
    const { role, url, superuserUrl } = await roleAndDatabase({ ownsDatabase: false });
    await withClient(superuserUrl, async (client) => {
      await client.query('CREATE TABLE schema_migrations (version varchar(128) primary key)');
      await client.query(`GRANT SELECT, INSERT ON schema_migrations TO ${role}`);
    });
    const failed = migrate(url);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(
      `permission denied for schema public. Hint: the role ${role} may not create tables`,
    );
  });

  it('when the role owns its database (the recipe of docs/postgres.md), then every migration applies', async () => {
    const { url } = await roleAndDatabase({ ownsDatabase: true });
    const migrated = migrate(url);
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
  });

  it('when schema public belongs to the role, then every migration applies', async () => {
    const { role, url, superuserUrl } = await roleAndDatabase({ ownsDatabase: false });
    await withClient(superuserUrl, (client) =>
      client.query(`ALTER SCHEMA public OWNER TO ${role}`),
    );
    expect(migrate(url).status).toBe(0);
  });
});
