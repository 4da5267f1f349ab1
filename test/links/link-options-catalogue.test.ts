import { afterEach, describe, expect, it } from 'vitest';
import { API_OPTIONS } from '../../src/api/api-schemas.js';
import type { Db } from '../../src/db/open-database.sqlite.js';
import {
  DEFAULT_OPTIONS,
  keptOnDelete,
  LINK_OPTIONS,
  OPTION_NAMES,
  optionFormValues,
  parseLinkOptions,
  type LinkOptionSpec,
} from '../../src/links/link-options.js';
import { EXPORT_COLUMNS } from '../../src/transfer/link-export.js';
import { createTestDatabase } from '../support/test-app.js';

/**
 * The catalogue of link options is what the stores, the forms, the API, the export and the
 * import are built from. These checks hold for every entry, so a new option is held to them
 * without a test of its own: its empty value survives each of its round trips, its names clash
 * with nothing, and the migrations gave it its columns.
 */

const specs = OPTION_NAMES.map(
  (name) => [name, LINK_OPTIONS[name] as LinkOptionSpec<unknown>] as const,
);

let db: Db | undefined;
afterEach(() => db?.close());

function columnsOf(table: string): string[] {
  db ??= createTestDatabase();
  return db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
}

describe('the catalogue of link options', () => {
  it.each(specs)(
    'when %s is empty, then the form, the export and the check all take it back',
    (_, spec) => {
      expect(spec.form.schema.parse(spec.form.show(spec.empty))).toEqual(spec.empty);
      expect(spec.file.read(spec.file.write(spec.empty))).toEqual({ ok: true, value: spec.empty });
      expect(spec.file.read('')).toEqual({ ok: true, value: spec.empty });
      expect(spec.check(spec.empty)).toBeNull();
    },
  );

  it('when a form sends nothing, then every option is at its empty value, and the form shows it so', () => {
    expect(parseLinkOptions({}, Date.UTC(2026, 5, 15))).toEqual({
      ok: true,
      options: DEFAULT_OPTIONS,
    });
    const shown = optionFormValues(DEFAULT_OPTIONS);
    expect(parseLinkOptions(shown, Date.UTC(2026, 5, 15))).toEqual({
      ok: true,
      options: DEFAULT_OPTIONS,
    });
  });

  it('when the names are listed, then no two options share a column, a form field or an export column', () => {
    for (const pick of [
      (spec: LinkOptionSpec<unknown>) => spec.column,
      (spec: LinkOptionSpec<unknown>) => spec.form.field,
      (spec: LinkOptionSpec<unknown>) => spec.file.column,
    ]) {
      const names = specs.map(([, spec]) => pick(spec));
      expect(new Set(names).size).toBe(names.length);
    }
    expect(new Set(EXPORT_COLUMNS).size).toBe(EXPORT_COLUMNS.length);
    for (const [, spec] of specs) expect(EXPORT_COLUMNS).toContain(spec.file.column);
    // The forms carry the URL and the alias beside the options.
    for (const [, spec] of specs) expect(['url', 'alias']).not.toContain(spec.form.field);
  });

  it('when the API names the options, then each has a field of its own', () => {
    expect(Object.keys(API_OPTIONS).sort()).toEqual([...OPTION_NAMES].sort());
    const fields = Object.values(API_OPTIONS).map((option) => option.field);
    expect(new Set(fields).size).toBe(fields.length);
    for (const reserved of ['url', 'alias', 'reuse', 'code', 'shortUrl', 'state', 'visits']) {
      expect(fields).not.toContain(reserved);
    }
  });

  it('when the migrations have run, then every option has its column in urls and in import_rows', () => {
    const links = columnsOf('urls');
    const staged = columnsOf('import_rows');
    for (const [, spec] of specs) {
      expect(links).toContain(spec.column);
      expect(staged).toContain(spec.column);
    }
  });

  it('when a link is deleted, then it keeps only the options marked kept', () => {
    const set = {
      ...DEFAULT_OPTIONS,
      expiresAt: Date.UTC(2027, 0, 1),
      maxVisits: 5,
      redirectStatus: 301 as const,
    };
    const kept = keptOnDelete(set);
    for (const [name, spec] of specs) {
      expect(kept[name]).toEqual(spec.kept ? set[name] : spec.empty);
    }
  });
});
