import { sqlText } from '../db/sql-text.js';

/**
 * The SQL of tags both engines share (see db/sql-text.ts). A tag is stored once by its key, with
 * the spelling first given: a second spelling of a known key changes nothing (ON CONFLICT DO
 * NOTHING, which both engines read alike).
 */

export const INSERT_TAG = sqlText(
  `INSERT INTO tags (key, name, created) VALUES (:key, :name, :now) ON CONFLICT (key) DO NOTHING`,
);
export const CLEAR_LINK_TAGS = sqlText('DELETE FROM link_tags WHERE url_id = :linkId');
export const ADD_LINK_TAG = sqlText(
  `INSERT INTO link_tags (url_id, tag_id, position)
   SELECT CAST(:linkId AS BIGINT), id, COALESCE((SELECT MAX(position) + 1 FROM link_tags WHERE url_id = :linkId), 0)
   FROM tags WHERE key = :key
   ON CONFLICT (url_id, tag_id) DO NOTHING`,
);
export const REMOVE_LINK_TAG = sqlText(
  `DELETE FROM link_tags WHERE url_id = :linkId
     AND tag_id = (SELECT id FROM tags WHERE key = :key)`,
);

/** Tags some link carries, with their links and visits; deleted links carry none. */
export const LIST_TAGS = sqlText(
  `SELECT t.name AS name, COUNT(*) AS links, CAST(COALESCE(SUM(u.visits), 0) AS BIGINT) AS visits
   FROM tags t JOIN link_tags lt ON lt.tag_id = t.id JOIN urls u ON u.id = lt.url_id
   WHERE u.deleted_at IS NULL
   GROUP BY t.id, t.name, t.key ORDER BY t.key, t.id`,
);

/** Whether a tag with this key exists and some link carries it. */
export const TAG_CARRIED = sqlText(
  `SELECT COUNT(*) AS n FROM tags t JOIN link_tags lt ON lt.tag_id = t.id WHERE t.key = :key`,
);
/** A tag's new key and spelling: every link carrying it carries the new one. */
export const RENAME_TAG = sqlText('UPDATE tags SET key = :newKey, name = :name WHERE key = :key');
/** Takes a tag off every link, then forgets it. */
export const UNTAG_ALL = sqlText(
  'DELETE FROM link_tags WHERE tag_id IN (SELECT id FROM tags WHERE key = :key)',
);
export const DELETE_TAG = sqlText('DELETE FROM tags WHERE key = :key');
