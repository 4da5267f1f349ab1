/**
 * Two codes whose fingerprints (src/links/code-index.ts) on the default domain are equal, found
 * by a search over c0, c1 … (test/links/code-index.test.ts checks that they still collide).
 */
export const COLLIDING_CODES: readonly [string, string] = ['c82vu', 'cjuea'];
