import type { Db } from '../../src/db/open-database.sqlite.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { createLinkRepository, type LinkRepository } from '../../src/links/link-store.sqlite.js';

/** A link with default options inserted straight into the store at `at`; its id. */
export function insertLink(links: LinkRepository, code: string, at: number): number {
  const result = links.insertLink(
    {
      code,
      target: `https://example.com/${code}`,
      manageTokenHash: Buffer.from(code),
      ...DEFAULT_OPTIONS,
    },
    at,
  );
  if (!result.ok) throw new Error(`could not insert ${code}`);
  return result.link.id;
}

/** `n` links (`l0`, `l1`, …) inserted straight into the store at `at`; their ids, in order. */
export function insertLinks(db: Db, n: number, at: number): number[] {
  const links = createLinkRepository(db);
  return Array.from({ length: n }, (_, i) => insertLink(links, `l${i}`, at));
}
