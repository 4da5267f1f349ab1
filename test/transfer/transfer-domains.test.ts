import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Domain } from '../../src/domains/domain.js';
import { createDomainRepository } from '../../src/domains/domain-store.sqlite.js';
import { parseCsv } from '../../src/transfer/csv.js';
import { importDomains } from '../../src/transfer/import-domains.js';
import { EXPORT_COLUMNS } from '../../src/transfer/link-export.js';
import { importLinks } from '../../src/transfer/link-import.js';
import { APPLY_BATCH, undoUnfinishedImports } from '../../src/transfer/transfer-store.sqlite.js';
import {
  countStagedRows,
  createImportTarget,
  importInto,
  IMPORT_OPTIONS,
  NOW,
  OWN_HOST,
  requireReport,
  type ImportTarget,
} from '../support/link-transfer.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * The domain of each row of an import (ADR 031), on SQLite: which domain a `domain` cell names,
 * and that taking back a failed import deletes exactly its own links — a link with the same code
 * on another domain is not one of them. Both engines' doors are in
 * test/engines/transfer-domains.engines.test.ts.
 */

function domain(id: number, host: string, aliasOf: string | null = null): Domain {
  return {
    id,
    host,
    aliasOf,
    rootRedirect: null,
    notFoundRedirect: null,
    expiredRedirect: null,
    created: NOW,
    updated: NOW,
  };
}

describe('which domain a row names', () => {
  const resolve = importDomains(
    [
      domain(1, 'go.example'),
      domain(2, 'xn--bcher-kva.example'),
      domain(3, 'old-go.example', 'go.example'),
      domain(4, 'old-s.example', 's.example'),
    ],
    's.example',
  );

  it('empty or the default domain’s host in any spelling is the default domain', () => {
    for (const cell of ['', 's.example', 'S.EXAMPLE', 's.example.', 's.example:443']) {
      expect(resolve(cell), cell).toEqual({ ok: true, domainId: null });
    }
  });

  it('an added domain in any spelling is that domain, a Unicode name by its punycode', () => {
    for (const cell of ['go.example', 'Go.Example.', 'go.example:8080']) {
      expect(resolve(cell), cell).toEqual({ ok: true, domainId: 1, host: 'go.example' });
    }
    expect(resolve('bücher.example')).toEqual({
      ok: true,
      domainId: 2,
      host: 'xn--bcher-kva.example',
    });
    expect(resolve('XN--BCHER-KVA.example')).toEqual({
      ok: true,
      domainId: 2,
      host: 'xn--bcher-kva.example',
    });
  });

  it('an alias (of an added domain or of the default) or an unknown host is refused, saying why', () => {
    expect(resolve('old-go.example')).toEqual({
      ok: false,
      result: 'refused',
      reason:
        'The domain old-go.example is an alias of go.example and holds no links of its own: name go.example instead.',
    });
    expect(resolve('OLD-S.example')).toMatchObject({ ok: false, result: 'refused' });
    expect(resolve('elsewhere.example')).toEqual({
      ok: false,
      result: 'refused',
      reason:
        "The domain elsewhere.example is not one of this snip's domains: add it first, or empty the domain column to import the link on the default domain.",
    });
  });

  it('in another product’s file, a host that is not one of snip’s is the default domain; an alias is still refused', () => {
    expect(resolve('elsewhere.example', true)).toEqual({
      ok: true,
      domainId: null,
      note: "Its domain elsewhere.example is not one of this snip's domains: the link is on the default domain.",
    });
    expect(resolve('Go.Example', true)).toEqual({ ok: true, domainId: 1, host: 'go.example' });
    expect(resolve('old-go.example', true)).toMatchObject({ ok: false, result: 'refused' });
    expect(resolve('https://go.example/', true)).toMatchObject({ ok: false, result: 'invalid' });
    // The answers of one file's rows do not leak into the other's.
    expect(resolve('elsewhere.example')).toMatchObject({ ok: false, result: 'refused' });
  });

  it('what is no host name — a URL, an IP address, a path, an underscore — is invalid', () => {
    for (const cell of [
      'https://go.example/',
      'go.example/x',
      '192.0.2.1',
      '[::1]',
      'a_b.example',
    ]) {
      expect(resolve(cell), cell).toMatchObject({ ok: false, result: 'invalid' });
      expect((resolve(cell) as { reason: string }).reason).toMatch(/^domain: “.*” is not a host/);
    }
  });

  it('a BASE_URL on an IP address names the default domain by that address, as the export writes it', () => {
    const byAddress = importDomains([], '192.0.2.7');
    expect(byAddress('192.0.2.7')).toEqual({ ok: true, domainId: null });
    expect(byAddress('192.0.2.8')).toMatchObject({ ok: false, result: 'invalid' });
  });

  it('without BASE_URL only an empty cell is the default domain', () => {
    const open = importDomains([domain(1, 'go.example')], null);
    expect(open('')).toEqual({ ok: true, domainId: null });
    expect(open('go.example')).toEqual({ ok: true, domainId: 1, host: 'go.example' });
    const refused = open('s.example');
    expect(refused).toMatchObject({ ok: false, result: 'refused' });
    expect((refused as { reason: string }).reason).toMatch(/on the default domain\.$/);
  });

  it('an import given no domains takes only rows for the default domain', async () => {
    const target = createImportTarget();
    const report = requireReport(
      await importInto(
        target,
        'code,target,domain\nalpha,https://a.example/,\nbeta,https://b.example/,go.example\n',
        {
          domains: undefined,
        },
      ),
    );
    expect(report.rows.map((row) => row.result)).toEqual(['created', 'refused']);
  });
});

