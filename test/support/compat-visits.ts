import request from 'supertest';
import type { TestApp } from './test-app.js';

/**
 * Real visits for the statistics of the compatible APIs: requests through the app from
 * addresses of known countries behind a trusted proxy (the app must be built with
 * `TRUST_PROXY: 'loopback'`), with real User-Agents and languages, then a flush of the counter.
 */

export const LINUX_FIREFOX =
  'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
export const SAMSUNG_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36';
export const WINDOWS_EDGE =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0';
export const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
export const MAC_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

/** Addresses of documented ranges: Germany (heise), Japan, the United States (Google DNS). */
export const DE = '193.99.144.80';
export const JP = '133.0.0.1';
export const US = '8.8.8.8';

/** One visit of `path` on `host` from `address` with a User-Agent and more headers; expects a redirect. */
export async function visitFrom(
  t: TestApp,
  path: string,
  address: string,
  agent: string,
  headers: Record<string, string> = {},
  host = 's.example',
): Promise<void> {
  await request(t.app)
    .get(path)
    .set({
      Host: host,
      'X-Forwarded-For': address,
      'User-Agent': agent,
      'Accept-Language': 'en-US,en;q=0.8',
      ...headers,
    })
    .expect(302);
}

/** Writes the visits counted in memory, as the once-a-second flush does. */
export async function flushVisits(t: TestApp): Promise<void> {
  await t.services.visitCounter.idle();
  await t.services.visitCounter.flush();
}
