import type { Db } from '../db/open-database.js';
import type { Link } from '../links/link-repository.js';

/**
 * A link as the import stores it: a link without its id. Imported links have no management token
 * (NULL); a deleted link's target is '' (a tombstone).
 */
export type ImportedLink = Omit<Link, 'id'>;

export type TransferRepository = ReturnType<typeof createTransferRepository>;

/** The SQL of import and export. Statements are prepared once. */
export function createTransferRepository(db: Db) {
  const page = db.prepare<[number, number], Link>(
    `SELECT id, code, target, created, updated, redirect_status AS redirectStatus,
       expires_at AS expiresAt, max_visits AS maxVisits, visits, last_visit AS lastVisit,
       disabled_at AS disabledAt, deleted_at AS deletedAt, banned_at AS bannedAt,
       ban_reason AS banReason
     FROM urls WHERE id > ? ORDER BY id LIMIT ?`,
  );
  // A code that exists already is left as it is: an import never overwrites a link.
  const insert = db.prepare<unknown[]>(
    `INSERT INTO urls (code, target, created, updated, manage_token_hash, redirect_status,
       expires_at, max_visits, visits, last_visit, disabled_at, banned_at, ban_reason, deleted_at)
     VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (code) DO NOTHING`,
  );
  const insertAll = db.transaction((links: readonly ImportedLink[], inserted: Uint8Array) => {
    links.forEach((link, index) => {
      const { changes } = insert.run(
        link.code,
        link.target,
        link.created,
        link.updated,
        link.redirectStatus,
        link.expiresAt,
        link.maxVisits,
        link.visits,
        link.lastVisit,
        link.disabledAt,
        link.bannedAt,
        link.banReason,
        link.deletedAt,
      );
      inserted[index] = changes;
    });
  });

  return {
    /**
     * Calls `onLink` for up to `limit` links after `afterId`, in id order, and returns how many
     * there were. The statement's iterator is used up before this returns: while one is open,
     * better-sqlite3 refuses every other statement on the connection, and the server has one.
     */
    forEachLinkAfter(afterId: number, limit: number, onLink: (link: Link) => void): number {
      let seen = 0;
      for (const link of page.iterate(afterId, limit)) {
        onLink(link);
        seen += 1;
      }
      return seen;
    },

    /**
     * Inserts the links in one transaction: all or none. Returns, per link, 1 when it was
     * inserted and 0 when its code was taken (by an existing link or an earlier one in the list).
     */
    insertLinks(links: readonly ImportedLink[]): Uint8Array {
      const inserted = new Uint8Array(links.length);
      insertAll(links, inserted);
      return inserted;
    },
  };
}
