import type { Db } from '../../src/db/open-database.sqlite.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';
import { createLinkRepository } from '../../src/links/link-store.sqlite.js';

/** `n` links (`l0`, `l1`, …) inserted straight into the store at `at`; their ids, in order. */
export function insertLinks(db: Db, n: number, at: number): number[] {
  const links = createLinkRepository(db);
  return Array.from({ length: n }, (_, i) => {
    const code = `l${i}`;
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
  });
}
