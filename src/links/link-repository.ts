import type { Db } from '../db/open-database.js';

export type Link = {
  id: number;
  code: string;
  target: string;
  created: number;
  updated: number;
};

type LinkRow = Link;

export type InsertResult = { ok: true; link: Link } | { ok: false; reason: 'code_taken' };

export type LinkRepository = ReturnType<typeof createLinkRepository>;

/** The only place that speaks SQL about links. Statements are prepared once. */
export function createLinkRepository(db: Db) {
  const insert = db.prepare<[string, string, number, number], LinkRow>(
    'INSERT INTO urls (code, target, created, updated) VALUES (?, ?, ?, ?) RETURNING id, code, target, created, updated',
  );
  const byCode = db.prepare<[string], LinkRow>(
    'SELECT id, code, target, created, updated FROM urls WHERE code = ?',
  );
  const targetByCode = db.prepare<[string], { target: string }>(
    'SELECT target FROM urls WHERE code = ?',
  );
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM urls');

  return {
    insertLink(code: string, target: string, now: number): InsertResult {
      try {
        const link = insert.get(code, target, now, now);
        if (!link) throw new Error('INSERT … RETURNING returned no row');
        return { ok: true, link };
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          return { ok: false, reason: 'code_taken' };
        }
        throw error;
      }
    },
    findLink(code: string): Link | null {
      return byCode.get(code) ?? null;
    },
    /** The redirect path's query: one indexed lookup, one column. */
    findTarget(code: string): string | null {
      return targetByCode.get(code)?.target ?? null;
    },
    countLinks(): number {
      return count.get()?.n ?? 0;
    },
  };
}
