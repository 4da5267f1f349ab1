import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import { inTransaction } from '../db/transaction.postgres.js';
import { tagKey, type TagSummary } from './tags.js';
import {
  ADD_LINK_TAG,
  CLEAR_LINK_TAGS,
  INSERT_TAG,
  DELETE_TAG,
  LIST_TAGS,
  REMOVE_LINK_TAG,
  RENAME_TAG,
  TAG_CARRIED,
  UNTAG_ALL,
} from './tag-sql.js';
import type { LinkTag, TagStore } from './tag-store.js';

// Its own text: an array of ids, where SQLite reads a JSON array.
const TAGS_OF = `SELECT lt.url_id AS "linkId", t.name AS name
  FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
  WHERE lt.url_id = ANY($1)
  ORDER BY lt.url_id, lt.position`;

/**
 * The PostgreSQL twin of tag-store.sqlite.ts. Tags change no redirect, so no change here tells
 * the other machines' redirect caches anything.
 */
export function createPostgresTagRepository(pool: pg.Pool) {
  return {
    async setTags(linkId: number, names: readonly string[], now: number): Promise<void> {
      await inTransaction(pool, async (client) => {
        await client.query(postgresQuery(CLEAR_LINK_TAGS, { linkId }));
        for (const name of names) {
          const key = tagKey(name);
          await client.query(postgresQuery(INSERT_TAG, { key, name, now }));
          await client.query(postgresQuery(ADD_LINK_TAG, { linkId, key }));
        }
      });
    },
    async tagsOf(linkIds: readonly number[]): Promise<LinkTag[]> {
      if (linkIds.length === 0) return [];
      const { rows } = await pool.query<LinkTag>(TAGS_OF, [[...linkIds]]);
      return rows;
    },
    async addTag(linkIds: readonly number[], name: string, now: number): Promise<void> {
      const key = tagKey(name);
      await inTransaction(pool, async (client) => {
        await client.query(postgresQuery(INSERT_TAG, { key, name, now }));
        for (const linkId of linkIds) {
          await client.query(postgresQuery(ADD_LINK_TAG, { linkId, key }));
        }
      });
    },
    async removeTag(linkIds: readonly number[], key: string): Promise<void> {
      await inTransaction(pool, async (client) => {
        for (const linkId of linkIds) {
          await client.query(postgresQuery(REMOVE_LINK_TAG, { linkId, key }));
        }
      });
    },
    async listTags(): Promise<TagSummary[]> {
      const { rows } = await pool.query<TagSummary>(LIST_TAGS.postgres);
      return rows;
    },
    async renameTag(key: string, name: string): Promise<'renamed' | 'unknown' | 'taken'> {
      return inTransaction(pool, async (client) => {
        const carried = async (k: string) =>
          (await client.query<{ n: number }>(postgresQuery(TAG_CARRIED, { key: k }))).rows[0]?.n ??
          0;
        if ((await carried(key)) === 0) return 'unknown';
        const newKey = tagKey(name);
        if (newKey !== key) {
          if ((await carried(newKey)) > 0) return 'taken';
          // A tag no link carries any more is forgotten to make room.
          await client.query(postgresQuery(DELETE_TAG, { key: newKey }));
        }
        await client.query(postgresQuery(RENAME_TAG, { key, newKey, name }));
        return 'renamed';
      });
    },
    async deleteTags(keys: readonly string[]): Promise<void> {
      await inTransaction(pool, async (client) => {
        for (const key of keys) {
          await client.query(postgresQuery(UNTAG_ALL, { key }));
          await client.query(postgresQuery(DELETE_TAG, { key }));
        }
      });
    },
  };
}

createPostgresTagRepository satisfies (pool: pg.Pool) => TagStore;
