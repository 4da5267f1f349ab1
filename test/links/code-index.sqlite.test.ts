import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/open-database.sqlite.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import {
  createLinkRepository,
  type LinkRepository,
  type LinkRepositoryOptions,
} from '../../src/links/link-store.sqlite.js';
import { COLLIDING_CODES } from '../support/colliding-codes.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

const NOW = Date.UTC(2026, 11, 7, 12);
/** More than one slice of the build (4,000 rows), so the build takes several turns. */
const SEEDED = 9_000;

let dir: string;
let db: Db;
let other: Db;
afterEach(() => {
  db?.close();
  other?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A file of SEEDED links (`s0` …), snip's connection to it, and a second connection. */
function seeded(options: LinkRepositoryOptions = {}, count = SEEDED): LinkRepository {
  dir = createTempDir();
  const file = path.join(dir, 'snip.db');
  db = createTestDatabase(file);
  const insert = db.prepare(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash)
     VALUES (?, ?, ?, ?, randomblob(32))`,
  );
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`s${i}`, `https://a.example/${i}`, NOW, NOW);
  })();
  other = openDatabase(file);
  return createLinkRepository(db, options);
}

/** Lets the build run its slices to the end. */
async function built(links: LinkRepository) {
  for (let turns = 0; links.codeIndexState().state === 'building'; turns++) {
    if (turns > 10_000) throw new Error('the index is never built');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return links.codeIndexState();
}

/** A link written by the other connection, as another process would. */
function insertElsewhere(code: string, target: string, id?: number): number {
  return Number(
    other
      .prepare(
        `INSERT INTO urls (id, code, target, created, updated, manage_token_hash)
         VALUES (?, ?, ?, ?, ?, randomblob(32))`,
      )
      .run(id ?? null, code, target, NOW, NOW).lastInsertRowid,
  );
}

describe('the redirect lookup through the in-memory index (SQLite)', () => {
  it('when the first redirect comes, then it is answered at once and the index is built after it, a slice per turn', async () => {
    const links = seeded();
    expect(links.codeIndexState().state).toBe('not started');
    expect(links.findRedirect('s5')?.target).toBe('https://a.example/5');
    // Not built within the first lookup: its slices come in later turns of the event loop.
    const started = links.codeIndexState();
    expect(started.state).toBe('building');
    expect(started.entries).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    const oneSlice = links.codeIndexState();
    expect(oneSlice.entries).toBeGreaterThan(0);
    expect(oneSlice.entries).toBeLessThan(SEEDED);
    const done = await built(links);
    expect(done).toMatchObject({ state: 'built', entries: SEEDED });
  });

  it('once built, a redirect is answered through the index, and every seeded code finds its own row', async () => {
    const links = seeded();
    links.findRedirect('s0');
    await built(links);
    const before = links.codeIndexState();
    for (let i = 0; i < SEEDED; i += 7) {
      expect(links.findRedirect(`s${i}`)?.target).toBe(`https://a.example/${i}`);
    }
    const after = links.codeIndexState();
    expect(after.found - before.found).toBe(Math.ceil(SEEDED / 7));
    expect(after.fellBack).toBe(before.fellBack);
    expect(links.findRedirect('nope')).toBeNull();
  });

  it('when another connection inserts a link after the build, then it is found, and the index learns it', async () => {
    const links = seeded();
    links.findRedirect('s0');
    await built(links);
    const id = insertElsewhere('late', 'https://late.example/');
    expect(links.findRedirect('late')).toMatchObject({ id, target: 'https://late.example/' });
    expect(links.codeIndexState().entries).toBe(SEEDED + 1);
    const found = links.codeIndexState().found;
    expect(links.findRedirect('late')?.id).toBe(id);
    expect(links.codeIndexState().found).toBe(found + 1);
  });

  it('when another connection changes a link, then the lookup reads the change', async () => {
    const links = seeded();
    links.findRedirect('s0');
    await built(links);
    other
      .prepare(
        "UPDATE urls SET target = 'https://changed.example/', disabled_at = ? WHERE code = 's3'",
      )
      .run(NOW);
    expect(links.findRedirect('s3')).toMatchObject({
      target: 'https://changed.example/',
      disabledAt: NOW,
    });
  });

  it('when another connection deletes a row and another link takes its id, then neither code finds the wrong row', async () => {
    const links = seeded();
    links.findRedirect('s0');
    await built(links);
    const last = SEEDED; // s<SEEDED-1> has the highest id, which SQLite hands out again
    expect(links.findRedirect(`s${SEEDED - 1}`)?.id).toBe(last);
    other.prepare('DELETE FROM urls WHERE id = ?').run(last);
    expect(links.findRedirect(`s${SEEDED - 1}`)).toBeNull();
    const reused = insertElsewhere('newcomer', 'https://newcomer.example/');
    expect(reused).toBe(last);
    expect(links.findRedirect(`s${SEEDED - 1}`)).toBeNull();
    expect(links.findRedirect('newcomer')).toMatchObject({
      id: last,
      target: 'https://newcomer.example/',
    });
  });

  it('when another connection renames a code, then the old code is gone and the new one found', async () => {
    const links = seeded();
    links.findRedirect('s0');
    await built(links);
    other.prepare("UPDATE urls SET code = 'renamed' WHERE code = 's4'").run();
    expect(links.findRedirect('s4')).toBeNull();
    expect(links.findRedirect('renamed')?.target).toBe('https://a.example/4');
  });

  it('when a code shares its fingerprint with an indexed one, then it finds its own row, not the other', async () => {
    const [indexed, elsewhere] = COLLIDING_CODES;
    const links = seeded();
    const mine = links.insertLink(
      {
        ...DEFAULT_OPTIONS,
        code: indexed,
        target: 'https://indexed.example/',
        manageTokenHash: Buffer.alloc(32, 1),
      },
      NOW,
    );
    if (!mine.ok) throw new Error('insert failed');
    links.findRedirect('s0');
    await built(links);
    const id = insertElsewhere(elsewhere, 'https://elsewhere.example/');
    expect(links.findRedirect(elsewhere)).toMatchObject({
      id,
      target: 'https://elsewhere.example/',
    });
    expect(links.findRedirect(indexed)).toMatchObject({
      id: mine.link.id,
      target: 'https://indexed.example/',
    });
    // Both are in the index now, and each still finds its own row.
    expect(links.findRedirect(elsewhere)?.id).toBe(id);
  });

  it('when the same code is on an added domain, then each domain finds its own link', async () => {
    const links = seeded();
    const domain = Number(
      db
        .prepare("INSERT INTO domains (host, created, updated) VALUES ('go.example', ?, ?)")
        .run(NOW, NOW).lastInsertRowid,
    );
    links.findRedirect('s0');
    await built(links);
    other
      .prepare(
        `INSERT INTO urls (code, domain_id, target, created, updated, manage_token_hash)
         VALUES ('s1', ?, 'https://go.example/s1', ?, ?, randomblob(32))`,
      )
      .run(domain, NOW, NOW);
    expect(links.findRedirect('s1', domain)?.target).toBe('https://go.example/s1');
    expect(links.findRedirect('s1', 0)?.target).toBe('https://a.example/1');
    expect(links.findRedirect('s1', domain + 1)).toBeNull();
  });

  it('when the table has more links than the budget, then no index is built and lookups still answer', async () => {
    const links = seeded({ codeIndex: { maxLinks: 100 } }, 500);
    expect(links.findRedirect('s10')?.target).toBe('https://a.example/10');
    expect(links.codeIndexState()).toMatchObject({ state: 'off', entries: 0, bytes: 0 });
    expect(links.findRedirect('s499')?.target).toBe('https://a.example/499');
  });

  it('when links inserted later take it past its budget, then it lets go of its memory and lookups still answer', async () => {
    const links = seeded({ codeIndex: { maxLinks: 520 } }, 500);
    links.findRedirect('s0');
    expect(await built(links)).toMatchObject({ state: 'built', entries: 500 });
    for (let i = 0; i < 30; i++) {
      links.insertLink(
        {
          ...DEFAULT_OPTIONS,
          code: `more${i}`,
          target: `https://more.example/${i}`,
          manageTokenHash: Buffer.alloc(32, i + 1),
        },
        NOW,
      );
    }
    expect(links.codeIndexState()).toMatchObject({ state: 'off', entries: 0, bytes: 0 });
    expect(links.findRedirect('more29')?.target).toBe('https://more.example/29');
    expect(links.findRedirect('s1')?.target).toBe('https://a.example/1');
  });

  it('when the connection is closed during the build, then the build stops without an error', async () => {
    const links = seeded();
    links.findRedirect('s0');
    db.close();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(links.codeIndexState().state).toBe('building');
  });

  it('with the index turned off, lookups go to SQLite and nothing is built', () => {
    const links = seeded({ codeIndex: false }, 10);
    expect(links.findRedirect('s1')?.target).toBe('https://a.example/1');
    expect(links.codeIndexState()).toMatchObject({ state: 'off', entries: 0 });
  });
});
