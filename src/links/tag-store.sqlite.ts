import type { Db } from '../db/open-database.sqlite.js';
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

/** The tags of links on SQLite: statements prepared once, each change one transaction. */
export function createTagRepository(db: Db) {
  const insertTag = db.prepare<[{ key: string; name: string; now: number }]>(INSERT_TAG.sqlite);
  const clear = db.prepare<[{ linkId: number }]>(CLEAR_LINK_TAGS.sqlite);
  const addLinkTag = db.prepare<[{ linkId: number; key: string }]>(ADD_LINK_TAG.sqlite);
  const removeLinkTag = db.prepare<[{ linkId: number; key: string }]>(REMOVE_LINK_TAG.sqlite);
  const list = db.prepare<[], TagSummary>(LIST_TAGS.sqlite);
  // Its own text: SQLite reads a list of ids from a JSON array, PostgreSQL from an array.
  const tagsOf = db.prepare<[string], LinkTag>(
    `SELECT lt.url_id AS linkId, t.name AS name
     FROM link_tags lt JOIN tags t ON t.id = lt.tag_id
     WHERE lt.url_id IN (SELECT value FROM json_each(?))
     ORDER BY lt.url_id, lt.position`,
  );

  const setTags = db.transaction((linkId: number, names: readonly string[], now: number) => {
    clear.run({ linkId });
    for (const name of names) {
      const key = tagKey(name);
      insertTag.run({ key, name, now });
      addLinkTag.run({ linkId, key });
    }
  });
  const addTag = db.transaction((linkIds: readonly number[], name: string, now: number) => {
    const key = tagKey(name);
    insertTag.run({ key, name, now });
    for (const linkId of linkIds) addLinkTag.run({ linkId, key });
  });
  const carried = db.prepare<[{ key: string }], number>(TAG_CARRIED.sqlite).pluck();
  const rename = db.prepare<[{ key: string; newKey: string; name: string }]>(RENAME_TAG.sqlite);
  const untagAll = db.prepare<[{ key: string }]>(UNTAG_ALL.sqlite);
  const deleteTag = db.prepare<[{ key: string }]>(DELETE_TAG.sqlite);
  const renameTag = db.transaction((key: string, name: string) => {
    if ((carried.get({ key }) ?? 0) === 0) return 'unknown' as const;
    const newKey = tagKey(name);
    if (newKey !== key) {
      if ((carried.get({ key: newKey }) ?? 0) > 0) return 'taken' as const;
      // A tag no link carries any more is forgotten to make room.
      deleteTag.run({ key: newKey });
    }
    rename.run({ key, newKey, name });
    return 'renamed' as const;
  });
  const deleteTags = db.transaction((keys: readonly string[]) => {
    for (const key of keys) {
      untagAll.run({ key });
      deleteTag.run({ key });
    }
  });
  const removeTag = db.transaction((linkIds: readonly number[], key: string) => {
    for (const linkId of linkIds) removeLinkTag.run({ linkId, key });
  });

  return {
    setTags(linkId: number, names: readonly string[], now: number): void {
      setTags(linkId, names, now);
    },
    tagsOf(linkIds: readonly number[]): LinkTag[] {
      return linkIds.length === 0 ? [] : tagsOf.all(JSON.stringify(linkIds));
    },
    addTag(linkIds: readonly number[], name: string, now: number): void {
      addTag(linkIds, name, now);
    },
    removeTag(linkIds: readonly number[], key: string): void {
      removeTag(linkIds, key);
    },
    listTags(): TagSummary[] {
      return list.all();
    },
    renameTag(key: string, name: string): 'renamed' | 'unknown' | 'taken' {
      return renameTag(key, name);
    },
    deleteTags(keys: readonly string[]): void {
      deleteTags(keys);
    },
  };
}

createTagRepository satisfies (db: Db) => TagStore;
