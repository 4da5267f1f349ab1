import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDir } from '../support/test-app.js';
import { withReadOnlyDatabase } from '../support/read-database.js';
import {
  createDatabaseFile,
  killLeftovers,
  signInAdmin,
  startSnip,
  waitFor,
} from './snip-process.js';
import { faultReport } from './fault-report.js';

/**
 * kill -9 while an import writes its links into urls, batch by batch: the links written so far
 * are in the file, and the next start takes them back before it serves anyone, so the file is
 * never left half in.
 */

const PASSWORD = 'correct horse battery staple';
const ROWS = 100_000;

let dir: string | undefined;
afterEach(async () => {
  await killLeftovers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const counts = (file: string) =>
  withReadOnlyDatabase(file, (db) => ({
    links: db.prepare('SELECT count(*) FROM urls').pluck().get() as number,
    applied: (db
      .prepare(`SELECT max(applied_upto) FROM imports WHERE state = 'applying'`)
      .pluck()
      .get() ?? 0) as number,
    staged: db.prepare('SELECT count(*) FROM import_rows').pluck().get() as number,
  }));

describe('kill -9 during an import', () => {
  it('when snip is killed while an import writes its links, then the next start takes them back and the file imports whole afterwards', async () => {
    const fault = faultReport('kill -9 during an import');
    dir = createTempDir();
    const file = createDatabaseFile(dir);
    const env = { ADMIN_PASSWORD: PASSWORD, RATE_LIMITS: 'off' };
    const snip = await startSnip(file, env);
    const cookie = await signInAdmin(snip, PASSWORD);
    const lines = ['code,target'];
    for (let i = 1; i <= ROWS; i += 1) lines.push(`kill-${i},https://example.com/${i}`);
    const csv = lines.join('\n');
    const upload = () =>
      fetch(`http://127.0.0.1:${snip.port}/admin/import?format=snip`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'text/csv' },
        body: csv,
      }).catch((error: Error) => error);

    const answer = upload();
    // Once some batches of links are in, and before the last.
    const waited = await waitFor(() => counts(file).applied > 0, 60_000, 5);
    expect(waited, 'the import started writing links').not.toBeNull();
    snip.proc.child.kill('SIGKILL');
    await snip.proc.exited;
    expect(await answer).toBeInstanceOf(Error);
    const left = counts(file);
    expect(left.links).toBeGreaterThan(0);
    expect(left.links).toBeLessThan(ROWS);

    const again = await startSnip(file, env, snip.port);
    const after = counts(file);
    expect(after).toEqual({ links: 0, applied: 0, staged: 0 });
    const undone = again.logLines().find((line) => line.msg.includes('unfinished import'));
    expect(undone?.links).toBe(left.links);

    const whole = await fetch(`http://127.0.0.1:${again.port}/admin/import?format=snip`, {
      method: 'POST',
      headers: {
        Cookie: await signInAdmin(again, PASSWORD),
        'Sec-Fetch-Site': 'same-origin',
        'Content-Type': 'text/csv',
      },
      body: csv,
    });
    expect(whole.status).toBe(200);
    expect(counts(file).links).toBe(ROWS);
    again.proc.child.kill('SIGTERM');
    expect((await again.proc.exited).code).toBe(0);
    fault.survived(
      `kill -9 during an import of ${ROWS.toLocaleString('en')} rows: ${left.links.toLocaleString('en')} links were in when it died; the next start took them back; imported whole afterwards`,
    );
  });
});
