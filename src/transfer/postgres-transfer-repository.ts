import type pg from 'pg';
import { inTransaction } from '../db/postgres-transaction.js';
import type { TransferStore } from '../db/store.js';
import type { Link } from '../links/link-repository.js';
import type { ImportedLink } from './transfer-repository.js';

/**
 * The PostgreSQL twin of transfer-repository.ts, with the same methods and results. Give it a
 * pool from createPostgresPool, which reads BIGINT as a JavaScript number.
 */

/** Links per INSERT: 13 arrays of this many values each, far below any limit of the protocol. */
export const INSERT_CHUNK = 5_000;

/** Quoted: PostgreSQL folds unquoted names to lower case. */
const PAGE = `SELECT id, code, target, created, updated, redirect_status AS "redirectStatus",
    expires_at AS "expiresAt", max_visits AS "maxVisits", visits, last_visit AS "lastVisit",
    disabled_at AS "disabledAt", deleted_at AS "deletedAt", banned_at AS "bannedAt",
    ban_reason AS "banReason"
  FROM urls WHERE id > $1 ORDER BY id LIMIT $2`;

/**
 * A chunk of links in one statement, a column per array. A code that exists already is left as
 * it is (an import never overwrites a link); RETURNING names the codes that were inserted.
 */
const INSERT = `INSERT INTO urls (code, target, created, updated, manage_token_hash,
    redirect_status, expires_at, max_visits, visits, last_visit, disabled_at, banned_at,
    ban_reason, deleted_at)
  SELECT code, target, created, updated, NULL, redirect_status, expires_at, max_visits, visits,
    last_visit, disabled_at, banned_at, ban_reason, deleted_at
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::integer[], $6::bigint[],
    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[],
    $13::bigint[])
    AS l (code, target, created, updated, redirect_status, expires_at, max_visits, visits,
      last_visit, disabled_at, banned_at, ban_reason, deleted_at)
  ON CONFLICT (code) DO NOTHING
  RETURNING code`;

function columnsOf(links: readonly ImportedLink[]): unknown[][] {
  return [
    links.map((link) => link.code),
    links.map((link) => link.target),
    links.map((link) => link.created),
    links.map((link) => link.updated),
    links.map((link) => link.redirectStatus),
    links.map((link) => link.expiresAt),
    links.map((link) => link.maxVisits),
    links.map((link) => link.visits),
    links.map((link) => link.lastVisit),
    links.map((link) => link.disabledAt),
    links.map((link) => link.bannedAt),
    links.map((link) => link.banReason),
    links.map((link) => link.deletedAt),
  ];
}

export function createPostgresTransferRepository(pool: pg.Pool) {
  return {
    /**
     * Calls `onLink` for up to `limit` links after `afterId`, in id order, and returns how many
     * there were; every call is made before the promise settles.
     */
    async forEachLinkAfter(
      afterId: number,
      limit: number,
      onLink: (link: Link) => void,
    ): Promise<number> {
      const { rows } = await pool.query<Link>(PAGE, [afterId, limit]);
      for (const link of rows) onLink(link);
      return rows.length;
    },

    /**
     * Inserts the links in one transaction: all or none. Returns, per link, 1 when it was
     * inserted and 0 when its code was taken (by an existing link or an earlier one in the list).
     */
    async insertLinks(links: readonly ImportedLink[]): Promise<Uint8Array> {
      const inserted = new Uint8Array(links.length);
      // A code seen earlier in the list is taken by that link (inserted or not), so only the
      // first of each code is sent: every code in a statement is then unique, and the codes it
      // returns point at one link each.
      const firstIndex = new Map<string, number>();
      links.forEach((link, index) => {
        if (!firstIndex.has(link.code)) firstIndex.set(link.code, index);
      });
      const sent = [...firstIndex.values()];
      if (sent.length === 0) return inserted;
      await inTransaction(pool, async (client) => {
        for (let start = 0; start < sent.length; start += INSERT_CHUNK) {
          const chunk = sent.slice(start, start + INSERT_CHUNK).map((index) => links[index]!);
          const { rows } = await client.query<{ code: string }>(INSERT, columnsOf(chunk));
          for (const { code } of rows) inserted[firstIndex.get(code)!] = 1;
        }
      });
      return inserted;
    },
  };
}

createPostgresTransferRepository satisfies (pool: pg.Pool) => TransferStore;
