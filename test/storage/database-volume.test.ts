import { describe, expect, it } from 'vitest';
import { parseMountInfo } from '../../src/db/mounts.js';
import { checkDatabaseVolume } from '../../src/storage/database-volume.js';

const ROOT = '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n';
const VOLUME = `${ROOT}48 27 254:32 / /data rw,relatime - ext4 /dev/vdc rw\n`;
const FILE = '/data/db/database.sqlite3';

describe('checkDatabaseVolume', () => {
  it('when on Fly with SQLite and no volume, then the start is refused, naming [mounts] and ALLOW_EPHEMERAL_DATABASE', () => {
    const verdict = checkDatabaseVolume(
      { onFly: true, databaseFile: FILE, allowEphemeralDatabase: false },
      parseMountInfo(ROOT),
    );
    expect(verdict.kind).toBe('refuse');
    const message = verdict.kind === 'refuse' ? verdict.message : '';
    expect(message).toContain('[mounts]');
    expect(message).toContain('fly.toml');
    expect(message).toContain(FILE);
    expect(message).toContain('ALLOW_EPHEMERAL_DATABASE=true');
  });

  it('when ALLOW_EPHEMERAL_DATABASE=true, then it starts with a warning that the links will be lost', () => {
    const verdict = checkDatabaseVolume(
      { onFly: true, databaseFile: FILE, allowEphemeralDatabase: true },
      parseMountInfo(ROOT),
    );
    expect(verdict).toEqual({
      kind: 'warn',
      message: expect.stringContaining(
        'every link is lost at the next deploy or restart',
      ) as string,
    });
  });

  it.each([
    ['a volume at the folder above the database', { onFly: true, databaseFile: FILE }, VOLUME],
    ['not on Fly', { onFly: false, databaseFile: FILE }, ROOT],
    ['PostgreSQL', { onFly: true, databaseFile: null }, ROOT],
    ['an in-memory database', { onFly: true, databaseFile: ':memory:' }, ROOT],
    ['mounts that cannot be read', { onFly: true, databaseFile: FILE }, null],
  ])('when %s, then nothing is said', (_, config, mountInfo) => {
    expect(
      checkDatabaseVolume(
        { ...config, allowEphemeralDatabase: false },
        mountInfo === null ? null : parseMountInfo(mountInfo),
      ),
    ).toEqual({ kind: 'fine' });
  });
});
