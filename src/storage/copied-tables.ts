/**
 * What copy-store does with each table of snip's schema: every table of migrations/ and of its
 * twins in migrations/postgres/ is here, in an order in which every row's foreign keys point at
 * rows already copied. A table this list does not name stops the copy (its data could otherwise
 * be left behind without a word), and test/storage/copied-tables.test.ts fails as soon as a
 * migration adds one, on each engine: a new table is a decision to write down here.
 * docs/decisions/048-copy-store.md says why each table is copied or not.
 */
export type CopiedTable =
  | {
      name: string;
      copy: true;
      /**
       * Only the rows this condition (SQL both engines read alike) keeps; `null` for every row.
       * Counts on both sides count the same rows.
       */
      where: string | null;
      /** Rows that stop the copy, with why: copying them would copy something half done. */
      refuse: { where: string; why: string } | null;
    }
  | { name: string; copy: false; why: string };

function every(name: string): CopiedTable {
  return { name, copy: true, where: null, refuse: null };
}

export const COPIED_TABLES: readonly CopiedTable[] = [
  every('api_keys'),
  every('domains'),
  every('urls'),
  every('tags'),
  every('link_tags'),
  every('visits_daily'),
  every('visits_referrers'),
  every('visit_dimensions'),
  every('not_found_daily'),
  // Folded into the statistics on an SQLite source before the copy (store-copy.ts); what
  // remains is copied as it is.
  every('visit_log'),
  every('abuse_reports'),
  every('blocked_hosts'),
  // The key that signs unlock cookies of password-protected links: copied, so a visitor who
  // unlocked a link does not have to type its password again.
  every('app_secrets'),
  {
    name: 'imports',
    copy: true,
    where: "state = 'done'",
    refuse: {
      where: "state = 'applying'",
      why: 'an import was writing its links into this database when it stopped or is still running; let it finish, or start snip once on this database, which takes back the links of an unfinished import',
    },
  },
  {
    name: 'import_rows',
    copy: true,
    where: "import_id IN (SELECT id FROM imports WHERE state = 'done')",
    refuse: null,
  },
  {
    name: 'admin_sessions',
    copy: false,
    why: 'a session is a credential of the old deployment; the admin signs in again',
  },
  {
    name: 'rate_limits',
    copy: false,
    why: 'counters of the current minute or hour; they start again from zero',
  },
  {
    name: 'visit_flushes',
    copy: false,
    why: "the old database's record of its own flushes; nothing on the new one looks them up",
  },
];

/** dbmate's ledger of applied migrations: the target's is written by its own migrations. */
export const MIGRATION_LEDGER = 'schema_migrations';
