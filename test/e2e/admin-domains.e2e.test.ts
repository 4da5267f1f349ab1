import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  DESKTOP_LIGHT,
  expectNoViolations,
  launchChromium,
  MOBILE_DARK,
  startSnip,
  watchForProblems,
} from './browser-harness.js';

/**
 * The admin's Domains page in a real browser, with and without JavaScript: a refused domain
 * comes back with its message at the field, which has the focus; a good one is listed and can be
 * picked as the domain an alias names, its redirects are edited on their own page; both are deleted. axe-core finds no violation where it
 * can run (with JavaScript).
 */

const PASSWORD = 'correct horse battery staple';

let browser: Browser;

async function submit(page: Page, button: string): Promise<Response | null> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(button)]);
  return response;
}

async function listedHosts(page: Page): Promise<string[]> {
  return (await page.locator('tbody tr td:first-child > code:first-of-type').allInnerTexts()).map(
    (h) => h.trim(),
  );
}

describeInBrowser('domains in the admin in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, options, javaScriptEnabled] of [
    ['with JavaScript, desktop-light', DESKTOP_LIGHT, true],
    ['without JavaScript, mobile-dark', MOBILE_DARK, false],
  ] as const) {
    it(`when the operator adds and deletes domains (${name}), then the page lists them and refuses a bad one at its field`, async () => {
      // Without BASE_URL: no default domain is listed, and 127.0.0.1 keeps answering once one exists.
      const server = await startSnip({ ADMIN_PASSWORD: PASSWORD });
      const context = await browser.newContext({
        ...options,
        javaScriptEnabled,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/admin');
        await page.fill('#password', PASSWORD);
        await submit(page, 'form[action="/admin/sign-in"] button[type=submit]');
        await page.click('nav[aria-label=Admin] a[href="/admin/domains"]');
        await page.waitForURL('**/admin/domains');
        expect(await listedHosts(page)).toEqual([]);
        await expectNoViolations(page, javaScriptEnabled);

        await page.fill('#domain-host', 'a_b.example');
        await page.fill('#domain-rootRedirect', 'https://home.example/');
        const refused = await submit(page, 'form[action="/admin/domains"] button[type=submit]');
        expect(refused?.status()).toBe(422);
        expect(await page.inputValue('#domain-host')).toBe('a_b.example');
        expect(await page.getAttribute('#domain-host', 'aria-invalid')).toBe('true');
        expect(await page.locator('#domain-host-error').innerText()).toContain('host name');
        expect(await page.evaluate('document.activeElement?.id')).toBe('domain-host');
        await expectNoViolations(page, javaScriptEnabled);

        await page.fill('#domain-host', 'Go.Example');
        const added = await submit(page, 'form[action="/admin/domains"] button[type=submit]');
        expect(added?.status()).toBe(200);
        expect(await page.locator('[role=status]').innerText()).toContain('The domain is added.');
        expect(await listedHosts(page)).toEqual(['go.example']);

        await page.fill('#domain-host', 'old.example');
        await page.selectOption('#domain-aliasOf', 'go.example');
        await submit(page, 'form[action="/admin/domains"] button[type=submit]');
        expect(await listedHosts(page)).toEqual(['go.example', 'old.example']);
        await expectNoViolations(page, javaScriptEnabled);

        // Its redirects are edited on a page of their own; a refused one keeps the focus.
        await page.click('a[href="/admin/domains/edit?host=go.example"]');
        await page.waitForURL('**/admin/domains/edit?host=go.example');
        await expectNoViolations(page, javaScriptEnabled);
        await page.fill('#domain-notFoundRedirect', 'javascript:alert(1)');
        const badEdit = await submit(page, 'form[action="/admin/domains/edit"] button');
        expect(badEdit?.status()).toBe(422);
        expect(await page.evaluate('document.activeElement?.id')).toBe('domain-notFoundRedirect');
        expect(await page.locator('#domain-notFoundRedirect-error').innerText()).not.toBe('');
        await expectNoViolations(page, javaScriptEnabled);
        await page.fill('#domain-notFoundRedirect', 'https://missing.example/');
        await submit(page, 'form[action="/admin/domains/edit"] button');
        expect(await page.locator('[role=status]').innerText()).toContain('redirects are saved');
        expect(await page.locator('tbody').innerText()).toContain('https://missing.example/');

        await submit(
          page,
          'form[action="/admin/domains/delete"]:has(input[value="old.example"]) button',
        );
        await submit(
          page,
          'form[action="/admin/domains/delete"]:has(input[value="go.example"]) button',
        );
        expect(await listedHosts(page)).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
        await server.stop();
      }
    });
  }
});
