import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../src/db/open-database.sqlite.js';
import { englishOf } from '../../src/i18n/catalog.js';
import { checkImportedCode } from '../../src/links/alias-policy.js';
import { checkTargetUrl } from '../../src/links/url-policy.js';
import {
  importLinks,
  reportPages,
  type ImportDeps,
  type ImportOptions,
  type ImportOutcome,
  type ImportReport,
  type ImportSource,
} from '../../src/transfer/link-import.js';
import { importDomains } from '../../src/transfer/import-domains.js';
import { createTransferRepository } from '../../src/transfer/transfer-store.sqlite.js';
import { createTestDatabase } from './test-app.js';

/** 2026-06-15 12:00 UTC: the clock of every import test. */
export const NOW = Date.UTC(2026, 5, 15, 12);

/**
 * The importing snip's host (BASE_URL's): its default domain. The Shlink samples were exported
 * from a Shlink on this host, whose links snip now serves, so their `domain` cells name it.
 */
export const OWN_HOST = 's.test';
export const BLOCKED_HOST = 'blocked.example';

export const IMPORT_OPTIONS: ImportOptions = {
  ownHosts: [OWN_HOST],
  blockedHosts: [BLOCKED_HOST],
  domains: importDomains([], OWN_HOST),
};

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/import');

/** A sample export file, as the bytes an upload would carry. */
export function importFixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export type ImportTarget = { db: Db; deps: ImportDeps };

/** A fresh database and what importLinks needs to write to it. */
export function createImportTarget(db: Db = createTestDatabase()): ImportTarget {
  return {
    db,
    deps: { transfer: createTransferRepository(db), now: () => NOW, maxUrlLength: 2048 },
  };
}

/**
 * Imports `source`; the report of the outcome then has every row (read back from the staged
 * rows, in file order) and no id, so that two imports of the same file compare equal.
 */
export async function importInto(
  target: ImportTarget,
  source: ImportSource,
  options: Partial<ImportOptions> = {},
): Promise<ImportOutcome> {
  const outcome = await importLinks(source, { ...IMPORT_OPTIONS, ...options }, target.deps);
  if (!outcome.ok) return outcome;
  return { ok: true, report: { ...outcome.report, id: '', rows: await allRows(target, outcome) } };
}

/** Every row of an import's report, in file order. */
export async function allRows(target: ImportTarget, outcome: ImportOutcome) {
  if (!outcome.ok) throw new Error('the file was refused');
  const rows: ImportReport['rows'] = [];
  for await (const page of reportPages(target.deps.transfer, outcome.report.id)) rows.push(...page);
  return rows;
}

/** The report of an import that must have read the file. */
export function requireReport(outcome: ImportOutcome): ImportReport {
  if (!outcome.ok) throw new Error(`the file was refused: ${englishOf(outcome.problem.message)}`);
  return outcome.report;
}

/** How many rows are staged for imports (reports included). */
export function countStagedRows(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM import_rows').pluck().get() as number;
}

export type StoredLink = {
  code: string;
  target: string;
  created: number;
  updated: number;
  redirect_status: number;
  expires_at: number | null;
  max_visits: number | null;
  visits: number;
  last_visit: number | null;
  disabled_at: number | null;
  banned_at: number | null;
  ban_reason: string | null;
  deleted_at: number | null;
  manage_token_hash: Buffer | null;
  /** A column a later migration added (a link option, say): compared like the rest. */
  [column: string]: unknown;
};

/** Columns that say where a row came from, not what the link is: they differ between databases. */
const ORIGIN_COLUMNS = new Set(['id', 'api_key_id']);

/** Every row of `urls` in id order, as stored: every column but the id and the key that made it. */
export function storedLinks(db: Db): StoredLink[] {
  const columns = (
    db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('urls') as string[]
  )
    .filter((name) => !ORIGIN_COLUMNS.has(name))
    .join(', ');
  return db.prepare(`SELECT ${columns} FROM urls ORDER BY id`).all() as StoredLink[];
}

export function countLinks(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM urls').pluck().get() as number;
}

/** What the URL policy says of a URL the import must refuse. */
export function policyMessage(url: string): string {
  const check = checkTargetUrl(url, {
    maxLength: 2048,
    ...IMPORT_OPTIONS,
    addMissingScheme: false,
  });
  if (check.ok) throw new Error(`${url} passes the URL policy`);
  return englishOf(check.message);
}

/** Why the import refuses a code: the path of a route of snip's, or one it cannot serve. */
export function importedCodeMessage(code: string): string {
  const check = checkImportedCode(code);
  if (check.ok) throw new Error(`${code} passes the import's code check`);
  return check.message;
}
