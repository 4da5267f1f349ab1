import { describe, expect, it } from 'vitest';
import { refuseEngine } from '../../src/storage/runtime.postgres.js';

// What the servers answer to `SELECT version(), current_setting('server_version_num')`.
describe('refuseEngine', () => {
  it('when the server is PostgreSQL 15 or newer, then snip runs on it', () => {
    expect(
      refuseEngine('PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu', 150014),
    ).toBeNull();
    expect(refuseEngine('PostgreSQL 17.2 on aarch64-unknown-linux-gnu', 170002)).toBeNull();
  });

  it.each([
    [
      'CockroachDB CCL v24.2.4 (x86_64-pc-linux-gnu, built 2024/10/07 18:09:05, go1.22.5 X:nocoverageredesign)',
      130000,
      'CockroachDB',
    ],
    [
      'PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 16.0.6',
      110002,
      'YugabyteDB',
    ],
  ])('when the server says %s, then it is refused by name', (version, number, name) => {
    expect(refuseEngine(version, number)).toBe(
      `${name} is not supported: snip needs LISTEN/NOTIFY and session advisory locks, which it lacks; use PostgreSQL 15 or newer`,
    );
  });

  it('when the server is PostgreSQL 14 or older, or says no version number, then it is refused', () => {
    expect(refuseEngine('PostgreSQL 14.9 on x86_64-pc-linux-gnu', 140009)).toBe(
      'PostgreSQL 15 or newer is needed; this server is PostgreSQL 14.9 on x86_64-pc-linux-gnu',
    );
    expect(refuseEngine('PostgreSQL', Number.NaN)).toMatch(/^PostgreSQL 15 or newer is needed/);
  });
});
