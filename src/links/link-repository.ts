import type { Db } from '../db/open-database.js';

export const REDIRECT_STATUSES = [302, 301, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

export type Link = {
  id: number;
  code: string;
  target: string;
  created: number;
  updated: number;
  redirectStatus: RedirectStatus;
  /** First instant (epoch ms) at which the link no longer redirects. */
  expiresAt: number | null;
  maxVisits: number | null;
  /** Visits written to the database; the visit counter may hold a few more in memory. */
  visits: number;
  lastVisit: number | null;
  disabledAt: number | null;
  deletedAt: number | null;
};

export type LinkSettings = {
  target: string;
  redirectStatus: RedirectStatus;
  expiresAt: number | null;
  maxVisits: number | null;
};

export type NewLink = LinkSettings & { code: string; manageTokenHash: Buffer };

type LinkRow = {
  id: number;
  code: string;
  target: string;
  created: number;
  updated: number;
  redirect_status: RedirectStatus;
  expires_at: number | null;
  max_visits: number | null;
  visits: number;
  last_visit: number | null;
  disabled_at: number | null;
  deleted_at: number | null;
  manage_token_hash: Buffer | null;
};

export type LinkWithTokenHash = Link & { manageTokenHash: Buffer | null };

/** What the redirect path needs to decide, and nothing more. */
export type RedirectTarget = Pick<
  Link,
  | 'id'
  | 'target'
  | 'redirectStatus'
  | 'expiresAt'
  | 'maxVisits'
  | 'visits'
  | 'disabledAt'
  | 'deletedAt'
>;

export type InsertResult = { ok: true; link: Link } | { ok: false; reason: 'code_taken' };

const COLUMNS =
  'id, code, target, created, updated, redirect_status, expires_at, max_visits, visits, last_visit, disabled_at, deleted_at, manage_token_hash';

function toLink(row: LinkRow): LinkWithTokenHash {
  return {
    id: row.id,
    code: row.code,
    target: row.target,
    created: row.created,
    updated: row.updated,
    redirectStatus: row.redirect_status,
    expiresAt: row.expires_at,
    maxVisits: row.max_visits,
    visits: row.visits,
    lastVisit: row.last_visit,
    disabledAt: row.disabled_at,
    deletedAt: row.deleted_at,
    manageTokenHash: row.manage_token_hash,
  };
}

export type LinkRepository = ReturnType<typeof createLinkRepository>;

/** The only place that speaks SQL about links. Statements are prepared once. */
export function createLinkRepository(db: Db) {
  const insert = db.prepare<unknown[], LinkRow>(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status, expires_at, max_visits)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const byCode = db.prepare<[string], LinkRow>(`SELECT ${COLUMNS} FROM urls WHERE code = ?`);
  const redirectByCode = db.prepare<[string], RedirectTarget>(
    `SELECT id, target, redirect_status AS redirectStatus, expires_at AS expiresAt,
       max_visits AS maxVisits, visits, disabled_at AS disabledAt, deleted_at AS deletedAt
     FROM urls WHERE code = ?`,
  );
  const byTokenHash = db.prepare<[Buffer], LinkRow>(
    `SELECT ${COLUMNS} FROM urls WHERE manage_token_hash = ?`,
  );
  const updateSettings = db.prepare<unknown[]>(
    `UPDATE urls SET target = ?, redirect_status = ?, expires_at = ?, max_visits = ?, updated = ?
     WHERE id = ? AND deleted_at IS NULL`,
  );
  const setDisabled = db.prepare<[number | null, number, number]>(
    'UPDATE urls SET disabled_at = ?, updated = ? WHERE id = ? AND deleted_at IS NULL',
  );
  // A tombstone: the code stays taken forever, everything else the owner gave us is erased.
  const tombstone = db.prepare<[number, number, number]>(
    `UPDATE urls SET target = '', manage_token_hash = NULL, expires_at = NULL, max_visits = NULL,
       deleted_at = ?, updated = ? WHERE id = ?`,
  );
  const deleteDaily = db.prepare<[number]>('DELETE FROM visits_daily WHERE url_id = ?');
  const deleteReferrers = db.prepare<[number]>('DELETE FROM visits_referrers WHERE url_id = ?');
  const count = db.prepare<[], { n: number }>(
    'SELECT COUNT(*) AS n FROM urls WHERE deleted_at IS NULL',
  );
  // A write is acknowledged only after its commit: better-sqlite3's .get() on INSERT … RETURNING
  // outside a transaction steps once and resets, and a failed autocommit (SQLITE_FULL when the
  // WAL cannot grow) is reported only by that reset, which the driver ignores. In a transaction
  // the COMMIT is a statement of its own, and its failure throws.
  const insertRow = db.transaction((link: NewLink, now: number) =>
    insert.get(
      link.code,
      link.target,
      now,
      now,
      link.manageTokenHash,
      link.redirectStatus,
      link.expiresAt,
      link.maxVisits,
    ),
  );
  const deleteLink = db.transaction((id: number, now: number) => {
    tombstone.run(now, now, id);
    deleteDaily.run(id);
    deleteReferrers.run(id);
  });

  return {
    insertLink(link: NewLink, now: number): InsertResult {
      try {
        const row = insertRow(link, now);
        if (!row) throw new Error('INSERT … RETURNING returned no row');
        return { ok: true, link: toLink(row) };
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return { ok: false, reason: 'code_taken' };
        }
        throw error;
      }
    },
    /** The redirect path's only query: one indexed lookup of the columns it needs. */
    findRedirect(code: string): RedirectTarget | null {
      return redirectByCode.get(code) ?? null;
    },
    findLink(code: string): LinkWithTokenHash | null {
      const row = byCode.get(code);
      return row ? toLink(row) : null;
    },
    findLinkByTokenHash(hash: Buffer): LinkWithTokenHash | null {
      const row = byTokenHash.get(hash);
      return row ? toLink(row) : null;
    },
    updateSettings(id: number, settings: LinkSettings, now: number): void {
      updateSettings.run(
        settings.target,
        settings.redirectStatus,
        settings.expiresAt,
        settings.maxVisits,
        now,
        id,
      );
    },
    setDisabled(id: number, disabled: boolean, now: number): void {
      setDisabled.run(disabled ? now : null, now, id);
    },
    deleteLink(id: number, now: number): void {
      deleteLink(id, now);
    },
    countLinks(): number {
      return count.get()?.n ?? 0;
    },
  };
}