describe('taking back a failed import, per domain', () => {
  // Three and a half batches on go.example; `same` is also on the default domain, made before.
  const ROWS = 3.5 * APPLY_BATCH;
  let target: ImportTarget;
  let go: number;

  beforeEach(async () => {
    target = createImportTarget();
    const inserted = createDomainRepository(target.db).insertDomain(
      {
        host: 'go.example',
        aliasOf: null,
        rootRedirect: null,
        notFoundRedirect: null,
        expiredRedirect: null,
      },
      NOW,
    );
    if (!inserted.ok) throw new Error('go.example was not added');
    go = inserted.domain.id;
    requireReport(
      await importInto(target, 'code,target,tags\nsame,https://default.example/same,kept\n'),
    );
  });

  const options = () => ({
    ...IMPORT_OPTIONS,
    domains: importDomains([domain(go, 'go.example')], OWN_HOST),
  });
  const file = () => {
    let text = 'code,target,domain\nsame,https://go.example.org/same,go.example\n';
    for (let line = 3; line <= ROWS + 1; line += 1) {
      text += `on-go-${line},https://go.example.org/${line},go.example\n`;
    }
    return text;
  };
  const links = () =>
    target.db.prepare('SELECT code, domain_id AS domainId, target FROM urls ORDER BY id').all() as {
      code: string;
      domainId: number | null;
      target: string;
    }[];
  const tagsOfDefaultSame = () =>
    target.db
      .prepare(
        `SELECT t.name FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
         JOIN urls u ON u.id = lt.url_id WHERE u.code = 'same' AND u.domain_id IS NULL`,
      )
      .pluck()
      .all();
  const before = [{ code: 'same', domainId: null, target: 'https://default.example/same' }];

  /** A write gate that lets `ok` writes through, then refuses `failing` of them. */
  function failingGate(ok: number, failing = 1) {
    let calls = 0;
    const refused = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return <T>(write: () => T): T => {
      calls += 1;
      if (calls > ok && calls <= ok + failing) throw refused;
      return write();
    };
  }
  // startImport, the batches staged, 'applying', two batches of links written: the third fails.
  const failAfterTwoBatches = (failing?: number) =>
    failingGate(1 + Math.ceil(ROWS / 1000) + 1 + 2, failing);

  it('when storage fails after two batches, then exactly the import’s links go: the same code on the default domain stays', async () => {
    await expect(
      importLinks(file(), options(), { ...target.deps, write: failAfterTwoBatches() }),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(links()).toEqual(before);
    expect(tagsOfDefaultSame()).toEqual(['kept']);
    // And the file imports whole afterwards, `same` on go.example beside the default one.
    const report = requireReport(await importInto(target, file(), options()));
    expect(report.totals.created).toBe(ROWS);
    expect(links().filter((link) => link.code === 'same')).toEqual([
      ...before,
      { code: 'same', domainId: go, target: 'https://go.example.org/same' },
    ]);
  });

  it('when snip stops while an import writes its links, then the next start takes back exactly those', async () => {
    await expect(
      importLinks(file(), options(), { ...target.deps, write: failAfterTwoBatches(Infinity) }),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(links()).toHaveLength(1 + 2 * APPLY_BATCH);
    expect(undoUnfinishedImports(target.db)).toBe(2 * APPLY_BATCH);
    expect(links()).toEqual(before);
    expect(tagsOfDefaultSame()).toEqual(['kept']);
    // Only the report of the first import is left.
    expect(countStagedRows(target.db)).toBe(1);
  });
});

describe('the export’s domain column', () => {
  const PASSWORD = 'correct horse battery staple';
  let t: TestApp;
  afterEach(() => t?.db.close());

  async function exported(env: Record<string, string>) {
    t = buildTestApp({ ADMIN_PASSWORD: PASSWORD, ...env });
    const cookie = await signInAdmin(t.app, PASSWORD);
    await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'start' })
      .expect(303);
    const go = createDomainRepository(t.db).insertDomain(
      {
        host: 'go.example',
        aliasOf: null,
        rootRedirect: null,
        notFoundRedirect: null,
        expiredRedirect: null,
      },
      Date.now(),
    );
    if (!go.ok) throw new Error('go.example was not added');
    // The same code on go.example, as the other doors make it.
    t.db
      .prepare(
        `INSERT INTO urls (code, domain_id, target, created, updated) VALUES ('start', ?, 'https://a.example/go', 1, 1)`,
      )
      .run(go.domain.id);
    const res = await request(t.app).get('/admin/export.csv').set('Cookie', cookie).expect(200);
    const [header, ...rows] = parseCsv(res.text).map((record) => record.fields);
    return rows.map((row) => [row[header!.indexOf('code')], row[header!.indexOf('domain')]]);
  }

  it('is the last column: every older column keeps its place', () => {
    expect(EXPORT_COLUMNS.at(-1)).toBe('domain');
    expect(EXPORT_COLUMNS.at(-2)).toBe('has_password');
  });

  it('is empty for a link on the default domain, whatever BASE_URL is, and names an added domain’s host', async () => {
    expect(await exported({ BASE_URL: 'https://S.Example' })).toEqual([
      ['start', ''],
      ['start', 'go.example'],
    ]);
  });

  it('is empty for the default domain without BASE_URL too', async () => {
    expect(await exported({})).toEqual([
      ['start', ''],
      ['start', 'go.example'],
    ]);
  });
});
