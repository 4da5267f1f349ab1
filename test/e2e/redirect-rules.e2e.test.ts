import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  DESKTOP_LIGHT,
  expectNoViolations,
  launchChromium,
  MOBILE_DARK,
  startSnip,
  submitAndFollow,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

/**
 * The redirect rules editor in a real browser, with and without JavaScript: rules written as
 * lines on the management page, shown back as written, a bad line refused at the field, the
 * preview listing every destination, and the short link following the rule that fits; axe-core
 * finds no violation (where it can run: with JavaScript).
 */

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const RULES = [
  'device:ios -> https://apps.example/ios',
  'language:de query:ref=news -> https://example.de/',
].join('\n');

let server: SnipServer;
let browser: Browser;

describeInBrowser('the redirect rules editor in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [name, options, javaScriptEnabled] of [
    ['with JavaScript, desktop-light', DESKTOP_LIGHT, true],
    ['without JavaScript, mobile-dark', MOBILE_DARK, false],
  ] as const) {
    it(`when the owner writes rules (${name}), then they are kept as written, a bad line is refused at the field, and visits follow them`, async () => {
      const context = await browser.newContext({
        ...options,
        javaScriptEnabled,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/');
        await page.fill('#url', 'https://example.com/app');
        await submitAndFollow(page, 'form[action="/shorten"] button[type=submit]');
        expect(page.url()).toMatch(/\/manage\/[A-Za-z0-9_-]{32}\?created=1$/);
        const shortUrl = await page.inputValue('#short-url');
        const code = new URL(shortUrl).pathname;

        await page.fill('#rules', RULES);
        await submitAndFollow(page, 'form.form button.button--primary');
        expect(await page.inputValue('#rules')).toBe(RULES);
        expect(await page.locator('#rules-hint').innerText()).toContain('answers 302');
        await expectNoViolations(page, javaScriptEnabled);

        // A line without its arrow is refused at the field; the rules stay as they were.
        await page.fill('#rules', `${RULES}\ndevice:android https://play.example/`);
        await submitAndFollow(page, 'form.form button.button--primary');
        expect(await page.locator('#rules-error').innerText()).toContain('Line 3');
        expect(await page.getAttribute('#rules', 'aria-invalid')).toBe('true');
        expect(await page.getAttribute('#rules', 'aria-describedby')).toContain('rules-error');
        await expectNoViolations(page, javaScriptEnabled);

        // Visits: an iPhone goes to its rule's destination, anyone else to the link's own.
        const iphone = await page.request.get(code, {
          maxRedirects: 0,
          headers: { 'User-Agent': IPHONE },
        });
        expect(iphone.status()).toBe(302);
        expect(iphone.headers()['location']).toBe('https://apps.example/ios');
        expect(iphone.headers()['vary']).toBe('User-Agent, Accept-Language');
        const other = await page.request.get(code, { maxRedirects: 0 });
        expect(other.headers()['location']).toBe('https://example.com/app');

        // The preview names every destination, and when each is chosen.
        await page.goto(`${code}+`);
        const preview = await page.locator('main').innerText();
        expect(preview).toContain('https://apps.example/ios');
        expect(preview).toContain('on an iPhone or iPad');
        expect(preview).toContain('for readers of de and with ?ref=news');
        await expectNoViolations(page, javaScriptEnabled);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
