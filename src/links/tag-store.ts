import type { Awaitable } from '../db/awaitable.js';
import type { TagSummary } from './tags.js';

/** A tag a link carries, as a listing reads them: the link, and the tag's stored spelling. */
export type LinkTag = { linkId: number; name: string };

/**
 * The storage contract of tags (src/links/tags.ts says what a tag is), written by hand: what
 * every engine must do. Names given here are already checked (checkTags); a tag is found by its
 * key, and a new key is stored with the spelling first given. Deleting a link removes its tags
 * in the link store's own transaction, so no method here ever sees a tombstone.
 */
export interface TagStore {
  /** Replaces the tags of a link, in this order: all of them or, when it fails, none. */
  setTags(linkId: number, names: readonly string[], now: number): Awaitable<void>;
  /** The tags of these links, each link's in its owner's order. */
  tagsOf(linkIds: readonly number[]): Awaitable<LinkTag[]>;
  /**
   * Adds one tag after the others on each of these links that has not got it: all of them or
   * none. The caller keeps each link within MAX_TAGS.
   */
  addTag(linkIds: readonly number[], name: string, now: number): Awaitable<void>;
  /** Takes the tag with this key off each of these links: all of them or none. */
  removeTag(linkIds: readonly number[], key: string): Awaitable<void>;
  /** Every tag some link carries, by name: how many links and their visits (written ones). */
  listTags(): Awaitable<TagSummary[]>;
  /**
   * Gives the tag with key `key` the name `name` (its key changes with it) on every link that
   * carries it: `unknown` when no link carries it, `taken` when another tag some link carries has
   * the new key already; nothing changes then.
   */
  renameTag(key: string, name: string): Awaitable<'renamed' | 'unknown' | 'taken'>;
  /** Takes the tags with these keys off every link and forgets them: all of them or none. */
  deleteTags(keys: readonly string[]): Awaitable<void>;
}
