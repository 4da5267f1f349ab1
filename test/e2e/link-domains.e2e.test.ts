import type { Browser, Page } from 'playwright-core';
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
} from './browser-harness.js';

/**
 * The domain select of the home form and of the admin's new-link form in a real browser, with
 * and without JavaScript (ADR 031): once the admin added go.example, both forms offer it after
 * the default domain; a link made there shows its short URL, and its QR code, on go.example; the
 * admin list names each link's domain. axe-core finds no violation where it can run.
 */

const PASSWORD = 'correct horse battery staple';

let browser: Browser;

/** The options of the domain select, as [value, text]. */
async function domainOptions(page: Page): Promise<[string, string][]> {
  return page
    .locator('#domain option')
    .evaluateAll((options) =>
      options.map((option) => [
        option.getAttribute('value') ?? '',
        (option.textContent ?? '').trim(),
      ]),
    ) as Promise<[string, string][]>;
}

describeInBrowser('links on several domains in Chromium', () => {
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
    it(`when a link is made on go.example from the home form and from the admin (${name}), then its short URL is on go.example`, async () => {
      // Without BASE_URL: the default domain is the host asked, 127.0.0.1.
      const server = await startSnip({ ADMIN_PASSWORD: PASSWORD });
      const context = await browser.newContext({
        ...options,
        javaScriptEnabled,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();

        // Before any domain is added, the home form has no select.
        await page.goto('/');
        expect(await page.locator('#domain').count()).toBe(0);

        // The admin adds go.example, and an alias of it (which holds no links of its own).
        await page.goto('/admin');
        await page.fill('#password', PASSWORD);
        await submitAndFollow(page, 'form[action="/admin/sign-in"] button[type=submit]');
        await page.goto('/admin/domains');
        await page.fill('#domain-host', 'go.example');
        await submitAndFollow(page, 'form[action="/admin/domains"] button[type=submit]');
        await page.goto('/admin/domains');
        await page.fill('#domain-host', 'old-go.example');
        await page.selectOption('#domain-aliasOf', 'go.example');
        await submitAndFollow(page, 'form[action="/admin/domains"] button[type=submit]');

        // The home form: a labelled select, the default domain first and chosen.
        await page.goto('/');
        expect(await page.locator('label[for=domain]').innerText()).toBe('Domain');
        expect(await domainOptions(page)).toEqual([
          ['', '127.0.0.1'],
          ['go.example', 'go.example'],
        ]);
        expect(await page.inputValue('#domain')).toBe('');
        await expectNoViolations(page, javaScriptEnabled);

        // A value the select never offered (here: the alias) is refused at the select.
        await page.fill('#url', 'https://example.com/on-go');
        await page
          .locator('#domain option[value="go.example"]')
          .evaluate((option) => option.setAttribute('value', 'old-go.example'));
        await page.selectOption('#domain', 'old-go.example');
        await Promise.all([
          page.waitForResponse((answer) => answer.url().endsWith('/shorten')),
          page.click('form[action="/shorten"] button[type=submit]'),
        ]);
        await page.waitForLoadState();
        expect(await page.getAttribute('#domain', 'aria-invalid')).toBe('true');
        expect(await page.locator('#domain-error').innerText()).toContain(
          'Choose one of the domains offered.',
        );
        expect(await page.evaluate('document.activeElement?.id')).toBe('domain');
        expect(await page.inputValue('#url')).toBe('https://example.com/on-go');
        await expectNoViolations(page, javaScriptEnabled);

        await page.selectOption('#domain', 'go.example');
        await submitAndFollow(page, 'form[action="/shorten"] button[type=submit]');
        expect(await page.locator('h1').innerText()).toBe('Your short link is ready');
        const shortUrl = await page.inputValue('#short-url');
        expect(shortUrl).toMatch(/^http:\/\/go\.example\/[A-Za-z0-9_-]+$/);
        const code = shortUrl.split('/').pop()!;
        expect(await page.getAttribute('.copy-field__open a', 'href')).toBe(shortUrl);
        // Its QR code is drawn for the link on go.example (the default domain has no such code).
        const qr = page.locator('.qr img');
        expect(await qr.getAttribute('src')).toBe(`/qr/${code}.svg?domain=go.example`);
        const drawn = await page.request.get(`/qr/${code}.svg?domain=go.example`);
        expect(drawn.status()).toBe(200);
        expect(
          await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        ).toBeGreaterThan(0);
        await expectNoViolations(page, javaScriptEnabled);

        // The admin's new-link form: the same select; `twin` on go.example, then on the default.
        await page.goto('/admin/new');
        expect(await domainOptions(page)).toEqual([
          ['', '127.0.0.1'],
          ['go.example', 'go.example'],
        ]);
        await expectNoViolations(page, javaScriptEnabled);
        await page.fill('#url', 'https://example.com/twin-go');
        await page.fill('#alias', 'twin');
        await page.selectOption('#domain', 'go.example');
        await submitAndFollow(page, 'form[action="/admin/links"] button[type=submit]');
        expect(new URL(page.url()).search).toBe('?domain=go.example&done=created');
        expect(await page.locator('.facts').innerText()).toContain('http://go.example/twin');
        await expectNoViolations(page, javaScriptEnabled);

        await page.goto('/admin/new');
        await page.fill('#url', 'https://example.com/twin-default');
        await page.fill('#alias', 'twin');
        await submitAndFollow(page, 'form[action="/admin/links"] button[type=submit]');
        expect(new URL(page.url()).search).toBe('?done=created');
        expect(await page.locator('.facts').innerText()).toContain(`${server.baseUrl}/twin`);

        // The list names each link's domain; disabling go.example's twin leaves the other.
        await page.goto('/admin');
        const rows = await page
          .locator('tbody tr')
          .evaluateAll((trs) =>
            trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 3).map((td) => td.innerText)),
          );
        expect(rows).toContainEqual(['/twin', 'go.example']);
        expect(rows).toContainEqual(['/twin', '127.0.0.1']);
        await expectNoViolations(page, javaScriptEnabled);
        await page.click('a[href="/admin/links/twin?domain=go.example"]');
        await page.waitForURL('**/admin/links/twin?domain=go.example');
        await submitAndFollow(
          page,
          'form[action="/admin/links/twin/disable?domain=go.example"] button',
        );
        expect(await page.locator('[role=status]').innerText()).toContain('The link is disabled.');
        await page.goto('/admin/links/twin');
        expect(await page.locator('.facts').innerText()).toMatch(/Status\s+Active/);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
        await server.stop();
      }
    });
  }
});
