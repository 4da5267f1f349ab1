import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { type KeyScope } from '../../src/keys/key-store.js';
import { createKeyService } from '../../src/keys/key-service.js';
import type { TestApp } from './test-app.js';

/** The public origin the compatibility tests configure as BASE_URL. */
export const ORIGIN = 'https://s.example';

/** A browser's user agent: a visit from it counts (a bot's or a script's does not). */
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';

function keyService(t: TestApp) {
  return createKeyService({ keys: createKeyRepository(t.db), now: Date.now });
}

/** A real key, made the way the admin page and `npm run keys` make one. */
export async function createApiKey(
  t: TestApp,
  scope: KeyScope = 'full',
  name = `client-${scope}`,
): Promise<string> {
  const key = await keyService(t).createKey({ name, scope, expiresAt: null });
  if (key === null) throw new Error(`a key named ${name} exists already`);
  return key;
}

export async function revokeApiKey(t: TestApp, name: string): Promise<void> {
  if (!(await keyService(t).revokeKey(name))) throw new Error(`no active key named ${name}`);
}

/** A host name one character longer than DNS allows (253), made of labels DNS would accept. */
const LONG_HOST = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;

/**
 * Targets the URL policy refuses at every door: a script, a loopback address, snip itself and
 * a host name too long for DNS.
 */
export const REFUSED_TARGETS: ReadonlyArray<readonly [string, string]> = [
  ['a javascript: URL', 'javascript:alert(document.domain)'],
  ['a loopback address', 'http://127.0.0.1/'],
  ["snip's own host", `${ORIGIN}/x`],
  ['a 254-character host', `https://${LONG_HOST}/`],
];

if (LONG_HOST.length !== 254) throw new Error('LONG_HOST must have 254 characters');
